"""The review list API costs the same number of queries for 2 reviews as for 8: each review's
colleague input and feedback notes are read for the whole page at once, not one review at a time."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Role
from reviews.cycles import services as cycle_services
from reviews.input import services as input_services
from reviews.models import FeedbackNote, Review
from reviews.notes import services as note_services
from tests import factories

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def eight_reviews(org):
    """Org's three CSMs and five more in Team A, each with an account; every review has one answered
    request for input and one feedback note in the quarter (2026-Q3)."""
    for n in range(5):
        csm = factories.CsmFactory(email=f"csm.x{n}@example.com", name=f"CSM X{n}", team=org.team_a)
        account = factories.CustomerAccountFactory(external_id=f"X-{n}", signed_on=D(2025, 1, 1))
        factories.AssignmentFactory(account=account, csm=csm, start_date=D(2025, 1, 1))
    cycle = cycle_services.cycle_create(
        user=org.hr, period="2026-Q3", self_review_due=D(2026, 10, 5), manager_review_due=D(2026, 10, 9)
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    ada = factories.UserFactory(email="ada@example.com", name="Ada Exec", role=Role.CONTRIBUTOR)
    for review in Review.objects.filter(cycle=cycle).select_related("csm"):
        request = input_services.input_request_create(user=org.hr, review=review, contributor=ada)
        input_services.input_answer(
            user=ada, request=request, answers={"strengths": f"Good work, {review.csm.name}"}
        )
        note = note_services.note_create(
            author=org.hr, csm=review.csm, kind="praise", body="Steady quarter.", shared_with_csm=True
        )
        FeedbackNote.objects.filter(pk=note.pk).update(
            created_at=datetime.datetime(2026, 8, 3, 10, tzinfo=datetime.UTC)
        )
    return cycle


def count(api, limit):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/v1/reviews/", {"limit": limit})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == limit
    return len(ctx.captured_queries), rows


def test_two_reviews_and_eight_cost_the_same_queries(org, eight_reviews):
    assert Review.objects.count() == 8
    api = APIClient()
    api.force_authenticate(org.hr)
    two, _rows = count(api, 2)
    eight, rows = count(api, 8)
    assert two == eight
    # Each row still carries its own input and notes.
    for row in rows:
        (answer,) = row["colleague_input"]["answers"]
        assert answer["author"] == "Ada Exec"
        assert [n["body"] for n in row["feedback_notes"]] == ["Steady quarter."]
    names = sorted(r["colleague_input"]["answers"][0]["questions"][0]["answer"] for r in rows)
    assert names == sorted(f"Good work, {r.csm.name}" for r in Review.objects.select_related("csm"))
