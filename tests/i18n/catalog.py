"""A tiny translation catalog for tests that need a translated string before the real catalogs exist.

``tiny_catalog(tmp_path, {"es": {"Saved": "Guardado"}}, js={"es": {...}})`` writes
``<tmp>/locale/<lang>/LC_MESSAGES/django.mo`` (and ``djangojs.mo``) with polib and points
``LOCALE_PATHS`` at it alone, with Django's translation caches reset on the way in and out (Django's
``setting_changed`` receiver empties them when ``LOCALE_PATHS`` changes). A msgid maps to its
translation, or, for a plural, ``("one form", "other form")`` maps to a list of forms in the
language's plural order. Django's own strings (its apps' and DRF's catalogs) stay translated.

Used as the ``tiny_catalog`` fixture (tests/i18n/conftest.py) or directly as a context manager.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import polib
from django.test import override_settings
from django.utils import translation
from django.utils.translation import to_locale, trans_real

# Enough for the languages of the product: Spanish and Portuguese have a third form (Django's header).
PLURALS = {
    "en": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=3; plural=n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;",
    "pt_BR": "nplurals=2; plural=(n > 1);",
    "zh_Hans": "nplurals=1; plural=0;",
    "tr": "nplurals=2; plural=(n > 1);",
}

Messages = Mapping[str, Mapping[object, object]]


def _write(folder: Path, domain: str, lang: str, messages: Mapping[object, object]) -> None:
    locale = to_locale(lang)
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": locale,
        "Plural-Forms": PLURALS.get(locale, PLURALS["en"]),
    }
    for msgid, msgstr in messages.items():
        if isinstance(msgid, tuple):
            assert isinstance(msgstr, list | tuple)
            po.append(
                polib.POEntry(
                    msgid=msgid[0],
                    msgid_plural=msgid[1],
                    msgstr_plural={i: form for i, form in enumerate(msgstr)},
                )
            )
        else:
            assert isinstance(msgid, str) and isinstance(msgstr, str)
            po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    target = folder / locale / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    po.save_as_mofile(str(target / f"{domain}.mo"))


def _reset() -> None:
    trans_real._translations = {}
    trans_real._default = None
    trans_real.translation_catalog_exists.cache_clear()


@contextlib.contextmanager
def tiny_catalog(tmp: Path, messages: Messages, *, js: Messages | None = None) -> Iterator[Path]:
    """``LOCALE_PATHS`` is a fresh folder holding ``messages`` (django) and ``js`` (djangojs)."""
    folder = Path(tmp) / "tiny-locale"
    for lang, entries in messages.items():
        _write(folder, "django", lang, entries)
    for lang, entries in (js or {}).items():
        _write(folder, "djangojs", lang, entries)
    language = translation.get_language()
    _reset()
    try:
        with override_settings(LOCALE_PATHS=[folder]):
            translation.activate(language or "en")
            yield folder
    finally:
        _reset()
        translation.activate(language) if language else translation.deactivate()


@contextlib.contextmanager
def catalog(language: str, entries: Mapping[object, object]) -> Iterator[Path]:
    """``with catalog("es", {"English": "Español"}):`` the same, in a folder of its own."""
    with tempfile.TemporaryDirectory() as tmp, tiny_catalog(Path(tmp), {language: entries}) as folder:
        yield folder
