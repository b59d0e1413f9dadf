"""Dates and times in the person's time zone (``User.time_zone``), else the organisation's; and
the few pages a contributor may open."""

from __future__ import annotations

import zoneinfo

from django.http import Http404
from django.utils import timezone

from accounts.models import Role


class PersonTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = getattr(getattr(request, "user", None), "time_zone", "")
        try:
            timezone.activate(zoneinfo.ZoneInfo(name)) if name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# What a contributor (a colleague outside CS who gives review input) may open: the input requests
# addressed to them, their notifications and preferences, signing out, and the language. Every other
# page does not exist for them (404), whatever its own rule says; the API is refused by
# ``accounts.permissions.PeopleOnly`` but for the same few endpoints.
CONTRIBUTOR_PAGES = frozenset(
    {
        "home",
        "login",
        "logout",
        "favicon",
        "set_language",
        "input-list",
        "input-detail",
        "input-decline",
        "notification-list",
        "notification-open",
        "notification-read",
        "notification-preferences",
        "notification-unsubscribe",
        "api-token-create",
        "api-token-revoke",
        "api-schema",
        "api-docs",
    }
)
CONTRIBUTOR_API = frozenset(
    {
        "api-root",
        "api-todos",
        "api-input-request-list",
        "api-input-request-detail",
        "api-input-request-answer",
        "api-input-request-decline",
    }
)


class ContributorScopeMiddleware:
    """Contributors see only the requests addressed to them: no scorecard, review, OKR or KPI page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.role != Role.CONTRIBUTOR:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in CONTRIBUTOR_PAGES or name in CONTRIBUTOR_API or name.startswith("admin:"):
            return None
        if request.path.startswith("/api/"):
            return None  # the API's own permission answers (403 with its reason)
        raise Http404
