"""A run reuses the stored fits of its quarter while what they were fitted on is unchanged, and
fits again when a fact of a training quarter changes (kpis.engine.expected.fingerprint).

The organisation is test_expected.py's (``hand``): in the history 2025-Q3 to 2026-Q2, 80 account-
quarters in good health at the start with 4 churned (95 %), 80 in poor health with 24 churned (70 %);
in 2026-Q3 ann holds 15 good and 5 poor accounts: expected (15 x 0.95 + 5 x 0.70) / 20 = 88.75 %.
"""

import datetime
from decimal import Decimal

import pytest

from activity.models import HealthSnapshot, RevenueEvent
from kpis import services
from kpis.engine import expected
from kpis.models import ExpectedFit, KpiRun
from tests.kpis.test_expected import Q3, hand, values  # noqa: F401 - the fixture of its organisation

Q1 = "2026-Q1"


@pytest.fixture
def fits_counted(monkeypatch):
    """How many times the fits of a quarter were computed (not reused)."""
    calls = []
    real = expected.fit_quarter

    def counted(period, rows):
        calls.append(str(period))
        return real(period, rows)

    monkeypatch.setattr(expected, "fit_quarter", counted)
    return calls


def stored(run):
    return {
        f.outcome: (f.status, f.intercept, f.coefficients, f.calibration, f.fingerprint)
        for f in ExpectedFit.objects.filter(run=run)
    }


def test_a_second_run_reuses_the_fits_when_only_the_quarter_judged_changed(hand, fits_counted):  # noqa: F811
    services.kpi_run_compute(period=Q3)
    first = KpiRun.objects.get(period=str(Q3))
    assert fits_counted == ["2026-Q3"]
    # A fact of the quarter judged (ann's first good account churns in 2026-Q3): the history the fits
    # read is the same, so they are reused; the observed figure moves, the expectation does not.
    account = next(
        a
        for a, life in zip(hand["accounts"], hand["lives"], strict=True)
        if life.csm == hand["ann"] and life.bands.get(str(Q3)) == "good" and life.churns_in is None
    )
    RevenueEvent.objects.create(
        external_id="late-churn",
        account=account,
        date=datetime.date(2026, 8, 1),
        kind="churn",
        mrr_delta=Decimal("-1000"),
    )
    services.kpi_run_compute(period=Q3)
    assert fits_counted == ["2026-Q3"]  # not fitted again
    second = KpiRun.objects.filter(period=str(Q3)).exclude(pk=first.pk).get()
    assert stored(second) == stored(first)
    assert all(len(f[4]) == 64 for f in stored(second).values())
    ann = values(f"csm:{hand['ann'].pk}")
    assert ann["logo_retention"].value == Decimal("95.00")  # 19 of 20 still pay
    assert float(ann["logo_retention_expected"].value) == pytest.approx(88.75, abs=0.02)


def test_a_changed_fact_of_a_training_quarter_fits_again(hand, fits_counted):  # noqa: F811
    services.kpi_run_compute(period=Q3)
    first = KpiRun.objects.get(period=str(Q3))
    # An account in good health at 2026-Q1's start that kept paying through it turns out to have
    # been in poor health then (a reading 2 days before the start, the latest in its window).
    account = next(
        a
        for a, life in zip(hand["accounts"], hand["lives"], strict=True)
        if life.bands.get(Q1) == "good" and life.churns_in is None
    )
    HealthSnapshot.objects.create(account=account, date=datetime.date(2025, 12, 30), score=20, band="poor")
    services.kpi_run_compute(period=Q3)
    assert fits_counted == ["2026-Q3", "2026-Q3"]  # fitted again
    second = KpiRun.objects.filter(period=str(Q3)).exclude(pk=first.pk).get()
    assert stored(second)["nrr"][4] != stored(first)["nrr"][4]
    # Good: 79 account-quarters, 4 churned (75/79); poor: 81, 24 churned (57/81).
    # ann: (15 x 75/79 + 5 x 57/81) / 20 = 88.795 %.
    ann = values(f"csm:{hand['ann'].pk}")
    assert float(ann["logo_retention_expected"].value) == pytest.approx(88.795, abs=0.02)


def test_a_changed_setting_of_the_fit_fits_again(hand, fits_counted, settings):  # noqa: F811
    services.kpi_run_compute(period=Q3)
    settings.KPI_EXPECTED_MAX_CALIBRATION_GAP = 4.0  # the status of a fit depends on it
    services.kpi_run_compute(period=Q3)
    assert fits_counted == ["2026-Q3", "2026-Q3"]
