"""Expected results and lift (docs/metrics.md, "Expected results and lift"), worked out by hand.

The organisation: two CSMs, ann and bob, and 40 accounts paying 1000 at the start of every quarter
from 2025-Q3 to 2026-Q3, all SMB, signed in 2020 (one tenure band, one size band), 20 in good health
at each quarter's start and 20 in poor health. In each quarter of the history (2025-Q3 to 2026-Q2)
1 good and 6 poor accounts churn and are replaced by new ones. So, with a weak penalty, the fitted
model reproduces each cell's history: P(still paying | good) = 19/20 = 95 %, P(... | poor) = 14/20
= 70 %, and the same for gross and net revenue retention (a churned account keeps 0 of its 1000).

In 2026-Q3 ann holds 15 good and 5 poor accounts and keeps all 20; bob holds 5 good and 15 poor
and loses 6 poor ones.

    ann: expected (15 x 0.95 + 5 x 0.70) / 20 = 88.75 %, observed 100 %, raw lift +11.25
    bob: expected (5 x 0.95 + 15 x 0.70) / 20 = 76.25 %, observed 70 %, raw lift -6.25
    sampling variances (pp^2): ann (15 x 0.95 x 0.05 + 5 x 0.7 x 0.3) / 400 x 10^4 = 44.0625
                               bob (5 x 0.0475 + 15 x 0.21) / 400 x 10^4 = 84.6875
    tau^2 = mean of lift^2 - mean of variances = (126.5625 + 39.0625) / 2 - (44.0625 + 84.6875) / 2 = 18.4375
    ann: weight 18.4375 / 62.5 = 0.295, lift 0.295 x 11.25 = 3.32,
         interval 3.31875 -+ 1.6449 x sqrt(0.295 x 44.0625) = -2.61 to 9.25
    bob: weight 18.4375 / 103.125 = 0.17879, lift -1.12,
         interval -1.11742 -+ 1.6449 x sqrt(0.17879 x 84.6875) = -7.52 to 5.28

The same for gross revenue retention (a binary outcome: its dispersion is 1). Net revenue retention's
variance is the quasi-Poisson phi x mu, phi = the mean over the history's accounts of (y - mu)^2 / mu:
per quarter good 19 x 0.05^2 / 0.95 + 0.95^2 / 0.95 = 1.0, poor 14 x 0.3^2 / 0.7 + 6 x 0.7^2 / 0.7 = 6.0,
over 40 accounts phi = 7 / 40 = 0.175; variances good 0.175 x 0.95 = 0.16625, poor 0.1225.
    ann (15 x 0.16625 + 5 x 0.1225) / 400 x 10^4 = 77.65625; bob (5 x 0.16625 + 15 x 0.1225) / 400 x 10^4 = 66.71875
    tau^2 = 82.8125 - (77.65625 + 66.71875) / 2 = 10.625
    ann: weight 10.625 / 88.28125 = 0.12035, lift 1.35, interval 1.35398 -+ 1.6449 x 3.05717 = -3.67 to 6.38
    bob: weight 10.625 / 77.34375 = 0.13737, lift -0.86, interval -0.85859 -+ 1.6449 x 3.02745 = -5.84 to 4.12
"""

import datetime
import json
from decimal import Decimal

import pytest

from activity.models import HealthSnapshot
from kpis import services
from kpis.engine import expected, reasons
from kpis.models import ExpectedFit, KpiValue
from kpis.periods import Period
from tests import factories
from tests.kpis.expected_world import Life, build

Q3 = Period.parse("2026-Q3")
SUFFIXES = ("expected", "lift", "lift_low", "lift_high")
HISTORY = [Period.parse(q) for q in ("2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2")]


@pytest.fixture
def hand(db, settings):
    settings.KPI_EXPECTED_L2 = 1e-6  # weak: a cell's expectation is its history's rate
    settings.KPI_EXPECTED_MIN_HISTORY_ACCOUNTS = 100
    team = factories.TeamFactory(name="T")
    ann = factories.CsmFactory(email="ann@example.com", team=team)
    bob = factories.CsmFactory(email="bob@example.com", team=team)
    lives = []
    # The 40 accounts alive at 2025-Q3's start; each quarter 1 good and 6 poor churn, new ones replace them.
    alive = [Life(ann, HISTORY[0]) for _ in range(20)] + [Life(ann, HISTORY[0]) for _ in range(20)]
    good, poor = alive[:20], alive[20:]
    lives += alive
    for q in HISTORY:
        for life in good:
            life.bands[str(q)] = "good"
        for life in poor:
            life.bands[str(q)] = "poor"
        good[0].churns_in = q
        for life in poor[:6]:
            life.churns_in = q
        fresh_good = [Life(ann, q.next())]
        fresh_poor = [Life(ann, q.next()) for _ in range(6)]
        lives += fresh_good + fresh_poor
        good = good[1:] + fresh_good
        poor = poor[6:] + fresh_poor
    for life in good:
        life.bands[str(Q3)] = "good"
    for life in poor:
        life.bands[str(Q3)] = "poor"
    for life in good[:15] + poor[:5]:
        life.csm = ann
    for life in good[15:] + poor[5:]:
        life.csm = bob
    for life in poor[5:11]:
        life.churns_in = Q3
    accounts = build(lives)
    return {"ann": ann, "bob": bob, "team": team, "accounts": accounts, "lives": lives}


