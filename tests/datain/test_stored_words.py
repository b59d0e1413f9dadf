"""Nothing an import, a sync, a job, a sign-in or an email failure stores is an English sentence: a
key and its parameters (core.said), put into words in the reader's language when read; a text stored
before keys were kept (or not recognised by the data migrations) is shown as it was."""

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import SignIn
from core.said import Said, said, words
from datain.models import ImportRun, SyncRun
from notifications.models import Kind, Notification
from reviews.cycles import services as cycle_services
from reviews.models import CycleExport

# Row 3 (the file's header is row 1) opens on a day that is no date.
BAD_TICKETS = (
    "external_id,account_external_id,opened_at,first_response_at,resolved_at,customer_contacts,escalated_at,priority,channel\n"
    "T1,A-1,2026-07-03T10:00:00Z,,,,,normal,email\n"
    "T2,A-1,3 July,,,,,low,chat\n"
)
BAD_ROWS = [
    {
        "external_id": "T9",
        "account_external_id": "NOPE",
        "opened_at": "2026-07-03T10:00:00Z",
        "first_response_at": None,
        "resolved_at": None,
        "customer_contacts": None,
        "escalated_at": None,
        "priority": "normal",
        "channel": "email",
    }
]


def test_a_key_says_its_sentence_in_the_active_language_and_text_stays_as_it_was():
    error = said("datain.at_least", minimum=3)
    assert error.stored() == {"said": "datain.at_least", "params": {"minimum": 3}}
    assert str(error) == "must be at least 3"
    with translation.override("es"):
        assert str(error) == "debe ser al menos 3"
    # Text that is no key (stored before keys were kept): as it was.
    assert words("Boom: the disk is full.", {}) == "Boom: the disk is full."
    # A key with parameters it cannot read: the key, never an exception on a page.
    assert words("datain.at_least", {}) == "datain.at_least"
    # A sentence inside a sentence is kept as its key and said in the same language.
    inner = said("datain.in_source", source="Zendesk", record="ticket 6", message=said("datain.required"))
    assert inner.params["message"] == {"said": "datain.required", "params": {}}
    with translation.override("es"):
        assert str(inner) == "Zendesk ticket 6: es obligatorio"
    with pytest.raises(KeyError):
        Said("datain.no_such_key")


