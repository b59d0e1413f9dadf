"""Counted words read right: "1 flagged number", "2 flagged numbers", never "number(s)";
and no "(s)" plural anywhere people read (templates, emails, scripts, messages in the code)."""

import re
import tokenize
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from reviews.writing import disputes, services
from tests.reviews.test_review_writing import fresh, to_manager_review, to_submitted, w  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = (
    "core",
    "devtools",
    "accounts",
    "activity",
    "datain",
    "kpis",
    "okrs",
    "reviews",
    "notifications",
    "web",
    "demo",
    "config",
)
PAREN_PLURAL = re.compile(r"[A-Za-z]\((s|es)\)")


def _python_strings(path: Path):
    with path.open("rb") as f:
        for token in tokenize.tokenize(f.readline):
            if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                yield token.start[0], token.string


def test_no_parenthesised_plural_where_people_read():
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found += [f"{path}:{line}" for line, text in _python_strings(path) if PAREN_PLURAL.search(text)]
    for folder, pattern in (("templates", "*.*"), ("static", "*.js"), ("locale", "*.po")):
        for path in (ROOT / folder).rglob(pattern):
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if PAREN_PLURAL.search(line):
                    found.append(f"{path}:{i}")
    for app in APPS:
        for path in (ROOT / app).rglob("templates/**/*.*"):
            found += [
                str(path)
                for line in path.read_text(encoding="utf-8").splitlines()
                if PAREN_PLURAL.search(line)
            ]
    assert found == []


def test_the_refusal_to_acknowledge_counts_the_open_flags(w):  # noqa: F811
    r = to_submitted(w)
    disputes.dispute_raise(user=w["bob"], review=r, metric="nrr", comment="Wrong.")
    with pytest.raises(ValidationError) as one:
        services.review_acknowledge(user=w["bob"], review=fresh(w), version=fresh(w).version)
    assert one.value.message_dict["open_flags"][0].startswith(
        "1 flagged number not resolved yet: confirm that you acknowledge with it open"
    )
    disputes.dispute_raise(user=w["bob"], review=fresh(w), metric="csat", comment="Also wrong.")
    with pytest.raises(ValidationError) as two:
        services.review_acknowledge(user=w["bob"], review=fresh(w), version=fresh(w).version)
    assert two.value.message_dict["open_flags"][0].startswith(
        "2 flagged numbers not resolved yet: confirm that you acknowledge with them open"
    )


def test_an_unknown_section_is_named_in_the_singular_or_plural(w):  # noqa: F811
    r = fresh(w)
    with pytest.raises(ValidationError) as one:
        services.review_save_self(user=w["bob"], review=r, version=r.version, sections={"zzz": "x"})
    assert one.value.message_dict["sections"] == ["Unknown section: zzz."]
    with pytest.raises(ValidationError) as two:
        services.review_save_self(
            user=w["bob"], review=r, version=r.version, sections={"zzz": "x", "aaa": "y"}
        )
    assert two.value.message_dict["sections"] == ["Unknown sections: aaa, zzz."]
