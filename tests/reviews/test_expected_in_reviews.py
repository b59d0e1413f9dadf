"""Expected results in reviews and calibration (docs/metrics.md, "Expected results and lift"):

- the review's frozen snapshot carries the expected values, lifts and the model (fit) they came
  from, and a later refit changes the scorecard, never the frozen review;
- a template may weigh a lift instead of the raw retention (the default one does); a lift with no
  number is left out of the suggested rating, its weight shared, and said;
- calibration's funnel plot of accounts lost against expected, its limits worked by hand (with
  Spiegelhalter's multiplicative over-dispersion factor), and the 9-box by the lift.

Values are stored by hand in published runs: every number below is worked from them."""

import datetime
import math
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from kpis import scorecards
from kpis.models import ExpectedFit, FitStatus, KpiRun, KpiValue, RunStatus, SubjectType
from kpis.periods import Period
from reviews.cycles import funnel, selectors
from reviews.cycles import services as cycle_services
from reviews.models import DEFAULT_KPI_WEIGHTS, Review, ReviewTemplate
from reviews.output.pdf import review_pdf_context
from reviews.writing import explain, snapshot
from reviews.writing import services as review_services

Q2 = "2026-Q2"
D = datetime.date
LIFT = {"weight": 3, "floor": -6, "target": 0, "stretch": 6}
CSAT = {"weight": 1, "floor": 60, "target": 80, "stretch": 95}


def publish(period: str, values: dict, *, fitted_on: list[str], version: str = "expected-1") -> KpiRun:
    """A published run of ``period``: ``values`` is csm -> {metric: (value, numerator, denominator)},
    with one ok fit per outcome. The run's values replace the previous run's (as publication does)."""
    KpiValue.objects.filter(period=period).delete()
    run = KpiRun.objects.create(
        period=period, as_of=Period.parse(period).end, status=RunStatus.PUBLISHED, finished_at=timezone.now()
    )
    for csm, metrics in values.items():
        for metric, (value, num, den) in metrics.items():
            KpiValue.objects.create(
                run=run,
                period=period,
                metric=metric,
                value=None if value is None else Decimal(value),
                numerator=None if num is None else Decimal(num),
                denominator=None if den is None else Decimal(den),
                sample_size=int(Decimal(den or 0)) if metric.startswith("logo") else 10,
                subject_type=SubjectType.CSM,
                subject_key=f"csm:{csm.pk}",
                csm=csm,
                segment=csm.segment,
                computed_at=timezone.now(),
            )
    for outcome in ("logo_retention", "gross_retention", "nrr"):
        ExpectedFit.objects.create(
            run=run,
            period=period,
            outcome=outcome,
            version=version,
            status=FitStatus.OK,
            training_quarters=fitted_on,
            held_out_quarter=fitted_on[-1],
            training_accounts=240,
        )
    return run


def book(retained, cohort, expected_paying, lift=None, low=None, high=None, nrr_lift=None):
    """A CSM's account retention, its expectation and lifts (value, numerator, denominator)."""
    pct = lambda n, d: str((Decimal(n) / Decimal(d) * 100).quantize(Decimal("0.01")))  # noqa: E731
    return {
        "logo_retention": (pct(retained, cohort), retained, cohort),
        "logo_retention_expected": (pct(expected_paying, cohort), expected_paying, cohort),
        "logo_retention_lift": (lift, None, None),
        "logo_retention_lift_low": (low, None, None),
        "logo_retention_lift_high": (high, None, None),
        "nrr_lift": (nrr_lift, None, None),
        "nrr_lift_low": (low if nrr_lift is not None else None, None, None),
        "nrr_lift_high": (high if nrr_lift is not None else None, None, None),
        "csat": ("80.00", 8, 10),
    }


def metric(snap: dict, key: str) -> dict:
    return next(m for m in snap["metrics"] if m["metric"] == key)


@pytest.fixture
def cycle(org):
    publish(
        Q2,
        {
            org.csm_a: book("18", "20", "17", lift="3.00", low="-1.00", high="7.00", nrr_lift="3.00"),
            org.csm_a2: book("8", "10", "9", lift="-4.00", low="-8.00", high="-0.50"),
            org.csm_b: book("20", "20", "20", lift=None),
        },
        fitted_on=["2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"],
    )
    template = ReviewTemplate.objects.create(
        name="Lift review",
        sections=[{"key": "outcomes", "title": "Outcomes"}],
        rating_scale=[{"value": v, "label": str(v)} for v in (1, 2, 3, 4, 5)],
        kpi_weights={"nrr_lift": LIFT, "csat": CSAT},
        okr_weight=0,
        min_samples={},
    )
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period=Q2,
        self_review_due=D(2026, 7, 10),
        manager_review_due=D(2026, 7, 20),
        template=template,
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    return cycle


