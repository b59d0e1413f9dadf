"""SAML 2.0 single sign-on against pysaml2's identity provider (tests/saml_idp.py), in-process: the
product's AuthnRequest is answered with a Response signed by the provider's key, posted to the
product's ACS. A person is matched by the signed email address; an unknown address, a deactivated
person, a forged (signature broken) or expired answer, and an answer nobody asked for are refused."""

import base64
import re
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from accounts.models import Role, SignIn, User
from config.saml import saml_apps
from tests import factories
from tests.saml_idp import idp_server, make_key_and_cert, signed_response, urls

IDP = "http://127.0.0.1:9169"  # never contacted: the unit tests answer in-process
SP_ENTITY = "http://localhost/accounts/saml/sso/metadata/"
ACS = "http://localhost/accounts/saml/sso/acs/"


@pytest.fixture(scope="session")
def idp_keys(tmp_path_factory):
    return make_key_and_cert(tmp_path_factory.mktemp("saml-idp"))


@pytest.fixture
def client(client):
    client.defaults["HTTP_HOST"] = "localhost"  # as a browser sends it (python3-saml reads it)
    return client


@pytest.fixture
def idp(idp_keys, settings):
    key, cert = idp_keys
    environ = {
        "SSO_SAML_ENTITY_ID": urls(IDP)["entity_id"],
        "SSO_SAML_SSO_URL": urls(IDP)["sso_url"],
        "SSO_SAML_X509_CERT": cert.read_text(),
        "SSO_SAML_NAME": "Acme Okta",
    }
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": saml_apps(environ)}}
    return idp_server(IDP, key, cert, SP_ENTITY, ACS)


@pytest.fixture
def hr(db):
    return factories.UserFactory(email="hana.hr@example.com", name="Hana HR", role=Role.HR)


def start(client, slug: str = "sso", idp_base: str = IDP) -> tuple[str, str]:
    """Press "Sign in with …": the product redirects to the provider with an AuthnRequest."""
    response = client.post(f"/accounts/saml/{slug}/login/")
    assert response.status_code == 302, response.content[:500]
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == urls(idp_base)["sso_url"]
    query = parse_qs(location.query)
    return query["SAMLRequest"][0], query.get("RelayState", [""])[0]


def answer(client, saml_response: str, relay: str = "", slug: str = "sso"):
    """The provider's page posts the Response to the ACS; the ACS hands it on to its finish step."""
    posted = client.post(f"/accounts/saml/{slug}/acs/", {"SAMLResponse": saml_response, "RelayState": relay})
    assert posted.status_code == 302 and posted["Location"] == f"/accounts/saml/{slug}/acs/finish/"
    return client.get(posted["Location"])


