"""The catalogs in locale/ are complete and well formed (issue 30), so ``make test`` fails when:

- ``make messages`` (scripts/messages.sh, run into a temporary copy of the repository) finds a
  string that a committed catalog does not have;
- a catalog is below 100 % translated or has a fuzzy entry (polib);
- ``msgfmt --check`` refuses it;
- its Plural-Forms differ from Django's own for the language (Spanish has three forms);
- a translation's placeholders differ from its msgid's (``%(name)s`` kept, none added or lost).

Each check is a function, proven first on a small hand-made bad catalog. The tests over the real
catalogs (``test_real_catalog_*``) wait for the translators' work: they fail until it is merged.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import textwrap

import django
import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.utils.translation import to_locale

from tests.i18n import catalogs

ROOT = catalogs.ROOT
DOMAINS = ("django", "djangojs")
# A literal "90 % interval" is text, not "% i": the space flag is left out of what counts.
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0+]*\d*(?:\.\d+)?[sdifeEgGxXr]|%%")


def languages() -> list[str]:
    """The catalogs' languages, as scripts/messages.sh lists them (its LANGS line)."""
    text = (ROOT / "scripts" / "messages.sh").read_text(encoding="utf-8")
    return re.search(r"^LANGS=\(([^)]*)\)", text, re.M).group(1).split()


def entries_key(po: polib.POFile) -> set[tuple[str, str, str]]:
    return {(e.msgctxt or "", e.msgid, e.msgid_plural or "") for e in po if not e.obsolete}


# --- the checks ---------------------------------------------------------------------------------


def missing(committed: pathlib.Path, fresh: pathlib.Path) -> list[str]:
    """The strings the fresh extraction has that the committed catalog lacks."""
    have = entries_key(polib.pofile(str(committed))) if committed.exists() else set()
    return sorted(msgid for _ctx, msgid, _pl in entries_key(polib.pofile(str(fresh))) - have)


def untranslated_or_fuzzy(po_path: pathlib.Path) -> list[str]:
    po = polib.pofile(str(po_path))
    bad = [f"fuzzy: {e.msgid}" for e in po.fuzzy_entries()]
    for e in po:
        if e.obsolete or "fuzzy" in e.flags:
            continue
        forms = list(e.msgstr_plural.values()) if e.msgid_plural else [e.msgstr]
        if not forms or not all(forms):
            bad.append(f"untranslated: {e.msgid}")
    return bad


def msgfmt_errors(po_path: pathlib.Path) -> str:
    done = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(po_path)], check=False, capture_output=True, text=True
    )
    return "" if done.returncode == 0 else done.stderr.strip()


def _plural_forms(text: str) -> str:
    return re.sub(r"\s+", "", text).rstrip(";")


def django_plural_forms(language: str) -> str:
    path = pathlib.Path(django.__file__).parent / "conf" / "locale" / language / "LC_MESSAGES" / "django.po"
    return polib.pofile(str(path)).metadata["Plural-Forms"]


def plural_forms_wrong(po_path: pathlib.Path, language: str) -> str:
    ours = polib.pofile(str(po_path)).metadata.get("Plural-Forms", "")
    theirs = django_plural_forms(language)
    return "" if _plural_forms(ours) == _plural_forms(theirs) else f"{ours!r}, Django says {theirs!r}"


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%")


def placeholder_mismatches(po_path: pathlib.Path) -> list[str]:
    """A translation whose placeholders differ from its msgid's. A plural form may leave out the
    count (Spanish "un archivo" for n = 1) but names nothing the English forms do not."""
    bad = []
    for e in polib.pofile(str(po_path)):
        if e.obsolete:
            continue
        if not e.msgid_plural:
            if e.msgstr and placeholders(e.msgstr) != placeholders(e.msgid):
                bad.append(f"{e.msgid!r} -> {e.msgstr!r}")
            continue
        english = set(placeholders(e.msgid)) | set(placeholders(e.msgid_plural))
        forms = [s for s in e.msgstr_plural.values() if s]
        if not forms:
            continue
        said = set().union(*(set(placeholders(s)) for s in forms))
        if said != english or any(not set(placeholders(s)) <= english for s in forms):
            bad.append(f"{e.msgid_plural!r} -> {forms!r}")
    return bad