def values(subject):
    return {v.metric: v for v in KpiValue.objects.filter(subject_key=subject, period=str(Q3))}


def test_hand_worked_expected_and_shrunk_lifts(hand):
    services.kpi_run_compute(period=Q3)
    ann, bob = values(f"csm:{hand['ann'].pk}"), values(f"csm:{hand['bob'].pk}")
    assert ann["logo_retention"].value == Decimal("100.00")
    assert bob["logo_retention"].value == Decimal("70.00")
    by_hand = {
        "logo_retention": ((3.32, -2.61, 9.25), (-1.12, -7.52, 5.28)),
        "gross_retention": ((3.32, -2.61, 9.25), (-1.12, -7.52, 5.28)),
        "nrr": ((1.35, -3.67, 6.38), (-0.86, -5.84, 4.12)),
    }
    for key, worked in by_hand.items():
        assert float(ann[f"{key}_expected"].value) == pytest.approx(88.75, abs=0.02), key
        assert float(bob[f"{key}_expected"].value) == pytest.approx(76.25, abs=0.02), key
        for vals, (lift, low, high) in zip((ann, bob), worked, strict=True):
            assert float(vals[f"{key}_lift"].value) == pytest.approx(lift, abs=0.02), key
            assert float(vals[f"{key}_lift_low"].value) == pytest.approx(low, abs=0.03), key
            assert float(vals[f"{key}_lift_high"].value) == pytest.approx(high, abs=0.03), key
        # Stored like every KPI: the book's size, observed over expected, the raw lift kept.
        assert ann[f"{key}_expected"].sample_size == 20
        assert ann[f"{key}_lift"].numerator == ann[key].value  # the observed value, the same number
        assert Decimal(ann[f"{key}_lift"].breakdown["raw_lift"]) == pytest.approx(
            Decimal("11.25"), abs=Decimal("0.02")
        )
    # The fits are stored with the run: inputs, coefficients, calibration on the held-out quarter.
    fit = ExpectedFit.objects.get(run=ann["logo_retention_lift"].run, outcome="logo_retention")
    assert fit.status == "ok"
    assert fit.training_quarters == [str(q) for q in HISTORY] and fit.held_out_quarter == "2026-Q2"
    assert "health=poor" in fit.inputs and set(fit.coefficients) == set(fit.inputs)
    assert fit.calibration["predicted"] == pytest.approx(82.5, abs=0.05)  # (19 + 14) / 40
    assert fit.calibration["actual"] == 82.5 and fit.calibration["slope"] == pytest.approx(1.0, abs=0.01)
    # The team: 40 accounts, expected (20 x 0.95 + 20 x 0.70) / 40 = 82.5 %, observed 34 / 40 = 85 %.
    team = values(f"team:{hand['team'].pk}")
    assert float(team["logo_retention_expected"].value) == pytest.approx(82.5, abs=0.02)
    assert team["logo_retention"].value == Decimal("85.00")


def test_the_drill_down_rows_add_up_to_the_stored_figures(hand):
    services.kpi_run_compute(period=Q3)
    for name in ("ann", "bob"):
        stored = values(f"csm:{hand[name].pk}")
        rows = expected.account_expectations(csm_id=hand[name].pk, period=Q3)
        assert len(rows) == 20
        assert {r.row.health for r in rows} == {"good", "poor"}
        start = sum(r.row.mrr_start for r in rows)
        paying = sum(r.expected_paying for r in rows) / len(rows) * 100
        kept = sum(r.expected_kept for r in rows) / start * 100
        end = sum(r.expected_end for r in rows) / start * 100
        assert paying.quantize(Decimal("0.01")) == stored["logo_retention_expected"].value
        assert kept.quantize(Decimal("0.01")) == stored["gross_retention_expected"].value
        assert end.quantize(Decimal("0.01")) == stored["nrr_expected"].value
        observed = Decimal(sum(r.row.paying for r in rows)) / len(rows) * 100
        assert observed.quantize(Decimal("0.01")) == stored["logo_retention"].value
        net = sum(r.row.mrr_end for r in rows) / start * 100
        assert net.quantize(Decimal("0.01")) == stored["nrr"].value


