"""The person's choice of language wins (notifications.language): the language chosen on "Your
preferences" governs the pages, the API's error details (a token's too) and the emails; without a
choice, or signed out, the browser's Accept-Language; else English."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from notifications import services
from notifications.models import PersonSettings

pytestmark = pytest.mark.django_db


def _choose(person, language: str) -> None:
    PersonSettings.objects.update_or_create(person=person, defaults={"language": language})


def _lang(response) -> str:
    html = response.content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_signed_in_persons_choice_wins_over_the_browser(client, org):
    _choose(org.hr, "es")
    client.force_login(org.hr)
    response = client.get(reverse("notification-preferences"), HTTP_ACCEPT_LANGUAGE="tr,en;q=0.5")
    assert _lang(response) == "es"
    assert response["Content-Language"] == "es"


def test_without_a_choice_the_page_follows_the_browser(client, org):
    client.force_login(org.hr)
    assert _lang(client.get(reverse("notification-preferences"), HTTP_ACCEPT_LANGUAGE="pt-BR")) == "pt-br"
    assert _lang(client.get(reverse("notification-preferences"), HTTP_ACCEPT_LANGUAGE="fr-FR")) == "en"


def test_signed_out_the_login_page_follows_the_browser_else_english(client, org):
    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")) == "zh-hans"
    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="tr-TR")) == "tr"
    assert _lang(client.get(reverse("login"))) == "en"


def _token_of(person) -> str:
    out = io.StringIO()
    call_command("create_api_token", email=person.email, scope="read", name="BI", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


NO_SUCH_REVIEW = {
    "es": {"No such review.": "No existe esa revisión."},
    "tr": {"No such review.": "Böyle bir değerlendirme yok."},
}


def test_the_api_answers_a_token_in_its_persons_language(org, tiny_catalog):
    tiny_catalog(NO_SUCH_REVIEW)
    _choose(org.manager_a, "es")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {_token_of(org.manager_a)}")
    # The browser's language loses to the person's choice.
    response = api.get("/api/v1/reviews/999999/", HTTP_ACCEPT_LANGUAGE="tr")
    assert response.status_code == 404
    assert response.json()["detail"] == "No existe esa revisión."
    assert response["Content-Language"] == "es"
    # DRF's own words too (its Spanish catalog): a field's error.


def test_the_api_answers_a_token_without_a_choice_in_the_browsers_language(org, tiny_catalog):
    tiny_catalog(NO_SUCH_REVIEW)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {_token_of(org.manager_a)}")
    tr = api.get("/api/v1/reviews/999999/", HTTP_ACCEPT_LANGUAGE="tr")
    assert tr.json()["detail"] == "Böyle bir değerlendirme yok."
    assert api.get("/api/v1/reviews/999999/").json()["detail"] == "No such review."


def test_the_api_answers_a_session_in_its_persons_language(client, org):
    _choose(org.manager_a, "pt-br")
    client.force_login(org.manager_a)
    # DRF's own words, from its Brazilian Portuguese catalog.
    response = client.post("/api/v1/feedback-notes/", {}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "Este campo é obrigatório." in response.content.decode()


def test_the_preferences_page_names_the_field_language_and_says_where_it_applies(client, org):
    client.force_login(org.hr)
    html = client.get(reverse("notification-preferences"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<strong>Language</strong>" in html
    assert "Every page, email and PDF you read is in it." in html
    assert "emails are in English" in html
    assert '<option value="" selected>My browser&#x27;s</option>' in html


def test_choosing_a_language_on_the_preferences_page_changes_the_next_page(client, org):
    client.force_login(org.hr)
    url = reverse("notification-preferences")
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["language"] = "tr"
    assert client.post(url, data).status_code == 302
    assert services.language_of(org.hr) == "tr"
    assert _lang(client.get(url, HTTP_ACCEPT_LANGUAGE="es")) == "tr"
    assert mail.outbox == []
