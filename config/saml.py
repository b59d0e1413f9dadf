"""The SAML 2.0 identity provider configured by environment variables (docs/configuration.md, "Single
sign-on"), as one django-allauth SAML app in ``SOCIALACCOUNT_PROVIDERS``. An organisation may instead
add a social application with the provider "SAML" in the admin; both go through the same matching
(accounts/sso.py).

Either the identity provider's metadata URL (``SSO_SAML_METADATA_URL``, with ``SSO_SAML_ENTITY_ID``
when the document describes several providers) or its entity id, single sign-on URL and signing
certificate (``SSO_SAML_ENTITY_ID``, ``SSO_SAML_SSO_URL``, ``SSO_SAML_X509_CERT``)."""

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# The organisation slug of the environment's app: sign-in starts at /accounts/saml/sso/login/ and the
# identity provider posts its answer to /accounts/saml/sso/acs/.
SLUG = "sso"
# Where a provider sends the person's email address: the attribute the organisation names first,
# then the names Okta, Entra ID and Google Workspace use, then a NameID in the email format.
EMAIL_ATTRIBUTES = [
    "email",
    "urn:oid:0.9.2342.19200300.100.1.3",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "http://schemas.xmlsoap.org/claims/EmailAddress",
]


def _certificate(text: str) -> str:
    """The certificate as python3-saml reads it: PEM armour and line breaks allowed (an environment
    variable often holds it on one line, or with literal \\n)."""
    return text.replace("\\n", "\n").strip()


def saml_apps(environ: Mapping[str, str]) -> list[dict]:
    """The SAML app of the environment, or none when no SSO_SAML_* variable is set."""
    metadata_url = environ.get("SSO_SAML_METADATA_URL", "").strip()
    entity_id = environ.get("SSO_SAML_ENTITY_ID", "").strip()
    sso_url = environ.get("SSO_SAML_SSO_URL", "").strip()
    cert = _certificate(environ.get("SSO_SAML_X509_CERT", ""))
    if not (metadata_url or entity_id or sso_url or cert):
        return []
    if metadata_url:
        idp: dict = {"metadata_url": metadata_url, "entity_id": entity_id or None}
        checked = [metadata_url]
    else:
        missing = [
            name
            for name, value in (
                ("SSO_SAML_ENTITY_ID", entity_id),
                ("SSO_SAML_SSO_URL", sso_url),
                ("SSO_SAML_X509_CERT", cert),
            )
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(
                "SAML sign-in needs SSO_SAML_METADATA_URL, or SSO_SAML_ENTITY_ID, SSO_SAML_SSO_URL and "
                f"SSO_SAML_X509_CERT together; missing: {', '.join(missing)}."
            )
        idp = {"entity_id": entity_id, "sso_url": sso_url, "x509cert": cert}
        checked = [sso_url]
    for url in checked:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ImproperlyConfigured(f"SAML sign-in: {url!r} is not an http or https address.")
    email_attribute = environ.get("SSO_SAML_EMAIL_ATTRIBUTE", "").strip()
    emails = [email_attribute] if email_attribute else []
    emails += [name for name in EMAIL_ATTRIBUTES if name != email_attribute]
    settings: dict = {
        "idp": idp,
        "attribute_mapping": {
            "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
            "email": emails,
            "first_name": ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "firstName"],
            "last_name": ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "lastName"],
        },
        "advanced": {
            # Okta, Entra ID and Google Workspace sign the assertion by default; an unsigned one, or
            # one whose signature does not verify with the provider's certificate, is refused.
            "want_assertion_signed": True,
            "strict": True,
            "reject_idp_initiated_sso": True,
        },
    }
    sp_entity_id = environ.get("SSO_SAML_SP_ENTITY_ID", "").strip()
    if sp_entity_id:
        settings["sp"] = {"entity_id": sp_entity_id}
    return [
        {
            "client_id": SLUG,
            "name": environ.get("SSO_SAML_NAME", "").strip() or "your company account",
            "settings": settings,
        }
    ]
