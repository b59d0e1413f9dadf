"""A tiny gettext catalog for tests that read words in another language before (or regardless of)
the real catalogs: ``with catalog("es", {"English": "Español"}): ...`` builds a .mo in a temporary
directory, points LOCALE_PATHS at it alone and forgets Django's loaded translations on the way in
and out (Django's own catalogs still load: its words stay translated)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import polib
from django.test import override_settings
from django.utils.translation import trans_real


def _forget() -> None:
    trans_real._translations = {}
    trans_real._default = None


@contextlib.contextmanager
def catalog(language: str, entries: dict[str, str]):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / trans_real.to_locale(language) / "LC_MESSAGES"
        folder.mkdir(parents=True)
        mo = polib.POFile()
        mo.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": language}
        for msgid, msgstr in entries.items():
            mo.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
        mo.save_as_mofile(str(folder / "django.mo"))
        _forget()
        try:
            with override_settings(LOCALE_PATHS=[tmp]):
                yield
        finally:
            _forget()
