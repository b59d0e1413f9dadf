#!/usr/bin/env bash
# Extract every marked string into the catalogs (locale/<lang>/LC_MESSAGES/django.po and
# djangojs.po), keeping what translators wrote. The one extraction command: the catalog tests run
# it into a copy and compare. Translators then fill the empty entries (docs/translating.md).
set -euo pipefail
cd "$(dirname "$0")/.."
LANGS=(es pt_BR zh_Hans tr)
IGNORE=(--ignore=.venv --ignore=tests --ignore=node_modules --ignore=staticfiles --ignore=var
        --ignore=bench --ignore=docs --ignore=scripts)
args=()
for lang in "${LANGS[@]}"; do args+=(-l "$lang"); done
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.test}
# A new language's catalogs start from a header with Django's own plural forms for it.
.venv/bin/python - "${LANGS[@]}" <<'PY'
import pathlib, sys
import django, polib
for lang in sys.argv[1:]:
    django_po = pathlib.Path(django.__file__).parent / "conf/locale" / lang / "LC_MESSAGES/django.po"
    plural = polib.pofile(str(django_po)).metadata["Plural-Forms"]
    for domain in ("django", "djangojs"):
        path = pathlib.Path("locale", lang, "LC_MESSAGES", f"{domain}.po")
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        po = polib.POFile(wrapwidth=0)
        po.metadata = {
            "Project-Id-Version": "csm-reviews",
            "Language": lang,
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "Plural-Forms": plural,
        }
        po.save(str(path))
PY
.venv/bin/python manage.py makemessages "${args[@]}" --no-obsolete --no-wrap --add-location=file \
  "${IGNORE[@]}" "$@" >/dev/null
.venv/bin/python manage.py makemessages -d djangojs "${args[@]}" --no-obsolete --no-wrap \
  --add-location=file "${IGNORE[@]}" "$@" >/dev/null
# msgmerge guesses a translation for a new or changed string and marks it fuzzy: a guess is not a
# translation, so it is emptied for a translator to write.
for po in locale/*/LC_MESSAGES/*.po; do
  msgattrib --clear-fuzzy --empty --clear-previous --no-wrap -o "$po" "$po"
done
# The templates (every msgid, no translation) a translation platform reads as its source
# (.tx/config; docs/translating.md): written from the extraction, never edited by hand.
.venv/bin/python - "${LANGS[0]}" <<'PY'
import pathlib, sys
import polib
pathlib.Path("locale-templates").mkdir(exist_ok=True)
for domain in ("django", "djangojs"):
    po = polib.pofile(f"locale/{sys.argv[1]}/LC_MESSAGES/{domain}.po", wrapwidth=0)
    pot = polib.POFile(wrapwidth=0)
    pot.metadata = {k: v for k, v in po.metadata.items() if k not in ("Language", "Plural-Forms")}
    for entry in po:
        entry.msgstr = ""
        entry.msgstr_plural = {0: "", 1: ""} if entry.msgid_plural else {}
        entry.flags = [f for f in entry.flags if f != "fuzzy"]
        pot.append(entry)
    pot.save(f"locale-templates/{domain}.pot")
PY
