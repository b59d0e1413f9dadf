"""The home pages, worked out by hand: a CSM's book with its counts (and how they meet the
scorecard's), and a manager's team at a glance.

Today is 2026-11-30 (Q4 2026 runs 2026-10-01 to 2026-12-31), time zone UTC. Cleo's book:

  account  owner          revenue                                   MRR today  ARR     health        usage (features)        open tickets  NPS 0-6 (90 days)  risks
  Pine     Cleo           new 1000 (2025), expansion +250 on 11-20  1250       15,000  score 30: poor  80% (10-26) -> 60% (11-28) 2            -                  poor health, falling adoption
  Oak      Cleo           new 500 (2025)                            500        6,000   band good       50% (10-21) -> 60% (11-29) 0            4 on 11-10         recent detractor
  Elm      Cleo           new 300 (2025), churn -300 on 10-31       0          -       -               -                       0            (3 on 2026-05-14: too old)  -
  Ash      Cleo           signed 11-25, no revenue yet              0          -       -               -                       0            -                  -
  Fir      Cleo, then Max from 11-10: not in the book today (200 of MRR)
  Yew      Max: never in the book

Counts: 4 assigned, 2 paying today; ARR 21,000; 2 at risk. The scorecard of Q4 as of 11-30:
book size 2 (owned on 11-30 with MRR above 0: Pine, Oak); NRR cohort 4 (owned on 10-01 with MRR
above 0: Pine, Oak, Elm, Fir)."""

import datetime
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from accounts.models import Segment
from kpis import services
from kpis.models import KpiValue
from kpis.periods import Period
from tests import factories
from web import selectors

T = datetime.date(2026, 11, 30)
Q4 = Period.parse("2026-Q4")
D = datetime.date


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


@pytest.fixture
def book(db, settings, monkeypatch):
    settings.TIME_ZONE = "UTC"
    monkeypatch.setattr(selectors.timezone, "localdate", lambda *a, **k: T)
    team = factories.TeamFactory(name="Cedar", manager=factories.ManagerFactory(email="mgr@example.com"))
    cleo = factories.CsmFactory(email="cleo@example.com", name="Cleo", team=team, segment=Segment.SMB)
    max_ = factories.CsmFactory(email="max@example.com", name="Max", team=team, segment=Segment.SMB)
    signed = D(2025, 1, 1)

    def account(name, owner, signed_on=signed):
        a = factories.CustomerAccountFactory(external_id=name.upper(), name=name, signed_on=signed_on)
        factories.AssignmentFactory(account=a, csm=owner, start_date=signed_on)
        return a

    def rev(a, day, kind, delta):
        factories.RevenueEventFactory(account=a, date=day, kind=kind, mrr_delta=Decimal(delta))

    pine = account("Pine", cleo)
    rev(pine, signed, "new", "1000")
    rev(pine, D(2026, 11, 20), "expansion", "250")
    factories.HealthSnapshotFactory(account=pine, date=D(2026, 11, 25), score=30)
    factories.UsageSnapshotFactory(account=pine, date=D(2026, 10, 26), features_used=8, features_available=10)
    factories.UsageSnapshotFactory(account=pine, date=D(2026, 11, 28), features_used=6, features_available=10)
    factories.TicketFactory(account=pine, opened_at=at(D(2026, 11, 20)))
    factories.TicketFactory(account=pine, opened_at=at(D(2026, 11, 21)))
    factories.TicketFactory(account=pine, opened_at=at(D(2026, 11, 1)), resolved_at=at(D(2026, 11, 2)))
    factories.TouchpointFactory(account=pine, csm=cleo, occurred_at=at(D(2026, 11, 27)))
    factories.TouchpointFactory(account=pine, csm=cleo, occurred_at=at(D(2026, 10, 27)))

    oak = account("Oak", cleo)
    rev(oak, signed, "new", "500")
    factories.HealthSnapshotFactory(account=oak, date=D(2026, 11, 1), score=50, band="good")
    factories.UsageSnapshotFactory(account=oak, date=D(2026, 10, 21), features_used=5, features_available=10)
    factories.UsageSnapshotFactory(account=oak, date=D(2026, 11, 29), features_used=6, features_available=10)
    factories.SurveyResponseFactory(account=oak, kind="nps", score=4, responded_at=at(D(2026, 11, 10)))

    elm = account("Elm", cleo)
    rev(elm, signed, "new", "300")
    rev(elm, D(2026, 10, 31), "churn", "-300")
    factories.SurveyResponseFactory(account=elm, kind="nps", score=3, responded_at=at(D(2026, 5, 14)))

    account("Ash", cleo, signed_on=D(2026, 11, 25))

    fir = account("Fir", cleo)
    rev(fir, signed, "new", "200")
    factories.AssignmentFactory(account=fir, csm=max_, start_date=D(2026, 11, 10))
    yew = account("Yew", max_)
    rev(yew, signed, "new", "900")

    services.kpi_run_compute(period=Q4, as_of=T)
    return {"cleo": cleo, "max": max_, "team": team, "pine": pine, "oak": oak, "elm": elm}


