"""Words for people: the review page, its history and its PDF, for a review of each status and cycle
of the demo organisation, say no metric key, no field name, no source file name and no timestamp with
microseconds or in the machine's format."""

import datetime
import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import User
from kpis import charts
from kpis.registry import REGISTRY
from reviews.models import Review
from tests.reviews.demo_sample import one_of_each_kind

TODAY = datetime.date(2026, 11, 15)

# A key or a field name: lower-case words joined by underscores (nrr, nps and csat alone as well).
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
SHORT_KEYS = re.compile(r"\b(nrr|nps|csat)\b")
FILE_NAME = re.compile(r"\b\w+\.(txt|py|csv|md|json)\b|\b[0-9a-f]{3}_[0-9a-f]{16}\b")
MACHINE_TIME = re.compile(r"\d{2}:\d{2}:\d{2}\.\d+|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}:\d{2}[+-]\d{2}")


class Visible(HTMLParser):
    """The text a person reads: text nodes, without scripts, styles and the page's hidden data."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def problems(text: str) -> list[str]:
    found = []
    for rx in (SNAKE, SHORT_KEYS, FILE_NAME, MACHINE_TIME):
        found += [m.group(0) for m in rx.finditer(text)]
    # An e-mail address is a person's address, not a field name.
    return [f for f in found if not re.search(re.escape(f) + r"@|@\S*" + re.escape(f), text)]


@pytest.fixture
def demo(db, settings, monkeypatch):
    settings.TIME_ZONE = "America/New_York"
    call_command("seed_demo", today=TODAY, accounts=60, verbosity=0)
    # The PDFs' trend charts are pictures: no words in them, and most of the rendering time.
    monkeypatch.setattr(charts, "print_trend", lambda *args, **kwargs: None)


def test_the_scan_catches_the_code_s_words():
    assert problems("NRR of first_response_hours from 000_0466940d4e66c09e.txt at 2026-11-30T10:05:01.123456")
    assert problems("nps — 12:01:02.5")
    assert not problems("MRR retention (NRR) · 30 Nov 2026, 14:05 EST · csm@example.com")


def test_no_key_field_name_file_name_or_machine_time_in_any_demo_review(client, demo):
    every = list(Review.objects.select_related("csm", "reviewer", "cycle").order_by("pk"))
    assert len(every) >= 20 and REGISTRY
    # One review of each status and cycle (tests/reviews/demo_sample.py), and the CSM's own.
    reviews = one_of_each_kind(every, also=[r for r in every if r.csm.email == "csm@example.com"])
    assert {(r.cycle_id, r.status) for r in reviews} == {(r.cycle_id, r.status) for r in every}
    hr = User.objects.get(email="hr@example.com")
    hr.time_zone = "Europe/Paris"  # the reader's zone, not the organisation's
    hr.save()
    readers = [hr, User.objects.get(email="manager@example.com"), User.objects.get(email="csm@example.com")]
    wrong, seen = [], 0
    for user in readers:
        client.force_login(user)
        for review in reviews:
            page = client.get(reverse("review-detail", args=[review.pk]))
            if page.status_code != 200:
                continue
            seen += 1
            surfaces = {"page": visible(page.content.decode())}
            history = client.get(reverse("review-history", args=[review.pk]))
            if history.status_code == 200:
                surfaces["history"] = visible(history.content.decode())
            pdf = client.get(reverse("review-pdf", args=[review.pk]))
            if pdf.status_code == 200:
                reader = PdfReader(io.BytesIO(pdf.content))
                surfaces["pdf"] = "\n".join(p.extract_text() for p in reader.pages)
            for name, text in surfaces.items():
                found = problems(text)
                if found:
                    wrong.append(f"{user.email} {name} of review {review.pk}: {sorted(set(found))[:8]}")
    assert seen >= len(reviews) + 3
    assert not wrong, "\n".join(wrong[:30])


def test_the_pdf_header_keeps_the_space_after_an_escaped_character():
    from reviews import wording

    # CSS takes the one space after a hex escape as its end: the escape brings its own.
    assert wording.css_text("Ana · Q3 2026") == "Ana \\0000b7  Q3 2026"
    assert wording.css_text('Anne-Marie "A"') == "Anne\\00002d Marie \\000022 A\\000022 "
