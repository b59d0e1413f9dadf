"""A review's frozen snapshot keeps numbers and keys, never words: the metrics' names and definitions,
the benchmarks' sources, the freshness warning and the suggested rating's part names are put into
words in the reader's language on the page, the PDF and the API. A snapshot frozen with the old
shape (words in English) reads the same in English; the data migration turns the words it recognises
into keys and leaves the others, shown as stored."""

import datetime
import importlib
import json
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kpis.models import KpiRun, KpiValue, RunStatus, SubjectType
from reviews import wording
from reviews.cycles import services as cycle_services
from reviews.models import Review, ReviewTemplate
from reviews.output.pdf import review_pdf
from reviews.writing import explain, views
from tests.i18n.catalog import catalog

Q2 = "2026-Q2"
CSAT_NAME = "Customer satisfaction (CSAT)"
CSAT_HELP = "Share of CSAT responses (1-5) dated in the period that scored 4 or 5."
STALE = "The KPIs have not been refreshed for more than 36 hours."
SPANISH = {
    CSAT_NAME: "Satisfacción del cliente (CSAT)",
    CSAT_HELP: "Parte de las respuestas CSAT (1-5) del periodo que puntuaron 4 o 5.",
    STALE: "Los KPI no se han actualizado en más de 36 horas.",
}
migration = importlib.import_module("reviews.migrations.0010_snapshot_words_to_keys")


@pytest.fixture
def review(org):
    """CSM A's review of Q2 weighing CSAT (82.50 % of 40 responses), frozen from a run finished
    three days ago: the numbers are stale."""
    run = KpiRun.objects.create(
        period=Q2,
        as_of=datetime.date(2026, 6, 30),
        status=RunStatus.PUBLISHED,
        finished_at=timezone.now() - datetime.timedelta(days=3),
    )
    KpiValue.objects.create(
        run=run,
        period=Q2,
        metric="csat",
        value=Decimal("82.50"),
        numerator=Decimal(33),
        denominator=Decimal(40),
        sample_size=40,
        subject_type=SubjectType.CSM,
        subject_key=f"csm:{org.csm_a.pk}",
        csm=org.csm_a,
        segment=org.csm_a.segment,
        computed_at=timezone.now(),
    )
    template = ReviewTemplate.objects.create(
        name="CSAT review",
        sections=[{"key": "outcomes", "title": "Outcomes"}],
        rating_scale=[{"value": v, "label": str(v)} for v in (1, 2, 3, 4, 5)],
        kpi_weights={
            "csat": {"weight": 1, "floor": 60, "target": 80, "stretch": 95},
            "nps": {"weight": 1, "floor": 0, "target": 30, "stretch": 60},
        },
        okr_weight=0,
        min_samples={},
    )
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period=Q2,
        self_review_due=datetime.date(2026, 7, 10),
        manager_review_due=datetime.date(2026, 7, 20),
        template=template,
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    return Review.objects.get(cycle=cycle, csm=org.csm_a)


def row(snapshot: dict, key: str) -> dict:
    return next(m for m in snapshot["metrics"] if m["metric"] == key)


def old_shape(review: Review) -> tuple[dict, dict]:
    """The snapshot and detail as they were frozen before they kept keys: every word in English."""
    with translation.override("en"):
        return (
            json.loads(json.dumps(wording.snapshot_in_words(review.snapshot))),
            json.loads(json.dumps(wording.detail_in_words(review.suggested_detail))),
        )


def test_the_frozen_snapshot_keeps_keys_and_numbers_not_words(review):
    stored = json.dumps([review.snapshot, review.suggested_detail])
    for english in (CSAT_NAME, CSAT_HELP, STALE, "Net Promoter Score", "SaaS median"):
        assert english not in stored
    csat = row(review.snapshot, "csat")
    assert "name" not in csat and "how_computed" not in csat and csat["value"] == "82.50"
    assert review.snapshot["warning"] == {"code": "stale"}
    assert all(
        "name" not in p for p in review.suggested_detail["parts"] + review.suggested_detail["left_out"]
    )
    # 82.50 between the target 80 (3) and the stretch 95 (5): 3 + 2.5 / 15 × 2 = 3.33; NPS has no data.
    assert review.suggested_detail["parts"][0]["rating"] == "3.33"
    assert review.suggested_detail["left_out"][0] == {
        **review.suggested_detail["left_out"][0],
        "metric": "nps",
    }