def test_end_of_quarter_health_changes_no_expectation(hand):
    services.kpi_run_compute(period=Q3)
    before = {v.subject_key + v.metric: v.value for v in KpiValue.objects.filter(period=str(Q3))}
    # Every account's health turns poor during the quarter: known only after its start.
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(account=a, date=day, score=5, band="poor")
        for a in hand["accounts"]
        for day in (datetime.date(2026, 7, 2), datetime.date(2026, 9, 25))
    )
    services.kpi_run_compute(period=Q3)
    after = {v.subject_key + v.metric: v.value for v in KpiValue.objects.filter(period=str(Q3))}
    keys = {k for k in before if "expected" in k or "lift" in k}
    assert keys and all(before[k] == after[k] for k in keys)
    assert any(before[k] is not None for k in keys)


def test_too_little_history_says_so(hand):
    # 2025-Q4 has one earlier quarter with paying accounts (2025-Q3): at least 2 are needed.
    period = Period.parse("2025-Q4")
    services.kpi_run_compute(period=period)
    ann = {
        v.metric: v for v in KpiValue.objects.filter(subject_key=f"csm:{hand['ann'].pk}", period=str(period))
    }
    assert ann["logo_retention"].value is not None
    for key in ("logo_retention", "gross_retention", "nrr"):
        for suffix in ("expected", "lift", "lift_low", "lift_high"):
            v = ann[f"{key}_{suffix}"]
            assert v.value is None
            # Stored as a key and its parameters, put into words when shown.
            assert v.breakdown == {"reason": "few_history_quarters", "reason_params": {"n": 1, "min": 2}}
            assert reasons.of_breakdown(v.breakdown) == (
                "Not enough history: 1 earlier quarter with paying accounts, at least 2 needed."
            )
    fit = ExpectedFit.objects.get(run__period=str(period), outcome="nrr")
    assert fit.status == "no_history" and fit.intercept is None
    assert (fit.reason, fit.reason_params) == ("few_history_quarters", {"n": 1, "min": 2})


def test_a_book_below_the_minimum_has_no_lift_and_no_interval(hand, settings):
    settings.KPI_EXPECTED_MIN_BOOK = 21  # both books hold 20 starting accounts
    services.kpi_run_compute(period=Q3)
    ann = values(f"csm:{hand['ann'].pk}")
    assert float(ann["logo_retention_expected"].value) == pytest.approx(88.75, abs=0.02)
    for suffix in ("lift", "lift_low", "lift_high"):
        v = ann[f"logo_retention_{suffix}"]
        assert v.value is None
        assert v.breakdown == {"reason": "small_book", "reason_params": {"n": 20, "min": 21}}
        assert (
            reasons.of_breakdown(v.breakdown) == "Not enough data: 20 starting accounts, at least 21 needed."
        )
    # The team's 40 accounts are enough: shrunk on its own level, with its interval.
    team = values(f"team:{hand['team'].pk}")
    assert team["logo_retention_lift"].value is not None
    assert (
        team["logo_retention_lift_low"].value is not None
        and team["logo_retention_lift_high"].value is not None
    )


def test_a_badly_calibrated_model_withholds_the_lift(hand, settings):
    # The held-out quarter (2026-Q2) matches the others exactly (predicted 82.5 %, actual 82.5 %): a
    # tolerance below 0 fails any fit.
    settings.KPI_EXPECTED_MAX_CALIBRATION_GAP = -1
    services.kpi_run_compute(period=Q3)
    ann = values(f"csm:{hand['ann'].pk}")
    assert ann["nrr_expected"].value is not None
    for suffix in ("lift", "lift_low", "lift_high"):
        v = ann[f"nrr_{suffix}"]
        assert v.value is None
        assert v.breakdown["reason"] == "calibration_gap"
        params = v.breakdown["reason_params"]
        assert (params["quarter"], params["allowed"]) == ("2026-Q2", -1)
        assert params["predicted"] == pytest.approx(82.5, abs=0.05) and params["actual"] == 82.5
    assert reasons.of_breakdown(ann["logo_retention_lift"].breakdown) == (
        "Withheld: on the held-out quarter (Q2 2026) the model expected account retention of 82.5% "
        "and 82.5% happened, 0.0 points apart, more than the -1.0 allowed."
    )
    fit = ExpectedFit.objects.get(run__period=str(Q3), outcome="nrr")
    assert fit.status == "withheld" and fit.reason == "calibration_gap"


