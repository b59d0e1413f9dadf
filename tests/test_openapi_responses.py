"""Real responses conform to the served schema, checked by an independent validator (schemathesis'
response conformance check on /api/schema/): the scorecard (null benchmarks and a run), KPI values,
a review (its ratings to come null), a cycle, to-dos and a 400's field errors. Every output
field the server always sends is `required`, so a response missing one fails. A review's contents
are typed to the leaf: its snapshot (metric rows and their breakdowns, OKRs, the expected-results
model), the suggested rating's detail, the self-review and the manager's part per section, their
ratings (null for a section not rated), and each of them null while hidden from the caller."""

import copy
import datetime
import json

import httpx
import pytest
import schemathesis
from rest_framework.test import APIClient

from kpis import services as kpi_services
from kpis.periods import Period
from okrs import services as okr_services
from reviews.cycles import services as cycle_services
from reviews.writing import services as review_services
from tests import factories


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


@pytest.fixture
def written(org):
    """A review of CSM A with something in every part: MRR movements and touchpoints (breakdowns),
    an objective with a key result half done (the OKR part of the suggested rating), the CSM's
    self-review with one section rated and one not, submitted; the manager's part in draft."""
    account = org.account_a
    factories.RevenueEventFactory(account=account, date=datetime.date(2025, 1, 1), kind="new", mrr_delta=1000)
    factories.RevenueEventFactory(
        account=account, date=datetime.date(2026, 8, 3), kind="expansion", mrr_delta=100
    )
    for day in (4, 5):
        factories.TouchpointFactory(
            account=account, csm=org.csm_a, occurred_at=factories.aware(2026, 8, day), kind="call"
        )
    objective = okr_services.objective_create(
        user=org.csm_a, period="2026-Q3", title="Grow my book", csm=org.csm_a
    )
    kr = okr_services.key_result_create(
        user=org.csm_a, objective=objective, title="Seats", kind="numeric", baseline=10, target=20
    )
    okr_services.check_in_create(user=org.csm_a, key_result=kr, value="15", confidence=7)
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 5),
        manager_review_due=datetime.date(2026, 10, 9),
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle)
    r = cycle.reviews.get(csm=org.csm_a)
    r = review_services.review_send_to_csm(user=org.manager_a, review=r, version=r.version)
    r = review_services.review_save_self(
        user=org.csm_a,
        review=r,
        version=r.version,
        sections={"outcomes": "Kept the book.", "okrs": "Half way."},
        ratings={"outcomes": "4", "okrs": ""},
    )
    r = review_services.review_submit_self(user=org.csm_a, review=r, version=r.version)
    return review_services.review_save_manager(
        user=org.manager_a,
        review=r,
        version=r.version,
        sections={"outcomes": "Grew the book."},
        section_ratings={"outcomes": "3"},
        final_rating="3",
    )


def test_a_reviews_contents_conform_to_their_exact_schemas(org, written, served):
    url, template = f"/api/v1/reviews/{written.pk}/", "/api/v1/reviews/{id}/"
    response = _as(org.manager_a).get(url)
    assert response.status_code == 200
    _check(served, template, "GET", response, url)
    body = response.json()
    snapshot = body["snapshot"]
    metrics = {m["metric"]: m for m in snapshot["metrics"]}
    # Worked out by hand: a cohort of 1,000 MRR that expanded by 100; two calls in August.
    assert metrics["portfolio_growth"]["value"] == "100.00"
    assert metrics["portfolio_growth"]["breakdown"] == {"expansion": "100.00"}
    assert metrics["touchpoints"]["breakdown"] == {"call": 2}
    assert metrics["nrr_lift"]["breakdown"]["reason"] == "few_history_accounts"  # one account
    # The key result: (15 - 10) / (20 - 10) = 0.50, the only objective's score and the CSM's.
    okrs = snapshot["okrs"]
    assert okrs["score"] == "0.50"
    [objective] = okrs["objectives"]
    assert (objective["commitment"], objective["expected"], objective["score"]) == (
        "committed",
        "1.0",
        "0.50",
    )
    [kr] = objective["key_results"]
    assert (kr["kind"], kr["baseline"], kr["target"], kr["current"], kr["progress"]) == (
        "numeric",
        "10.00",
        "20.00",
        "15.00",
        "0.50",
    )
    assert [f["outcome"] for f in snapshot["expected_model"]] == ["gross_retention", "logo_retention", "nrr"]
    # The OKR part: 1 + 0.50 x (5 - 1) = 3.00, without a floor, target nor sample.
    detail = body["suggested_detail"]
    okr_part = next(p for p in detail["parts"] if p["metric"] == "okr_score")
    assert (okr_part["value"], okr_part["rating"]) == ("0.50", "3.00")
    assert "floor" not in okr_part
    assert body["self_assessment"] == {"outcomes": "Kept the book.", "okrs": "Half way."}
    assert body["self_ratings"] == {"outcomes": 4, "okrs": None}  # null: a section not rated
    assert (body["manager_assessment"], body["section_ratings"]) == (
        {"outcomes": "Grew the book."},
        {"outcomes": 3},
    )
    # The CSM reads it before the manager submits: the manager's part is null, and conforms.
    mine = _as(org.csm_a).get(url)
    seen = mine.json()
    assert (seen["manager_assessment"], seen["section_ratings"], seen["suggested_detail"]) == (
        None,
        None,
        None,
    )
    assert seen["self_ratings"] == {"outcomes": 4, "okrs": None}
    _check(served, template, "GET", mine, url)
    _check(served, "/api/v1/reviews/", "GET", _as(org.csm_a).get("/api/v1/reviews/"), "/api/v1/reviews/")


@pytest.mark.parametrize(
    "broken",
    [
        lambda b: b["snapshot"]["metrics"][0].update(value=100),  # a decimal is a string
        lambda b: b["snapshot"]["metrics"][0].pop("breakdown"),
        lambda b: next(m for m in b["snapshot"]["metrics"] if m["metric"] == "touchpoints")[
            "breakdown"
        ].update(call="2"),
        lambda b: b["snapshot"].pop("okrs"),
        lambda b: b["snapshot"]["okrs"]["objectives"][0]["key_results"][0].update(kind="stretch"),
        lambda b: b["snapshot"]["expected_model"][0].update(training_quarters="2026-Q2"),
        lambda b: b["self_ratings"].update(outcomes="4"),
        lambda b: b["self_assessment"].update(outcomes=None),
        lambda b: b["suggested_detail"]["parts"][0].pop("rating"),
        lambda b: b["suggested_detail"].update(parts=None),
        lambda b: b.update(snapshot=None),  # never hidden
    ],
    ids=[
        "decimal-as-number",
        "no-breakdown",
        "count-as-text",
        "no-okrs",
        "unknown-kind",
        "quarters-as-text",
        "rating-as-text",
        "null-section-text",
        "part-without-rating",
        "null-parts",
        "null-snapshot",
    ],
)
def test_the_validator_refuses_a_wrong_content(org, written, served, broken):
    url = f"/api/v1/reviews/{written.pk}/"
    response = _as(org.manager_a).get(url)
    body = copy.deepcopy(response.json())
    _check(served, "/api/v1/reviews/{id}/", "GET", response, url, body)  # as sent: conforms
    broken(body)
    with pytest.raises(AssertionError):
        _check(served, "/api/v1/reviews/{id}/", "GET", response, url, body)