# --- each check on a small bad catalog ------------------------------------------------------------

HEADER = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: es\\n"
"Plural-Forms: {plural}\\n"

"""
SPANISH = "nplurals=3; plural=n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;"


def write_po(
    tmp_path: pathlib.Path, body: str, plural: str = SPANISH, name: str = "django.po"
) -> pathlib.Path:
    path = tmp_path / name
    path.write_text(HEADER.format(plural=plural) + textwrap.dedent(body), encoding="utf-8")
    return path


def test_django_gives_spanish_three_plural_forms():
    assert _plural_forms(django_plural_forms("es")).startswith("nplurals=3;")


def test_missing_finds_the_entry_extraction_added(tmp_path):
    committed = write_po(tmp_path, 'msgid "Save"\nmsgstr "Guardar"\n', name="old.po")
    fresh = write_po(tmp_path, 'msgid "Save"\nmsgstr "Guardar"\n\nmsgid "Cancel"\nmsgstr ""\n', name="new.po")
    assert missing(committed, fresh) == ["Cancel"]
    assert missing(fresh, committed) == []


def test_untranslated_and_fuzzy_entries_are_found(tmp_path):
    po = write_po(
        tmp_path,
        """\
        msgid "Save"
        msgstr "Guardar"

        msgid "Cancel"
        msgstr ""

        #, fuzzy
        msgid "Close"
        msgstr "Cerrar"

        msgid "%(n)d file"
        msgid_plural "%(n)d files"
        msgstr[0] "%(n)d archivo"
        msgstr[1] ""
        msgstr[2] "%(n)d archivos"
        """,
    )
    assert sorted(untranslated_or_fuzzy(po)) == [
        "fuzzy: Close",
        "untranslated: %(n)d file",
        "untranslated: Cancel",
    ]


def test_msgfmt_check_refuses_a_broken_format(tmp_path):
    po = write_po(tmp_path, '#, python-format\nmsgid "Hello %(name)s"\nmsgstr "Hola %(nombre)s"\n')
    assert "nombre" in msgfmt_errors(po) or "format" in msgfmt_errors(po)
    assert msgfmt_errors(write_po(tmp_path, 'msgid "Save"\nmsgstr "Guardar"\n', name="ok.po")) == ""


def test_a_wrong_plural_count_is_found(tmp_path):
    two = write_po(tmp_path, "", plural="nplurals=2; plural=(n != 1);")
    assert plural_forms_wrong(two, "es")
    assert plural_forms_wrong(write_po(tmp_path, "", name="three.po"), "es") == ""


def test_broken_placeholders_are_found(tmp_path):
    po = write_po(
        tmp_path,
        """\
        msgid "Review of %(name)s"
        msgstr "Revisión de %(nombre)s"

        msgid "Due on %(date)s"
        msgstr "Vence el %(date)s"

        msgid "%(count)d day late"
        msgid_plural "%(count)d days late"
        msgstr[0] "un día de retraso"
        msgstr[1] "%(count)d días de retraso"
        msgstr[2] "%(count)d días de retraso"

        msgid "%(count)d review"
        msgid_plural "%(count)d reviews"
        msgstr[0] "%(cuenta)d revisión"
        msgstr[1] "%(count)d revisiones"
        msgstr[2] "%(count)d revisiones"
        """,
    )
    found = placeholder_mismatches(po)
    assert len(found) == 2, found
    assert found[0].startswith("'Review of %(name)s'") and "%(count)d reviews" in found[1]


# --- the real catalogs (fail until the translators' work is merged) --------------------------------


FIFTH = catalogs.FIFTH
# The fresh catalogs (with the fifth language) are extracted once per process and shared with
# test_everything_marked.py, which runs in the same process (pytestmark, conftest.py).
pytestmark = pytest.mark.xdist_group(catalogs.FRESH_CATALOGS_GROUP)


@pytest.fixture
def fresh(fresh_catalogs) -> pathlib.Path:
    return fresh_catalogs


def test_a_fifth_language_is_its_line_in_messages_sh(fresh):
    """make messages starts its catalogs: Django's plural forms, every entry there and empty."""
    for domain in DOMAINS:
        po = polib.pofile(str(fresh / FIFTH / "LC_MESSAGES" / f"{domain}.po"))
        assert _plural_forms(po.metadata["Plural-Forms"]) == _plural_forms(django_plural_forms(FIFTH))
        assert not [e.msgid for e in po if e.msgstr or any(e.msgstr_plural.values())]
    spanish = polib.pofile(str(fresh / "es" / "LC_MESSAGES" / "django.po"))
    german = polib.pofile(str(fresh / FIFTH / "LC_MESSAGES" / "django.po"))
    assert entries_key(german) == entries_key(spanish) and len(german) > 1000


