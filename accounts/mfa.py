"""Two-factor for password logins (allauth.mfa, TOTP and recovery codes): HR and admins who sign in
with a password must have it; one who has not set it up does so before anything else (the
middleware RequireTwoFactorEnrolment). A sign-in through the identity provider leaves two-factor to it."""

from __future__ import annotations

import time

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts import signins
from accounts.models import EVERYONE_ROLES, User
from core.said import said

# Set in the session (the time) by a password login that must set up two-factor: until it is set up
# every page leads to the set-up; for a few minutes after that login, setting it up and reading the
# recovery codes ask for no password again.
ENROL_SESSION_KEY = "accounts_must_set_up_two_factor"
ENROL_FRESH_SECONDS = 600


def enrolling(request) -> bool:
    """A password login of these last minutes that had to set up two-factor."""
    started = request.session.get(ENROL_SESSION_KEY)
    return isinstance(started, float) and time.time() - started < ENROL_FRESH_SECONDS


def required_for(user: User) -> bool:
    return bool(settings.MFA_REQUIRED) and user.role in EVERYONE_ROLES


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class PasswordTwoFactorStage(AuthenticateStage):
    """allauth's two-factor step of a login, for password logins only."""

    def _should_handle(self, request) -> bool:
        return signins.method_of_session(request) == signins.PASSWORD and super()._should_handle(request)


@receiver(user_logged_in, dispatch_uid="accounts.mfa.logged_in")
def _must_set_up(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if signins.method_of_session(request) == signins.PASSWORD and required_for(user) and not has_totp(user):
        request.session[ENROL_SESSION_KEY] = time.time()


@receiver(mfa_signals.authentication_failed, dispatch_uid="accounts.mfa.wrong_code")
def _wrong_code(sender, request, user, reauthentication=False, **kwargs) -> None:
    if not reauthentication:
        signins.record_refusal(request, method=signins.PASSWORD, person=user, reason=said(signins.WRONG_CODE))
