"""Who gets in through the identity provider (accounts.sso), the sign-in records (accounts.signins),
SSO-only mode and the admin's login page. The browser journeys through a real provider are in
tests/browser/test_sso.py."""

import pytest
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import SignIn, User
from accounts.sso import SocialAccountAdapter
from tests.factories import DEFAULT_PASSWORD

SSO_APP = {
    "provider_id": "sso",
    "name": "Okta",
    "client_id": "csm",
    "secret": "s",
    "settings": {"server_url": "https://sso.example.com"},
}


@pytest.fixture
def sso(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [SSO_APP]}}


def _request():
    request = RequestFactory().get("/accounts/oidc/sso/login/callback/", HTTP_USER_AGENT="Firefox 140")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _sociallogin(email, verified=True, uid="okta-1"):
    account = SocialAccount(provider="sso", uid=uid, extra_data={})
    return SocialLogin(
        user=User(email=email),
        account=account,
        email_addresses=[EmailAddress(email=email, verified=verified, primary=True)],
    )


def _refusal(sociallogin):
    with pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().pre_social_login(_request(), sociallogin)
    return refused.value.response


def test_the_verified_email_in_any_case_finds_the_active_person(org, sso):
    sociallogin = _sociallogin("  CSM.A@Example.COM")
    SocialAccountAdapter().pre_social_login(_request(), sociallogin)
    assert sociallogin.user == org.csm_a and sociallogin.is_existing
    assert SocialAccount.objects.get(uid="okta-1").user == org.csm_a
    # The person's password is untouched and nobody was added.
    assert User.objects.get(pk=org.csm_a.pk).check_password(DEFAULT_PASSWORD)
    assert User.objects.count() == 7


def test_the_providers_account_follows_the_email_it_names_today(org, sso):
    SocialAccount.objects.create(provider="sso", uid="okta-1", user=org.csm_b, extra_data={})
    sociallogin = _sociallogin("csm.a@example.com")
    sociallogin.lookup()  # allauth finds the account linked to CSM B
    assert sociallogin.user == org.csm_b
    SocialAccountAdapter().pre_social_login(_request(), sociallogin)
    assert sociallogin.user == org.csm_a
    assert SocialAccount.objects.get(uid="okta-1").user == org.csm_a


@pytest.mark.parametrize(
    "email, verified, words",
    [
        ("nobody@example.com", True, "Nobody here has the email address nobody@example.com"),
        ("csm.a@example.com", False, "did not confirm your email address"),
    ],
)
def test_an_unknown_or_unverified_email_is_refused_and_recorded(org, sso, email, verified, words):
    response = _refusal(_sociallogin(email, verified=verified))
    assert response.status_code == 403
    assert words in response.content.decode()
    entry = SignIn.objects.get()
    assert (entry.method, entry.succeeded, entry.email) == ("oidc", False, email)
    assert words in entry.reason_words and entry.user_agent == "Firefox 140"
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 7


def test_a_deactivated_person_is_refused(org, sso):
    org.csm_a.is_active = False
    org.csm_a.save()
    response = _refusal(_sociallogin("csm.a@example.com"))
    assert response.status_code == 403
    assert "Your account here is deactivated" in response.content.decode()
    assert SignIn.objects.get().person == org.csm_a


def test_entra_ids_unverified_email_counts_when_the_organisation_says_so(org, sso, settings):
    settings.SSO_OIDC_EMAIL_ALWAYS_VERIFIED = True
    sociallogin = _sociallogin("csm.a@example.com", verified=False)
    SocialAccountAdapter().pre_social_login(_request(), sociallogin)
    assert sociallogin.user == org.csm_a


def test_allauths_email_authentication_is_never_used(org):
    # It would clear the password of a person without a verified email row.
    assert SocialAccountAdapter().authenticate_by_email(_sociallogin("csm.a@example.com")) is None


def test_the_login_page_offers_the_provider_when_configured(client, db, sso):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with Okta" in page and 'action="/accounts/oidc/sso/login/"' in page
    # The button's form may go to the provider (Content-Security-Policy form-action).
    assert "https://sso.example.com" in client.get(reverse("login"))["Content-Security-Policy"]


def test_without_a_provider_the_login_page_has_no_button(client, db):
    assert "Sign in with" not in client.get(reverse("login")).content.decode()


def test_password_sign_ins_and_refusals_are_recorded(client, org):
    response = client.post(
        reverse("login"),
        {"username": "CSM.A@example.com", "password": DEFAULT_PASSWORD},
        HTTP_USER_AGENT="Safari 19",
    )
    assert response.status_code == 302
    client.post(reverse("login"), {"username": "csm.b@example.com", "password": "wrong"})
    client.post(reverse("login"), {"username": "who@example.com", "password": "wrong"})
    signed_in, wrong, unknown = SignIn.objects.order_by("pk")
    assert (signed_in.person, signed_in.method, signed_in.succeeded) == (org.csm_a, "password", True)
    assert (signed_in.ip_address, signed_in.user_agent) == ("127.0.0.1", "Safari 19")
    assert (wrong.person, wrong.succeeded, wrong.reason_words) == (
        org.csm_b,
        False,
        "Wrong email or password.",
    )
    assert (unknown.person, unknown.email, unknown.succeeded) == (None, "who@example.com", False)


def test_a_locked_out_login_is_recorded_as_such(org):
    client = Client()
    for _ in range(5):
        client.post(reverse("login"), {"username": "csm.a@example.com", "password": "wrong"})
    assert SignIn.objects.filter(reason="accounts.locked_out").count() == 1
    assert SignIn.objects.filter(reason="accounts.wrong_login").count() == 4


def test_sso_only_refuses_passwords_but_the_break_glass_admins(client, org, settings):
    settings.SSO_ONLY = True
    settings.SSO_BREAK_GLASS_EMAILS = ["admin@example.com"]
    response = client.post(reverse("login"), {"username": "hr@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "signs in through its identity provider" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    refusal = SignIn.objects.get()
    assert (refusal.person, refusal.succeeded, refusal.method) == (org.hr, False, "password")
    # A wrong password still reads as one (SSO-only reveals nothing about the address).
    response = client.post(reverse("login"), {"username": "hr@example.com", "password": "wrong"})
    assert "Please enter a correct email and password." in response.content.decode()
    # The break-glass admin still logs in with a password.
    response = client.post(reverse("login"), {"username": "Admin@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_the_admins_own_login_page_takes_no_password(org):
    client = Client()
    response = client.post("/admin/login/", {"username": "admin@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "Log in on the login page" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    # Its page sends people to the login page, which brings them back to the admin.
    response = client.get("/admin/login/?next=/admin/accounts/signin/")
    assert response["Location"] == "/login/?next=/admin/accounts/signin/"
    response = client.post(
        response["Location"], {"username": "admin@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == "/admin/accounts/signin/"
    assert client.get("/admin/accounts/signin/").status_code == 200


def test_the_sign_in_records_are_the_admins_and_read_only(client, org):
    SignIn.objects.create(person=org.csm_a, email="csm.a@example.com", method="oidc", succeeded=True)
    url = reverse("admin:accounts_signin_changelist")
    org.hr.is_staff = True
    org.hr.save()
    client.force_login(org.hr)
    assert client.get(url).status_code == 403
    client.force_login(org.admin)
    page = client.get(url)
    assert page.status_code == 200 and "OpenID Connect" in page.content.decode()
    assert client.get(reverse("admin:accounts_signin_add")).status_code == 403
    entry = SignIn.objects.get()
    assert (
        client.post(reverse("admin:accounts_signin_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert SignIn.objects.count() == 1
