"""Single sign-on on the login page: a "Sign in with …" button for each configured identity
provider, and the Content-Security-Policy's ``form-action`` widened to the providers' sign-in
addresses (Chromium applies it to the redirect that follows the button's form)."""

import logging
from urllib.parse import urlsplit

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.saml import views as saml_views
from allauth.socialaccount.providers.saml.utils import fetch_metadata_url_config, get_app_or_404
from django.contrib.auth import views as auth_views
from lxml import etree

logger = logging.getLogger("accounts.sso")


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def saml_sign_in_origin(settings: dict) -> str:
    """The origin of a SAML app's single sign-on URL (from its metadata document when it has one;
    allauth caches that document)."""
    idp = settings.get("idp") or {}
    if idp.get("sso_url"):
        return _origin(idp["sso_url"])
    if idp.get("metadata_url"):
        try:
            config = fetch_metadata_url_config(idp)
            return _origin(config["idp"]["singleSignOnService"]["url"])
        except Exception:  # an unreachable or broken document: the button still shows
            logger.exception("SAML metadata at %s could not be read", idp["metadata_url"])
            return _origin(idp["metadata_url"])
    return ""


def sso_providers(request) -> list:
    """The identity providers a person can sign in with, in the admin's and the environment's order."""
    try:
        return list(get_adapter().list_providers(request))
    except Exception:  # a broken social application in the admin must not take the login page down
        logger.exception("the single sign-on providers could not be listed")
        return []


class LoginView(auth_views.LoginView):
    """Django's login page with the single sign-on buttons."""

    def get(self, request, *args, **kwargs):
        self.providers = sso_providers(request)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.providers = sso_providers(request)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_buttons"] = [
            {"name": provider.name, "url": provider.get_login_url(self.request)}
            for provider in self.providers
        ]
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        origins = sorted(
            {
                origin
                for provider in self.providers
                if provider.id == "saml" and (origin := saml_sign_in_origin(provider.app.settings))
            }
        )
        if origins:
            response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]  # django-csp
        return response


def finish_acs(request, organization_slug: str):
    """allauth's last step of a SAML sign-in, with an answer that is not XML (empty, cut, a DTD or an
    entity, which python3-saml forbids) refused like any other bad answer instead of a server error."""
    try:
        return saml_views.finish_acs(request, organization_slug=organization_slug)
    except (etree.XMLSyntaxError, ValueError) as error:
        logger.warning("SAML answer refused: not a SAML document (%s)", error)
        provider = get_app_or_404(request, organization_slug).get_provider(request)
        return render_authentication_error(
            request, provider, extra_context={"saml_errors": ["invalid_response"]}
        )
