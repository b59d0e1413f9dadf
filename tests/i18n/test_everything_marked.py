"""Every string a person can read is marked for translation.

A pseudo catalog translates every msgid ``make messages`` extracts now into ``⟦msgid⟧``. With it
active (as Simplified Chinese, so that Django's, DRF's and allauth's own words come out in Chinese
characters), the whole small world of tests/i18n/world.py is read: each page of the permission matrix
as each role, the API's error answers, emails, a review PDF and a few of the admin's pages. Any Latin
word left outside ⟦…⟧ was never marked (or was glued outside a marked sentence), unless it is data
(a person's, team's or account's name, an objective's title) or one of the few words in ALLOWED.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from tests.i18n import catalogs, world

PSEUDO = "zh-hans"
# Not words of a language: the product's abbreviations the catalogs keep as they are (translators
# may still change them in a sentence), units, and the product's name.
ALLOWED = {
    "SHA",
    "CSM",
    "CSMs",
    "OKR",
    "OKRs",
    "KPI",
    "KPIs",
    "API",
    "PDF",
    "CSV",
    "SSO",
    "SAML",
    "TOTP",
    "ID",
    "UTC",
    "US",  # a currency symbol (US$), as the number formatting writes it
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A fingerprint (the PDF may break its 64 hex digits with invisible characters).
HEX = re.compile(r"SHA-256\W+\S+|\b[0-9a-f]{16,}\b")
URL = re.compile(r"(?:https?://|(?<![\w/])/)[\w./?=&%:#-]*")
WORD = re.compile(r"[A-Za-z][A-Za-z']+")


def data_pattern(data) -> re.Pattern:
    """Any of the texts, where it stands as a whole (not "A-2" inside "SHA-256")."""
    values = sorted(set(data), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, values)) + r")(?!\w)")


def english_left(text: str, data: list[str] | re.Pattern) -> list[str]:
    pattern = data if isinstance(data, re.Pattern) else data_pattern(data or ["\0"])
    text = pattern.sub(" ", catalogs.strip_marked(text))
    text = HEX.sub(" ", URL.sub(" ", EMAIL.sub(" ", text)))
    return [w for w in WORD.findall(text) if w not in ALLOWED]


# The fresh catalogs are extracted once per process, shared with test_catalogs.py (conftest.py).
pytestmark = pytest.mark.xdist_group(catalogs.FRESH_CATALOGS_GROUP)


@pytest.fixture(scope="module")
def pseudo(fresh_catalogs, tmp_path_factory):
    return catalogs.pseudo_mo(
        fresh_catalogs / "zh_Hans" / "LC_MESSAGES" / "django.po", tmp_path_factory.mktemp("pseudo"), "zh_Hans"
    )


@pytest.fixture(scope="module")
def objects(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        yield world.build_world(str(tmp_path_factory.mktemp("media")))
        world.flush()


@pytest.mark.django_db
def test_nothing_a_person_reads_is_unmarked(pseudo, objects):
    with catalogs.locale_paths([pseudo]):
        texts = world.everything_read(objects, PSEUDO)
        admin = world.admin_pages(objects, PSEUDO)
    data = data_pattern(world.data_words(objects))
    assert len(texts) > 250
    read = {t.where: t.text for t in texts}
    assert "⟦Your sign-in code⟧" in read["hr: mfa_authenticate"]
    assert "⟦Set up sign-in codes⟧" in read["hr: mfa_activate_totp"]
    assert "⟦Two-step sign-in⟧" in read["hr: mfa_index"]
    assert "⟦Your recovery codes⟧" in read["hr: mfa_view_recovery_codes"]
    assert "⟦Confirm it is you⟧" in read["hr: account_reauthenticate"]
    assert "⟦CSM reviews & OKRs: your recovery codes⟧" in read["hr: mfa_download_recovery_codes"]
    assert "⟦CSM's comment on acknowledging⟧" in "".join(t.text for t in admin)
    unmarked = defaultdict(set)
    for t in texts + admin:
        for line in catalogs.strip_marked(t.text).splitlines():
            if english_left(line, data):
                unmarked[" ".join(line.split())].add(t.where)
    report = "\n".join(
        f"{line!r} {english_left(line, data)} <- {sorted(where)[:3]}"
        for line, where in sorted(unmarked.items())
    )
    assert not unmarked, f"{len(unmarked)} unmarked texts:\n{report}"


def test_the_check_sees_an_unmarked_word_and_not_a_marked_one():
    assert english_left("⟦Your review of %(name)s⟧ is due", ["CSM A"]) == ["is", "due"]
    assert english_left("⟦Review of ⟦CSM A⟧⟧ CSM A, csm.a@example.com /reviews/3/", ["CSM A"]) == []
    assert english_left("2026年10月5日 KPI ⟦Save⟧", []) == []
