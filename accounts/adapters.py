"""Who gets in through an identity provider (django-allauth's adapters).

At every single sign-on the provider's verified email address (any letter case) must belong to an
existing, active person; that person is signed in. An unknown address or a deactivated person is
refused with a page that says why. A sign-in never creates a person, never changes or removes their
password and sends no mail; nobody signs up through allauth."""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

from accounts.models import User, normalize_email

logger = logging.getLogger("accounts.sso")

# The backend that signs a matched person in: the one that reads them back on every request.
BACKEND = "django.contrib.auth.backends.ModelBackend"
# Providers whose email address is verified by construction: a SAML assertion is signed by the
# identity provider the organisation configured, which is the authority on its people's addresses.
VERIFIED_BY_SIGNATURE = {"saml"}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False  # people are added by HR or an admin (or provisioned), never by signing up

    def send_mail(self, template_prefix, email, context) -> None:
        logger.info(
            "allauth mail %s to %s not sent: the product sends no account mail", template_prefix, email
        )


def verified_email(sociallogin) -> str:
    """The address the provider vouches for, lower-cased; "" when it vouches for none."""
    for address in sociallogin.email_addresses:
        if address.verified and address.email:
            return normalize_email(address.email)
    return ""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def is_email_verified(self, provider, email) -> bool:
        if provider.id in VERIFIED_BY_SIGNATURE:
            return True
        return super().is_email_verified(provider, email)

    def pre_social_login(self, request, sociallogin) -> None:
        provider = sociallogin.account.provider
        email = verified_email(sociallogin)
        if not email:
            self.refuse(request, sociallogin, "no_email", email)
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            self.refuse(request, sociallogin, "unknown", email)
        elif not user.is_active:
            self.refuse(request, sociallogin, "deactivated", email)
        if sociallogin.is_existing:
            if sociallogin.account.user_id != user.pk:
                # The provider's account now carries another person's address: the address decides.
                sociallogin.account.user = user
                sociallogin.account.save(update_fields=["user"])
        else:
            # Link the provider's account to the person; save(connect=True) adds no email row and
            # leaves the person (and their password) as they are.
            sociallogin.user = user
            sociallogin.save(request, connect=True)
        user.backend = BACKEND
        sociallogin.user = user
        logger.info("single sign-on of %s (person %s) through %s", email, user.pk, provider)

    def refuse(self, request, sociallogin, reason: str, email: str) -> None:
        provider = sociallogin.account.provider
        logger.warning("single sign-on refused (%s) for %r through %s", reason, email, provider)
        response = render(
            request, "registration/sso_refused.html", {"reason": reason, "email": email}, status=403
        )
        raise ImmediateHttpResponse(response)