def test_the_book_worked_out_by_hand(book):
    b = selectors.csm_book(csm=book["cleo"], today=T)
    rows = {r.account.name: r for r in b.rows}
    assert list(rows) == ["Pine", "Oak", "Ash", "Elm"]  # most risks first, then by name
    pine, oak, elm, ash = rows["Pine"], rows["Oak"], rows["Elm"], rows["Ash"]
    assert (pine.mrr, pine.arr, oak.arr, elm.arr, ash.arr) == (
        Decimal(1250),
        Decimal(15000),
        Decimal(6000),
        Decimal(0),
        Decimal(0),
    )
    assert (pine.health, pine.health_score, oak.health, elm.health) == ("poor", 30, "good", "")
    assert (pine.adoption, pine.adoption_change) == (Decimal(60), Decimal(-20))
    assert (oak.adoption, oak.adoption_change) == (Decimal(60), Decimal(10))
    assert elm.adoption is None and elm.adoption_change is None
    assert pine.last_touchpoint == at(D(2026, 11, 27)) and oak.last_touchpoint is None
    assert (pine.open_tickets, oak.open_tickets) == (2, 0)
    assert pine.risks == ["poor health", "falling adoption"]
    assert oak.risks == ["recent detractor"]
    assert elm.risks == [] and ash.risks == []  # Elm's detractor is older than 90 days
    assert (b.arr_total, b.at_risk) == (Decimal(21000), 2)
    c = b.counts
    assert (c.assigned, c.paying, c.not_paying) == (4, 2, 2)
    assert (str(c.period), c.scorecard_book, c.scorecard_as_of, c.cohort) == ("2026-Q4", 2, T, 4)


def test_the_counts_agree_with_the_scorecard(book):
    """The home's "paying today" is the scorecard's book size of the period to date."""
    stored = KpiValue.objects.get(csm=book["cleo"], period="2026-Q4", metric="book_size")
    assert stored.value == selectors.csm_book(csm=book["cleo"], today=T).counts.paying == 2


def test_the_book_sorts(book):
    by = lambda sort: [r.account.name for r in selectors.csm_book(csm=book["cleo"], today=T, sort=sort).rows]  # noqa: E731
    assert by("-arr") == ["Pine", "Oak", "Ash", "Elm"]
    assert by("arr")[-2:] == ["Oak", "Pine"]
    assert by("name") == ["Ash", "Elm", "Oak", "Pine"]
    assert by("health")[:2] == ["Pine", "Oak"]  # poor first, no reading last
    assert by("usage")[:2] == ["Pine", "Oak"]  # the steepest fall first
    assert by("-tickets")[0] == "Pine"
    assert by("nonsense") == by("risk")


def test_the_csm_home_page_names_the_difference(client, book, settings):
    settings.CURRENCY = "EUR"
    client.force_login(book["cleo"])
    html = client.get(reverse("home") + "?sort=-arr").content.decode()
    html = " ".join(unescape(html).split())
    assert "4 accounts assigned, 2 paying today." in html
    assert "2 have no MRR (churned, or not billing yet) and are not in the scorecard's book size." in html
    assert "Scorecard Q4 2026 (as of 30 Nov 2026): book size 2" in html
    assert "Its NRR cohort is 4 accounts: the ones you owned on 1 Oct 2026 with MRR above 0." in html
    assert "€15,000" in html and "€21,000" in html
    assert 'aria-sort="descending"' in html and "▼" in html
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.index("Pine") < body.index("Oak") < body.index("Elm")
    assert "Yew" not in body and "Fir" not in body
    assert "poor health" in body and "falling adoption" in body and "recent detractor" in body


def test_the_manager_home_is_the_team_at_a_glance(client, book):
    client.force_login(book["team"].manager)
    html = " ".join(unescape(client.get(reverse("home")).content.decode()).split())
    assert "Team Cedar at a glance · Q4 2026" in html
    assert 'data-metric="nrr"' in html and "Outliers" in html
    glance = selectors.team_glance(team=book["team"], period=Q4)
    rows = {r.metric.key: r for r in glance.rows}
    team_nrr = KpiValue.objects.get(team=book["team"], period="2026-Q4", metric="nrr", subject_type="team")
    assert rows["nrr"].value == team_nrr.value
    cleo = KpiValue.objects.get(csm=book["cleo"], period="2026-Q4", metric="nrr").value
    mx = KpiValue.objects.get(csm=book["max"], period="2026-Q4", metric="nrr").value
    assert (rows["nrr"].low, rows["nrr"].high, rows["nrr"].counted) == (min(cleo, mx), max(cleo, mx), 2)
    # NPS: Oak's one response is "few data" (below 5): kept out of the spread, counted apart.
    assert (rows["nps"].counted, rows["nps"].few, rows["nps"].low) == (0, 1, None)
    # The team's own NPS rests on that one response too: shown greyed with its n, its change uncoloured.
    assert (rows["nps"].value, rows["nps"].sample, rows["nps"].team_few) == (Decimal("-100.00"), 1, True)
    assert rows["nps"].change_class == ""
    nps_row = html.split('data-metric="nps"')[1].split("</tr>")[0]
    assert "few data (n = 1)" in nps_row and "few-value" in nps_row
    assert '0 <span class="few">+1 CSM with few data</span>' in nps_row
    turkish = " ".join(
        unescape(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="tr").content.decode()).split()
    )
    assert "verisi az olan 1 CSM daha" in turkish.split('data-metric="nps"')[1].split("</tr>")[0]


def test_a_forecast_withheld_for_the_whole_team_is_said_once(client, book):
    """The forecast is one model for the organisation: when it lists nothing for every CSM for the
    same reason (here: not enough history), the team's card says it once, not once per CSM."""
    client.force_login(book["team"].manager)
    html = " ".join(unescape(client.get(reverse("home")).content.decode()).split())
    card = html.split('data-at-risk-team="')[1].split("</section>")[0]
    assert card.count("data-forecast-status=") == 1 and 'class="at-risk-csm"' not in card
    assert "For all 2 CSMs of the team: Not enough history" in card
