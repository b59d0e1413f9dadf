"""Signing in through a real OpenID Connect identity provider (tests/oidc_idp: allauth's provider in a
second process on loopback), in Chromium: a person of the product signs in by the provider's email in
any letter case; an unknown email, a deactivated person, an unverified email and an ID token meant for
another application are refused with a page that says why; each is recorded. Screenshots of the login
page and a refusal land in var/screenshots/sso/."""

import os

import pytest
from django.core import mail

from accounts.models import SignIn, User
from tests import factories
from tests.accounts.oidc_provider import oidc_provider, sign_in_at_provider  # noqa: F401 -- a fixture
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SSO_SHOTS = SHOTS / "sso"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def sso(settings, oidc_provider):  # noqa: F811
    oidc_provider.configure(settings)
    return oidc_provider


def _through_provider(browser, base, email, width=1366):
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{base}/login/")
    page.click("text=Sign in with Example SSO")
    sign_in_at_provider(page, email)
    page.wait_for_load_state()
    return page


def test_a_person_signs_in_through_the_provider_and_nothing_else_changes(live_server, org, sso, browser):
    users_before = User.objects.count()
    SSO_SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        page.goto(f"{live_server.url}/login/")
        page.screenshot(path=str(SSO_SHOTS / f"login-{width}.png"), full_page=True)
    page = _through_provider(browser, live_server.url, "CSM.A@example.com")
    page.wait_for_url(f"{live_server.url}/")
    assert "CSM A" in page.inner_text("header")
    csm = User.objects.get(pk=org.csm_a.pk)
    # The password still works and nobody was added or mailed.
    assert csm.check_password(factories.DEFAULT_PASSWORD)
    assert User.objects.count() == users_before
    assert mail.outbox == []
    entry = SignIn.objects.get()
    assert (entry.person, entry.method, entry.succeeded) == (csm, "oidc", True)
    assert entry.ip_address == "127.0.0.1" and "Chrome" in entry.user_agent
    # Signing in again finds the same person (the provider's account stays linked).
    page = _through_provider(browser, live_server.url, "csm.a@example.com")
    page.wait_for_url(f"{live_server.url}/")
    assert SignIn.objects.filter(person=csm, succeeded=True).count() == 2


@pytest.mark.parametrize(
    "email, words",
    [
        ("nobody@example.com", "Nobody here has the email address nobody@example.com"),
        ("csm.b@example.com", "Your account here is deactivated"),
        ("unverified@example.com", "did not confirm your email address"),
    ],
)
def test_who_may_not_come_in_is_refused_with_the_reason(live_server, org, sso, browser, email, words):
    User.objects.filter(pk=org.csm_b.pk).update(is_active=False)
    page = _through_provider(browser, live_server.url, email, width=390)
    page.wait_for_selector("text=Sign-in refused")
    assert words in page.inner_text("main")
    page.screenshot(path=str(SSO_SHOTS / f"refused-{email.split('@')[0]}-390.png"), full_page=True)
    # Not signed in: the home page sends them to the login page.
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login/")
    entry = SignIn.objects.get()
    assert (entry.method, entry.succeeded, entry.email) == ("oidc", False, email)
    assert words.split(" here")[0] in entry.reason_words or words in entry.reason_words


def test_an_id_token_for_another_application_is_refused(live_server, org, sso, browser):
    factories.CsmFactory(email="wrong-audience@example.com", name="Wrong Audience")
    page = _through_provider(browser, live_server.url, "wrong-audience@example.com")
    page.wait_for_selector("text=Sign-in failed")
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login/")
    entry = SignIn.objects.get()
    assert (entry.method, entry.succeeded) == ("oidc", False)
    assert "Invalid id_token" in entry.reason_words


def test_two_factor_is_left_to_the_provider(live_server, org, sso, browser, settings):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    settings.MFA_REQUIRED = True
    TOTP.activate(org.hr, generate_totp_secret())
    page = _through_provider(browser, live_server.url, "hr@example.com")
    # No authenticator code asked: straight to HR's home page.
    page.wait_for_url(f"{live_server.url}/")
    assert "HR" in page.inner_text("header")
    assert SignIn.objects.get().method == "oidc"