def test_a_model_that_tells_accounts_apart_badly_withholds_the_lift(hand, settings):
    # On the held-out quarter the calibration slope of logo retention is 1.0 (the fit on the earlier
    # quarters is the held-out quarter's own rates): a range that excludes 1 withholds it.
    settings.KPI_EXPECTED_SLOPE_RANGE = (1.5, 2.0)
    services.kpi_run_compute(period=Q3)
    ann = values(f"csm:{hand['ann'].pk}")
    lift = ann["logo_retention_lift"]
    assert lift.value is None and lift.breakdown["reason"] == "calibration_slope"
    assert lift.breakdown["reason_params"]["slope"] == pytest.approx(1.0, abs=0.01)
    assert reasons.of_breakdown(lift.breakdown) == (
        "Withheld: on the held-out quarter (Q2 2026) the model's account retention told accounts apart "
        "badly (calibration slope 1.00, outside 1.5 to 2.0)."
    )
    # Revenue has no slope (it is not a yes-or-no outcome): its lift is shown.
    assert ann["nrr_lift"].value is not None


def test_every_reason_in_words():
    said = {
        "not_a_quarter": ({}, "Expected results are computed for whole quarters only."),
        "no_model": ({}, "No expected-results model was fitted for this run."),
        "in_progress": ({}, "The quarter is not over: its outcome is not known yet."),
        "no_cohort": ({}, "No account of the book was paying at the quarter's start."),
        "small_book": ({"n": 1, "min": 5}, "Not enough data: 1 starting account, at least 5 needed."),
        "few_history_quarters": (
            {"n": 0, "min": 2},
            "Not enough history: 0 earlier quarters with paying accounts, at least 2 needed.",
        ),
        "few_history_accounts": (
            {"n": 1500, "min": 2000, "period": "2026-Q3"},
            "Not enough history: 1,500 accounts counted over the quarters before Q3 2026, at least 2,000 needed.",
        ),
    }
    for key, (params, words) in said.items():
        assert reasons.in_words(key, params) == words, key
    # A fit stored before reasons were keys held its sentence: shown as it is.
    assert reasons.in_words("An older sentence.") == "An older sentence."
    assert reasons.of_breakdown({}) == "" and reasons.of_breakdown({"raw_lift": "1.00"}) == ""


def test_interval_null_iff_lift_null(hand, settings):
    settings.KPI_EXPECTED_MIN_BOOK = 21
    services.kpi_run_compute(period=Q3)
    for subject in {v.subject_key for v in KpiValue.objects.filter(period=str(Q3))}:
        vals = values(subject)
        for key in ("logo_retention", "gross_retention", "nrr"):
            nulls = {vals[f"{key}_{s}"].value is None for s in ("lift", "lift_low", "lift_high")}
            assert len(nulls) == 1, (subject, key)


def test_shrinkage_by_hand():
    tau2, shrunk = expected.shrink([11.25, -6.25], [44.0625**0.5, 84.6875**0.5])
    assert tau2 == pytest.approx(18.4375)
    assert shrunk[0].weight == pytest.approx(0.295)
    assert shrunk[0].lift == pytest.approx(3.31875)
    assert shrunk[1].lift == pytest.approx(-6.25 * 18.4375 / 103.125)
    assert shrunk[0].low == pytest.approx(3.31875 - 1.6448536 * (0.295 * 44.0625) ** 0.5)
    # No spread beyond chance: every lift is 0, and so is its interval.
    tau2, shrunk = expected.shrink([1.0, -1.0], [3.0, 3.0])
    assert tau2 == 0 and all(s.lift == 0 and s.low == 0 == s.high for s in shrunk)


def test_the_export_and_the_api_carry_the_keys_for_every_csm(hand, capsys):
    from django.core.management import call_command
    from rest_framework.test import APIClient

    call_command("compute_kpis", period="2026-Q3")
    capsys.readouterr()
    call_command("export_kpis", period="2026-Q3", format="json")
    rows = json.loads(capsys.readouterr().out)
    keys = [f"{o}_{s}" for o in ("logo_retention", "gross_retention", "nrr") for s in SUFFIXES]
    by_csm = {(r["subject"], r["metric"]): r["value"] for r in rows}
    for email in ("ann@example.com", "bob@example.com"):
        for key in keys:
            assert (email, key) in by_csm, (email, key)
    assert by_csm[("ann@example.com", "logo_retention_expected")] == "88.75"
    assert by_csm[("ann@example.com", "logo_retention_lift")] == "3.32"
    assert by_csm[("bob@example.com", "nrr_lift_high")] == "4.12"
    client = APIClient()
    client.force_authenticate(hand["ann"])
    response = client.get(
        "/api/v1/kpis/", {"period": "2026-Q3", "metric": "logo_retention_lift_low", "limit": 50}
    )
    assert response.status_code == 200
    assert [(r["subject"], r["value"]) for r in response.json()["results"]] == [("ann@example.com", "-2.61")]
