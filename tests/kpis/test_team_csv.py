"""The team dashboard's CSV: a UTF-8 byte order mark so that spreadsheets read accented
names, counts without decimals and two decimals everywhere else, the segment and the metrics with
few data in words. The dashboard is made by hand, so every cell below is known in advance."""

import csv
import io
from decimal import Decimal

import pytest

from accounts.models import Segment
from kpis import dashboard
from kpis.periods import Period
from kpis.registry import REGISTRY
from kpis.views import _team_csv
from tests.factories import CsmFactory, TeamFactory

NRR, REFERRALS, ONBOARDING_DAYS, NPS = (REGISTRY[k] for k in ("nrr", "referrals", "onboarding_days", "nps"))


def board(segment=""):
    team = TeamFactory(name="Équipe Nord")
    zoe = CsmFactory(name="Zoë Ångström", email="zoe@example.com", segment=Segment.MID_MARKET, team=team)
    row = dashboard.DashboardRow(
        csm=zoe,
        label="Zoë Ångström",
        cells={
            "nrr": dashboard.Cell(Decimal("96.9666")),
            "referrals": dashboard.Cell(Decimal("3.000")),
            "onboarding_days": dashboard.Cell(Decimal("12.5")),
            "nps": dashboard.Cell(Decimal("40"), few=True, sample=4),
        },
    )
    empty = dashboard.DashboardRow(
        csm=CsmFactory(name="Bob", email="bob@example.com", segment=Segment.SMB, team=team),
        label="Bob",
        cells={k: dashboard.Cell(None) for k in ("nrr", "referrals", "onboarding_days", "nps")},
    )
    empty.cells["referrals"] = dashboard.Cell(Decimal("4"), few=True)
    empty.cells["onboarding_days"] = dashboard.Cell(Decimal("7"), few=True)
    rollup = dashboard.DashboardRow(
        csm=None,
        label="Équipe Nord",
        cells={
            "nrr": dashboard.Cell(Decimal("88.675")),
            "referrals": dashboard.Cell(Decimal("7")),
            "onboarding_days": dashboard.Cell(Decimal("9.75")),
            "nps": dashboard.Cell(Decimal("-12.3")),
        },
    )
    return dashboard.TeamDashboard(
        team=team,
        period=Period.parse("2026-Q3"),
        metrics=[NRR, REFERRALS, ONBOARDING_DAYS, NPS],
        rows=[row, empty],
        rollup=rollup,
        medians={
            "nrr": Decimal("96.9666"),
            "referrals": Decimal("3.5"),
            "onboarding_days": None,
            "nps": None,
        },
        freshness=None,
        segment=segment,
    )


def rows_of(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


@pytest.mark.django_db
def test_the_team_csv_starts_with_a_bom_and_keeps_accented_names():
    response = _team_csv(board())
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.content.count(b"\xef\xbb\xbf") == 1
    rows = rows_of(response)
    assert rows[0][0] == "\ufeffCSM"
    assert rows[1][0] == "Zoë Ångström"
    assert "Zoë Ångström".encode() in response.content


@pytest.mark.django_db
def test_counts_have_no_decimals_and_everything_else_two():
    rows = rows_of(_team_csv(board()))
    assert rows[0][3:7] == [
        "MRR retention (NRR) (%)",
        "Referrals and advocacy (count)",
        "Onboarding time (time to value) (days)",
        "Net Promoter Score (score)",
    ]
    assert rows[1][3:7] == ["96.97", "3", "12.50", "40.00"]
    assert rows[2][3:7] == ["", "4", "7.00", ""]  # no data is an empty cell
    assert rows[3][:7] == ["Median", "", "", "96.97", "3.50", "", ""]  # a median between 3 and 4
    assert rows[4][3:7] == ["88.68", "7", "9.75", "-12.30"]


@pytest.mark.django_db
def test_segment_and_few_data_are_in_words():
    rows = rows_of(_team_csv(board()))
    assert rows[0][2] == "segment" and rows[0][-1] == "few data"
    assert rows[1][2] == "Mid-Market" and rows[2][2] == "SMB"
    assert rows[1][-1] == "Net Promoter Score"
    assert rows[2][-1] == "Referrals and advocacy; Onboarding time (time to value)"
    assert rows[4][:3] == ["Équipe Nord (roll-up)", "", "All segments"]
    filtered = rows_of(_team_csv(board(segment="mid_market")))
    assert filtered[-1][2] == "Mid-Market"
    for row in rows + filtered:
        assert "mid_market" not in row and "True" not in row and "False" not in row
        assert "nps" not in row[-1] and "referrals" not in row[-1]