def test_the_page_and_the_api_say_the_words_in_the_reader_s_language(org, review):
    client = Client()
    client.force_login(org.hr)
    url = reverse("review-detail", args=[review.pk])
    with catalog("es", SPANISH):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
        api = client.get(f"/api/v1/reviews/{review.pk}/", HTTP_ACCEPT_LANGUAGE="es").json()
        english = client.get(f"/api/v1/reviews/{review.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert SPANISH[CSAT_NAME] in page and SPANISH[CSAT_HELP] in page and CSAT_NAME not in page
    csat = row(api["snapshot"], "csat")
    assert (csat["name"], csat["how_computed"]) == (SPANISH[CSAT_NAME], SPANISH[CSAT_HELP])
    assert api["snapshot"]["warning"] == SPANISH[STALE]
    assert api["suggested_detail"]["parts"][0]["name"] == SPANISH[CSAT_NAME]
    assert (row(english["snapshot"], "csat")["name"], english["snapshot"]["warning"]) == (CSAT_NAME, STALE)
    assert english["suggested_detail"]["parts"][0]["name"] == CSAT_NAME


def test_the_pdf_says_the_words_in_the_reader_s_language(org, review, monkeypatch):
    from kpis import charts

    monkeypatch.setattr(charts, "print_trend", lambda *args, **kwargs: None)
    with catalog("es", SPANISH), translation.override("es"):
        pdf = review_pdf(review, viewer=org.hr)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "review.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout
    text = " ".join(text.split())
    assert SPANISH[CSAT_NAME] in text and CSAT_NAME not in text


def test_an_old_shaped_snapshot_reads_the_same_in_english(org, review):
    new_rows = views._metric_rows(review)
    new_explained = explain.suggested_explained(
        review.suggested_rating, review.suggested_detail, review.cycle.template
    )
    old_snapshot, old_detail = old_shape(review)
    assert row(old_snapshot, "csat")["name"] == CSAT_NAME and old_snapshot["warning"] == STALE
    Review.objects.filter(pk=review.pk).update(snapshot=old_snapshot, suggested_detail=old_detail)
    old = Review.objects.get(pk=review.pk)
    with translation.override("en"):
        assert views._metric_rows(old) == new_rows
        assert (
            explain.suggested_explained(old.suggested_rating, old.suggested_detail, old.cycle.template)
            == new_explained
        )
        assert wording.snapshot_in_words(old.snapshot) == wording.snapshot_in_words(review.snapshot)


def test_the_migration_turns_recognised_words_into_keys_and_keeps_the_others(org, review):
    old_snapshot, old_detail = old_shape(review)
    row(old_snapshot, "csat")["how_computed"] = "A definition reworded since."
    row(old_snapshot, "nps")["name"] = "Net Promoter Score (old name)"
    old_snapshot["warning"] = "The last KPI run (Q2 2026, started 1 Jul 2026, 09:00 UTC) failed: x. ..."
    Review.objects.filter(pk=review.pk).update(snapshot=old_snapshot, suggested_detail=old_detail)
    migration.forwards(apps, None)
    migrated = Review.objects.get(pk=review.pk)
    csat, nps = row(migrated.snapshot, "csat"), row(migrated.snapshot, "nps")
    assert "name" not in csat and csat["how_computed"] == "A definition reworded since."
    assert nps["name"] == "Net Promoter Score (old name)" and "how_computed" not in nps
    assert migrated.snapshot["warning"].startswith("The last KPI run (Q2 2026")
    assert all("name" not in p for p in migrated.suggested_detail["parts"])
    # What it kept is shown as stored, in any language; the rest in the reader's.
    with catalog("es", SPANISH), translation.override("es"):
        shown = wording.snapshot_in_words(migrated.snapshot)
        assert row(shown, "csat")["name"] == SPANISH[CSAT_NAME]
        assert row(shown, "csat")["how_computed"] == "A definition reworded since."
        assert row(shown, "nps")["name"] == "Net Promoter Score (old name)"
    # The stale warning is recognised too, and the way back gives the old words.
    Review.objects.filter(pk=review.pk).update(snapshot={**migrated.snapshot, "warning": STALE})
    migration.forwards(apps, None)
    assert Review.objects.get(pk=review.pk).snapshot["warning"] == {"code": "stale"}
    migration.backwards(apps, None)
    back = Review.objects.get(pk=review.pk)
    assert row(back.snapshot, "csat")["name"] == CSAT_NAME and back.snapshot["warning"] == STALE
    assert back.suggested_detail["parts"][0]["name"] == CSAT_NAME
