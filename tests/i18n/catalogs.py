"""The catalogs as ``make messages`` would write them now, and a pseudo-translation built from them.

``fresh_locale`` copies the working tree (the files git tracks or would track) into a temporary
directory and runs scripts/messages.sh there, so the repository's locale/ is never written. The
pseudo catalog translates every msgid into itself between ⟦ and ⟧: with it active, any English left
outside the brackets on a page was never marked for translation.
"""

from __future__ import annotations

import contextlib
import pathlib
import re
import shutil
import subprocess
from collections.abc import Iterator

import polib
from django.test import override_settings
from django.utils import translation
from django.utils.translation import trans_real

ROOT = pathlib.Path(__file__).resolve().parents[2]
# A fifth language, as docs/translating.md adds one (German: Django has its plural forms).
FIFTH = "de"
# The xdist group of the test files that read the fresh catalogs (``fresh_catalogs``,
# tests/i18n/conftest.py): one process extracts them once for all of them.
FRESH_CATALOGS_GROUP = "i18n-fresh-catalogs"
OPEN, CLOSE = "⟦", "⟧"


def fresh_locale(tmp: pathlib.Path, add_languages: tuple[str, ...] = ()) -> pathlib.Path:
    """A copy of the repository in ``tmp`` with its catalogs re-extracted; returns its locale/.
    ``add_languages`` go on the copy's LANGS line, as a translator adds a language."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file() and not source.is_symlink():
            target = tmp / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (tmp / ".venv").symlink_to((ROOT / ".venv").resolve())
    if add_languages:
        script = tmp / "scripts" / "messages.sh"
        text = script.read_text(encoding="utf-8")
        script.write_text(
            re.sub(r"^LANGS=\((.*)\)", rf"LANGS=(\1 {' '.join(add_languages)})", text, flags=re.M)
        )
    subprocess.run(["bash", "scripts/messages.sh"], cwd=tmp, check=True, capture_output=True)
    return tmp / "locale"


def pseudo_mo(po_path: pathlib.Path, out_dir: pathlib.Path, language: str) -> pathlib.Path:
    """Compile ``po_path`` with every msgstr = ⟦msgid⟧ into ``out_dir``/<language>/LC_MESSAGES."""
    po = polib.pofile(str(po_path))
    forms = int(po.metadata["Plural-Forms"].split("nplurals=")[1].split(";")[0])
    for entry in po:
        entry.flags = [f for f in entry.flags if f != "fuzzy"]
        if entry.msgid_plural:
            entry.msgstr_plural = {
                i: OPEN + (entry.msgid if i == 0 else entry.msgid_plural) + CLOSE for i in range(forms)
            }
        else:
            entry.msgstr = OPEN + entry.msgid + CLOSE
    target = out_dir / language / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    po.save_as_mofile(str(target / "django.mo"))
    return out_dir


def _forget_translations() -> None:
    trans_real._translations = {}
    trans_real._default = None


@contextlib.contextmanager
def locale_paths(paths: list[pathlib.Path]) -> Iterator[None]:
    """Django reads its catalogs from ``paths`` (and its own and the apps') until the block ends."""
    with override_settings(LOCALE_PATHS=[str(p) for p in paths]):
        _forget_translations()
        try:
            yield
        finally:
            translation.deactivate()
            _forget_translations()
    _forget_translations()


def strip_marked(text: str) -> str:
    """The text without its ⟦…⟧ parts (a translated sentence may hold another one)."""
    while True:
        stripped = _INNERMOST.sub(" ", text)
        if stripped == text:
            return text
        text = stripped


_INNERMOST = re.compile(OPEN + "[^" + OPEN + CLOSE + "]*" + CLOSE)
