"""export_kpis and GET /api/v1/kpis/ (docs/data-contract.md, "What goes out"), scoped by visible_to."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from kpis import services
from kpis.periods import Period
from kpis.registry import ALL_KEYS
from tests import factories
from tests.kpis import world

Q3 = Period.parse("2026-Q3")


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 11, 1))
    return w


def test_export_csv_has_every_key_for_every_csm(w, capsys):
    call_command("export_kpis", period="2026-Q3")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == [
        "subject",
        "period",
        "metric",
        "value",
        "numerator",
        "denominator",
        "sample_size",
        "computed_at",
    ]
    by_subject = {}
    for r in rows:
        by_subject.setdefault(r["subject"], set()).add(r["metric"])
    assert set(by_subject) == {"ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com"}
    assert all(keys == set(ALL_KEYS) for keys in by_subject.values())
    nrr = next(r for r in rows if r["subject"] == "bob@example.com" and r["metric"] == "nrr")
    assert (nrr["value"], nrr["numerator"], nrr["denominator"], nrr["sample_size"]) == (
        "94.44",
        "1700",
        "1800",
        "3",
    )
    dan_nrr = next(r for r in rows if r["subject"] == "dan@example.com" and r["metric"] == "nrr")
    assert dan_nrr["value"] == ""  # no data: empty, never 0


def test_export_json_team_and_segment_levels(w, capsys):
    call_command("export_kpis", period="2026-Q3", level="team", format="json")
    rows = json.loads(capsys.readouterr().out)
    nrr = {r["subject"]: r["value"] for r in rows if r["metric"] == "nrr"}
    assert nrr == {"A": "96.97", "B": "75.00"}
    call_command("export_kpis", period="2026-Q3", level="segment", format="json")
    rows = json.loads(capsys.readouterr().out)
    assert {r["subject"]: r["value"] for r in rows if r["metric"] == "nrr"} == {
        "enterprise": "75.00",
        "mid_market": None,
        "smb": "96.97",
    }


def test_export_refuses_a_period_without_a_run(w):
    with pytest.raises(CommandError, match="No published run for 2026-Q2"):
        call_command("export_kpis", period="2026-Q2")
    with pytest.raises(CommandError, match="as of 2026-11-01, not 2026-10-15"):
        call_command("export_kpis", period="2026-Q3", as_of=datetime.date(2026, 10, 15))


def api_subjects(user, **params):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/kpis/", {"period": "2026-Q3", "limit": 500, **params})
    return response, {
        r["subject"] for r in response.json()["results"]
    } if response.status_code == 200 else None


def test_api_is_scoped_by_role(w):
    hr = factories.HrFactory()
    manager_a = w["team_a"].manager
    assert api_subjects(w["ann"])[1] == {"ann@example.com"}
    assert api_subjects(w["cat"])[1] == {"cat@example.com"}
    assert api_subjects(manager_a)[1] == {"ann@example.com", "bob@example.com"}
    assert api_subjects(manager_a, level="team")[1] == {"A"}
    assert api_subjects(w["ann"], level="team")[1] == set()
    assert api_subjects(hr)[1] == {"ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com"}
    response, _ = api_subjects(hr, metric="nrr")
    rows = response.json()["results"]
    assert len(rows) == 4 and {r["metric"] for r in rows} == {"nrr"}


def test_api_bad_input(w):
    client = APIClient()
    client.force_authenticate(w["ann"])
    assert client.get("/api/v1/kpis/").status_code == 400
    assert client.get("/api/v1/kpis/", {"period": "Q3"}).json() == {
        "period": ["“Q3” is not a period: write 2026-Q3 for a quarter or 2026-09 for a month."]
    }
    assert client.get("/api/v1/kpis/", {"period": "2026-Q3", "level": "galaxy"}).status_code == 400
    assert client.get("/api/v1/kpis/", {"period": "2026-Q3", "metric": "vibes"}).status_code == 400
    assert client.get("/api/v1/kpis/", {"period": "2025-Q1"}).status_code == 404
    assert APIClient().get("/api/v1/kpis/", {"period": "2026-Q3"}).status_code == 401
