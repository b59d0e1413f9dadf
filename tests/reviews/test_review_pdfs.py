"""The review PDFs HR files, on the demo organisation (one review of each status and cycle): human words only (no internal keys, emails,
raw timestamps or source file names), the fingerprint on the last page (in its footer, never alone on
a page), methodology rows never split across pages, a sensible page count; file names safe for any
name; the cycle summary PDF."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from pypdf import PdfReader

from accounts.models import User
from kpis.periods import Period, period_label
from kpis.registry import KPI, METRICS, REGISTRY, SERVICE
from reviews.access import review_view
from reviews.models import Review, ReviewCycle
from reviews.output.pdf import css_string, review_filename, review_pdf, safe_filename
from reviews.output.summary import cycle_summary_pdf, summary_filename
from reviews.writing import selectors
from tests import factories
from tests.reviews.demo_sample import one_of_each_kind

INTERNAL = [
    re.compile(r"\b[a-z]+_[a-z_]+\b"),  # a registry key or status value (logo_retention, manager_review)
    re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"),  # a raw timestamp
    re.compile(r"@example\.com"),  # an email instead of a name
    re.compile(r"seed article|\.md\b|\.csv\b"),  # a source file's name
    re.compile(r"\bNone\b(?!\.)"),  # a Python None (the template says "None." for an empty list)
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        today = timezone.localdate()
        call_command("seed_demo", today=today, accounts=60, verbosity=0, reset=True)
        yield Period.containing(today)
        call_command("flush", interactive=False, verbosity=0)


def pages_of(pdf: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.django_db
def test_every_demo_review_pdf_reads_as_a_document(demo):
    hr = User.objects.get(email="hr@example.com")
    methodology = [m for m in METRICS if m.group in (KPI, SERVICE)] + [REGISTRY["touchpoints"]]
    every = Review.objects.select_related("cycle__template", "csm__team", "reviewer").order_by("cycle", "csm")
    reviews = one_of_each_kind(every)  # tests/reviews/demo_sample.py
    # The closed cycle's reviews are all finalized; the current one has a review in each of the six
    # statuses: seven kinds, each with its fullest review, and the emptiest of all.
    assert {(r.cycle.period, r.status) for r in reviews} == {(r.cycle.period, r.status) for r in every}
    assert 7 <= len(reviews) <= 8
    counts = []
    for review in reviews:
        pages = pages_of(review_pdf(review, viewer=hr))
        counts.append(len(pages))
        text = " ".join(pages)
        for pattern in INTERNAL:
            assert not pattern.search(text), (review.csm.name, pattern.pattern, pattern.search(text).group(0))
        assert review.csm.name in pages[0]
        # The fingerprint and version sit on the last page (its footer), with the end of the document.
        fingerprint = selectors.content_hash(review, review_view(hr, review))
        assert fingerprint in pages[-1].replace(" ", "")
        assert f"version {review.version}" in pages[-1]
        assert all(fingerprint not in p.replace(" ", "") for p in pages[:-1])
        assert len(pages[-1]) > 400, f"a near-empty last page for {review.csm.name}: {pages[-1][:200]}"
        # A methodology row is never split: its text starts and ends on the same page.
        flat = [p.replace(" ", "") for p in pages]
        for m in methodology:
            help_text = str(m.help).replace(" ", "")
            head, tail = help_text[:30], help_text[-30:]
            on = [i for i, p in enumerate(flat) if head in p]
            assert on and tail in flat[on[-1]], (review.csm.name, m.key)
    # Colleagues' answers (the demo's closed cycle has up to four per review) add up to a page.
    assert min(counts) >= 3 and max(counts) <= 7, counts


@pytest.mark.django_db
def test_the_cycle_summary_pdf_and_file_names(demo, client):
    hr = User.objects.get(email="hr@example.com")
    cycle = ReviewCycle.objects.get(period=str(demo))
    pages = pages_of(cycle_summary_pdf(cycle, viewer=hr))
    text = " ".join(pages)
    assert f"Review cycle {period_label(cycle.period)}: summary" in text  # Q4 2026, not its code
    assert (
        "Completion" in text
        and "Distribution of ratings per manager" in text
        and "Calibration changes" in text
    )
    for pattern in INTERNAL:
        assert not pattern.search(text), pattern.pattern
    client.force_login(hr)
    response = client.get(reverse("cycle-summary-pdf", args=[cycle.pk]))
    assert response["Content-Disposition"] == f'inline; filename="{cycle.period} summary of the cycle.pdf"'
    with translation.override("es"):
        assert summary_filename(cycle) == f"{cycle.period} resumen del ciclo.pdf"
    chinese = client.get(reverse("cycle-summary-pdf", args=[cycle.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese["Content-Disposition"] == (
        f"inline; filename*=utf-8''{cycle.period}%20%E5%91%A8%E6%9C%9F%E6%80%BB%E7%BB%93.pdf"
    )
    review = cycle.reviews.select_related("csm", "cycle").order_by("csm__name").first()
    response = client.get(reverse("review-pdf", args=[review.pk]))
    # RFC 6266: an ASCII name as is, any other in UTF-8 (filename*), the name itself either way.
    assert response["Content-Disposition"] == content_disposition_header(
        False, f"{cycle.period} {review.csm.name}.pdf"
    )
    assert content_disposition_header(False, "2026-Q3 Ayşe Yılmaz.pdf") == (
        "inline; filename*=utf-8''2026-Q3%20Ay%C5%9Fe%20Y%C4%B1lmaz.pdf"
    )


@pytest.mark.django_db
def test_file_names_are_safe_for_any_name(db):
    assert safe_filename("2026-Q3", "Camila Souza") == "2026-Q3 Camila Souza.pdf"
    assert safe_filename("2026-Q3", 'a/b\\c "Quoted" O\'Brien') == "2026-Q3 abc Quoted OBrien.pdf"
    assert safe_filename("2026-Q3", "Zoë Ångström 山田 太郎") == "2026-Q3 Zoë Ångström 山田 太郎.pdf"
    assert safe_filename("2026-Q3", "../../etc/passwd") == "2026-Q3 etcpasswd.pdf"
    assert len(safe_filename("2026-Q3", "x" * 500)) <= 124
    csm = factories.CsmFactory(name="/..", email="odd@example.com")
    review = Review(pk=7, csm=csm, cycle=ReviewCycle(period="2026-Q3"))
    assert review_filename(review) == "2026-Q3 review 7.pdf"
    # The page header of the PDF is a CSS string: a quote or a hyphen prints as itself.
    assert css_string('Anne-Marie "A"') == "Anne\\00002d Marie \\000022 A\\000022 "
    assert css_string("Zoë · Q3") == "Zo\\0000eb  \\0000b7  Q3"  # the space after an escape stays
