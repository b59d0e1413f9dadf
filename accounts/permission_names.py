"""Django's permissions in the reader's language.

``auth_permission`` stores each permission's name in English, written once by ``migrate`` ("Can add
person"); the admin lists them on a person's and a group's page. Here a permission is put into words
when it is read: Django's four actions (add, change, delete, view) as a translated sentence around the
model's translated name, a model's own permissions (``Meta.permissions``) by their name in the
catalogs, and anything else (a model that is gone) as it is stored.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Permission
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ACTIONS = {
    # Translators: a permission in the admin's list; %(thing)s is the name of a kind of record
    # ("person", "review"), as it is written in the singular.
    "add": _("Can add %(thing)s"),
    # Translators: a permission in the admin's list; %(thing)s is a kind of record ("person").
    "change": _("Can change %(thing)s"),
    # Translators: a permission in the admin's list; %(thing)s is a kind of record ("person").
    "delete": _("Can delete %(thing)s"),
    # Translators: a permission in the admin's list; %(thing)s is a kind of record ("person").
    "view": _("Can view %(thing)s"),
}


def permission_name(permission: Permission) -> str:
    """What the permission allows, in the active language."""
    model = permission.content_type.model_class()
    if model is None:
        return permission.name
    opts = model._meta
    for action in opts.default_permissions:
        if permission.codename == f"{action}_{opts.model_name}" and action in ACTIONS:
            return ACTIONS[action] % {"thing": opts.verbose_name}
    for codename, name in opts.permissions:
        if codename == permission.codename:
            return gettext(str(name))
    return permission.name


def permission_label(permission: Permission) -> str:
    """The application, the kind of record and the permission, as the admin lists them."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    opts = model._meta
    return f"{opts.app_config.verbose_name} | {opts.verbose_name} | {permission_name(permission)}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    """The admin's permissions selector, each permission in the reader's words."""

    def label_from_instance(self, obj: Permission) -> str:
        return permission_label(obj)
