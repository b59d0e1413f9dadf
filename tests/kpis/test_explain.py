"""The explain selector returns the rows behind a number, by the engine's attribution rules."""

import datetime
from decimal import Decimal

import pytest

from kpis.periods import Period
from kpis.selectors import kpi_explain
from tests.kpis import world

Q3 = Period.parse("2026-Q3")


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    return world.build()


def test_nrr_lists_the_starting_cohort(w):
    e = kpi_explain(csm=w["bob"], metric="nrr", period=Q3)
    assert [(r[0], r[2], r[3]) for r in e.rows] == [
        ("X3", Decimal("400.00"), Decimal("400.00")),
        ("X4", Decimal(600), Decimal(500)),
        ("X5", Decimal(800), Decimal(800)),
    ]


def test_service_metrics_list_the_attributed_tickets(w):
    e = kpi_explain(csm=w["bob"], metric="first_response_hours", period=Q3)
    assert [(r[1], str(r[3])) for r in e.rows] == [("X4", "1.00"), ("X3", "3.00")]


def test_nps_lists_the_responses(w):
    e = kpi_explain(csm=w["ann"], metric="nps", period=Q3)
    assert sorted(r[3] for r in e.rows) == [6, 7, 9, 10]


def test_adoption_health_stickiness_onboarding(w):
    adoption = kpi_explain(csm=w["ann"], metric="adoption_change", period=Q3)
    assert [(r[0], r[3]) for r in adoption.rows] == [("X1", "yes"), ("X2", "no"), ("X4", "no"), ("X6", "no")]
    health = kpi_explain(csm=w["ann"], metric="health_good_share", period=Q3)
    assert [(r[0], r[3]) for r in health.rows] == [
        ("X1", "good"),
        ("X2", "average"),
        ("X4", "poor"),
        ("X6", "no reading"),
    ]
    stick = kpi_explain(csm=w["ann"], metric="stickiness", period=Q3)
    assert [(r[0], r[1]) for r in stick.rows] == [
        ("X1", datetime.date(2026, 7, 6)),
        ("X4", datetime.date(2026, 8, 10)),
        ("X1", datetime.date(2026, 9, 7)),
    ]
    onb = kpi_explain(csm=w["ann"], metric="onboarding_days", period=Q3)
    assert sorted(r[3] for r in onb.rows) == [10, 20, 30, 40]


def test_unknown_metric():
    with pytest.raises(KeyError):
        kpi_explain(csm=None, metric="vibes", period=Q3)
