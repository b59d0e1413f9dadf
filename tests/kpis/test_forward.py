"""Accounts at risk this quarter (kpis.forward), worked out by hand.

The fit is written by hand on a published run of the quarter: intercept 3; poor health -2, average
health -0.5, under a year a customer -1, the smallest quarter by MRR -0.3; every other input 0. The
size cuts are 500, 1000 and 2000 a month. The quarter's starting cohort, all SMB:

    ann  A  poor (since the reading of start - 42 days), signed 181 days before, 1500  eta 3 - 2 - 1 = 0    50.0 %
    ann  B  poor (since start - 11 days), signed in 2020,                       1500  eta 3 - 2     = 1    73.1 %
    ann  C  average, signed 181 days before,                                    1500  eta 3 - .5 - 1 = 1.5 81.8 %
    ann  D  good, signed in 2020,                                               1500  eta 3             95.3 %
    ann  E  no reading in the 31 days before the start, signed in 2020,          300  eta 3 - .3 = 2.7  93.7 %
    bob  F  poor, signed 181 days before,                                       1500  eta 0             50.0 %

Reasons: each input's coefficient against its mean over the six (health -6.5 / 6 = -1.083, tenure
-3 / 6 = -0.5, size -0.3 / 6 = -0.05, segment 0); an input is named when it pulls down by 0.05 or
more, the biggest first. A: health 0.917, tenure 0.5 (size -0.05: no). B: health. C: tenure. D:
nothing. E: size 0.25.
"""

import datetime
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from activity.models import HealthSnapshot
from core import dates
from kpis import forward
from kpis.engine import expected
from kpis.models import ExpectedFit, KpiRun
from kpis.periods import Period
from tests import factories

ENCODING = {
    "segment": ["smb", "mid_market", "enterprise"],
    "health": ["good", "average", "poor", "none"],
    "tenure": ["under_1_year", "1_to_2_years", "over_2_years"],
    "tenure_cuts_days": [365, 730],
    "size": ["smallest_quarter", "second_quarter", "third_quarter", "largest_quarter"],
    "size_cuts": [500.0, 1000.0, 2000.0],
}
COEFFICIENTS = {
    "health=poor": -2.0,
    "health=average": -0.5,
    "tenure=under_1_year": -1.0,
    "size=smallest_quarter": -0.3,
}
SCORES = {"good": 85, "average": 55, "poor": 20}
OLD = datetime.date(2020, 1, 1)


def publish_fit(period: Period, status="ok", reason=""):
    run = KpiRun.objects.create(
        period=str(period), as_of=period.start, status="published", finished_at=timezone.now()
    )
    inputs = expected.input_names(ENCODING)
    ExpectedFit.objects.create(
        run=run,
        period=str(period),
        outcome="logo_retention",
        version="expected-1",
        status=status,
        reason=reason,
        training_quarters=[str(period.shift(-2)), str(period.shift(-1))],
        held_out_quarter=str(period.shift(-1)),
        inputs=inputs if status != "no_history" else [],
        encoding=ENCODING if status != "no_history" else {},
        coefficients={name: COEFFICIENTS.get(name, 0.0) for name in inputs} if status != "no_history" else {},
        intercept=3.0 if status != "no_history" else None,
        dispersion=1.0,
        penalty=1.0,
        training_accounts=120,
    )
    return run


def account(csm, name, start, *, health, signed, mrr=1500, readings=()):
    a = factories.CustomerAccountFactory(name=name, external_id=name.replace(" ", "-"), signed_on=signed)
    factories.AssignmentFactory(account=a, csm=csm, start_date=signed)
    factories.RevenueEventFactory(account=a, date=signed, mrr_delta=Decimal(mrr))
    for days_before, band in readings:
        HealthSnapshot.objects.create(
            account=a, date=start - datetime.timedelta(days=days_before), score=SCORES[band]
        )
    if health:
        HealthSnapshot.objects.create(
            account=a, date=start - datetime.timedelta(days=11), score=SCORES[health]
        )
    return a


def build(period: Period):
    """The book of the module docstring at ``period``'s start."""
    start = period.start
    team = factories.TeamFactory(name="Atlas")
    other_team = factories.TeamFactory(name="Beacon")
    ann = factories.CsmFactory(email="ann@example.com", name="Ann Ash", team=team)
    bob = factories.CsmFactory(email="bob@example.com", name="Bob Birch", team=other_team)
    new = start - datetime.timedelta(days=181)
    out = {
        "ann": ann,
        "bob": bob,
        "team": team,
        "A": account(
            ann,
            "Acme A",
            start,
            health="poor",
            signed=new,
            readings=[(100, "good"), (42, "poor"), (72, "good")],
        ),
        "B": account(ann, "Birch B", start, health="poor", signed=OLD, readings=[(42, "average")]),
        "C": account(ann, "Cedar C", start, health="average", signed=new),
        "D": account(ann, "Dune D", start, health="good", signed=OLD),
        "E": account(ann, "Elm E", start, health=None, signed=OLD, mrr=300, readings=[(40, "poor")]),
        "F": account(bob, "Fir F", start, health="poor", signed=new),
    }
    return out


