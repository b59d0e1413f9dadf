"""The cycle summary PDF names the time zone of the times it prints and carries the
SHA-256 of what it says, like a review's PDF: the same content prints the same hash whenever it is
printed, a change of the cycle's content changes it. Its dates read like the pages' ("10 Oct 2026").

The cycle of tests/reviews/test_review_writing.py: Q3 2026, self-reviews due 10 Oct 2026, manager
reviews 20 Oct 2026, the organisation in America/New_York."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from reviews.cycles import services as cycle_services
from reviews.output import summary
from tests.reviews.test_review_writing import fresh, to_submitted, w  # noqa: F401

UTC = datetime.UTC


def pages_of(pdf: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def at(monkeypatch):
    def move_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return move_to


def hash_of(cycle, viewer) -> str:
    return summary.summary_hash(summary.cycle_summary_context(cycle, viewer=viewer))


def test_the_summary_names_its_time_zone_and_writes_dates_like_the_pages(w, at):  # noqa: F811
    at(datetime.datetime(2026, 12, 10, 19, 5, tzinfo=UTC))
    pages = pages_of(summary.cycle_summary_pdf(w["cycle"], viewer=w["hr"]))
    text = " ".join(pages)
    assert "self-review due 10 Oct 2026 · manager review due 20 Oct 2026" in text
    assert "Dates and times here are in America/New_York." in text
    # 19:05 UTC on 10 December is 14:05 in New York.
    assert "Printed 10 Dec 2026, 14:05 EST (America/New_York)" in text
    assert "October" not in text and "2026-12-10" not in text


def test_the_summary_carries_the_hash_of_what_it_says(w, at):  # noqa: F811
    at(datetime.datetime(2026, 12, 10, 19, 5, tzinfo=UTC))
    cycle, hr = w["cycle"], w["hr"]
    fingerprint = hash_of(cycle, hr)
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    pages = pages_of(summary.cycle_summary_pdf(cycle, viewer=hr))
    assert "SHA-256" in pages[-1]
    assert fingerprint in pages[-1].replace(" ", "")

    # Printed again a day later, in another time zone, by someone else of HR: the same content.
    at(datetime.datetime(2026, 12, 11, 9, 0, tzinfo=UTC))
    with timezone.override("Europe/Madrid"):
        assert hash_of(cycle, hr) == fingerprint

    # A review moves on (the manager submits): the summary says something else, its hash changes.
    to_submitted(w)
    submitted = hash_of(cycle, hr)
    assert submitted != fingerprint
    # Someone is left out of the cycle: the hash changes again.
    cycle_services.participant_exclude(
        user=hr, cycle=cycle, csm=w["cat"], reason="Parental leave all quarter"
    )
    assert hash_of(cycle, hr) not in (fingerprint, submitted)
