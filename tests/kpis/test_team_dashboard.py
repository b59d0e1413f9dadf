"""The team dashboard: the roll-up row adds up the CSMs shown under any filter, outliers
coloured by direction, the sort indicator, small samples greyed, the CSV export, and a period
picker without future periods.

The world of tests/kpis/world.py, Q3 2026, with cat (Enterprise) moved into team A after the run:
team A is then ann and bob (SMB) and cat (Enterprise). By hand, from world.py's cohorts:

  CSM   cohort start MRR -> end MRR   NRR      growth
  ann   X1 1000->1200, X2 500->300    100.00   0
  bob   X3 400, X4 600->500, X5 800   94.44    -100
  cat   X7 2000->1500                 75.00    -500

  SMB (ann, bob):         3300 -> 3200   96.97 %   -100   (= team A's stored roll-up: the same CSMs)
  Enterprise (cat):       2000 -> 1500   75.00 %   -500
  everyone (ann, bob, cat): 5300 -> 4700 88.68 %   -600
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from kpis import dashboard, scorecards, services
from kpis.models import KpiValue, SubjectType
from kpis.periods import Period
from tests.kpis import world

Q3 = Period.parse("2026-Q3")
AS_OF = datetime.date(2026, 11, 1)


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    services.kpi_run_compute(period=Q3.previous(), as_of=AS_OF)
    services.kpi_run_compute(period=Q3, as_of=AS_OF)
    w["cat"].team = w["team_a"]
    w["cat"].save(update_fields=["team"])
    return w


def test_the_filtered_rollup_is_the_rollup_of_the_rows_shown(w):
    smb = dashboard.team_dashboard(team=w["team_a"], period=Q3, segment="smb")
    assert [r.csm for r in smb.rows] == [w["ann"], w["bob"]] or {r.csm.pk for r in smb.rows} == {
        w["ann"].pk,
        w["bob"].pk,
    }
    roll = {k: c.value for k, c in smb.rollup.cells.items()}
    assert roll["nrr"] == Decimal("96.97")
    assert (
        roll["portfolio_growth"]
        == Decimal("-100.00")
        == sum(r.cells["portfolio_growth"].value for r in smb.rows)
    )
    # SMB is exactly the CSMs team A had when the run computed its roll-up: every metric agrees,
    # the pooled medians and the changes against Q2 included.
    stored = {
        v.metric: v.value
        for v in KpiValue.objects.filter(team=w["team_a"], subject_type=SubjectType.TEAM, period="2026-Q3")
    }
    for key in dashboard.DASHBOARD_METRICS:
        assert roll[key] == stored.get(key), key

    enterprise = dashboard.team_dashboard(team=w["team_a"], period=Q3, segment="enterprise")
    assert [r.csm.pk for r in enterprise.rows] == [w["cat"].pk]
    assert enterprise.rollup.cells["nrr"].value == Decimal("75.00")
    assert enterprise.rollup.cells["portfolio_growth"].value == Decimal("-500.00")

    everyone = dashboard.team_dashboard(team=w["team_a"], period=Q3)
    assert everyone.rollup.cells["nrr"].value == Decimal("88.68")  # 4700 / 5300, not a mean of 100, 94.44, 75
    assert everyone.rollup.cells["portfolio_growth"].value == Decimal("-600.00")


def test_the_page_shows_the_filtered_rollup_sort_arrow_and_colours(client, w):
    client.force_login(w["team_a"].manager)
    url = reverse("team-detail", args=[w["team_a"].pk]) + "?period=2026-Q3&segment=smb&sort=-nrr"
    html = client.get(url).content.decode()
    rollup = html.split('class="rollup"')[1].split("</tr>")[0]
    assert "96.97%" in rollup and "-$100.00" in rollup
    assert 'aria-sort="descending"' in html and "▼" in html
    assert 'class="tablebox"' in html
    html = client.get(url.replace("-nrr", "nrr")).content.decode()
    assert 'aria-sort="ascending"' in html and "▲" in html


def test_outliers_are_coloured_by_direction():
    from kpis.registry import REGISTRY

    values = [Decimal(v) for v in ("10", "11", "12", "11", "30")]
    med = scorecards.median(values)
    assert dashboard.is_far(Decimal(30), values, med)
    assert scorecards.is_good_side(REGISTRY["nrr"], Decimal(30), med)  # higher is better
    assert not scorecards.is_good_side(REGISTRY["escalation_rate"], Decimal(30), med)  # lower is better
    assert dashboard.Cell(Decimal(30), far=True, good=True).far_class == "far good"
    assert dashboard.Cell(Decimal(30), far=True, good=False).far_class == "far bad"


def test_csv_export_is_the_dashboard_as_shown(client, w):
    client.force_login(w["team_a"].manager)
    url = reverse("team-detail", args=[w["team_a"].pk]) + "?period=2026-Q3&segment=smb&format=csv"
    response = client.get(url)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header = rows[0]
    nrr = header.index("MRR retention (NRR) (%)")
    assert header[header.index("Portfolio MRR growth (USD)")]
    assert len(rows) == 1 + 2 + 2  # header, ann and bob, median, roll-up
    assert rows[-1][0] == "A · SMB (roll-up)" and rows[-1][nrr] == "96.97"


def test_the_period_picker_offers_no_future_period(client, w):
    from django.utils import timezone

    client.force_login(w["team_a"].manager)
    html = client.get(reverse("team-detail", args=[w["team_a"].pk])).content.decode()
    today = timezone.localdate()
    picker = html.split('id="period"')[1].split("</select>")[0]
    options = [o.split('"')[0] for o in picker.split('value="')[1:]]
    for text in options:
        assert Period.parse(text).start <= today, text
    assert str(Period.containing(today, "month")) in options
