"""Scorecard, team dashboard, drill-down, account page and the scorecard API: values, colours,
"no data", permissions for every role, and query counts that do not grow."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import CustomerAccount
from kpis import services
from kpis.models import KpiRun
from kpis.periods import Period
from kpis.registry import REGISTRY
from kpis.scorecards import change_class, percentile_rank
from tests import factories
from tests.demo_snapshot import built_once
from tests.kpis import world

Q3 = Period.parse("2026-Q3")
AS_OF = datetime.date(2026, 11, 1)


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    # Built by the first test, copied back for the others (tests/demo_snapshot.py).
    return built_once(("tests/kpis/test_scorecard_pages.py", "w"), _build_w)


def _build_w():
    w = world.build()
    services.kpi_run_compute(period=Q3.previous(), as_of=AS_OF)
    services.kpi_run_compute(period=Q3, as_of=AS_OF)
    w["manager_a"] = w["team_a"].manager
    w["manager_b"] = w["team_b"].manager
    w["hr"] = factories.HrFactory(email="hr@example.com")
    w["admin"] = factories.AdminFactory(email="admin@example.com")
    return w


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_scorecard_shows_the_engines_values(client, w):
    html = page(
        client, w["bob"], reverse("scorecard", args=[w["bob"].pk]) + "?period=2026-Q3"
    ).content.decode()
    assert "94.44%" in html  # NRR of bob, worked out in test_compute
    assert "-100.00" in html  # portfolio growth
    assert "2.00 h" in html  # first response, even-count median
    assert "SaaS median (Gainsight benchmarking data, SaaStr workshop, 2024)" in html
    assert "<strong>106%</strong>" in html
    assert "seed article" not in html and not re.search(r"\b\d{3}_[0-9a-f]{16}\b", html)  # no file name
    assert "Tracked, not scored" in html
    assert "Complete period" in html


def test_no_data_is_shown_as_no_data_never_zero(client, w):
    html = page(client, w["dan"], reverse("my-scorecard") + "?period=2026-Q3").content.decode()
    row = html.split('id="metric-nrr"')[1].split("</tr>")[0]
    assert "no data" in row and "0.00%" not in row


def test_direction_colouring():
    nrr, frh = REGISTRY["nrr"], REGISTRY["first_response_hours"]
    assert change_class(nrr, 5) == "better" and change_class(nrr, -5) == "worse"
    assert change_class(frh, -1) == "better" and change_class(frh, 1) == "worse"
    assert change_class(nrr, 0) == "same" and change_class(REGISTRY["touchpoints"], 3) == ""


def test_change_is_coloured_on_the_page(client, w, settings):
    settings.KPI_MIN_SAMPLE = {"nps": 1}  # ann's 4 NPS responses count here (few data)
    html = page(client, w["ann"], reverse("my-scorecard") + "?period=2026-Q3").content.decode()
    # ann's NPS went from 0 (Q2) to 25: higher is better.
    row = html.split('id="metric-nps"')[1].split("</tr>")[0]
    assert 'class="num change better"' in row and "+25.00" in row


def test_percentile_rank_counts_ties_as_half():
    # (worse + ties / 2) / n x 100, the CSM counted among the ties.
    assert round(percentile_rank(10, [10, 20, 30], "higher"), 2) == Decimal("16.67")
    assert round(percentile_rank(30, [10, 20, 30], "higher"), 2) == Decimal("83.33")
    assert round(percentile_rank(10, [10, 20, 30], "lower"), 2) == Decimal("83.33")
    assert percentile_rank(20, [20, 20], "higher") == Decimal(50)
    assert percentile_rank(None, [1], "higher") is None


def test_team_dashboard_rollup_and_sort(client, w):
    url = reverse("team-detail", args=[w["team_a"].pk]) + "?period=2026-Q3&sort=-nrr"
    html = page(client, w["manager_a"], url).content.decode()
    assert "96.97%" in html  # the team's roll-up NRR: ratio of sums
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.index(f"/scorecard/{w['ann'].pk}/") < body.index(
        f"/scorecard/{w['bob'].pk}/"
    )  # 100.00 before 94.44
    html = page(client, w["manager_a"], url.replace("-nrr", "nrr")).content.decode()
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.index(f"/scorecard/{w['bob'].pk}/") < body.index(f"/scorecard/{w['ann'].pk}/")
    html = page(
        client, w["hr"], reverse("team-detail", args=[w["team_b"].pk]) + "?period=2026-Q3&segment=enterprise"
    ).content.decode()
    assert "cat@example.com" not in html  # names, not emails, are listed
    assert f"/scorecard/{w['cat'].pk}/" in html and f"/scorecard/{w['dan'].pk}/" not in html


def test_drill_down_and_csv(client, w):
    url = reverse("explain", args=[w["bob"].pk, "nrr"]) + "?period=2026-Q3"
    html = page(client, w["manager_a"], url).content.decode()
    for ext in ("X3", "X4", "X5"):
        assert f">{ext}</a>" in html
    response = client.get(url + "&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "account,account name,starting MRR,ending MRR,change,still paying"
    assert len(lines) == 4 and lines[2].startswith("X4,X4,600")


def test_account_page(client, w):
    x4 = w["ann"].assignments.get(account__external_id="X4").account
    html = page(client, w["ann"], reverse("account-detail", args=[x4.pk])).content.decode()
    assert "X4" in html and "bob@example.com" not in html  # owners shown by name
    assert str(w["bob"]) in html and str(w["ann"]) in html


def test_freshness_banner_when_the_last_run_failed_or_is_old(client, w):
    KpiRun.objects.create(period="2026-Q4", as_of=AS_OF, status="failed", error="boom")
    html = page(client, w["ann"], reverse("my-scorecard") + "?period=2026-Q3").content.decode()
    # In words for whoever reads the scorecard; the error itself is on the KPI runs page (CS ops).
    assert "The last KPI run (Q4 2026, started " in html and ") failed. The numbers shown are from" in html
    assert "boom" not in html
    KpiRun.objects.filter(status="failed").delete()
    KpiRun.objects.update(finished_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    html = page(client, w["ann"], reverse("my-scorecard") + "?period=2026-Q3").content.decode()
    assert "more than 36 hours" in html


def test_bad_period_falls_back_with_a_message(client, w):
    response = page(client, w["ann"], reverse("my-scorecard") + "?period=last-year")
    assert response.status_code == 200
    assert "is not a period" in response.content.decode()


# --- permissions -------------------------------------------------------------------------------

SCORECARD_ACCESS = {
    # viewer: CSMs whose scorecard they may open
    "ann": {"ann"},
    "bob": {"bob"},
    "cat": {"cat"},
    "manager_a": {"ann", "bob"},
    "manager_b": {"cat", "dan"},
    "hr": {"ann", "bob", "cat", "dan"},
    "admin": {"ann", "bob", "cat", "dan"},
}


@pytest.mark.parametrize("viewer", sorted(SCORECARD_ACCESS))
def test_scorecard_explain_and_api_permissions(client, w, viewer):
    api = APIClient()
    api.force_authenticate(w[viewer])
    client.force_login(w[viewer])
    for target in ("ann", "bob", "cat", "dan"):
        expected = 200 if target in SCORECARD_ACCESS[viewer] else 404
        pk = w[target].pk
        assert client.get(reverse("scorecard", args=[pk])).status_code == expected, (viewer, target)
        assert client.get(reverse("explain", args=[pk, "nrr"])).status_code == expected, (viewer, target)
        assert api.get(f"/api/v1/scorecards/{pk}/").status_code == expected, (viewer, target)


TEAM_ACCESS = {
    "ann": set(),
    "cat": set(),
    "manager_a": {"team_a"},
    "manager_b": {"team_b"},
    "hr": {"team_a", "team_b"},
    "admin": {"team_a", "team_b"},
}


@pytest.mark.parametrize("viewer", sorted(TEAM_ACCESS))
def test_team_page_permissions(client, w, viewer):
    client.force_login(w[viewer])
    for team in ("team_a", "team_b"):
        expected = 200 if team in TEAM_ACCESS[viewer] else 404
        assert client.get(reverse("team-detail", args=[w[team].pk])).status_code == expected, (viewer, team)
    assert client.get(reverse("team-list")).status_code in (
        (404,) if viewer in ("ann", "cat") else (200, 302)
    )


@pytest.mark.parametrize(
    ("viewer", "account", "expected"),
    [
        ("ann", "X1", 200),
        ("ann", "X7", 404),
        ("bob", "X1", 404),
        ("manager_a", "X1", 200),
        ("manager_b", "X1", 404),
        ("manager_b", "X7", 200),
        ("hr", "X7", 200),
    ],
)
def test_account_page_permissions(client, w, viewer, account, expected):
    pk = CustomerAccount.objects.get(external_id=account).pk
    client.force_login(w[viewer])
    assert client.get(reverse("account-detail", args=[pk])).status_code == expected


def test_anonymous_is_sent_to_login(client, w):
    for url in (reverse("my-scorecard"), reverse("scorecard", args=[w["ann"].pk]), reverse("team-list")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert APIClient().get(f"/api/v1/scorecards/{w['ann'].pk}/").status_code == 401


def test_scorecard_api_returns_what_the_page_shows(w):
    api = APIClient()
    api.force_authenticate(w["manager_a"])
    data = api.get(f"/api/v1/scorecards/{w['bob'].pk}/", {"period": "2026-Q3"}).json()
    nrr = next(m for m in data["metrics"] if m["metric"] == "nrr")
    assert nrr["value"] == "94.44" and nrr["change_is"] in ("better", "worse", "same", None)
    assert nrr["benchmark"]["value"] == "106"
    assert {m["metric"] for m in data["metrics"]} == set(REGISTRY)
    assert api.get(f"/api/v1/scorecards/{w['bob'].pk}/", {"period": "nope"}).status_code == 400


# --- query counts ------------------------------------------------------------------------------


def grow(team, n):
    for _ in range(n):
        csm = factories.CsmFactory(team=team)
        a = factories.CustomerAccountFactory()
        factories.AssignmentFactory(account=a, csm=csm)
        factories.RevenueEventFactory(account=a, date=datetime.date(2025, 6, 1))


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_page_query_counts_do_not_grow_with_csms_and_periods(client, w):
    client.force_login(w["manager_a"])
    card = reverse("scorecard", args=[w["bob"].pk]) + "?period=2026-Q3"
    board = reverse("team-detail", args=[w["team_a"].pk]) + "?period=2026-Q3"
    before = (count_queries(client, card), count_queries(client, board))
    grow(w["team_a"], 8)
    services.kpi_run_compute(period=Q3, as_of=AS_OF)
    services.kpi_run_compute(period=Q3.shift(-2), as_of=AS_OF)
    services.kpi_run_compute(period=Q3.shift(-3), as_of=AS_OF)
    after = (count_queries(client, card), count_queries(client, board))
    assert after == before
    assert max(after) <= 12
