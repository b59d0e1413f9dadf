"""Dates, datetimes and whole numbers outside what the database holds are row errors, in the dry
run and in the write alike (nothing is written, no 500), on the command, the API and the page."""

import io
import json

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from activity.models import Ticket, UsageSnapshot
from datain import services

USAGE = "account_external_id,date,licensed_seats,dau,mau,features_used,features_available\n"


def ticket_row(opened_at: str) -> dict:
    return {
        "external_id": "T-RANGE",
        "account_external_id": "A-1",
        "opened_at": opened_at,
        "first_response_at": None,
        "resolved_at": None,
        "customer_contacts": None,
        "escalated_at": None,
        "priority": "normal",
        "channel": "email",
    }


@pytest.mark.parametrize(
    "opened_at",
    [
        "0001-01-01T00:00:00+23:59",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "1999-12-31T12:00:00Z",
        "2101-01-01T00:00:00Z",
    ],
)
@pytest.mark.parametrize("dry_run", [True, False])
def test_datetimes_outside_the_years_are_row_errors(org, opened_at, dry_run):
    result = services.import_json(kind="tickets", items=[ticket_row(opened_at)], dry_run=dry_run)
    assert [(e.row, e.column, e.code) for e in result.errors] == [(1, "opened_at", "out_of_range")]
    assert "must fall within the years 2000 to 2100" in str(result.errors[0].message)
    assert Ticket.objects.count() == 0


def test_the_edges_of_the_years_load(org):
    items = [
        ticket_row("2000-01-01T00:00:00Z") | {"external_id": "A"},
        ticket_row("2100-12-31T23:59:59Z") | {"external_id": "B"},
    ]
    assert services.import_json(kind="tickets", items=items).error_count == 0
    assert Ticket.objects.count() == 2


def test_the_command_reports_the_row_and_writes_nothing(org, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text(USAGE + "A-1,0001-01-01,10,1,2,3,4\nA-1,2026-07-01,10,99999999999,2,3,4\n")
    out = io.StringIO()
    with pytest.raises(Exception) as caught:
        call_command("import_data", "usage", str(path), stdout=out, stderr=out)
    text = out.getvalue() + str(caught.value)
    assert "must fall within the years 2000 to 2100" in text
    assert "must be at most 2147483647" in text
    assert UsageSnapshot.objects.count() == 0


def test_the_api_answers_400_with_the_rows(org):
    call_command("create_api_token", email="sync@example.com", name="Sync", stdout=io.StringIO())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user__email='sync@example.com').key}")
    response = api.post("/api/v1/ingest/tickets/", [ticket_row("0001-01-01T00:00:00+23:59")], format="json")
    assert response.status_code == 400, response.content
    assert Ticket.objects.count() == 0


def test_a_body_nested_a_thousand_levels_is_a_400(org, client):
    client.force_login(org.admin)
    body = "[" * 1000 + "]" * 1000
    response = client.post("/api/v1/ingest/tickets/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in json.dumps(response.json())
