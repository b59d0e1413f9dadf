"""SAML 2.0 single sign-on in Debian's Chromium, through pysaml2's identity provider running as its
own process on loopback (tests/saml_idp.py, its key and certificate made for the test). The product
reads the provider from its metadata URL, as with Okta or Entra ID. A person signs in with the
"Sign in with …" button; an unknown address and a deactivated person are refused with a page that
says why. Screenshots in var/screenshots/sso/."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from accounts.models import Role, SignIn
from config.saml import saml_apps
from tests import factories
from tests.browser.test_pages_a11y import ARGS, CHROMIUM
from tests.saml_idp import make_key_and_cert, urls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent.parent
SHOTS = ROOT / "var" / "screenshots" / "sso"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def identity_provider(live_server, tmp_path, settings):
    """pysaml2's IdP on 127.0.0.1, knowing the live server as its service provider; the product
    configured with the provider's metadata URL only."""
    port = free_port()
    key, cert = make_key_and_cert(tmp_path)
    base = f"http://127.0.0.1:{port}"
    sp = f"{live_server.url}/accounts/saml/sso"
    command = [sys.executable, "-m", "tests.saml_idp", "--port", str(port), "--key", str(key)]
    command += ["--cert", str(cert), "--sp-entity-id", f"{sp}/metadata/", "--acs", f"{sp}/acs/"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(urls(base)["metadata_url"], timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the identity provider did not start: {process.stdout.read()}"
                    ) from None
                time.sleep(0.2)
        environ = {"SSO_SAML_METADATA_URL": urls(base)["metadata_url"], "SSO_SAML_NAME": "Test IdP"}
        settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": saml_apps(environ)}}
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def sign_in_through_the_provider(page, base: str, idp: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_role("button", name="Sign in with Test IdP").click()
    page.wait_for_url(f"{idp}/sso/redirect?*")
    page.fill("#email", email)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Continue").click()  # the provider's page posts the answer back
    page.wait_for_load_state()


def test_a_person_signs_in_through_the_identity_provider_and_strangers_are_refused(
    live_server, identity_provider
):
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    hr = factories.UserFactory(email="hana.hr@example.com", name="Hana Haddad", role=Role.HR)
    factories.UserFactory(email="gone@example.com", name="Gone Person", is_active=False)
    password_before = hr.password
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width in (1366, 390):
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(f"{base}/login/")
            page.screenshot(path=str(SHOTS / f"login-{width}.png"), full_page=True)
            page.close()

        # A person: the address in another letter case, as a provider may send it.
        context = browser.new_context(viewport={"width": 1366, "height": 800})
        page = context.new_page()
        page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
        sign_in_through_the_provider(page, base, identity_provider, "Hana.HR@Example.com")
        page.wait_for_url(f"{base}/")
        assert "Hana Haddad" in page.locator("header .who").inner_text()
        page.screenshot(path=str(SHOTS / "signed-in-1366.png"))
        context.close()

        refusals = {
            "stranger@example.com": "Nobody here has the email address stranger@example.com",
            "gone@example.com": "Your account here is deactivated.",
        }
        for email, sentence in refusals.items():
            context = browser.new_context(viewport={"width": 390, "height": 800})
            page = context.new_page()
            sign_in_through_the_provider(page, base, identity_provider, email)
            assert page.get_by_role("heading", name="Sign-in refused").is_visible()
            assert sentence in page.locator("main").inner_text()
            assert page.locator("header .who").count() == 0  # nobody signed in
            page.screenshot(path=str(SHOTS / f"refused-{email.split('@')[0]}-390.png"), full_page=True)
            page.goto(f"{base}/")
            assert page.url.startswith(f"{base}/login/")
            context.close()
        browser.close()
    assert [v for v in violations if "Content Security Policy" in v] == []
    hr.refresh_from_db()
    assert hr.password == password_before
    records = list(SignIn.objects.order_by("pk").values_list("email", "method", "succeeded"))
    assert records == [
        ("hana.hr@example.com", "saml", True),
        ("stranger@example.com", "saml", False),
        ("gone@example.com", "saml", False),
    ]
