"""The product's languages: Django's codes, each named in its own words; a stored "pt" is Brazilian
Portuguese; every page, email and PDF says its language in ``<html lang>``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from notifications.models import PersonSettings

ROOT = Path(__file__).resolve().parents[2]


def test_the_languages_are_djangos_codes_named_in_their_own_words():
    assert settings.LANGUAGES == [
        ("en", "English"),
        ("es", "Español"),
        ("pt-br", "Português (Brasil)"),
        ("zh-hans", "简体中文"),
        ("tr", "Türkçe"),
    ]


@pytest.mark.django_db
def test_a_stored_pt_becomes_pt_br(org):
    migration = importlib.import_module("notifications.migrations.0006_language_pt_is_pt_br")
    PersonSettings.objects.create(person=org.hr, language="pt")
    PersonSettings.objects.create(person=org.admin, language="es")
    migration.pt_to_pt_br(apps, None)
    assert PersonSettings.objects.get(person=org.hr).language == "pt-br"
    assert PersonSettings.objects.get(person=org.admin).language == "es"  # others untouched


@pytest.mark.django_db
def test_the_preferences_selector_names_each_language_in_its_own_words(client, org):
    client.force_login(org.hr)
    html = client.get(reverse("notification-preferences"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for code, name in [("es", "Español"), ("pt-br", "Português (Brasil)"), ("zh-hans", "简体中文")]:
        assert f'<option value="{code}">{name}</option>' in html


def _whole_documents() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*.html") if "<html" in p.read_text())


@pytest.mark.parametrize("template", _whole_documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_page_email_and_pdf_template_says_the_active_language(template):
    tag = re.search(r"<html[^>]*>", template.read_text())
    assert tag, template
    assert re.search(r'lang="\{\{ (LANGUAGE_CODE|lang) \}\}"', tag.group(0)), tag.group(0)


@pytest.mark.django_db
def test_a_page_and_an_error_page_say_the_language_they_are_in(client, org):
    assert '<html lang="es">' in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    bad = client.get("/login/?next=%00", HTTP_ACCEPT_LANGUAGE="tr")  # the 400 page
    assert bad.status_code == 400
    assert '<html lang="tr">' in bad.content.decode()


@pytest.mark.django_db
def test_the_api_docs_page_says_the_readers_language(client, org):
    """drf-spectacular's own Swagger UI page has a bare <html>: ours says the language like every page."""
    client.force_login(org.admin)
    for code in ("es", "zh-hans", "tr"):
        page = client.get(reverse("api-docs"), HTTP_ACCEPT_LANGUAGE=code).content.decode()
        assert re.search(r"<html[^>]*>", page).group(0) == f'<html lang="{code}">', code
