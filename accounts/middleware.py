"""Dates and times in the person's time zone (``User.time_zone``), else the organisation's; and
the few pages a contributor may open."""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accounts import mfa, saml
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


class RequireTwoFactorEnrolment:
    """A person whose password login requires two-factor and who has not set it up yet sees the set-up
    page (and its recovery codes, and logging out) until they have (accounts.mfa)."""

    ALLOWED = (
        "mfa_activate_totp",
        "mfa_index",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
        "logout",
        "set_language",
        "javascript-catalog",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(mfa.ENROL_SESSION_KEY) and request.user.is_authenticated:
            if mfa.has_totp(request.user):
                if not mfa.enrolling(request):
                    del session[mfa.ENROL_SESSION_KEY]
            elif not request.path.startswith(f"/{settings.STATIC_URL.lstrip('/')}") and request.path not in {
                reverse(name) for name in self.ALLOWED
            }:
                return redirect("mfa_activate_totp")
        return self.get_response(request)


def provider_origins() -> list[str]:
    """The origins of the configured identity providers (OpenID Connect issuers; SAML adds its own)."""
    apps = getattr(settings, "SOCIALACCOUNT_PROVIDERS", {}).get("openid_connect", {}).get("APPS", [])
    origins = []
    for app in apps:
        parts = urlsplit(app.get("settings", {}).get("server_url", ""))
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


class ProviderFormAction:
    """The sign-in button's form is answered by a redirect to the identity provider: the
    Content-Security-Policy's form-action lets the pages' forms go there, and nowhere else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origins = provider_origins() + saml.sign_in_origins(request)
        if origins:
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), *origins]
            response._csp_update = update
        return response


# What a contributor (a colleague outside CS who gives review input) may open: the input requests
# addressed to them, their notifications and preferences, signing out, and the language. Every other
# page does not exist for them (404), whatever its own rule says; the API is refused by
# ``accounts.permissions.PeopleOnly`` but for the same few endpoints.
CONTRIBUTOR_PAGES = frozenset(
    {
        "home",
        "login",
        "logout",
        "account_login",
        "account_logout",
        "favicon",
        "set_language",
        "javascript-catalog",
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
        if request.path.startswith(("/api/", "/scim/")):
            return None  # the API's own permission answers (403 with its reason), SCIM's its 401
        raise Http404
