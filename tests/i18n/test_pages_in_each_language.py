"""Every page in each language: the permission matrix's pages (each once, as the first of admin,
CSM, manager, HR or a visitor who may open it) and the API's error answers, rendered in every
language of LANGUAGES with the committed catalogs, show no English sentence of the catalogs (a msgid
of three words or more whose translation differs from it).

The world is built once (tests/i18n/world.py, the one of test_everything_marked.py); each language
is one test. They wait for the translators' work (``test_real_*``): they fail until it is merged.
"""

from __future__ import annotations

import re

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

from tests.i18n import world
from tests.i18n.catalogs import ROOT

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# A placeholder, an HTML tag or a line break: such a msgid is never shown as it is written.
NOT_LITERAL = re.compile(r"%|<|\n|\{")


def english_sentences(language: str) -> list[str]:
    """The catalog's msgids of 3+ words that a reader of ``language`` should not see in English."""
    po = polib.pofile(str(ROOT / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po"))
    return sorted(
        e.msgid
        for e in po
        if not e.obsolete
        and not e.msgid_plural
        and len(e.msgid.split()) >= 3
        and not NOT_LITERAL.search(e.msgid)
        # "Net Promoter Score (NPS)" keeps the English name: finding it says nothing.
        and e.msgid not in e.msgstr
    )


def english_found(text: str, sentences: list[str]) -> list[str]:
    flat = " ".join(text.split())
    return [s for s in sentences if s in flat]


@pytest.fixture(scope="module")
def objects(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        yield world.build_world(str(tmp_path_factory.mktemp("media")))
        world.flush()


def test_english_found_sees_a_catalog_sentence():
    assert english_found("Hola\n Your review   is ready.", ["Your review is ready.", "Save the draft"]) == [
        "Your review is ready."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_real_pages_speak_the_language(objects, language):
    sentences = english_sentences(language)
    texts = world.each_page_once(objects, language) + world.api_errors(objects, language)
    found = {}
    for t in texts:
        for s in english_found(t.text, sentences):
            found.setdefault(s, t.where)
    assert not found, f"{len(found)} English sentences in {language}: " + "; ".join(
        f"{s!r} ({where})" for s, where in sorted(found.items())[:40]
    )