Q3 = Period.parse("2026-Q3")
IN_Q3 = datetime.date(2026, 8, 14)


def said(f: forward.Forecast):
    return [(a.name, round(100 * a.probability, 1), [r.words for r in a.reasons]) for a in f.accounts]


@pytest.mark.django_db
def test_the_book_least_likely_to_still_pay_first_with_its_reasons():
    world = build(Q3)
    publish_fit(Q3)
    f = forward.forecast(csm_id=world["ann"].pk, period=Q3, today=IN_Q3)
    assert f.status == "ok"
    assert f.last_day == datetime.date(2026, 9, 30)
    assert said(f) == [
        ("Acme A", 50.0, ["poor health since 20 May 2026", "under a year a customer"]),
        ("Birch B", 73.1, ["poor health since 20 Jun 2026"]),
        ("Cedar C", 81.8, ["under a year a customer"]),
        ("Elm E", 93.7, ["among the smallest quarter of accounts by MRR"]),
        ("Dune D", 95.3, []),
    ]
    # Stored as keys and parameters; words only at display.
    first = forward.as_dict(f)["accounts"][0]
    assert first["reasons"] == [
        {"key": "health", "params": {"band": "poor", "since": "2026-05-20"}},
        {"key": "tenure", "params": {"level": "under_1_year"}},
    ]
    assert [a.still_paying for a in f.accounts] == [None] * 5  # the quarter is not over
    assert [a.name for a in forward.forecast(csm_id=world["bob"].pk, period=Q3, today=IN_Q3).accounts] == [
        "Fir F"
    ]


@pytest.mark.django_db
def test_nothing_dated_after_the_quarters_start_changes_the_forecast():
    world = build(Q3)
    publish_fit(Q3)
    before = said(forward.forecast(csm_id=world["ann"].pk, period=Q3, today=IN_Q3))
    # Health turns good for A and poor for D during the quarter; B churns; C's MRR trebles.
    HealthSnapshot.objects.create(account=world["A"], date=Q3.start, score=90)
    HealthSnapshot.objects.create(account=world["D"], date=Q3.start + datetime.timedelta(days=20), score=10)
    HealthSnapshot.objects.create(account=world["E"], date=Q3.end, score=10)
    factories.RevenueEventFactory(account=world["B"], date=Q3.start, kind="churn", mrr_delta=Decimal(-1500))
    factories.RevenueEventFactory(
        account=world["C"], date=Q3.start, kind="expansion", mrr_delta=Decimal(3000)
    )
    assert said(forward.forecast(csm_id=world["ann"].pk, period=Q3, today=IN_Q3)) == before
    # Once the quarter is over the page also says what happened, and still nothing else changes.
    closed = forward.forecast(csm_id=world["ann"].pk, period=Q3, today=datetime.date(2026, 10, 2))
    assert said(closed) == before
    assert {a.name: a.still_paying for a in closed.accounts}["Birch B"] is False
    assert {a.name: a.still_paying for a in closed.accounts}["Acme A"] is True


@pytest.mark.django_db
def test_without_a_fit_the_forecast_says_why_in_words():
    world = build(Q3)
    f = forward.forecast(csm_id=world["ann"].pk, period=Q3, today=IN_Q3)
    assert (f.status, f.accounts) == ("no_run", [])
    assert f.reason == "The expected results of Q3 2026 are not computed yet."
    run = publish_fit(
        Q3, "no_history", "Not enough history: 1 earlier quarter with paying accounts, at least 2 needed."
    )
    f = forward.forecast(csm_id=world["ann"].pk, period=Q3, today=IN_Q3)
    assert (f.status, f.accounts) == ("no_history", [])
    assert f.reason == (
        "Not enough history to forecast Q3 2026: the quarters before it hold 120 account-quarters in 2 "
        "quarters, too few for the model."
    )
    run.delete()
    publish_fit(Q3, "withheld", "On the held-out quarter the model expected account retention of 90.0 %.")
    f = forward.forecast(csm_id=world["ann"].pk, period=Q3, today=IN_Q3)
    assert (f.status, f.accounts) == ("withheld", [])
    assert f.reason.startswith("No forecast this quarter: the model did not predict the quarter held out")
    month = forward.forecast(csm_id=world["ann"].pk, period=Period.parse("2026-08"), today=IN_Q3)
    assert month.status == "not_quarter"


# --- the pages: the CSM's home and page, the manager's home, who may see what --------------------


