"""The API takes JSON bodies only (forms and file uploads are the pages'): a form or multipart body
answers 415 with a sentence saying what to send and writes nothing, and the schema documents every
request body under application/json alone (a generator given three media types makes a union of the
same type, which openapi-python-client could not even import)."""

import datetime

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from okrs import services as okr_services
from okrs.models import CheckIn, Objective
from reviews.models import ReviewCycle

METHODS = ("post", "put", "patch", "delete")


@pytest.fixture
def key_result(org):
    objective = okr_services.objective_create(user=org.csm_a, period="2026-Q4", title="Grow", csm=org.csm_a)
    return okr_services.key_result_create(
        user=org.csm_a, objective=objective, title="n", kind="numeric", baseline=0, target=5
    )


@pytest.mark.parametrize("format_", ["multipart", None])
def test_a_form_or_multipart_check_in_answers_415_and_writes_nothing(org, key_result, format_):
    api = APIClient()
    api.force_authenticate(org.csm_a)
    body = {"key_result": key_result.pk, "confidence": 7, "value": 2}
    if format_:
        response = api.post("/api/v1/check-ins/", body, format=format_)
        sent = "multipart/form-data"
    else:
        response = api.post(
            "/api/v1/check-ins/",
            f"key_result={key_result.pk}&confidence=7&value=2",
            content_type="application/x-www-form-urlencoded",
        )
        sent = "application/x-www-form-urlencoded"
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": 'The API takes JSON bodies only: send the body as JSON with "Content-Type: '
        f'application/json". This one ({sent}) was not read, and nothing was written.'
    }
    assert not CheckIn.objects.exists()
    # The same body as JSON is taken.
    assert api.post("/api/v1/check-ins/", body, format="json").status_code == 201
    assert CheckIn.objects.count() == 1


def test_every_write_refuses_a_form(org):
    hr = APIClient()
    hr.force_authenticate(org.hr)
    ops = APIClient()
    ops.force_authenticate(org.admin)
    cycle = {"period": "2026-Q3", "self_review_due": "2026-10-05", "manager_review_due": "2026-10-09"}
    for api, url in (
        (hr, "/api/v1/cycles/"),
        (hr, "/api/v1/objectives/"),
        (hr, "/api/v1/key-results/"),
        (ops, "/api/v1/ingest/tickets/"),
    ):
        response = api.post(url, cycle, format="multipart")
        assert response.status_code == 415, (url, response.content)
    assert not ReviewCycle.objects.exists() and not Objective.objects.exists()
    # A POST without a body (opening a cycle) is still fine: there is nothing to parse.
    created = hr.post("/api/v1/cycles/", cycle)
    assert created.status_code == 201, created.content
    opened = hr.post(f"/api/v1/cycles/{created.json()['id']}/open/")
    assert opened.status_code in (200, 400), opened.content  # 400: asks to confirm, still JSON
    assert opened["Content-Type"] == "application/json"
    assert datetime.date(2026, 10, 5).isoformat() == created.json()["self_review_due"]


def test_the_schema_documents_every_request_body_as_json_only():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    bodies = {
        f"{method.upper()} {path}": sorted(operation["requestBody"]["content"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS and "requestBody" in operation
    }
    assert len(bodies) >= 7, bodies  # every write with a body was found
    assert {k: v for k, v in bodies.items() if v != ["application/json"]} == {}
