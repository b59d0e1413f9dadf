"""Who signed in, how, when and from where, and every refused sign-in (the SignIn model); and the
rule that turns password logins away when the organisation signs in through its identity provider."""

from __future__ import annotations

import logging

from allauth.socialaccount.adapter import get_adapter
from axes.helpers import get_client_ip_address, get_client_user_agent
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts.models import SignIn, SignInMethod, User, normalize_email
from core.said import Params, Said, said, says

logger = logging.getLogger(__name__)
PASSWORD = SignInMethod.PASSWORD
OIDC = SignInMethod.OIDC
SAML = SignInMethod.SAML
# allauth keeps the ways a session authenticated under this key (allauth.account.internal.flows.login).
METHODS_SESSION_KEY = "account_authentication_methods"

# Why a sign-in was refused (``SignIn.reason``, its parameters in ``reason_params``): keys said when
# read, in the reader's language (``SignIn.reason_words``; the admin's Sign-ins log).
LOCKED_OUT = "accounts.locked_out"
WRONG_LOGIN = "accounts.wrong_login"
WRONG_CODE = "accounts.wrong_code"
SSO_ONLY = "accounts.sso_only"
NO_VERIFIED_EMAIL = "accounts.no_verified_email"
NOBODY_WITH_EMAIL = "accounts.nobody_with_email"
DEACTIVATED = "accounts.deactivated"
INTEGRATION = "accounts.integration"
NOT_VERIFIED = "accounts.answer_not_verified"


@says(LOCKED_OUT)
def _locked_out(p: Params) -> str:
    return _("Locked out after repeated failed logins.")


@says(WRONG_LOGIN)
def _wrong_login(p: Params) -> str:
    return _("Wrong email or password.")


@says(WRONG_CODE)
def _wrong_code(p: Params) -> str:
    return _("Wrong two-factor code.")


@says(SSO_ONLY)
def _sso_only(p: Params) -> str:
    return _("This organisation signs in through its identity provider: use the sign-in button above.")


@says(NO_VERIFIED_EMAIL)
def _no_verified_email(p: Params) -> str:
    return _("Your identity provider did not confirm your email address, so we cannot tell who you are.")


@says(NOBODY_WITH_EMAIL)
def _nobody_with_email(p: Params) -> str:
    return _(
        "Nobody here has the email address %(email)s. Ask HR or CS ops to add you, then sign in again."
    ) % {"email": p["email"]}


@says(DEACTIVATED)
def _deactivated(p: Params) -> str:
    return _("Your account here is deactivated. Ask HR or CS ops if this is a mistake.")


@says(INTEGRATION)
def _integration(p: Params) -> str:
    return _("An integration's account cannot sign in.")


@says(NOT_VERIFIED)
def _not_verified(p: Params) -> str:
    # ``error``: the library's own text (technical), or none known.
    return _("The identity provider's answer could not be verified (%(error)s).") % {
        "error": p["error"] or _("unknown error")
    }


def _where(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    ip = get_client_ip_address(request) or None
    try:
        validate_ipv46_address(ip or "")
    except ValidationError:
        ip = None
    return ip, (get_client_user_agent(request) or "")[:300]


def record(
    request, *, method: str, succeeded: bool, person=None, email: str = "", reason: Said | None = None
) -> SignIn:
    ip, agent = _where(request)
    email = normalize_email(email or (person.email if person else ""))[:254]
    if person is None and email:
        person = User.objects.filter(email=email).first()
    entry = SignIn.objects.create(
        person=person,
        email=email,
        method=method,
        succeeded=succeeded,
        reason=reason.key if reason else "",
        reason_params=reason.params if reason else {},
        ip_address=ip,
        user_agent=agent,
    )
    if not succeeded:
        logger.info("Sign-in refused (%s, %s): %s", method, email, reason)
    return entry


def record_refusal(
    request, *, method: str, email: str = "", person=None, reason: Said | None = None
) -> SignIn:
    return record(request, method=method, succeeded=False, person=person, email=email, reason=reason)


def method_of_session(request) -> str | None:
    """How this session's person proved who they are: the last password or provider step allauth
    recorded (a two-factor step follows a password)."""
    session = getattr(request, "session", None)
    for step in reversed((session or {}).get(METHODS_SESSION_KEY) or []):
        if step.get("method") == "password":
            return PASSWORD
        if step.get("method") == "socialaccount":
            try:
                provider = get_adapter().get_provider(request, step.get("provider"))
            except Exception:  # a provider removed since: still a provider sign-in
                return OIDC
            return SAML if provider.id == "saml" else OIDC
    return None


def password_refusal(user: User) -> Said | None:
    """Why ``user`` may not sign in with a password, or None: with SSO_ONLY on, only the break-glass
    admins may."""
    if settings.SSO_ONLY and normalize_email(user.email) not in settings.SSO_BREAK_GLASS_EMAILS:
        return said(SSO_ONLY)
    return None


@receiver(user_logged_in, dispatch_uid="accounts.signins.logged_in")
def _logged_in(sender, request, user, **kwargs) -> None:
    method = method_of_session(request)
    if method is None:  # a test's force_login; every real sign-in goes through allauth's flows
        return
    record(request, method=method, succeeded=True, person=user)


@receiver(user_login_failed, dispatch_uid="accounts.signins.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    email = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    if request is not None and not email:
        email = request.POST.get("username", "")
    reason = said(LOCKED_OUT) if getattr(request, "axes_locked_out", False) else said(WRONG_LOGIN)
    record_refusal(request, method=PASSWORD, email=email, reason=reason)
