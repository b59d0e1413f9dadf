"""Malformed parameters answer a 4xx (or the page with a message), never a 500, and write nothing:
periods outside the years the product holds, ids that are not numbers, versions that are missing
or not whole numbers."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from rest_framework.test import APIClient

from kpis import services as kpi_services
from kpis.periods import Period
from reviews.cycles import services as cycle_services
from reviews.models import Review, ReviewCycle
from tests.test_permission_matrix import TABLE, objects  # noqa: F401 - the fixture is used below

BAD_PERIODS = [
    "0000-Q1",
    "9999-Q4",
    "0000-01",
    "9999-12",
    "1999-Q4",
    "2101-01",
    "abc",
    "2026-Q9",
    "２０２６-Q3",
]


@pytest.fixture
def review(org):
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 5),
        manager_review_due=datetime.date(2026, 10, 9),
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle)
    return cycle.reviews.get(csm=org.csm_a)


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_pages_and_api_with_a_bad_period(client, org, period):
    client.force_login(org.manager_a)
    for url in (
        reverse("scorecard", args=[org.csm_a.pk]),
        reverse("explain", args=[org.csm_a.pk, "nrr"]),
        reverse("team-detail", args=[org.team_a.pk]),
    ):
        response = client.get(url, {"period": period})
        assert response.status_code == 200, (url, response.status_code)
        assert (
            "is not a period" in response.content.decode() or "outside the years" in response.content.decode()
        )
    api = APIClient()
    api.force_authenticate(org.manager_a)
    for url in ("/api/v1/kpis/", f"/api/v1/scorecards/{org.csm_a.pk}/"):
        response = api.get(url, {"period": period})
        assert response.status_code == 400, (url, response.status_code, response.content[:300])


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_a_cycle_for_a_bad_period_is_refused_and_not_stored(org, period):
    api = APIClient()
    api.force_authenticate(org.hr)
    response = api.post(
        "/api/v1/cycles/",
        {"period": period, "self_review_due": "2026-10-05", "manager_review_due": "2026-10-09"},
        format="json",
    )
    assert response.status_code == 400, response.content[:300]
    assert ReviewCycle.objects.count() == 0


@pytest.mark.parametrize("cycle", ["abc", "1.5", "-1", "99999999999999999999999", "1;DROP"])
def test_reviews_api_with_a_bad_cycle_filter(org, review, cycle):
    api = APIClient()
    api.force_authenticate(org.hr)
    response = api.get("/api/v1/reviews/", {"cycle": cycle})
    assert response.status_code == 400, response.content[:300]


@pytest.mark.parametrize("version", [None, "", "abc", "1.5", "1e3", True])
def test_a_missing_or_bad_version_changes_nothing(client, org, review, version):
    before = Review.objects.get(pk=review.pk)
    api = APIClient()
    api.force_authenticate(org.manager_a)
    body = {"action": "send_to_csm"} | ({} if version is None else {"version": version})
    response = api.post(f"/api/v1/reviews/{review.pk}/transition/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "version" in response.json()
    client.force_login(org.manager_a)
    data = {} if version is None else {"version": str(version)}
    response = client.post(reverse("review-save", args=[review.pk]), data | {"section_outcomes": "x"})
    assert response.status_code < 500
    response = client.post(reverse("review-transition", args=[review.pk, "send_to_csm"]), data)
    assert response.status_code < 500
    response = client.post(reverse("review-refresh", args=[review.pk]), data)
    assert response.status_code < 500
    after = Review.objects.get(pk=review.pk)
    assert (after.status, after.version, after.manager_assessment) == (
        before.status,
        before.version,
        before.manager_assessment,
    )


# Every query parameter a page or an endpoint reads (and one nobody reads), each with a NUL in it.
NUL_PARAMETERS = [
    "period", "cycle", "status", "manager", "overdue", "q", "segment", "sort", "format", "level",
    "metric", "page", "unread", "part", "download", "limit", "offset", "dry_run", "source", "mapping",
    "o", "p", "whatever",
]  # fmt: skip


def test_objectives_api_with_a_nul_in_the_period_is_400(org):
    api = APIClient()
    api.force_authenticate(org.csm_a)
    response = api.get("/api/v1/objectives/?period=%00")
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {
        "detail": "The parameter period holds a NUL character (%00), which no parameter may hold."
    }


def test_the_api_answers_a_nul_parameter_with_a_detail_as_every_documented_400_allows(org):
    """The long fuzz run found {"M\\0…": [...]} outside the ingest endpoint's 400 (IngestRefusal: its
    summary or a detail): the answer is {"detail": ...}, which every endpoint's 400 allows."""
    api = APIClient()
    api.force_authenticate(org.admin)
    response = api.post("/api/v1/ingest/tickets/?M%00=1", [], format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "The parameter M\\0 holds a NUL character (%00), which no parameter may hold."},
    )


