"""Two-factor in Chromium: HR's password login leads to setting up an authenticator app (QR code and
secret), its recovery codes, then the next password login asks for a code, where a recovery code
works. No Content-Security-Policy violation on the way. Screenshots at 1,366 and 390 px land in
var/screenshots/two-factor/."""

import os
import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from tests.browser.test_csp import LISTEN
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TWO_FACTOR_SHOTS = SHOTS / "two-factor"


def _password_login(page, base):
    page.goto(f"{base}/login/")
    page.fill("#id_username", "hr@example.com")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_hr_sets_up_two_factor_then_signs_in_with_a_recovery_code(live_server, org, settings):
    from playwright.sync_api import sync_playwright

    settings.MFA_REQUIRED = True
    assert os.path.exists(CHROMIUM)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    TWO_FACTOR_SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.add_init_script(LISTEN)
        _password_login(page, base)
        page.goto(f"{base}/cycles/")
        assert page.url == f"{base}/accounts/2fa/totp/activate/"
        assert page.locator("img[src^='data:image/svg+xml']").is_visible()
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(TWO_FACTOR_SHOTS / f"set-up-{width}.png"), full_page=True)
        secret = page.input_value("#authenticator_secret")
        page.fill("input[name=code]", format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/accounts/2fa/recovery-codes/")
        codes = re.findall(r"\b[0-9]{8}\b", page.input_value("#recovery_codes"))
        assert len(codes) == 10
        page.screenshot(path=str(TWO_FACTOR_SHOTS / "recovery-codes-390.png"), full_page=True)
        page.goto(f"{base}/cycles/")
        assert page.url == f"{base}/cycles/"
        assert page.evaluate("window.__violations") == []
        page.click("header button[type=submit]")  # log out
        page.wait_for_url(f"{base}/login/")

        _password_login(page, base)
        assert page.url == f"{base}/accounts/2fa/authenticate/"
        page.screenshot(path=str(TWO_FACTOR_SHOTS / "code-390.png"), full_page=True)
        page.fill("input[name=code]", "000000x")
        page.click("main button[type=submit]")
        page.wait_for_selector("text=Incorrect code")
        page.fill("input[name=code]", codes[0])
        page.click("main button[type=submit]:has-text('Sign In')")
        page.wait_for_url(f"{base}/")
        assert "HR" in page.inner_text("header")
        assert page.evaluate("window.__violations") == []
        browser.close()
