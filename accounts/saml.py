"""SAML 2.0 sign-in around django-allauth's SAML provider: the origins its sign-in button's form
must be allowed to reach (the Content-Security-Policy's ``form-action``, accounts/middleware.py), and
its last step refusing an answer that is not XML instead of failing with a server error. Who gets in
is decided by the same adapter as OpenID Connect (accounts/sso.py)."""

import logging
from urllib.parse import urlsplit

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.saml import views as saml_views
from allauth.socialaccount.providers.saml.utils import fetch_metadata_url_config, get_app_or_404
from lxml import etree
from onelogin.saml2.errors import OneLogin_Saml2_Error

logger = logging.getLogger(__name__)
# The pages whose forms lead to a SAML provider: the login page and allauth's "Continue" page.
PAGES_WITH_THE_BUTTON = {"login", "account_login", "saml_login"}


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def sign_in_origin(settings: dict) -> str:
    """The origin of a SAML app's single sign-on URL (from its metadata document when it has one;
    allauth caches that document for 4 hours)."""
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


def sign_in_origins(request) -> list[str]:
    """The origins of every SAML provider configured, by environment or in the admin, on the pages
    that show its button; none elsewhere (no query, no fetch on other pages)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name not in PAGES_WITH_THE_BUTTON:
        return []
    try:
        apps = get_adapter().list_apps(request, provider="saml")
    except Exception:  # a broken social application in the admin must not take the login page down
        logger.exception("the SAML applications could not be listed")
        return []
    return sorted({origin for app in apps if (origin := sign_in_origin(app.settings))})


def login(request, organization_slug: str):
    """allauth's first step of a SAML sign-in, with a provider whose metadata cannot be read (down,
    unreachable, not metadata) answered by the failure page instead of a server error."""
    try:
        return saml_views.login(request, organization_slug=organization_slug)
    except (OSError, etree.XMLSyntaxError, ValueError, OneLogin_Saml2_Error) as error:
        logger.warning("SAML sign-in could not start: %s", error)
        provider = get_app_or_404(request, organization_slug).get_provider(request)
        return render_authentication_error(request, provider, exception=error)


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