def signed_in(client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def test_a_person_signs_in_with_the_address_the_provider_signs_in_any_case(client, idp, hr):
    password_before = hr.password
    saml_request, relay = start(client)
    saml_response, acs = signed_response(idp, saml_request, "Hana.HR@Example.COM")
    assert acs == ACS
    response = answer(client, saml_response, relay)
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in(client) == hr.pk
    hr.refresh_from_db()
    assert hr.password == password_before  # a sign-in never changes or removes the password
    assert User.objects.count() == 1
    assert SocialAccount.objects.get(provider="saml").user == hr
    assert mail.outbox == []  # no "new connected account" mail
    entry = SignIn.objects.get()  # recorded: who, how, from where
    assert (entry.person, entry.method, entry.succeeded, entry.ip_address) == (hr, "saml", True, "127.0.0.1")
    # The next sign-in matches again, through the account linked the first time.
    client.logout()
    saml_request, relay = start(client)
    response = answer(client, signed_response(idp, saml_request, "Hana.HR@Example.COM")[0], relay)
    assert response["Location"] == "/" and signed_in(client) == hr.pk
    assert SocialAccount.objects.count() == 1
    assert SignIn.objects.filter(person=hr, method="saml", succeeded=True).count() == 2


def test_an_unknown_address_is_refused_and_nobody_is_created(client, idp, hr):
    saml_request, relay = start(client)
    response = answer(client, signed_response(idp, saml_request, "stranger@example.com")[0], relay)
    assert response.status_code == 403
    text = response.content.decode()
    assert "Sign-in refused" in text and "Nobody here has the email address stranger@example.com" in text
    assert signed_in(client) is None
    assert list(User.objects.values_list("email", flat=True)) == ["hana.hr@example.com"]
    assert not SocialAccount.objects.exists()
    refusal = SignIn.objects.get()
    assert (refusal.person, refusal.email, refusal.method, refusal.succeeded) == (
        None,
        "stranger@example.com",
        "saml",
        False,
    )
    assert refusal.reason_words.startswith("Nobody here has the email address stranger@example.com.")


def test_a_deactivated_person_is_refused(client, idp, hr):
    hr.is_active = False
    hr.save()
    saml_request, relay = start(client)
    response = answer(client, signed_response(idp, saml_request, "hana.hr@example.com")[0], relay)
    assert response.status_code == 403
    assert "Your account here is deactivated." in response.content.decode()
    assert signed_in(client) is None
    refusal = SignIn.objects.get()
    assert (refusal.person, refusal.method, refusal.succeeded) == (hr, "saml", False)


def test_a_person_deactivated_after_a_first_sign_in_is_refused_the_next_time(client, idp, hr):
    saml_request, relay = start(client)
    answer(client, signed_response(idp, saml_request, "hana.hr@example.com")[0], relay)
    assert signed_in(client) == hr.pk
    client.logout()
    hr.is_active = False
    hr.save()
    saml_request, relay = start(client)
    response = answer(client, signed_response(idp, saml_request, "hana.hr@example.com")[0], relay)
    assert response.status_code == 403 and signed_in(client) is None


def test_a_forged_response_whose_signature_no_longer_verifies_is_refused(client, idp, hr, db):
    """A CSM's genuine answer, edited on the way to name HR: the signed content changed, so the
    signatures no longer verify."""
    csm = factories.UserFactory(email="carl.csm@example.com")
    saml_request, relay = start(client)
    genuine = base64.b64decode(signed_response(idp, saml_request, csm.email)[0]).decode()
    forged = genuine.replace(csm.email, hr.email)
    assert forged != genuine and hr.email in forged
    response = answer(client, base64.b64encode(forged.encode()).decode(), relay)
    assert response.status_code == 401  # allauth's error page, in the product's words
    assert "Sign-in failed" in response.content.decode()
    assert signed_in(client) is None
    refusal = SignIn.objects.get()
    assert (refusal.method, refusal.succeeded, refusal.person) == ("saml", False, None)
    assert "Signature validation failed" in refusal.reason_words


def test_a_response_with_the_signatures_removed_is_refused(client, idp, hr):
    saml_request, relay = start(client)
    genuine = base64.b64decode(signed_response(idp, saml_request, hr.email)[0]).decode()
    unsigned = re.sub(r"<(\w+:)?Signature\b.*?</(\w+:)?Signature>", "", genuine, flags=re.S)
    assert "Signature" not in unsigned
    response = answer(client, base64.b64encode(unsigned.encode()).decode(), relay)
    assert "Sign-in failed" in response.content.decode()
    assert signed_in(client) is None


@pytest.mark.parametrize(
    "garbage", ["", "%%% not base64 %%%", base64.b64encode(b"<not-saml/>").decode(), "PD94"]
)
def test_garbage_instead_of_an_answer_is_refused_without_a_server_error(client, idp, hr, garbage):
    _request, relay = start(client)
    response = answer(client, garbage, relay)
    assert response.status_code in (400, 401)
    assert signed_in(client) is None
    assert SignIn.objects.filter(method="saml", succeeded=False).count() == 1


def test_an_expired_response_is_refused(client, idp, hr):
    """The answer arrives ten minutes after the provider issued it; its assertion lived five."""
    saml_request, relay = start(client)
    saml_response = signed_response(idp, saml_request, hr.email)[0]
    later = OneLogin_Saml2_Utils.now() + 10 * 60
    with mock.patch.object(OneLogin_Saml2_Utils, "now", return_value=later):
        response = answer(client, saml_response, relay)
    assert "Sign-in failed" in response.content.decode()
    assert signed_in(client) is None
    assert "expired" in SignIn.objects.get(method="saml", succeeded=False).reason_words


def test_an_answer_replayed_or_sent_unasked_is_refused(client, idp, hr):
    """The request's state is used once: the same Response posted again signs nobody in."""
    saml_request, relay = start(client)
    saml_response = signed_response(idp, saml_request, hr.email)[0]
    answer(client, saml_response, relay)
    assert signed_in(client) == hr.pk
    client.logout()
    response = answer(client, saml_response, relay)
    assert signed_in(client) is None
    assert response.status_code != 302 or response["Location"] != "/"


def test_the_login_page_shows_the_provider_and_lets_its_form_leave_for_it(client, idp, db):
    response = client.get("/login/")
    text = response.content.decode()
    assert "Sign in with Acme Okta" in text
    assert 'action="/accounts/saml/sso/login/"' in text
    form_action = re.search(r"form-action ([^;]*)", response["Content-Security-Policy"]).group(1).split()
    assert sorted(form_action) == ["'self'", IDP]


def test_the_provider_s_address_opened_directly_asks_to_continue_in_the_product_s_layout(client, idp, db):
    """A GET starts nothing (a link cannot sign someone in elsewhere): allauth asks to continue."""
    response = client.get("/accounts/saml/sso/login/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "CSM reviews & OKRs" in text and 'method="post"' in text
    assert "Acme Okta" in text


def test_a_provider_added_in_the_admin_signs_people_in_by_the_same_rules(client, idp_keys, hr, settings):
    """A SAML social application made in the admin (client id "acme"), next to the environment's."""
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": []}}
    key, cert = idp_keys
    other = "http://127.0.0.1:9168"
    SocialApp.objects.create(
        provider="saml",
        name="Acme Entra",
        client_id="acme",
        settings={
            "idp": {
                "entity_id": urls(other)["entity_id"],
                "sso_url": urls(other)["sso_url"],
                "x509cert": cert.read_text(),
            },
            "advanced": {"want_assertion_signed": True},
        },
    )
    acme = idp_server(
        other,
        key,
        cert,
        "http://localhost/accounts/saml/acme/metadata/",
        "http://localhost/accounts/saml/acme/acs/",
    )
    login_page = client.get("/login/")
    assert "Sign in with Acme Entra" in login_page.content.decode()
    assert other in login_page["Content-Security-Policy"]
    saml_request, relay = start(client, "acme", other)
    response = answer(client, signed_response(acme, saml_request, "hana.hr@example.com")[0], relay, "acme")
    assert response["Location"] == "/" and signed_in(client) == hr.pk
    client.logout()
    saml_request, relay = start(client, "acme", other)
    response = answer(client, signed_response(acme, saml_request, "nobody@example.com")[0], relay, "acme")
    assert response.status_code == 403 and signed_in(client) is None


def test_a_provider_whose_metadata_cannot_be_read_fails_with_a_page_not_a_server_error(client, db, settings):
    environ = {"SSO_SAML_METADATA_URL": "http://127.0.0.1:9/metadata"}  # nothing listens on port 9
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": saml_apps(environ)}}
    assert "Sign in with your company account" in client.get("/login/").content.decode()
    response = client.post("/accounts/saml/sso/login/")
    assert response.status_code == 401
    assert "Sign-in failed" in response.content.decode()
    assert SignIn.objects.get().succeeded is False


def test_the_login_page_shows_no_provider_when_none_is_configured(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": saml_apps({})}}
    response = client.get("/login/")
    assert "Sign in with" not in response.content.decode()
    assert "form-action 'self';" in response["Content-Security-Policy"] + ";"


def test_the_environment_configures_saml_by_metadata_or_by_its_three_values():
    assert saml_apps({}) == []
    by_metadata = saml_apps({"SSO_SAML_METADATA_URL": "https://acme.okta.com/app/x/sso/saml/metadata"})
    assert by_metadata[0]["client_id"] == "sso"
    assert by_metadata[0]["name"] == "your company account"
    assert by_metadata[0]["settings"]["idp"] == {
        "metadata_url": "https://acme.okta.com/app/x/sso/saml/metadata",
        "entity_id": None,
    }
    assert by_metadata[0]["settings"]["advanced"]["want_assertion_signed"] is True
    by_values = saml_apps(
        {
            "SSO_SAML_ENTITY_ID": "https://sts.windows.net/t/",
            "SSO_SAML_SSO_URL": "https://login.microsoftonline.com/t/saml2",
            "SSO_SAML_X509_CERT": "MIIC\\nabc",
            "SSO_SAML_EMAIL_ATTRIBUTE": "user.mail",
        }
    )[0]["settings"]
    assert by_values["idp"] == {
        "entity_id": "https://sts.windows.net/t/",
        "sso_url": "https://login.microsoftonline.com/t/saml2",
        "x509cert": "MIIC\nabc",
    }
    assert by_values["attribute_mapping"]["email"][0] == "user.mail"
    with pytest.raises(ImproperlyConfigured, match="missing: SSO_SAML_SSO_URL, SSO_SAML_X509_CERT"):
        saml_apps({"SSO_SAML_ENTITY_ID": "https://sts.windows.net/t/"})
    with pytest.raises(ImproperlyConfigured, match="not an http"):
        saml_apps({"SSO_SAML_METADATA_URL": "acme.okta.com/metadata"})


def test_lxml_and_xmlsec_share_libxml2():
    """The pinned wheels (requirements.in) carry the same libxml2; otherwise xmlsec refuses to load
    or, worse, signatures are checked against a different parser than the one that read the XML."""
    import lxml.etree
    import xmlsec

    assert xmlsec.get_libxml_version() == lxml.etree.LIBXML_VERSION
    assert xmlsec.get_libxml_compiled_version() == lxml.etree.LIBXML_COMPILED_VERSION