@pytest.mark.parametrize("role", ["csm_a", "manager_a", "hr", "admin"])
def test_a_nul_in_any_query_parameter_of_any_page_or_endpoint_is_400(client, org, objects, role):  # noqa: F811
    """PostgreSQL text cannot hold NUL: ?period=%00 reached the database (500). Every URL of the
    permission matrix, every parameter, as each role: 400 with the parameter named."""
    client.force_login(getattr(org, role))
    wrong = []
    for name, (kwargs, _query, _expected) in sorted(TABLE.items()):
        url = reverse(name, kwargs=kwargs(objects) if callable(kwargs) else kwargs)
        for parameter in NUL_PARAMETERS:
            for query in (f"?{parameter}=%00", f"?{parameter}=2026-Q3%00", f"?{parameter}%00=1"):
                response = client.get(url + query)
                if response.status_code != 400:
                    wrong.append(f"{url}{query}: {response.status_code}")
                elif parameter not in response.content.decode():
                    wrong.append(f"{url}{query}: the answer does not name {parameter}")
    assert not wrong, "\n".join(wrong[:40])


def test_a_nul_in_the_path_or_an_admin_filter_is_400(client, org):
    client.force_login(org.admin)
    assert client.get("/admin/reviews/review/?status__exact=%00").status_code == 400  # was a 500
    assert client.get("/api/v1/ingest/tick%00ets/").status_code == 400
    response = client.get("/reviews/%00/")
    assert response.status_code == 400 and "NUL character" in response.content.decode()


def test_the_400_page_needs_no_context():
    assert "cannot be read" in render_to_string("400.html")


@pytest.mark.parametrize(
    "body",
    [
        [],
        ["send_to_csm", 1],
        "send_to_csm",
        3,
        {"action": ["send_to_csm"], "version": 1},
        {"action": "send_to_csm", "version": [1]},
        {"action": "send_to_csm", "version": {"v": 1}},
        {"action": "acknowledge", "version": 1, "confirm_open_flags": "maybe"},
        {"action": "acknowledge", "version": 1, "comment": ["a"]},
        {"action": "reopen", "version": 1, "reason": {"why": "x"}},
    ],
)
def test_a_transition_body_of_the_wrong_shape_is_400_and_changes_nothing(org, review, body):
    """request.data.get on a list or a string answered 500: the body is validated first."""
    api = APIClient()
    api.force_authenticate(org.manager_a)
    response = api.post(f"/api/v1/reviews/{review.pk}/transition/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    after = Review.objects.get(pk=review.pk)
    assert (after.status, after.version) == (review.status, review.version)


@pytest.mark.parametrize("body", [[], "confirm", 1, {"confirm": "maybe"}, {"confirm": [True]}])
def test_opening_a_cycle_with_a_body_of_the_wrong_shape_is_400(org, review, body):
    api = APIClient()
    api.force_authenticate(org.hr)
    reviews = Review.objects.count()
    review.delete()  # opening again would create it: a refused open creates nothing
    response = api.post(f"/api/v1/cycles/{review.cycle_id}/open/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert Review.objects.count() == reviews - 1


@pytest.mark.parametrize("body", [[], "go", {"override_reason": ["because"]}, {"override_reason": {"a": 1}}])
def test_advancing_a_cycle_with_a_body_of_the_wrong_shape_is_400(org, review, body):
    api = APIClient()
    api.force_authenticate(org.hr)
    response = api.post(f"/api/v1/cycles/{review.cycle_id}/advance/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    cycle = ReviewCycle.objects.get(pk=review.cycle_id)
    assert (cycle.status, cycle.calibration_override_reason) == ("open", "")