@pytest.fixture
def current(db):
    """The book of the docstring at the start of the quarter in progress, with its fit."""
    period = Period.containing(timezone.localdate())
    world = build(period)
    publish_fit(period)
    world["period"] = period
    world["manager"] = world["team"].manager
    return world


def text_of(client, user, url):
    client.force_login(user)
    response = client.get(url)
    return response.status_code, response.content.decode()


def test_the_csms_home_lists_their_own_least_likely_accounts(client, current):
    status, html = text_of(client, current["ann"], reverse("home"))
    assert status == 200
    last_day = dates.day(current["period"].end - datetime.timedelta(days=1))
    assert f"50% likely to still pay on {last_day}" in html
    assert html.index("Acme A") < html.index("Birch B") < html.index("Cedar C")
    assert "Fir F" not in html  # bob's
    assert reverse("at-risk", args=[current["ann"].pk]) in html


def test_the_managers_home_shows_them_per_csm_of_their_teams_only(client, current):
    status, html = text_of(client, current["manager"], reverse("home"))
    assert status == 200
    assert "Ann Ash" in html and "Acme A" in html
    assert "Fir F" not in html and "Bob Birch" not in html  # another team's
    hr = factories.HrFactory()
    status, _ = text_of(client, hr, reverse("at-risk", args=[current["bob"].pk]))
    assert status == 200


@pytest.mark.parametrize(
    ("who", "whose", "code"),
    [
        ("ann", "ann", 200),
        ("bob", "ann", 404),
        ("ann", "bob", 404),
        ("manager", "ann", 200),
        ("manager", "bob", 404),
    ],
)
def test_the_at_risk_page_follows_who_may_see_whom(client, current, who, whose, code):
    status, html = text_of(client, current[who], reverse("at-risk", args=[current[whose].pk]))
    assert status == code
    if code == 200:
        assert "Acme A" in html and "Dune D" in html  # the whole book
        assert "poor health since" in html


def test_the_at_risk_page_says_so_without_history(client, current):
    KpiRun.objects.all().delete()
    publish_fit(
        current["period"],
        "no_history",
        "Not enough history: 1 earlier quarter with paying accounts, at least 2 needed.",
    )
    status, html = text_of(client, current["ann"], reverse("at-risk", args=[current["ann"].pk]))
    assert status == 200
    assert "Not enough history to forecast" in html
    status, html = text_of(client, current["ann"], reverse("home"))
    assert "Not enough history" in html


def test_the_at_risk_page_refuses_a_month_or_a_future_quarter_by_showing_the_current_one(client, current):
    for asked in ("2026-08", "2099-Q1", "garbage"):
        status, html = text_of(
            client, current["ann"], reverse("at-risk", args=[current["ann"].pk]) + f"?period={asked}"
        )
        assert status == 200
        assert "Acme A" in html


@pytest.mark.django_db
def test_alike_accounts_put_the_larger_mrr_first_and_a_cut_list_says_how_many_more_tie():
    """Four accounts alike but for MRR, on Bob's book: all poor health, all under a year a customer,
    none in the organisation's smallest quarter by MRR (that is Elm E's 300 alone), so all four are
    as likely: 1,500 (Fir F), 2,000 (Gum G), 2,500 (Ivy I) and 4,000 (Hazel H)."""
    world = build(Q3)
    start = Q3.start
    new = start - datetime.timedelta(days=181)
    for name, mrr in (("Gum G", 2000), ("Hazel H", 4000), ("Ivy I", 2500)):
        account(world["bob"], name, start, health="poor", signed=new, mrr=mrr)
    publish_fit(Q3)
    f = forward.forecast(csm_id=world["bob"].pk, period=Q3, today=IN_Q3)
    by_percent = [(a.name, a.percent) for a in f.accounts]
    assert [p for _, p in by_percent] == [50] * 4  # as Acme A on Ann's book: poor health, under a year
    assert [name for name, _ in by_percent] == ["Hazel H", "Ivy I", "Gum G", "Fir F"]  # larger MRR first
    assert f.tied_after(1) == 3
    assert f.tied_after(3) == 1  # the home's three: one more (Fir F) is as likely as Gum G
    assert f.tied_after(4) == 0
    assert f.tied_after(10) == 0
    # The manager's home shows three and says that the cut fell inside a tie.
    html = render_to_string(
        "kpis/_at_risk_list.html", {"forecast": f, "accounts": f.first_three, "tied": f.first_three_tied}
    )
    words = " ".join(html.split())
    assert "One more account is as likely (50%) as the last one listed" in words
    assert "Fir F" not in words
    # Turkish writes the sign first, inside a whole translated sentence.
    with translation.override("tr"):
        turkish = " ".join(
            render_to_string(
                "kpis/_at_risk_list.html",
                {"forecast": f, "accounts": f.first_three, "tied": f.first_three_tied},
            ).split()
        )
    assert "%50" in turkish and "50 %" not in turkish
