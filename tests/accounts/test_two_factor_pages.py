"""allauth's two-factor pages speak the product's words in the product's layout: the two-step
sign-in page, the recovery codes (seen, downloaded, made anew), turning sign-in codes off, and the
"confirm it is you" step (password or code) before a change to how one signs in. In Spanish, none of
them shows an English sentence of the product's catalog or of allauth's."""

from __future__ import annotations

import pathlib
import re

import allauth
import polib
import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import DEFAULT_PASSWORD, HrFactory
from tests.i18n import world
from tests.i18n.english import EnglishFinder, english_sentences

# The pages of a signed-in person with sign-in codes on, fresh from their sign-in (no password asked
# again), and the heading each shows.
PAGES = {
    "mfa_index": "Two-step sign-in",
    "mfa_view_recovery_codes": "Your recovery codes",
    "mfa_generate_recovery_codes": "Make new recovery codes",
    "mfa_deactivate_totp": "Turn off sign-in codes",
    "account_reauthenticate": "Confirm it is you",
    "mfa_reauthenticate": "Confirm it is you",
}
SPANISH = {
    "mfa_index": "Inicio de sesión en dos pasos",
    "mfa_view_recovery_codes": "Tus códigos de recuperación",
    "mfa_generate_recovery_codes": "Crear nuevos códigos de recuperación",
    "mfa_deactivate_totp": "Desactivar los códigos de inicio de sesión",
    "account_reauthenticate": "Confirma que eres tú",
    "mfa_reauthenticate": "Confirma que eres tú",
}


def allauth_english(language: str) -> list[str]:
    """allauth's own sentences (3+ words) that its catalog of ``language`` translates."""
    path = pathlib.Path(allauth.__file__).parent / "locale" / language / "LC_MESSAGES" / "django.po"
    return sorted(
        e.msgid
        for e in polib.pofile(str(path))
        if e.msgstr and not e.msgid_plural and len(e.msgid.split()) >= 3 and "%" not in e.msgid
    )


@pytest.fixture
def person(db):
    hr = HrFactory(email="hr.two@example.com", name="Hana Ruiz")
    TOTP.activate(hr, generate_totp_secret())
    hr.recovery = RecoveryCodes.activate(hr).get_unused_codes()
    return hr


def signed_in(person, language: str) -> Client:
    """Signed in with password and a recovery code, as a person does, and their password confirmed
    again (the step a change to two-factor asks first): no page asks for it again now."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.post(reverse("login"), {"username": person.email, "password": DEFAULT_PASSWORD})
    assert client.post(reverse("mfa_authenticate"), {"code": person.recovery[0]}).status_code == 302
    assert client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD}).status_code == 302
    return client


def h1(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()


def test_each_page_is_the_products_in_its_words(person):
    client = signed_in(person, "en")
    for name, heading in PAGES.items():
        response = client.get(reverse(name))
        html = response.content.decode()
        assert response.status_code == 200, name
        assert h1(html) == heading, name
        # The product's layout: its name, its nav (with the person's home), their name, log out.
        assert '<a class="brand" href="/">CSM reviews & OKRs</a>' in html, name
        assert "<nav>" in html and "Hana Ruiz" in html and 'main class="allauth-page"' in html, name


def test_each_page_in_spanish_has_no_english_sentence(person):
    client = signed_in(person, "es")
    sentences = english_sentences("es") + allauth_english("es")
    for name, heading in SPANISH.items():
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert h1(html) == heading, name
        assert EnglishFinder(sentences).found(world.visible_text(html)) == [], name
    # The recovery codes page: the nine unused codes, one a line (the tenth signed in).
    page = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert "9 de 10 códigos siguen sin usar." in page
    assert all(code in page for code in person.recovery[1:]) and person.recovery[0] not in page


def test_the_downloaded_codes_say_what_they_are_in_spanish(person):
    client = signed_in(person, "es")
    response = client.get(reverse("mfa_download_recovery_codes"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "Evaluaciones de CSM y OKR: tus códigos de recuperación"
    assert [line for line in lines if line in person.recovery] == person.recovery[1:]


def test_a_wrong_password_is_refused_in_the_products_page(person):
    client = signed_in(person, "es")
    response = client.post(reverse("account_reauthenticate"), {"password": "not-it"})
    html = response.content.decode()
    assert response.status_code == 200 and h1(html) == "Confirma que eres tú"
    assert "Contraseña incorrecta." in html


def test_making_new_codes_says_the_old_ones_stop(person):
    client = signed_in(person, "es")
    page = client.get(reverse("mfa_generate_recovery_codes")).content.decode()
    assert "Tus 9 códigos sin usar dejan de funcionar de inmediato." in page
    response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    html = client.get(response["Location"]).content.decode()
    assert h1(html) == "Tus códigos de recuperación"
    assert "10 de 10 códigos siguen sin usar." in html


def test_allauths_messages_are_the_products_in_spanish():
    # allauth adds the codes' message once the transaction commits, after a test's request is over:
    # its words are read from the templates it renders.
    with translation.override("es"):
        said = {
            name: render_to_string(f"mfa/messages/{name}.txt").strip()
            for name in ("totp_activated", "totp_deactivated", "recovery_codes_generated")
        }
    assert said == {
        "totp_activated": "Los códigos de inicio de sesión están activados.",
        "totp_deactivated": "Los códigos de inicio de sesión están desactivados: inicias sesión solo con tu contraseña.",
        "recovery_codes_generated": "Tus códigos de recuperación están listos: guárdalos en un lugar seguro.",
    }


def test_turning_sign_in_codes_off_leads_back_in_spanish(person):
    client = signed_in(person, "es")
    response = client.post(reverse("mfa_deactivate_totp"), follow=True)
    html = response.content.decode()
    assert h1(html) == "Inicio de sesión en dos pasos"
    assert (
        "Los códigos de inicio de sesión están desactivados: inicias sesión solo con tu contraseña." in html
    )
    assert "Desactivados: inicias sesión solo con tu contraseña." in html


def test_the_code_after_the_password_is_asked_in_spanish(person):
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.post(reverse("login"), {"username": person.email, "password": DEFAULT_PASSWORD})
    html = client.get(reverse("mfa_authenticate")).content.decode()
    assert h1(html) == "Tu código de inicio de sesión"
    assert '<label for="id_code">Código de inicio de sesión</label>' in html
    assert (
        EnglishFinder(english_sentences("es") + allauth_english("es")).found(world.visible_text(html)) == []
    )
    wrong = client.post(reverse("mfa_authenticate"), {"code": "12345"}).content.decode()
    assert h1(wrong) == "Tu código de inicio de sesión" and "Código incorrecto." in wrong
