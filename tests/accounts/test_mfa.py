"""Two-factor for password logins (accounts.mfa, allauth.mfa): HR and admins must have TOTP; set up at
the next password login, then asked at every one; a wrong code is refused; a recovery code stands in
for the phone; CSMs and managers are not asked; the lockout still counts failures."""

import time

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.urls import reverse

from accounts.models import SignIn
from tests.factories import DEFAULT_PASSWORD


def code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture(autouse=True)
def required(settings):
    settings.MFA_REQUIRED = True


def _log_in(client, email):
    return client.post(reverse("login"), {"username": email, "password": DEFAULT_PASSWORD})


def test_hr_without_two_factor_sets_it_up_before_anything_else(client, org):
    response = _log_in(client, "hr@example.com")
    assert response.status_code == 302
    # Every page sends them to the set-up page until it is done.
    for url in ("/", "/cycles/", "/reviews/"):
        assert client.get(url)["Location"] == reverse("mfa_activate_totp"), url
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    wrong = client.post(
        reverse("mfa_activate_totp"), {"code": "000000" if code(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    done = client.post(reverse("mfa_activate_totp"), {"code": code(secret)})
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    assert client.get("/").status_code == 200


def test_hr_with_two_factor_gives_a_code_after_the_password(client, org):
    secret = generate_totp_secret()
    TOTP.activate(org.hr, secret)
    response = _log_in(client, "HR@example.com")
    assert response["Location"] == reverse("mfa_authenticate")
    # Not signed in yet.
    assert client.get("/")["Location"].startswith(reverse("login"))
    assert not SignIn.objects.filter(succeeded=True).exists()
    wrong = client.post(reverse("mfa_authenticate"), {"code": "12345"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    assert client.get("/")["Location"].startswith(reverse("login"))
    refusal = SignIn.objects.get(succeeded=False)
    assert (refusal.person, refusal.method, refusal.reason_words) == (
        org.hr,
        "password",
        "Wrong two-factor code.",
    )
    response = client.post(reverse("mfa_authenticate"), {"code": code(secret)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    entry = SignIn.objects.get(succeeded=True)
    assert (entry.person, entry.method) == (org.hr, "password")


def test_a_recovery_code_stands_in_for_the_phone_once(client, org):
    TOTP.activate(org.admin, generate_totp_secret())
    recovery = RecoveryCodes.activate(org.admin).get_unused_codes()[0]
    _log_in(client, "admin@example.com")
    response = client.post(reverse("mfa_authenticate"), {"code": recovery})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post(reverse("logout"))
    _log_in(client, "admin@example.com")
    again = client.post(reverse("mfa_authenticate"), {"code": recovery})
    assert again.status_code == 200 and "Incorrect code" in again.content.decode()


def test_csms_and_managers_are_not_asked(client, org):
    for email in ("csm.a@example.com", "manager.a@example.com"):
        assert _log_in(client, email).status_code == 302
        assert client.get("/").status_code == 200
        client.post(reverse("logout"))


def test_off_nobody_is_asked_to_set_it_up(client, org, settings):
    settings.MFA_REQUIRED = False  # the local demo (config/settings/local.py)
    _log_in(client, "hr@example.com")
    assert client.get("/").status_code == 200


def test_the_lockout_still_counts_with_two_factor_on(client, org):
    TOTP.activate(org.hr, generate_totp_secret())
    for _ in range(5):
        client.post(reverse("login"), {"username": "hr@example.com", "password": "wrong"})
    response = _log_in(client, "hr@example.com")
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()


def test_the_two_factor_pages_speak_the_products_words(client, org):
    """allauth's set-up and code pages are ours (templates/mfa/): plain words, marked for translation."""
    _log_in(client, "hr@example.com")
    setup = client.get(reverse("mfa_activate_totp")).content.decode()
    assert "Set up sign-in codes" in setup and "Activate Authenticator App" not in setup
    assert "Turn on sign-in codes" in setup
    client.post(reverse("logout"))
    TOTP.activate(org.admin, generate_totp_secret())
    _log_in(client, "admin@example.com")
    step = client.get(reverse("mfa_authenticate")).content.decode()
    assert "Your sign-in code" in step and "Two-Factor Authentication" not in step
    assert 'id="logout-from-stage"' in step


def test_wrong_passwords_on_confirm_it_is_you_lock_only_their_person(org):
    """The "Confirm it is you" form posts no email: its failures are counted against the signed-in
    person, so five wrong passwords there lock that person's confirmation and not a colleague's
    behind the same address (before, every such failure counted against an empty name)."""
    from axes.models import AccessAttempt
    from django.test import Client

    manager, csm = Client(), Client()
    _log_in(manager, "manager.a@example.com")
    _log_in(csm, "csm.a@example.com")
    for _ in range(5):
        manager.post(reverse("account_reauthenticate"), {"password": "wrong"})
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["manager.a@example.com"]
    assert manager.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD}).status_code == 429
    assert csm.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD}).status_code == 302
