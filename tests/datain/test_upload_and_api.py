"""The two other paths into the same validator: the upload page and POST /api/v1/ingest/<kind>/."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from activity.models import Ticket
from datain import import_runs
from datain.models import ImportRun

TICKETS = (
    "external_id,account_external_id,opened_at,first_response_at,resolved_at,customer_contacts,escalated_at,priority,channel\n"
    "T1,A-1,2026-07-03T10:00:00Z,,,,,normal,email\n"
    "T2,A-1,2026-07-04T10:00:00Z,,,,,low,chat\n"
)


@pytest.fixture
def run_tasks_inline(monkeypatch):
    """Run the queued task in-process instead of through the broker."""

    def enqueue(task_name, run):
        import_runs.import_run_execute(run_id=run.pk, dry_run=task_name.endswith("validate"))

    monkeypatch.setattr(import_runs, "_enqueue", enqueue)


def upload(client, text, kind="tickets"):
    f = io.BytesIO(text.encode())
    f.name = "tickets.csv"
    return client.post(reverse("import-list"), {"kind": kind, "file": f})


@pytest.mark.parametrize("who", ["csm_a", "manager_a", "hr"])
def test_upload_page_refused_to_everyone_but_ops(client, org, who):
    client.force_login(getattr(org, who))
    assert client.get(reverse("import-list")).status_code == 403
    assert upload(client, TICKETS).status_code == 403
    assert ImportRun.objects.count() == 0


def test_upload_check_then_confirm(client, org, run_tasks_inline, django_capture_on_commit_callbacks):
    client.force_login(org.admin)
    assert client.get(reverse("import-list")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, TICKETS)
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("import-detail", args=[run.pk])
    assert (run.status, run.dry_run, run.created, run.source, run.created_by) == (
        "valid",
        True,
        2,
        "upload",
        org.admin,
    )
    assert Ticket.objects.count() == 0
    page = client.get(reverse("import-detail", args=[run.pk])).content.decode()
    assert "Import it" in page
    status = client.get(reverse("import-status", args=[run.pk])).json()
    assert status["status"] == "valid" and status["rows"] == 2 and status["percent"] == 100

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-confirm", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.dry_run, run.created) == ("done", False, 2)
    assert Ticket.objects.count() == 2
    # A second confirmation of a finished run is refused and writes nothing.
    response = client.post(reverse("import-confirm", args=[run.pk]), follow=True)
    assert "Only a checked file without errors can be imported." in response.content.decode()
    listing = client.get(reverse("import-list")).content.decode()
    assert "tickets.csv" in listing and "Imported" in listing


def test_upload_with_errors_lists_them_and_cannot_be_confirmed(
    client, org, run_tasks_inline, django_capture_on_commit_callbacks
):
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, TICKETS.replace("low,chat", "meh,chat"))
    run = ImportRun.objects.get()
    assert run.status == "invalid" and run.error_count == 1
    page = client.get(reverse("import-detail", args=[run.pk])).content.decode()
    assert "must be one of low, normal, high, urgent" in page
    assert "Import it" not in page
    client.post(reverse("import-confirm", args=[run.pk]))
    assert Ticket.objects.count() == 0


def test_import_run_detail_is_404_for_non_ops_objects(client, org):
    run = ImportRun.objects.create(kind="tickets", source="upload", status="valid")
    client.force_login(org.admin)
    assert client.get(reverse("import-detail", args=[run.pk + 1])).status_code == 404


def test_upload_form_requires_a_known_kind(client, org):
    client.force_login(org.admin)
    response = upload(client, TICKETS, kind="widgets")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


# --- API -------------------------------------------------------------------------------------

ROWS = [
    {
        "external_id": "T1",
        "account_external_id": "A-1",
        "opened_at": "2026-07-03T10:00:00Z",
        "priority": "normal",
        "first_response_at": None,
        "resolved_at": None,
        "customer_contacts": None,
        "escalated_at": None,
        "channel": "email",
    },
    {
        "external_id": "T2",
        "account_external_id": "A-1",
        "opened_at": "2026-07-04T10:00:00Z",
        "priority": "high",
        "first_response_at": None,
        "resolved_at": "2026-07-05T10:00:00Z",
        "customer_contacts": 2,
        "escalated_at": None,
        "channel": "chat",
    },
]


@pytest.fixture
def token(org):
    call_command("create_api_token", email="crm-sync@example.com", name="CRM sync", stdout=io.StringIO())
    return Token.objects.get(user__email="crm-sync@example.com")


def api(token_key=None):
    client = APIClient()
    if token_key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_key}")
    return client


def test_api_without_token_is_401(org):
    response = api().post("/api/v1/ingest/tickets/", ROWS, format="json")
    assert response.status_code == 401
    assert Ticket.objects.count() == 0


def test_api_with_a_wrong_token_is_401(org):
    assert api("0" * 40).post("/api/v1/ingest/tickets/", ROWS, format="json").status_code == 401


def test_api_loads_and_is_idempotent(token):
    response = api(token.key).post("/api/v1/ingest/tickets/", ROWS, format="json")
    assert response.status_code == 200, response.json()
    assert {k: response.json()[k] for k in ("rows", "created", "updated", "unchanged", "error_count")} == {
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "error_count": 0,
    }
    again = api(token.key).post("/api/v1/ingest/tickets/", ROWS, format="json").json()
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert ImportRun.objects.filter(source="api").count() == 2


def test_api_errors_use_the_list_index_and_write_nothing(token):
    rows = [dict(ROWS[0]), dict(ROWS[1], customer_contacts=0), {"external_id": "T3", "bogus": 1}]
    response = api(token.key).post("/api/v1/ingest/tickets/", rows, format="json")
    assert response.status_code == 400
    errors = [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]]
    assert (2, "customer_contacts", "must be at least 1") in errors
    assert (3, "bogus", "is not a field of tickets") in errors
    assert (3, "account_external_id", "is missing") in errors
    assert Ticket.objects.count() == 0


def test_api_rows_counts_rows_not_their_errors(token):
    """A row missing its five nullable keys is one row with five errors, not five rows."""
    bare = {k: ROWS[0][k] for k in ("external_id", "account_external_id", "opened_at", "priority")}
    response = api(token.key).post("/api/v1/ingest/tickets/", [bare], format="json")
    assert response.status_code == 400
    body = response.json()
    assert (body["rows"], body["error_count"]) == (1, 5)
    assert sorted(e["column"] for e in body["errors"]) == [
        "channel",
        "customer_contacts",
        "escalated_at",
        "first_response_at",
        "resolved_at",
    ]
    # Three rows: a good one, one with one error, one with two (unknown + missing): rows=3, errors=4.
    rows = [dict(ROWS[0]), dict(ROWS[1], customer_contacts=0), dict(bare, external_id="T3", bogus=1)]
    body = api(token.key).post("/api/v1/ingest/tickets/", rows, format="json").json()
    assert (body["rows"], body["error_count"]) == (3, 7)
    assert ImportRun.objects.get(error_count=7).rows_read == 3
    assert Ticket.objects.count() == 0


def test_api_over_10000_rows_is_400(token):
    rows = [dict(ROWS[0], external_id=f"T{i}") for i in range(10_001)]
    response = api(token.key).post("/api/v1/ingest/tickets/", rows, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "at most 10000 rows a request (got 10001)"
    assert Ticket.objects.count() == 0


def test_api_body_must_be_a_list(token):
    response = api(token.key).post("/api/v1/ingest/tickets/", {"external_id": "T1"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "not_a_list"


def test_api_unknown_kind_is_404(token):
    assert api(token.key).post("/api/v1/ingest/widgets/", [], format="json").status_code == 404


def test_api_token_of_a_deactivated_integration_is_401(token):
    User.objects.filter(pk=token.user_id).update(is_active=False)
    response = api(token.key).post("/api/v1/ingest/tickets/", ROWS, format="json")
    assert response.status_code == 401
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("who", ["csm_a", "manager_a", "hr"])
def test_api_refuses_people_who_are_not_ops(org, who):
    client = APIClient()
    client.force_authenticate(getattr(org, who))
    assert client.post("/api/v1/ingest/tickets/", ROWS, format="json").status_code == 403
    assert Ticket.objects.count() == 0


def test_api_dry_run_writes_nothing(token):
    response = api(token.key).post("/api/v1/ingest/tickets/?dry_run=1", ROWS, format="json")
    assert response.status_code == 200 and response.json()["created"] == 2
    assert Ticket.objects.count() == 0


def test_openapi_schema_builds(client, org):
    client.force_login(org.admin)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/ingest/tickets/" in response.content and b"ingest_tickets" in response.content
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize("dry_run", ["", "?dry_run=1"])
def test_api_nul_or_a_lone_surrogate_in_a_row_is_400_naming_row_and_column(token, dry_run):
    """PostgreSQL text holds neither: the row is refused (row, column), nothing is written, and the
    import's history, which quotes the input, is stored with them escaped (it answered 500)."""
    rows = [
        dict(ROWS[0], external_id="T\x001"),
        dict(ROWS[1], **{"chan\x00nel": "x"}),
        dict(ROWS[1], external_id="T\ud8002"),
        dict(ROWS[1], external_id="T9", **{"x\ud800": "y"}),
    ]
    body = json.dumps(rows)  # ASCII: the NUL and the surrogate travel as \u0000 and \ud800
    response = api(token.key).post(f"/api/v1/ingest/tickets/{dry_run}", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    errors = [(e["row"], e["column"], e["value"], e["code"]) for e in response.json()["errors"]]
    assert errors == [
        (1, "external_id", "T\\01", "bad_encoding"),
        (2, "chan\\0nel", "", "unknown_column"),
        (3, "external_id", "T\\ud8002", "bad_encoding"),
        (4, "x\\ud800", "", "unknown_column"),
    ]
    assert Ticket.objects.count() == 0
    run = ImportRun.objects.get()
    assert (run.status, run.error_count, run.errors[1]["column"]) == ("invalid", 4, "chan\\0nel")


def test_upload_and_command_with_a_nul_in_the_header_name_it(
    client, org, run_tasks_inline, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.MEDIA_ROOT = str(tmp_path)
    text = TICKETS.replace("channel", "chan\x00nel").replace("T2,A-1", "T\x002,A-1")
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, text)
    run = ImportRun.objects.get()
    assert run.status == "invalid"
    assert [(e["row"], e["column"], e["code"]) for e in run.errors] == [
        (1, "chan\\0nel", "unknown_column"),
        (1, "channel", "missing_column"),
    ]
    page = client.get(reverse("import-detail", args=[run.pk])).content.decode()
    assert "chan\\0nel" in page

    path = tmp_path / "tickets.csv"
    path.write_text(text)
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 invalid rows: nothing was written"):
        call_command("import_data", "tickets", str(path), verbosity=0, stderr=err)
    assert "row 1, column chan\\0nel 'chan\\\\0nel': is not a column of tickets" in err.getvalue()
    assert Ticket.objects.count() == 0
    assert ImportRun.objects.filter(source="command", status="invalid").count() == 1


def test_api_a_list_or_an_object_in_place_of_a_value_is_400(token):
    """Its text was Python's repr: external_id ["T1"] was stored as "['T1']"."""
    rows = [dict(ROWS[0], external_id=["T1"]), dict(ROWS[1], customer_contacts={"n": 2})]
    response = api(token.key).post("/api/v1/ingest/tickets/", rows, format="json")
    assert response.status_code == 400
    errors = [(e["row"], e["column"], e["code"]) for e in response.json()["errors"]]
    assert errors == [(1, "external_id", "not_a_value"), (2, "customer_contacts", "not_a_value")]
    assert Ticket.objects.count() == 0