# --- the frozen snapshot ---------------------------------------------------------------------------


def test_the_review_snapshot_freezes_the_model_version(org, cycle):
    review = Review.objects.get(cycle=cycle, csm=org.csm_a)
    first_run = KpiRun.objects.get(period=Q2)
    frozen = review.snapshot
    assert metric(frozen, "logo_retention_expected")["value"] == "85.00"
    assert metric(frozen, "logo_retention_lift")["value"] == "3.00"
    model = {m["outcome"]: m for m in frozen["expected_model"]}
    assert set(model) == {"logo_retention", "gross_retention", "nrr"}
    fit = ExpectedFit.objects.get(run=first_run, outcome="logo_retention")
    assert model["logo_retention"]["fit"] == fit.pk and model["logo_retention"]["run"] == first_run.pk
    assert model["logo_retention"]["version"] == "expected-1"
    assert model["logo_retention"]["training_quarters"][0] == "2024-Q2"
    assert model["logo_retention"]["held_out_quarter"] == "2026-Q1"
    # A later run refits the model: the scorecard moves, the frozen review does not.
    publish(
        Q2,
        {org.csm_a: book("18", "20", "16", lift="6.00", low="2.00", high="10.00")},
        fitted_on=["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"],
        version="expected-2",
    )
    card = scorecards.scorecard(csm=org.csm_a, period=Period.parse(Q2))
    assert card.rows["logo_retention_lift"].value == Decimal("6.00")
    review.refresh_from_db()
    assert review.snapshot == frozen
    assert metric(review.snapshot, "logo_retention_lift")["value"] == "3.00"
    assert {m["outcome"]: m["version"] for m in review.snapshot["expected_model"]}[
        "logo_retention"
    ] == "expected-1"
    # The review page says which model its expected results came from, in words.
    from django.test import Client

    client = Client()
    client.force_login(org.hr)
    page = client.get(reverse("review-detail", args=[review.pk])).content.decode()
    assert "Expected results from the model fitted for Q2 2026 on 8 quarters (Q2 2024 to Q1 2026)" in page
    assert "expected-1" not in page