def test_a_fifth_language_in_languages_needs_no_migration():
    """No field copies LANGUAGES into its migrations: one that names the languages reads them
    when asked (a callable), so adding a language changes no model."""
    copied = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not getattr(field, "choices", None) or not hasattr(field, "deconstruct"):
                continue
            choices = field.deconstruct()[3].get("choices")
            codes = {c[0] for c in choices} if isinstance(choices, list | tuple) else set()
            if codes and codes >= {code for code, _name in settings.LANGUAGES}:
                copied.append(f"{model._meta.label}.{field.name}")
    assert not copied


def real_catalogs() -> list[tuple[str, pathlib.Path]]:
    return [
        (lang, ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po")
        for lang in languages()
        for domain in DOMAINS
    ]


def test_real_languages_are_the_catalogs_languages():
    """A fifth language is LANGUAGES and the LANGS line of scripts/messages.sh (docs/translating.md)."""
    offered = {to_locale(code) for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE}
    assert offered == set(languages())


def test_real_catalog_has_every_extracted_string(fresh):
    gaps = {
        f"{lang}/{path.name}": missing(path, fresh / lang / "LC_MESSAGES" / path.name)
        for lang, path in real_catalogs()
    }
    gaps = {k: v for k, v in gaps.items() if v}
    assert not gaps, {k: (len(v), v[:5]) for k, v in gaps.items()}


def test_templates_have_every_extracted_string(fresh):
    """locale-templates/*.pot, the translation platforms' source (.tx/config), are make messages'."""
    for domain in DOMAINS:
        committed = ROOT / "locale-templates" / f"{domain}.pot"
        extracted = fresh.parent / "locale-templates" / f"{domain}.pot"
        assert missing(committed, extracted) == [], domain
        assert missing(extracted, committed) == [], domain


def test_real_catalog_is_translated_without_fuzzy():
    bad = {f"{lang}/{p.name}": untranslated_or_fuzzy(p) for lang, p in real_catalogs()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, {k: (len(v), v[:5]) for k, v in bad.items()}


def test_real_catalog_passes_msgfmt_check():
    bad = {f"{lang}/{p.name}": msgfmt_errors(p) for lang, p in real_catalogs()}
    assert not {k: v for k, v in bad.items() if v}


def test_real_catalog_has_djangos_plural_forms():
    bad = {f"{lang}/{p.name}": plural_forms_wrong(p, lang) for lang, p in real_catalogs()}
    assert not {k: v for k, v in bad.items() if v}


def test_real_catalog_keeps_the_placeholders():
    bad = {f"{lang}/{p.name}": placeholder_mismatches(p) for lang, p in real_catalogs()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, {k: (len(v), v[:5]) for k, v in bad.items()}
