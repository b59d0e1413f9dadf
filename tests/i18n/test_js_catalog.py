"""The scripts' words go through Django's JavaScript catalog: a script of this site at /jsi18n/ in the
active language (kept per language), loaded by every page before its scripts; no script holds a
sentence outside gettext/ngettext."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from accounts import mfa
from notifications.models import PersonSettings

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
JS = {"es": {"saved": "guardado"}, "tr": {"saved": "kaydedildi"}}


def test_the_catalog_speaks_the_active_language_and_is_kept_per_language(client, tiny_catalog):
    tiny_catalog({}, js=JS)
    url = reverse("javascript-catalog")
    es = client.get(url + "?l=es", HTTP_ACCEPT_LANGUAGE="es")
    assert es.status_code == 200 and es["Content-Type"].startswith("text/javascript")
    assert '"saved": "guardado"' in es.content.decode()
    assert "max-age=3600" in es["Cache-Control"]
    # Kept (cache_page): the same address in another language is that language's, not the first one's.
    tr = client.get(url + "?l=tr", HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert '"saved": "kaydedildi"' in tr and "guardado" not in tr
    assert "guardado" in client.get(url + "?l=es", HTTP_ACCEPT_LANGUAGE="es").content.decode()


def test_every_page_loads_the_catalog_of_its_language_before_its_scripts(client, org):
    PersonSettings.objects.create(person=org.csm_a, language="pt-br")
    client.force_login(org.csm_a)
    response = client.get(reverse("okrs-mine"))
    html = response.content.decode()
    catalog = html.index('<script src="/jsi18n/?l=pt-br"></script>')
    assert catalog < html.index("js/app.") and catalog < html.index("js/okrs.")
    # The page's Content-Security-Policy is as strict as ever: scripts of this site only, none inline.
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp + ";" and "unsafe-inline" not in csp


def test_a_contributor_and_a_person_setting_up_two_factor_get_the_catalog(client, org):
    contributor = org.csm_a
    contributor.role = "contributor"
    contributor.save()
    client.force_login(contributor)
    assert client.get(reverse("javascript-catalog")).status_code == 200
    # HR who must set up two-factor first: every other page leads to the set-up page, not this one.
    client.force_login(org.hr)
    session = client.session
    session[mfa.ENROL_SESSION_KEY] = True
    session.save()
    assert client.get(reverse("okrs-mine")).status_code == 302
    assert client.get(reverse("javascript-catalog")).status_code == 200


STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')  # a double-quoted JavaScript literal
WORDS = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")
CODE = {"use strict", "banner warning", "thead th:first-child"}  # a mode, class names, a selector


@pytest.mark.parametrize("script", sorted((ROOT / "static/js").glob("*.js")), ids=lambda p: p.name)
def test_no_script_holds_a_sentence_outside_gettext(script):
    """Every literal of two words or more is an argument of gettext/ngettext, or code."""
    code = "\n".join(line for line in script.read_text().splitlines() if not line.lstrip().startswith("//"))
    sentences = 0
    for match in STRING.finditer(code):
        text = match.group(0)[1:-1]
        if not WORDS.search(text) or text in CODE:
            continue
        before = code[: match.start()].rstrip()
        assert before.endswith(("gettext(", "ngettext(", ",")), f"{script.name}: {text!r} is not translated"
        sentences += 1
    assert sentences or script.name in ("app.js", "tablebox.js")


def test_the_counted_messages_of_the_review_script_use_the_languages_plural_forms():
    script = (ROOT / "static/js/review.js").read_text()
    assert 'ngettext("Not saved: someone saved meanwhile. %(count)s field to settle below.", ' in script
    assert 'ngettext("%(count)s flagged number is not resolved yet' in script
    assert "step-words" not in script
