# ruff: noqa: F811 -- the world fixture is imported from its module and named as a parameter
"""One rule for a cycle's due dates on every way in (page, API, model), and limits on the review's
free texts with the same sentence everywhere; nothing written past them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.cycles import services as cycle_services
from reviews.models import Comment, Review, ReviewCycle
from reviews.writing import disputes, services
from tests.reviews.test_review_pages import w as review_world  # noqa: F401 -- the fixture "w"

D = datetime.date
FAR = "Pick a date between 1 Jan 2000 and 31 Dec 2100."


@pytest.mark.parametrize(
    "self_due, manager_due, field, says",
    [
        ("9999-12-31", "9999-12-31", "self_review_due", FAR),
        ("2027-01-05", "9999-12-31", "manager_review_due", FAR),
        (
            "2026-09-30",
            "2027-01-15",
            "self_review_due",
            "within the quarter reviewed or after it (it starts on 1 Oct 2026)",
        ),
        (
            "2027-01-05",
            "2028-01-01",
            "manager_review_due",
            "at most a year after the quarter ends (by 31 Dec 2027)",
        ),
    ],
)
def test_a_due_date_is_refused_alike_on_the_page_in_the_api_and_by_the_model(
    client,
    review_world,
    self_due,
    manager_due,
    field,
    says,
):
    w = review_world
    before = ReviewCycle.objects.count()
    client.force_login(w["hr"])
    page = client.post(
        reverse("cycle-list"),
        {"period": "2026-Q4", "self_review_due": self_due, "manager_review_due": manager_due},
        follow=True,
    )
    assert page.status_code == 200 and says in page.content.decode()
    api = APIClient()
    api.force_authenticate(w["hr"])
    body = {"period": "2026-Q4", "self_review_due": self_due, "manager_review_due": manager_due}
    refused = api.post("/api/v1/cycles/", body, format="json")
    assert refused.status_code == 400 and says in " ".join(refused.json()[field])
    cycle = ReviewCycle(
        period="2026-Q4",
        template=w["cycle"].template,
        self_review_due=D.fromisoformat(self_due),
        manager_review_due=D.fromisoformat(manager_due),
    )
    with pytest.raises(ValidationError) as model:  # the admin's way in
        cycle.full_clean()
    assert says in " ".join(model.value.message_dict[field])
    assert ReviewCycle.objects.count() == before


def test_due_dates_within_the_rule_are_taken(review_world):
    w = review_world
    cycle = cycle_services.cycle_create(
        user=w["hr"], period="2026-Q4", self_review_due=D(2026, 12, 20), manager_review_due=D(2027, 12, 31)
    )
    assert (cycle.self_review_due, cycle.manager_review_due) == (D(2026, 12, 20), D(2027, 12, 31))


def test_a_review_section_of_10001_characters_is_refused_with_the_count(client, review_world):
    w = review_world
    review = w["review"]
    client.force_login(w["bob"])
    answer = client.post(
        reverse("review-save", args=[review.pk]),
        {"version": review.version, "section_outcomes": "x" * 12_345},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 400
    assert "At most 10,000 characters (you wrote 12,345)." in str(answer.json()["errors"])
    assert Review.objects.get(pk=review.pk).self_assessment == {}
    page = client.get(reverse("review-detail", args=[review.pk])).content.decode()
    assert 'maxlength="10000"' in page  # the section's textarea says its limit
    saved = services.review_save_self(
        user=w["bob"], review=review, version=review.version, sections={"outcomes": "x" * 10_000}
    )
    assert len(saved.self_assessment["outcomes"]) == 10_000


def test_a_comment_past_its_limit_is_refused_and_says_so(client, review_world):
    w = review_world
    review = w["review"]
    client.force_login(w["bob"])
    page = client.post(reverse("review-comment", args=[review.pk]), {"body": "c" * 5001}, follow=True)
    assert "At most 5,000 characters (you wrote 5,001)." in page.content.decode()
    assert not Comment.objects.exists()
    with pytest.raises(ValidationError) as model:
        disputes.comment_add(user=w["bob"], review=review, body="c" * 100_000)
    assert model.value.message_dict == {"body": ["At most 5,000 characters (you wrote 100,000)."]}