def test_an_upload_with_a_bad_row_stores_the_code_and_reads_in_spanish(
    client, org, monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    from datain import import_runs
    from tests.datain.test_upload_and_api import upload

    monkeypatch.setattr(
        import_runs,
        "_enqueue",
        lambda task, run: import_runs.import_run_execute(run_id=run.pk, dry_run=task.endswith("validate")),
    )
    client.force_login(org.admin)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        upload(client, BAD_TICKETS)
    run = ImportRun.objects.get()
    assert (run.status, run.error_count) == ("invalid", 1)
    # Stored: where, the value, the stable code and the sentence's key; no words in any language.
    assert run.errors == [
        {
            "row": 3,
            "column": "opened_at",
            "value": "3 July",
            "code": "invalid_datetime",
            "said": "datain.not_a_datetime",
            "params": {},
        }
    ]
    page = client.get(reverse("import-detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'data-label="Fila">3</td><td><code>opened_at</code></td><td><code>3 July</code></td>' in page
    assert "no es una fecha y hora ISO 8601" in page
    assert "is not an ISO 8601 datetime" not in page
    chinese = client.get(
        reverse("import-detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "is not an ISO 8601 datetime" not in chinese and ">3</td>" in chinese


def test_the_api_answers_the_code_and_the_callers_words_and_the_run_keeps_the_key(org):
    api = APIClient()
    api.force_authenticate(org.admin)
    answer = api.post("/api/v1/ingest/tickets/", BAD_ROWS, format="json", HTTP_ACCEPT_LANGUAGE="es")
    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        {
            "row": 1,
            "column": "account_external_id",
            "value": "NOPE",
            "code": "unknown_reference",
            "message": "ninguna cuenta tiene este external_id",
        }
    ]
    run = ImportRun.objects.get()
    assert run.errors[0]["said"] == "datain.no_such_account" and "message" not in run.errors[0]
    english = api.post("/api/v1/ingest/tickets/", BAD_ROWS, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["errors"][0]["message"] == "no account has this external_id"


def test_a_run_that_failed_says_why_in_the_readers_language(client, org):
    run = ImportRun.objects.create(
        kind="tickets",
        source="upload",
        status="failed",
        message="datain.worker_failed_importing",
        message_params={"error": "disk full"},
    )
    assert run.message_words == (
        "The worker failed while importing: disk full. Nothing was written: the import is all-or-nothing."
    )
    client.force_login(org.admin)
    page = client.get(reverse("import-detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "el proceso en segundo plano falló al importar: disk full" in page
    # One stored before keys were kept, in words no migration recognised: shown as it was.
    old = ImportRun.objects.create(kind="tickets", source="upload", status="failed", message="Kaputt.")
    page = client.get(reverse("import-detail", args=[old.pk]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "kaputt." in page


@pytest.mark.django_db
def test_the_migrations_convert_the_sentences_they_know_and_keep_the_others(org):
    """The data migrations' ``forwards``, run on rows as they were stored before keys were kept."""
    at = timezone.make_aware(datetime.datetime(2026, 7, 3, 14, 5))
    known = ImportRun.objects.create(
        kind="tickets",
        source="upload",
        status="failed",
        message="The job queue (Redis) could not be reached: Connection refused. Nothing was started. "
        "Try again in a moment.",
        errors=[
            {
                "row": 3,
                "column": "opened_at",
                "value": "x",
                "code": "invalid_date",
                "message": "is not a date in the form YYYY-MM-DD",
            },
            {
                "row": 4,
                "column": "priority",
                "value": "z",
                "code": "invalid_choice",
                "message": "must be one of low, normal",
            },
            {"row": 5, "column": "", "value": "", "code": "x", "message": "Ein Fehler."},
        ],
    )
    unknown = SyncRun.objects.create(
        source="zendesk", kind="tickets", status="failed", message="Zendesk hat gestreikt."
    )
    export = CycleExport.objects.create(
        cycle=_a_cycle(org), status="failed", error="3 of 4 PDFs were rendered. Retry.", queued_at=at
    )
    refused = SignIn.objects.create(
        email="x@example.com", method="password", succeeded=False, reason="Wrong email or password."
    )
    other = SignIn.objects.create(email="y@example.com", method="password", succeeded=False, reason="Nope.")
    mail = Notification.objects.create(
        recipient=org.csm_a,
        kind=Kind.IMPORT_FAILED,
        text="An import failed",
        email="failed",
        email_error="the mail server refuses the address: {'a@b': (550, b'no such user')}",
    )
    for app, name in [
        ("datain", "0004_import_and_sync_messages_to_keys"),
        ("reviews", "0017_export_error_to_keys"),
        ("accounts", "0013_signin_reason_to_keys"),
        ("notifications", "0011_email_error_to_keys"),
    ]:
        importlib.import_module(f"{app}.migrations.{name}").forwards(django_apps, None)
    for row in (known, unknown, export, refused, other, mail):
        row.refresh_from_db()
    assert (known.message, known.message_params) == (
        "core.job_queue_unreachable",
        {"error": "Connection refused"},
    )
    assert known.errors == [
        {
            "row": 3,
            "column": "opened_at",
            "value": "x",
            "code": "invalid_date",
            "said": "datain.not_a_date",
            "params": {},
        },
        {
            "row": 4,
            "column": "priority",
            "value": "z",
            "code": "invalid_choice",
            "said": "datain.not_a_choice",
            "params": {"values": ["low", "normal"]},
        },
        {"row": 5, "column": "", "value": "", "code": "x", "message": "Ein Fehler."},
    ]
    assert (unknown.message, unknown.message_words) == ("Zendesk hat gestreikt.", "Zendesk hat gestreikt.")
    assert (export.error, export.error_params) == ("reviews.export_pdfs_missing", {"made": 3, "total": 4})
    assert (refused.reason, other.reason, other.reason_words) == ("accounts.wrong_login", "Nope.", "Nope.")
    assert (mail.email_error, mail.email_error_params) == (
        "notifications.server_refuses_address",
        {"detail": "{'a@b': (550, b'no such user')}"},
    )
    with translation.override("es"):
        assert known.shown_errors[1]["message"] == "debe ser uno de low, normal"
        assert known.shown_errors[2]["message"] == "Ein Fehler."
        assert refused.reason_words == "Correo o contraseña incorrectos."
        assert export.error_words == "Se generaron 3 de 4 PDF. Reinténtalo."
        assert mail.email_error_words.endswith("{'a@b': (550, b'no such user')}")


def _a_cycle(org):
    return cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 10),
        manager_review_due=datetime.date(2026, 10, 20),
    )


def test_a_source_records_own_problem_is_stored_as_a_key_and_reads_in_spanish(org):
    """A Zendesk record that is no object: the run keeps the key of "is not an object" inside the
    record's sentence, and the API's caller reads it (and the note of a skipped ticket) in Spanish."""
    api = APIClient()
    api.force_authenticate(org.admin)
    payload = {"tickets": ["oops", {"id": 7, "status": "deleted"}]}
    answer = api.post(
        reverse("api-ingest", args=["tickets"]) + "?source=zendesk",
        payload,
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert answer.status_code == 400
    body = answer.json()
    assert [e["message"] for e in body["errors"]] == ["Zendesk registro 1: no es un objeto"]
    assert body["notes"] == [
        "1 registro de Zendesk omitido: tickets eliminados (p. ej., ticket 7 (registro 2))"
    ]
    run = ImportRun.objects.get()
    assert run.errors[0]["said"] == "datain.in_source"
    assert run.errors[0]["params"]["message"] == {"said": "datain.source.not_an_object", "params": {}}
    assert run.errors[0]["params"]["record"] == {"said": "datain.label.record", "params": {"line": 1}}
    with translation.override("en"):
        assert run.shown_errors[0]["message"] == "Zendesk record 1: is not an object"


def test_a_zendesk_records_label_is_stored_as_a_key_and_reads_in_spanish(org):
    """Ticket 7, the file's second record, cannot be loaded: its problems are stored with the
    record's label as a key and its id and position as parameters, said in the reader's language."""
    api = APIClient()
    api.force_authenticate(org.admin)
    payload = {
        "tickets": [{"id": 6, "status": "deleted"}, {"id": 7, "organization_id": 1, "created_at": None}]
    }
    answer = api.post(
        reverse("api-ingest", args=["tickets"]) + "?source=zendesk",
        payload,
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert answer.status_code == 400
    run = ImportRun.objects.get()
    # Ticket 7 has no opened date and its organization 1 is in no crosswalk: two errors, one record.
    assert [(e["row"], e["column"]) for e in run.errors] == [(2, "created_at"), (2, "organization_id")]
    for error in run.errors:
        assert error["params"]["record"] == {"said": "datain.label.ticket", "params": {"id": 7, "line": 2}}
    messages = [e["message"] for e in answer.json()["errors"]]
    assert len(messages) == 2
    assert all(m.startswith("Zendesk ticket 7 (registro 2): ") for m in messages)
    with translation.override("pt-br"):
        assert run.shown_errors[0]["message"].startswith("Zendesk chamado 7 (registro 2): ")
    with translation.override("en"):
        assert run.shown_errors[0]["message"].startswith("Zendesk ticket 7 (record 2): ")
