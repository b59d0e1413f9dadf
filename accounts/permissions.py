"""API permissions shared by every app."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.middleware import CONTRIBUTOR_API
from accounts.models import Role


class PeopleOnly(permissions.BasePermission):
    """The default of every API view: a person's session or token. An integration's token
    (role service) reaches only the views that allow it explicitly (data in)."""

    message = _("An integration token may only load data (POST /api/v1/ingest/<kind>/).")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.role != Role.SERVICE):
            return False
        if user.role == Role.CONTRIBUTOR:
            # A contributor reads only the input requests addressed to them (and their to-dos).
            match = getattr(request, "resolver_match", None)
            if match is None or match.view_name not in CONTRIBUTOR_API:
                self.message = _("A contributor only answers the input requests addressed to them.")
                return False
        return True
