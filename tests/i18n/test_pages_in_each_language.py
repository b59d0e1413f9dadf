"""Every page in each language: every page of the permission matrix as every role that may open it
(each of its 200s, and one refusal of each kind per role), and the API's error answers, rendered in
every language of LANGUAGES with the committed catalogs, show no English sentence of the catalogs (a
msgid of three words or more whose translation differs from it: tests/i18n/english.py).

The work is shared: the world is built once for the module (tests/i18n/world.py, the one of
test_everything_marked.py), a client is signed in once per role, the list of visits is made once,
and a PDF is drawn once for the same HTML (the review's page and its API give the same reader the
same document). Each language is one test that reads every page once (about 300 answers); the
check is a lookup per word (tests/i18n/english.py).
"""

from __future__ import annotations

import functools

import polib
import pytest
from django.conf import settings

from notifications.models import PersonSettings
from reviews.output import pdf, summary
from tests.i18n import catalogs, world
from tests.i18n.english import EnglishFinder, english_sentences

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


@pytest.fixture(scope="module")
def objects(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        yield world.build_world(str(tmp_path_factory.mktemp("media")))
        world.flush()


@pytest.fixture(scope="module", autouse=True)
def _a_pdf_drawn_once_per_html():
    with pytest.MonkeyPatch.context() as patch:
        drawn = functools.lru_cache(maxsize=64)(pdf.render_pdf)
        patch.setattr(pdf, "render_pdf", drawn)
        patch.setattr(summary, "render_pdf", drawn)
        yield


@pytest.fixture(scope="module")
def visits(objects, django_db_blocker):
    with django_db_blocker.unblock():
        return world.page_visits(objects)


@pytest.fixture
def clients(objects):
    # Nobody has chosen a language: each page follows the browser's (Accept-Language).
    PersonSettings.objects.update(language="")
    return world.signed_in(objects)


def english_on(texts: list[world.Text], finder: EnglishFinder) -> dict[str, str]:
    found = {}
    for t in texts:
        for sentence in finder.found(t.text):
            found.setdefault(sentence, t.where)
    return found


def test_the_finder_sees_a_catalog_sentence_where_it_stands():
    finder = EnglishFinder(["Your review is ready.", "Save the draft", "Open the review of the quarter"])
    assert finder.found("Hola\n Your review   is ready.") == ["Your review is ready."]
    assert finder.found("(Save the draft) y Open the\nreview of the quarter") == [
        "Save the draft",
        "Open the review of the quarter",
    ]
    assert finder.found("Guardar el borrador: Save the") == []
    assert finder.found("Open the review of the") == []
    with pytest.raises(ValueError, match="fewer than three words"):
        EnglishFinder(["Save draft"])


@pytest.mark.django_db
def test_a_page_carrying_an_untranslated_catalog_sentence_fails_the_check(objects, visits, tmp_path):
    """The Spanish catalog with one sentence of the CSM's notifications page left untranslated (as a
    merge that lost it would): the check finds it, on that page, and nothing else."""
    po = polib.pofile(str(catalogs.ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    (entry,) = [e for e in po if e.msgid == "Show unread only"]
    assert entry.msgstr == "Ver solo las no leídas"
    finder = EnglishFinder(english_sentences("es", po=po))
    page = [v for v in visits if v[:2] == ("csm", "notification-list")]
    PersonSettings.objects.update(language="")

    assert english_on(world.pages(objects, "es", visits=page), finder) == {}
    entry.msgstr = ""
    (tmp_path / "es" / "LC_MESSAGES").mkdir(parents=True)
    po.save_as_mofile(str(tmp_path / "es" / "LC_MESSAGES" / "django.mo"))
    with catalogs.locale_paths([tmp_path]):
        assert english_on(world.pages(objects, "es", visits=page), finder) == {
            "Show unread only": "csm: notification-list"
        }


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_real_pages_speak_the_language(objects, visits, clients, language):
    texts = world.pages(objects, language, clients=clients, visits=visits)
    assert {t.where.split(":")[0] for t in texts} == set(world.EVERY_ROLE)
    assert len(texts) > 250
    elsewhere = {t.where for t in texts if t.language not in ("", language)}
    assert not elsewhere, f"not in {language}: {sorted(elsewhere)}"
    found = english_on(
        texts + world.api_errors(objects, language), EnglishFinder(english_sentences(language))
    )
    assert not found, f"{len(found)} English sentences in {language}: " + "; ".join(
        f"{s!r} ({where})" for s, where in sorted(found.items())[:40]
    )
