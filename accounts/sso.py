"""Sign-in through the organisation's identity provider (django-allauth's OpenID Connect and SAML
providers): who gets in.

The provider's verified email (any letter case) is matched to an existing, active person at every
sign-in, here in the adapter: allauth's email authentication is off (it clears the password of a
person without a verified email row), no person is created by a sign-in, no password is touched and
no mail goes out about a connected account. Anyone else is refused with a page that says why, and
every sign-in and refusal is recorded (accounts.signins)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.shortcuts import render

from accounts import mfa, signins
from accounts.models import Role, User, normalize_email
from core.said import Said, said


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False  # people are added by HR or CS ops (or provisioned), never by signing up

    def get_login_stages(self) -> list[str]:
        # allauth's two-factor step, for password logins only (the identity provider does its own).
        return [
            "accounts.mfa.PasswordTwoFactorStage" if path == "allauth.mfa.stages.AuthenticateStage" else path
            for path in super().get_login_stages()
        ]

    def send_notification_mail(self, *args, **kwargs) -> None:
        return None  # no "new sign-in" or "account connected" mail

    def add_message(self, request, level, message_template=None, *args, **kwargs) -> None:
        if message_template == "account/messages/logged_in.txt":
            return None  # the home page greets them already
        return super().add_message(request, level, message_template, *args, **kwargs)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # Setting up the two-factor a password login demands follows that login: no password again.
        request = context.request
        if app == "allauth.mfa" and request is not None and mfa.enrolling(request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


def _provider(sociallogin):
    return sociallogin.account.get_provider()


def method_of(provider) -> str:
    return signins.SAML if getattr(provider, "id", "") == "saml" else signins.OIDC


def verified_emails(sociallogin) -> list[str]:
    """The addresses the provider vouches for: its verified ones (an OpenID Connect provider that never
    sends email_verified, Entra ID, may be trusted with SSO_OIDC_EMAIL_ALWAYS_VERIFIED)."""
    trust_all = method_of(_provider(sociallogin)) == signins.OIDC and settings.SSO_OIDC_EMAIL_ALWAYS_VERIFIED
    emails = [a.email for a in sociallogin.email_addresses if a.email and (a.verified or trust_all)]
    if trust_all and getattr(sociallogin.user, "email", ""):
        emails.append(sociallogin.user.email)
    return list(dict.fromkeys(normalize_email(e) for e in emails if normalize_email(e)))


def refuse(request, sociallogin, *, reason: Said, email: str = "", person=None, status: int = 403):
    signins.record_refusal(
        request, method=method_of(_provider(sociallogin)), email=email, person=person, reason=reason
    )
    response = render(
        request,
        "registration/sso_refused.html",
        {"reason": str(reason), "provider_name": _provider(sociallogin).name},
        status=status,
    )
    raise ImmediateHttpResponse(response)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def is_email_verified(self, provider, email) -> bool:
        # A SAML assertion is signed by the identity provider the organisation configured, the
        # authority on its people's addresses: the address it carries is verified.
        if provider.id == "saml":
            return True
        return super().is_email_verified(provider, email)

    def authenticate_by_email(self, sociallogin):
        return None  # matched in pre_social_login instead (this one wipes passwords)

    def send_notification_mail(self, *args, **kwargs) -> None:
        return None

    def pre_social_login(self, request, sociallogin) -> None:
        emails = verified_emails(sociallogin)
        if not emails:
            refuse(
                request,
                sociallogin,
                email=getattr(sociallogin.user, "email", "") or "",
                reason=said(signins.NO_VERIFIED_EMAIL),
            )
        person = User.objects.filter(email__in=emails).order_by("pk").first()
        if person is None:
            refuse(
                request,
                sociallogin,
                email=emails[0],
                reason=said(signins.NOBODY_WITH_EMAIL, email=emails[0]),
            )
        if not person.is_active:
            refuse(
                request,
                sociallogin,
                person=person,
                reason=said(signins.DEACTIVATED),
            )
        if person.role == Role.SERVICE:
            refuse(request, sociallogin, person=person, reason=said(signins.INTEGRATION))
        account = sociallogin.account
        if account.pk is None or account.user_id != person.pk:
            # The provider's account stays linked to the person its email names today.
            account.user = person
            account.save()
        sociallogin.user = person

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        # python3-saml's reason ("Signature validation failed...", "Could not validate timestamp:
        # expired...") comes in the context allauth's SAML view gives its error page.
        saml_reason = (extra_context or {}).get("saml_last_error_reason")
        signins.record_refusal(
            request,
            method=method_of(provider),
            reason=said(signins.NOT_VERIFIED, error=str(exception or saml_reason or error or "")[:200]),
        )
        return super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )
