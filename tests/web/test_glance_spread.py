"""The manager's glance when the team's value lies outside its CSMs' lowest-highest: the team's
median onboarding time pools every onboarding of the team, also those of the CSMs with few data
(fewer than 3 onboardings), whom the lowest / median / highest leave out. The row says so.

Team Birch, Q4 2026 (as of 2026-11-30), onboardings completed in October and November:

  CSM   days from signing to onboarding completed   own median   enough data (3)?
  Ana   100, 104, 110                               104          yes
  Bo    30, 40                                      35           no (2)
  Cy    20                                          20           no (1)

Pooled: 20, 30, 40, 100, 104, 110 -> median (40 + 100) / 2 = 70 days, outside 104-104.
Onboardings completed: 3 + 2 + 1 = 6, a total: above every CSM's count without contradiction."""

import datetime
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from kpis import services
from kpis.periods import Period
from tests import factories
from web import selectors

Q4 = Period.parse("2026-Q4")
T = datetime.date(2026, 11, 30)
D = datetime.date


@pytest.fixture
def birch(db, settings, monkeypatch):
    settings.TIME_ZONE = "UTC"
    monkeypatch.setattr(selectors.timezone, "localdate", lambda *a, **k: T)
    team = factories.TeamFactory(name="Birch", manager=factories.ManagerFactory(email="birch@example.com"))
    done = [D(2026, 10, 5), D(2026, 10, 20), D(2026, 11, 10)]
    for name, days in (("Ana", [100, 104, 110]), ("Bo", [30, 40]), ("Cy", [20])):
        csm = factories.CsmFactory(email=f"{name.lower()}@example.com", name=name, team=team)
        for i, d in enumerate(days):
            completed = done[i]
            a = factories.CustomerAccountFactory(
                external_id=f"{name}{i}",
                name=f"{name} {i}",
                signed_on=completed - datetime.timedelta(days=d),
                onboarding_completed_on=completed,
            )
            factories.AssignmentFactory(account=a, csm=csm, start_date=a.signed_on)
    services.kpi_run_compute(period=Q4, as_of=T)
    return team


def test_the_team_median_pools_every_onboarding_and_the_row_says_so(client, birch):
    rows = {r.metric.key: r for r in selectors.team_glance(team=birch, period=Q4).rows}
    days = rows["onboarding_days"]
    assert (days.value, days.sample) == (Decimal("70.00"), 6)
    assert (days.low, days.median, days.high, days.counted, days.few) == (
        Decimal("104.00"),
        Decimal("104.00"),
        Decimal("104.00"),
        1,
        2,
    )
    assert days.few_sample == 3 and days.outside_spread
    note = (
        "The team's value is the median of all its 6 onboardings taken together, 3 of them from 2 CSMs "
        "with few data. Lowest, median and highest compare only the CSMs with enough data."
    )
    assert days.spread_note == note
    # A total is above every CSM's count by nature: no note.
    count = rows["onboardings"]
    assert (count.value, count.high, count.spread_note) == (Decimal("6.00"), Decimal("3.00"), "")
    # No data: no spread, no note.
    assert rows["first_response_hours"].spread_note == ""

    client.force_login(birch.manager)
    html = " ".join(unescape(client.get(reverse("home")).content.decode()).split())
    row = html.split('data-metric="onboarding_days"')[1].split("</tr>")[0]
    assert '<a href="#spread-note-' in row  # the team's value points to its note under the table
    assert f"* Onboarding time (time to value): {note}" in html
    assert html.count("row-note") == 1
    with translation.override("pt-br"):
        assert days.spread_note.startswith(
            "O valor da equipe é a mediana calculada sobre o total de 6 onboardings da equipe"
        )
