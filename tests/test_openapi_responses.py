"""Real responses conform to the served schema, checked by an independent validator (schemathesis'
response conformance check on /api/schema/): the scorecard (null benchmarks and a run), KPI values,
a review (its ratings to come null), a cycle, to-dos and a 400's field errors. Every output
field the server always sends is `required`, so a response missing one fails."""

import copy
import datetime
import json

import httpx
import pytest
import schemathesis
from rest_framework.test import APIClient

from kpis import services as kpi_services
from kpis.periods import Period
from reviews.cycles import services as cycle_services


@pytest.fixture
def world(org):
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 5),
        manager_review_due=datetime.date(2026, 10, 9),
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle)
    return cycle


@pytest.fixture
def served(org):
    api = APIClient()
    api.force_authenticate(org.hr)
    return schemathesis.openapi.from_dict(api.get("/api/schema/?format=json").json())


def _as(person) -> APIClient:
    api = APIClient()
    api.force_authenticate(person)
    return api


def _http(response, method: str, url: str, body: object = None) -> httpx.Response:
    """The Django test response as an httpx one (what the validator reads), its JSON re-encoded when
    ``body`` replaces it."""
    content = response.content if body is None else json.dumps(body).encode()
    answer = httpx.Response(
        response.status_code,
        headers={"Content-Type": response["Content-Type"]},
        content=content,
        request=httpx.Request(method, f"http://testserver{url}"),
    )
    answer.elapsed = datetime.timedelta(0)
    return answer


def _check(served, template: str, method: str, response, url: str, body: object = None) -> None:
    served[template][method].validate_response(_http(response, method, url, body))


def test_real_responses_conform_to_the_served_schema(org, world, served):
    review = world.reviews.get(csm=org.csm_a)
    calls = [
        (org.hr, "/api/v1/scorecards/{user_id}/", f"/api/v1/scorecards/{org.csm_a.pk}/?period=2026-Q3"),
        (org.hr, "/api/v1/kpis/", "/api/v1/kpis/?period=2026-Q3&limit=500"),
        (org.manager_a, "/api/v1/reviews/{id}/", f"/api/v1/reviews/{review.pk}/"),
        (org.manager_a, "/api/v1/reviews/", "/api/v1/reviews/"),
        (org.hr, "/api/v1/cycles/{id}/", f"/api/v1/cycles/{world.pk}/"),
        (org.hr, "/api/v1/cycles/", "/api/v1/cycles/"),
        (org.csm_a, "/api/v1/todos/", "/api/v1/todos/"),
        (org.hr, "/api/v1/todos/", "/api/v1/todos/"),
    ]
    for person, template, url in calls:
        response = _as(person).get(url)
        assert response.status_code == 200, (url, response.content[:300])
        _check(served, template, "GET", response, url)
    # Nulls included: the scorecard sends null benchmarks beside a run, a review in draft the
    # dates and ratings still to come as null.
    card = _as(org.hr).get(f"/api/v1/scorecards/{org.csm_a.pk}/?period=2026-Q3").json()
    assert card["run"] is not None
    assert any(m["benchmark"] is None for m in card["metrics"])
    sent = _as(org.manager_a).get(f"/api/v1/reviews/{review.pk}/").json()
    assert (sent["final_rating"], sent["acknowledged_at"], sent["submitted_at"]) == (None, None, None)


def test_a_400_is_a_map_of_field_to_messages(org, served):
    url = "/api/v1/cycles/"
    response = _as(org.hr).post(
        url, {"period": "2026-Q5", "self_review_due": "2026-10-05", "manager_review_due": "2026-10-09"}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["period"]
    _check(served, url, "POST", response, url)
    # A field's errors must be a list of sentences: a bare string does not conform.
    with pytest.raises(AssertionError):
        _check(served, url, "POST", response, url, {"period": "not a list"})


def test_the_validator_refuses_a_missing_required_field_and_a_wrong_null(org, world, served):
    review = world.reviews.get(csm=org.csm_a)
    url = f"/api/v1/reviews/{review.pk}/"
    response = _as(org.manager_a).get(url)
    good = response.json()
    for broken in ("status", "version", "reviewer", "final_rating"):
        body = copy.deepcopy(good)
        del body[broken]
        with pytest.raises(AssertionError):
            _check(served, "/api/v1/reviews/{id}/", "GET", response, url, body)
    body = dict(good, version=None)  # a version is never null
    with pytest.raises(AssertionError):
        _check(served, "/api/v1/reviews/{id}/", "GET", response, url, body)