def test_a_lifts_interval_is_written_on_the_lifts_row_not_as_rows_of_its_own(org, cycle, client):
    """The lift 3.00 of csm_a with its ends -1.00 and 7.00: one row, "+3.00 pp (90 % interval −1.00
    to +7.00)", on the page and in the PDF, in the reader's language."""
    review = Review.objects.get(cycle=cycle, csm=org.csm_a)
    client.force_login(org.hr)
    page = client.get(reverse("review-detail", args=[review.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page.split('id="snap-logo_retention_lift"', 1)[1].split("</tr>", 1)[0]
    assert "<strong>+3.00 pp</strong>" in row and "(90% interval −1.00 to +7.00)" in row
    assert 'id="snap-logo_retention_lift_low"' not in page and 'id="snap-nrr_lift_high"' not in page
    assert "interval low" not in page and "interval high" not in page
    for language, interval in [
        ("tr", "(%90 aralığı −1,00 – +7,00)"),
        ("es", "(intervalo del 90\u00a0% de −1,00 a +7,00)"),
    ]:
        with translation.override(language):
            groups = dict(review_pdf_context(review, viewer=org.hr)["groups"])
        rows = {r["metric"].key: r for rows in groups.values() for r in rows}
        assert "logo_retention_lift_low" not in rows and "nrr_lift_high" not in rows
        assert rows["logo_retention_lift"]["interval"] == interval
        assert rows["logo_retention_expected"]["interval"] == ""


def test_a_refresh_before_submission_takes_the_new_model(org, cycle):
    review = Review.objects.get(cycle=cycle, csm=org.csm_a)
    publish(
        Q2,
        {org.csm_a: book("18", "20", "16", lift="6.00")},
        fitted_on=["2025-Q4", "2026-Q1"],
        version="expected-2",
    )
    review = review_services.review_refresh_snapshot(user=org.hr, review=review, version=review.version)
    review = Review.objects.get(pk=Review.objects.get(cycle=cycle, csm=org.csm_a).pk)
    assert {m["version"] for m in review.snapshot["expected_model"]} == {"expected-2"}
    assert metric(review.snapshot, "logo_retention_lift")["value"] == "6.00"


def test_a_snapshot_of_a_run_without_fits_says_no_model(org):
    publish(Q2, {org.csm_a: book("18", "20", "17")}, fitted_on=["2026-Q1"])
    ExpectedFit.objects.all().delete()
    snap = snapshot.snapshot_build(csm=org.csm_a, period=Q2)
    assert snap["expected_model"] == []


# --- weighing the lift -----------------------------------------------------------------------------


def test_the_default_template_weighs_the_lifts_instead_of_the_raw_retention(db):
    assert {"nrr_lift", "logo_retention_lift"} <= set(DEFAULT_KPI_WEIGHTS)
    assert not {"nrr", "logo_retention", "portfolio_growth_rate"} & set(DEFAULT_KPI_WEIGHTS)
    assert DEFAULT_KPI_WEIGHTS["nrr_lift"] == {"weight": 3, "floor": -6, "target": 0, "stretch": 6}
    assert DEFAULT_KPI_WEIGHTS["logo_retention_lift"] == {"weight": 2, "floor": -5, "target": 0, "stretch": 5}
    snapshot.template_validate(
        sections=[{"key": "a", "title": "A"}],
        rating_scale=[{"value": 1}, {"value": 2}],
        kpi_weights=DEFAULT_KPI_WEIGHTS,
    )
    assert snapshot.template_warnings(kpi_weights=DEFAULT_KPI_WEIGHTS) == []
    # A lift and its raw rate are different quantities (no warning); both may be weighed.
    assert (
        snapshot.template_warnings(
            kpi_weights={"nrr": CSAT | {"floor": 90, "target": 100, "stretch": 110}, "nrr_lift": LIFT}
        )
        == []
    )


@pytest.mark.parametrize("key", ["nrr_expected", "logo_retention_lift_low", "gross_retention_lift_high"])
def test_a_template_weighs_a_lift_never_its_expected_value_or_interval(key):
    with pytest.raises(ValidationError) as exc:
        snapshot.template_validate(
            sections=[{"key": "a", "title": "A"}],
            rating_scale=[{"value": 1}, {"value": 2}],
            kpi_weights={key: {"weight": 1, "floor": -5, "target": 0, "stretch": 5}},
        )
    assert "weigh the lift itself" in exc.value.message_dict["kpi_weights"][0]


def _template(**weights) -> ReviewTemplate:
    return ReviewTemplate(
        name="t",
        sections=[],
        rating_scale=[{"value": v, "label": str(v)} for v in (1, 2, 3, 4, 5)],
        kpi_weights=weights,
        okr_weight=0,
        min_samples={},
    )


def _snap(**values):
    return {"metrics": [{"metric": k, "value": v, "sample_size": 12} for k, v in values.items()]}


def test_the_suggested_rating_weighs_the_lift_by_hand():
    # nrr_lift +3.00 is halfway from the target 0 to the stretch 6: 3 + 0.5 x 2 = 4.00. CSAT 80 is at
    # its target: 3.00. Weighted 3 and 1: (3 x 4 + 1 x 3) / 4 = 3.75.
    rating, detail = snapshot.suggested_rating(
        template=_template(nrr_lift=LIFT, csat=CSAT), snapshot=_snap(nrr_lift="3.00", csat="80.00")
    )
    assert rating == Decimal("3.75") and detail["rounded"] == 4
    assert {p["metric"]: p["rating"] for p in detail["parts"]} == {"nrr_lift": "4.00", "csat": "3.00"}


def test_a_lift_with_no_number_is_left_out_its_weight_shared_and_said():
    template = _template(nrr_lift=LIFT, csat=CSAT)
    rating, detail = snapshot.suggested_rating(template=template, snapshot=_snap(nrr_lift=None, csat="80.00"))
    # Only CSAT is left: 3.00 with the whole weight (1 of 4).
    assert rating == Decimal("3.00")
    assert (
        detail["left_out"][0]["metric"] == "nrr_lift" and detail["left_out"][0]["reason"] == "no_expectation"
    )
    assert (detail["weight_total"], detail["weight_used"]) == ("4", "1")
    shown = explain.suggested_explained(rating, detail, template)
    assert [m["why"] for m in shown["left_out"]] == [
        "no lift: not enough data for an expected result (a small book, too little history or a model "
        "withheld)"
    ]
    # Every part without a number: no suggested rating, never an error.
    rating, detail = snapshot.suggested_rating(
        template=_template(nrr_lift=LIFT), snapshot=_snap(nrr_lift=None)
    )
    assert rating is None and detail["weight_used"] == "0"


# --- the funnel plot, by hand ----------------------------------------------------------------------


def test_funnel_limits_worked_by_hand_without_over_dispersion():
    # Four books, each expected to lose 4 accounts, that lost 2, 6, 4 and 4: z = (O/E - 1) x sqrt(E)
    # = -1, 1, 0, 0; the mean of z² is 0.5, not above 1: φ = 1.
    points = [funnel.Point(key=i, accounts=20, observed=o, expected=4.0) for i, o in enumerate((2, 6, 4, 4))]
    assert [p.z for p in points] == [-1.0, 1.0, 0.0, 0.0]
    assert funnel.overdispersion(points) == 1.0
    # At E = 4: 1 ± 1.959964 x sqrt(1/4) = 0.020018 to 1.979982; 99.8 %: 1 ± 3.090232 x 0.5 = 0 (clipped) to 2.545116.
    low, high = funnel.limits(4.0, 1.0, funnel.Z95)
    assert (round(low, 6), round(high, 6)) == (0.020018, 1.979982)
    low, high = funnel.limits(4.0, 1.0, funnel.Z998)
    assert (low, round(high, 6)) == (0.0, 2.545116)
    # At E = 16 the funnel is half as wide: 1 ± 1.959964 x 0.25.
    assert tuple(round(x, 6) for x in funnel.limits(16.0, 1.0, funnel.Z95)) == (0.510009, 1.489991)
    assert [funnel.where(p, 1.0) for p in points] == ["inside"] * 4


def test_funnel_over_dispersion_widens_the_limits_by_hand():
    # Lost 0, 8, 8, 0 of 4 expected each: z = -2, 2, 2, -2; φ = mean(z²) = 4.
    points = [funnel.Point(key=i, accounts=20, observed=o, expected=4.0) for i, o in enumerate((0, 8, 8, 0))]
    assert funnel.overdispersion(points) == 4.0
    # 95 % at E = 4: 1 ± 1.959964 x sqrt(4/4) = 0 (clipped from -0.959964) to 2.959964; 99.8 %: 0 to 4.090232.
    assert funnel.limits(4.0, 4.0, funnel.Z95) == (0.0, pytest.approx(2.959964))
    assert funnel.limits(4.0, 4.0, funnel.Z998) == (0.0, pytest.approx(4.090232))
    assert [funnel.where(p, 4.0) for p in points] == ["inside"] * 4
    # Without the correction the books that lost 8 (O/E = 2) would be beyond the 95 % limit 1.979982.
    assert funnel.where(points[1], 1.0) == "high_95"
    # Lost 14 of 4 (O/E = 3.5): beyond the corrected 95 % limit, within the 99.8 % one (4.090232);
    # lost 17 (4.25): beyond both.
    assert funnel.where(funnel.Point(key=9, accounts=20, observed=14, expected=4.0), 4.0) == "high_95"
    assert funnel.where(funnel.Point(key=9, accounts=20, observed=17, expected=4.0), 4.0) == "high_998"


def test_winsorising_sets_the_tenth_at_each_end_to_the_next_value_inward():
    # n = 10: one value at each end. -5 becomes -1 and 9 becomes 1; the rest stay.
    assert funnel.winsorised([0, -5, 0, -1, 0, 9, 0, 1, 0, 0]) == [0, -1, 0, -1, 0, 1, 0, 1, 0, 0]
    # Under 10 values nothing is winsorised.
    assert funnel.winsorised([-5, 9, 0]) == [-5, 9, 0]


def test_a_book_becomes_a_point_from_its_snapshot_by_hand():
    snap = {
        "metrics": [
            {"metric": "logo_retention", "value": "70.00", "numerator": "7", "denominator": "10"},
            {"metric": "logo_retention_expected", "value": "85.00", "numerator": "8.5", "denominator": "10"},
        ]
    }
    p = funnel.point_of("x", snap)
    # Lost 10 - 7 = 3, expected to lose 10 - 8.5 = 1.5: O/E = 2, z = 1 x sqrt(1.5).
    assert (p.accounts, p.observed, p.expected, p.ratio) == (10, 3.0, 1.5, 2.0)
    assert p.z == pytest.approx(math.sqrt(1.5))
    snap["metrics"][1]["value"] = None
    assert "no expected result" in funnel.point_of("x", snap)


# --- the calibration page --------------------------------------------------------------------------


def _to_calibration(org, cycle):
    cycle_services.cycle_start_calibration(user=org.hr, cycle=cycle, override_reason="Quarter review day")
    return cycle


def test_the_calibration_page_draws_the_funnel_with_a_table_and_its_words(org, cycle, client):
    _to_calibration(org, cycle)
    s = selectors.calibration_session(cycle=cycle, viewer=org.hr)
    f = s["funnel"]
    # Expected losses: CSM A 20 - 17 = 3 (lost 2), CSM A2 10 - 9 = 1 (lost 2); CSM B was expected to
    # lose none. z: (2/3 - 1) x sqrt(3) = -0.57735, (2 - 1) x 1 = 1: mean z² = (1/3 + 1) / 2 = 0.6667: φ = 1.
    assert f["phi"] == 1.0
    rows = {r["csm"].name: r for r in f["rows"]}
    assert set(rows) == {"CSM A", "CSM A2"}
    assert (rows["CSM A"]["observed"], rows["CSM A"]["expected"]) == (2.0, 3.0)
    assert rows["CSM A2"]["ratio"] == 2.0
    # At E = 1: 1 ± 1.959964: O/E = 2 is inside (upper 2.959964).
    assert rows["CSM A2"]["where"] == "inside" and round(rows["CSM A2"]["high95"], 6) == 2.959964
    assert [m["csm"].name for m in f["missing"]] == ["CSM B"]
    client.force_login(org.hr)
    page = client.get(reverse("cycle-calibration", args=[cycle.pk])).content.decode()
    funnel_card = page.split('id="funnel"')[1].split('<div class="card"')[0]
    assert '<img class="chart-img" src="data:image/svg+xml;base64,' in funnel_card
    assert (
        'alt="Funnel plot of accounts lost against expected: 2 books, 2 within the 95 % limits.'
        in funnel_card
    )
    assert "CSM B" in funnel_card and "expected no account of this book to be lost" in funnel_card
    assert "rank" not in funnel_card.lower()
    # The table lists the books by name (CSM A before CSM A2), never by ratio.
    assert funnel_card.index("CSM A<") < funnel_card.index("CSM A2<")


def test_the_nine_box_can_place_by_the_lift(org, cycle, client):
    for csm, rating in ((org.csm_a, 3), (org.csm_a2, 4)):
        r = Review.objects.get(cycle=cycle, csm=csm)
        r.status, r.final_rating = "submitted", rating
        r.save()
    _to_calibration(org, cycle)
    s = selectors.calibration_session(cycle=cycle, viewer=org.hr, axis="logo_retention_lift")
    where = {
        p["csm"].name: (ri, ci)
        for ri, row in enumerate(s["grid"])
        for ci, cell in enumerate(row)
        for p in cell
    }
    # CSM A: interval -1.00 to 7.00 holds 0: as expected (middle column); rating 3: the middle row.
    # CSM A2: -8.00 to -0.50, all below 0: below expected (first column); rating 4: the top row.
    assert where == {"CSM A": (1, 1), "CSM A2": (0, 0)}
    assert s["axis"] == "logo_retention_lift"
    client.force_login(org.hr)
    page = client.get(
        reverse("cycle-calibration", args=[cycle.pk]) + "?axis=logo_retention_lift"
    ).content.decode()
    assert "Below expected (the whole 90 % interval under 0)" in page
    assert 'value="logo_retention_lift" selected' in page
    # An axis the page does not offer falls back to the KPI percentile.
    assert selectors.calibration_session(cycle=cycle, viewer=org.hr, axis="nrr")["axis"] == "percentile"


def test_the_kpi_percentile_counts_a_lift_with_no_number_by_its_raw_rate():
    from types import SimpleNamespace

    review = SimpleNamespace(
        cycle=SimpleNamespace(template=SimpleNamespace(kpi_weights={"nrr_lift": LIFT, "csat": CSAT})),
        snapshot={
            "metrics": [
                {"metric": "nrr_lift", "value": None, "segment_percentile": None},
                {"metric": "nrr", "value": "97.00", "segment_percentile": "40.0"},
                {"metric": "csat", "value": "80.00", "segment_percentile": "60.0"},
            ]
        },
    )
    # No lift: NRR's percentile 40 stands in; with CSAT's 60 the mean is 50.0.
    assert selectors.kpi_percentile(review) == Decimal("50.0")
    review.snapshot["metrics"][0].update(value="2.00", segment_percentile="90.0")
    # With a lift its own percentile counts: (90 + 60) / 2 = 75.0.
    assert selectors.kpi_percentile(review) == Decimal("75.0")
