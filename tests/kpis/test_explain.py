"""The explain selector returns the rows behind a number, by the engine's attribution rules."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import CustomerAccount
from kpis import explaining, services
from kpis.models import KpiValue
from kpis.periods import Period
from kpis.registry import ALL_KEYS
from kpis.selectors import kpi_explain
from kpis.templatetags.kpi_format import format_value
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
    assert [(r[1], str(r[4])) for r in e.rows] == [("X4", "1.00"), ("X3", "3.00")]


def test_nps_lists_the_responses(w):
    e = kpi_explain(csm=w["ann"], metric="nps", period=Q3)
    assert sorted(r[4] for r in e.rows) == [6, 7, 9, 10]


def test_adoption_health_stickiness_onboarding(w):
    adoption = kpi_explain(csm=w["ann"], metric="adoption_change", period=Q3)
    assert [(r[0], r[5]) for r in adoption.rows] == [("X1", "yes"), ("X2", "no"), ("X4", "no"), ("X6", "no")]
    health = kpi_explain(csm=w["ann"], metric="health_good_share", period=Q3)
    assert [(r[0], r[4]) for r in health.rows] == [
        ("X1", "good"),
        ("X2", "average"),
        ("X4", "poor"),
        ("X6", "no reading"),
    ]
    stick = kpi_explain(csm=w["ann"], metric="stickiness", period=Q3)
    assert [(r[0], r[2]) for r in stick.rows] == [
        ("X1", datetime.date(2026, 7, 6)),
        ("X4", datetime.date(2026, 8, 10)),
        ("X1", datetime.date(2026, 9, 7)),
    ]
    onb = kpi_explain(csm=w["ann"], metric="onboarding_days", period=Q3)
    assert sorted(r[4] for r in onb.rows) == [10, 20, 30, 40]


def test_unknown_metric():
    with pytest.raises(KeyError):
        kpi_explain(csm=None, metric="vibes", period=Q3)


def test_a_drill_down_ends_with_the_total_that_makes_its_number(w):
    # bob's cohort: X3 400 -> 400, X4 600 -> 500, X5 800 -> 800.
    e = kpi_explain(csm=w["bob"], metric="nrr", period=Q3)
    assert e.totals == [
        ["Total", "3 accounts", Decimal("1800.00"), Decimal("1700.00"), Decimal("-100.00"), "3 of 3"]
    ]
    assert explaining.adds_up(e) == "Ending MRR $1,700.00 ÷ starting MRR $1,800.00 × 100 = 94.44%"
    # Gross retention shows the retained MRR (the smaller of start and end) of each account.
    grr = kpi_explain(csm=w["bob"], metric="gross_retention", period=Q3)
    assert [r[5] for r in grr.rows] == [Decimal("400.00"), Decimal(500), Decimal(800)]
    assert grr.totals[0][5] == Decimal("1700.00")
    # ann's adoption: of 4 accounts of the book, X1 alone has both readings: 4/10 -> 7/10, +30 pp.
    a = kpi_explain(csm=w["ann"], metric="adoption_change", period=Q3)
    assert [(r[0], r[4]) for r in a.rows] == [
        ("X1", Decimal("30.00")),
        ("X2", None),
        ("X4", None),
        ("X6", None),
    ]
    assert a.totals == [["Total", "4 accounts", "", "", Decimal("30.00"), "1 of 4"]]
    assert explaining.adds_up(a) == "Sum of the changes 30 pp ÷ accounts counted 1 = 30.00 pp"
    # ann's NPS: 10, 9, 6, 7: 2 promoters, 1 detractor of 4 responses.
    nps = kpi_explain(csm=w["ann"], metric="nps", period=Q3)
    assert nps.totals == [["Total", "", "4 responses", "", "2 promoters, 1 detractor", ""]]
    assert explaining.adds_up(nps) == "Promoters less detractors 1 ÷ responses 4 × 100 = 25.00"
    # ann's tickets per account: 3 tickets this period, 2 the previous one; books of 4 and 3.
    tpa = kpi_explain(csm=w["ann"], metric="ticket_reduction", period=Q3)
    assert [t[:3] for t in tpa.totals] == [
        ["Total this period", "", "3 tickets"],
        ["Total previous period", "", "2 tickets"],
    ]


def test_every_total_row_lines_up_with_its_columns_and_every_value_adds_up(w):
    services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 11, 1))
    for name in ("ann", "bob"):
        for metric in ALL_KEYS:
            e = kpi_explain(csm=w[name], metric=metric, period=Q3)
            assert all(len(t) == len(e.columns) for t in e.totals), (name, metric)
            assert all(len(r) == len(e.columns) for r in e.rows), (name, metric)
            if e.rows:
                assert e.totals, (name, metric)
                assert e.account_column is not None and e.columns[e.account_column + 1] == "account name"
            stored = KpiValue.objects.get(subject_key=f"csm:{w[name].pk}", period="2026-Q3", metric=metric)
            if stored.value is not None:
                assert explaining.adds_up(e).endswith(format_value(stored.value, metric)), (name, metric)


def test_the_page_names_accounts_totals_and_the_day_of_a_period_in_progress(w, client):
    CustomerAccount.objects.filter(external_id="X1").update(name="Acme Labs")
    services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 8, 20))
    client.force_login(w["ann"])
    url = reverse("explain", args=[w["ann"].pk, "nrr"]) + "?period=2026-Q3"
    html = client.get(url).content.decode()
    x1 = CustomerAccount.objects.get(external_id="X1")
    assert f'<a href="{reverse("account-detail", args=[x1.pk])}">Acme Labs</a>' in html
    assert "counted up to and including 20 Aug 2026" in html
    # As of 20 Aug: X1 1000 -> 1200, X2 500 -> 0.
    foot = html.split("<tfoot>")[1].split("</tfoot>")[0]
    assert "Total: 2 accounts" in foot and "1,500.00" in foot and "1,200.00" in foot and "1 of 2" in foot
    assert "Ending MRR $1,200.00 ÷ starting MRR $1,500.00 × 100 = 80.00%" in html
    rows = list(csv.reader(io.StringIO(client.get(url + "&format=csv").content.decode())))
    assert rows[0][:2] == ["account", "account name"]
    assert rows[1][:4] == ["X1", "Acme Labs", "1000.00", "1200.00"]
    assert len(rows) == 3  # the CSV keeps the rows alone: no total row among the data


def test_a_closed_period_is_explained_to_its_end(w, client):
    services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 11, 1))
    client.force_login(w["ann"])
    html = client.get(reverse("explain", args=[w["ann"].pk, "nrr"]) + "?period=2026-Q3").content.decode()
    assert "counted up to and including" not in html
    # ann's cohort over the whole quarter: X1 1000 -> 1200, X2 500 -> 300.
    assert "Ending MRR $1,500.00 ÷ starting MRR $1,500.00 × 100 = 100.00%" in html


def test_the_sum_under_a_drill_down_is_in_the_readers_language(w):
    """The sentences were marked with an alias (_l) that extraction does not know: English everywhere."""
    e = kpi_explain(csm=w["bob"], metric="nrr", period=Q3)
    with translation.override("es"):
        nbsp = "\N{NO-BREAK SPACE}"
        expected = f"MRR final 1.700,00{nbsp}US$ ÷ MRR inicial 1.800,00{nbsp}US$ × 100 = 94,44{nbsp}%"
        assert explaining.adds_up(e) == expected


def test_a_total_row_writes_its_median_the_readers_way(w):
    """The medians under onboardings and first responses were Python's decimals ("38.5") in
    every language."""
    with translation.override("es"):
        onb = kpi_explain(csm=w["ann"], metric="onboarding_days", period=Q3)  # 10, 20, 30, 40 days
        frt = kpi_explain(csm=w["bob"], metric="first_response_hours", period=Q3)  # 1 and 3 hours
    assert onb.totals[0][-1] == "mediana 25,00"
    assert "mediana 2,00" in frt.totals[0]
