"""Small samples: below a metric's minimum sample a value is "few data": shown greyed
with its n, never coloured as a change, kept out of medians, percentiles and highlights.

The world of tests/kpis/world.py, Q3 2026: the NPS values rest on a handful of responses each,
below the default minimum of 5 (Metric.min_sample); KPI_MIN_SAMPLE overrides it."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kpis import dashboard, scorecards, services
from kpis.models import KpiValue
from kpis.periods import Period
from kpis.registry import REGISTRY, min_sample
from reviews.models import default_min_samples
from tests.kpis import world

Q3 = Period.parse("2026-Q3")
AS_OF = datetime.date(2026, 11, 1)


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    services.kpi_run_compute(period=Q3.previous(), as_of=AS_OF)
    services.kpi_run_compute(period=Q3, as_of=AS_OF)
    return w


def test_defaults_and_settings_override(settings):
    assert (min_sample("nps"), min_sample("csat"), min_sample("first_response_hours")) == (5, 5, 10)
    assert (min_sample("onboarding_days"), min_sample("nrr")) == (3, 0)
    settings.KPI_MIN_SAMPLE = {"nps": 10}
    assert min_sample("nps") == 10 and REGISTRY["nps"].minimum_sample == 10
    assert REGISTRY["nps"].is_few(Decimal(50), 9) and not REGISTRY["nps"].is_few(Decimal(50), 10)
    assert not REGISTRY["nps"].is_few(None, 0)  # no data is "no data", not few


def test_few_data_is_not_coloured_ranked_or_highlighted(client, w, settings):
    ann_nps = KpiValue.objects.get(csm=w["ann"], period="2026-Q3", metric="nps")
    n = ann_nps.sample_size
    assert 0 < n < 5 and ann_nps.value is not None
    card = scorecards.scorecard(csm=w["ann"], period=Q3)
    row = card.rows["nps"]
    assert (
        row.few and row.change_class == "" and row.team.percentile is None and row.segment.percentile is None
    )
    assert row.team.count == 0  # no peer's NPS counts either: all rest on fewer than 5 responses
    client.force_login(w["ann"])
    html = client.get(reverse("my-scorecard") + "?period=2026-Q3").content.decode()
    nps = html.split('id="metric-nps"')[1].split("</tr>")[0]
    assert f"few data (n = {n})" in nps and "few-value" in nps and "change better" not in nps

    board = dashboard.team_dashboard(team=w["team_a"], period=Q3)
    cells = [r.cells["nps"] for r in board.rows if r.cells["nps"].value is not None]
    assert cells and all(c.few and not c.far for c in cells)
    assert board.medians["nps"] is None  # few data stays out of the median

    settings.KPI_MIN_SAMPLE = {"nps": 1}  # the same numbers, now enough: ranked and coloured again
    row = scorecards.scorecard(csm=w["ann"], period=Q3).rows["nps"]
    assert not row.few and row.team.percentile is not None and row.change_class in ("better", "worse", "same")


def test_scorecards_of_one_period_share_their_peers_and_agree_with_a_lone_scorecard(
    w, django_assert_num_queries
):
    """Opening a review cycle builds every CSM's scorecard from the period's peers read once: one
    query per scorecard then, and the same medians and percentiles as a scorecard alone."""
    peers = scorecards.period_peers(Q3)
    for csm in ("ann", "bob", "cat", "dan"):
        alone = scorecards.scorecard(csm=w[csm], period=Q3)
        with django_assert_num_queries(1):
            shared = scorecards.scorecard(csm=w[csm], period=Q3, peers=peers)
        assert shared.as_dict() == alone.as_dict()
    # Few data stays out of the shared peers too: no NPS counts (all rest on fewer than 5 responses).
    assert all("nps" not in metrics for metrics in peers.by_team.values())


def test_a_new_review_templates_minimums_are_the_metrics_own(settings):
    """One source for "few data": the pages' minimum is the one a new review template scores with."""
    assert default_min_samples()["nps"] == 5 and default_min_samples()["first_response_hours"] == 10
    assert "nrr" not in default_min_samples()  # no minimum: every NRR counts
    settings.KPI_MIN_SAMPLE = {"nps": 12}
    assert default_min_samples()["nps"] == 12
