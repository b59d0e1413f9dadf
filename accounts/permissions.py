"""API permissions shared by every app."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.models import Role


class PeopleOnly(permissions.BasePermission):
    """The default of every API view: a person's session or token. An integration's token
    (role service) reaches only the views that allow it explicitly (data in)."""

    message = _("An integration token may only load data (POST /api/v1/ingest/<kind>/).")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role != Role.SERVICE)
