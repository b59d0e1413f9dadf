"""The source formats through the upload page and the ingest API."""

import io
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from activity.models import RevenueEvent, Ticket
from datain import import_runs
from datain.models import ImportRun, SourceAccount
from tests.datain.sources.test_formats import cm_activity, zd_metrics, zd_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_tasks_inline(monkeypatch):
    def enqueue(task_name, run):
        import_runs.import_run_execute(run_id=run.pk, dry_run=task_name.endswith("validate"))

    monkeypatch.setattr(import_runs, "_enqueue", enqueue)


@pytest.fixture
def crosswalks(org):
    SourceAccount.objects.create(source="zendesk", source_id="9001", account=org.account_a)
    SourceAccount.objects.create(source="chartmogul", source_id="cus_0001", account=org.account_a)
    return org


def upload(client, payload, kind="tickets", source_format="zendesk"):
    f = io.BytesIO(json.dumps(payload).encode())
    f.name = "tickets.json"
    return client.post(reverse("import-list"), {"kind": kind, "file": f, "source_format": source_format})


def test_upload_a_zendesk_export_check_then_confirm(
    client, crosswalks, run_tasks_inline, django_capture_on_commit_callbacks
):
    client.force_login(crosswalks.admin)
    assert "Zendesk export (JSON)" in client.get(reverse("import-list")).content.decode()
    payload = {"tickets": [zd_ticket(1), zd_ticket(2, status="open")], "metric_sets": [zd_metrics(1)]}
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, payload)
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("import-detail", args=[run.pk])
    assert (run.status, run.source_format, run.created) == ("valid", "zendesk", 2)
    assert Ticket.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-confirm", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.created) == ("done", 2)
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["zendesk:1", "zendesk:2"]
    # How the file was read, in the picker's words.
    assert "Upload page · Zendesk export (JSON)" in client.get(reverse("import-list")).content.decode()


def test_upload_errors_name_the_source_record(
    client, crosswalks, run_tasks_inline, django_capture_on_commit_callbacks
):
    client.force_login(crosswalks.admin)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, {"tickets": [zd_ticket(7, org=4242)]})
    run = ImportRun.objects.get()
    assert run.status == "invalid"
    page = client.get(reverse("import-detail", args=[run.pk])).content.decode()
    assert "Zendesk ticket 7 (record 1): no account matches organization_id" in page


def test_upload_refuses_a_kind_the_source_does_not_give(client, crosswalks):
    client.force_login(crosswalks.admin)
    response = upload(client, {"tickets": []}, kind="revenue")
    assert response.status_code == 200
    assert "Zendesk gives tickets, not revenue" in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_api_ingest_with_a_source(crosswalks):
    api = APIClient()
    api.force_authenticate(crosswalks.admin)
    body = {
        "entries": [cm_activity("a1", "new_biz", 12345, "2026-01-05T10:00:00+00:00")],
        "has_more": False,
        "cursor": None,
    }
    url = reverse("api-ingest", args=["revenue"]) + "?source=chartmogul"
    response = api.post(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1
    assert str(RevenueEvent.objects.get().mrr_delta) == "123.45"
    run = ImportRun.objects.get()
    assert (run.source, run.source_format) == ("api", "chartmogul")
    body["entries"][0]["customer-external-id"] = "cus_9999"
    response = api.post(url, body, format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["row"], error["column"], error["value"], error["code"]) == (
        1,
        "customer-external-id",
        "cus_9999",
        "no_crosswalk_match",
    )


def test_api_ingest_refuses_an_unknown_or_unfit_source(crosswalks):
    api = APIClient()
    api.force_authenticate(crosswalks.admin)
    for source, message in [
        ("zendesk", "Zendesk gives tickets, not revenue"),
        ("stripe", "unknown source 'stripe'"),
    ]:
        response = api.post(reverse("api-ingest", args=["revenue"]) + f"?source={source}", [], format="json")
        assert response.status_code == 400
        assert message in response.json()["errors"][0]["message"]
    assert ImportRun.objects.count() == 0
