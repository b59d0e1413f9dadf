"""The review workflow is one table (reviews.workflow): the services, the page's buttons, the API and the
notification receivers read it. These tests hold the table to the behaviour written out by hand: who
sees which button in which state, and who hears of which step."""

import datetime

import pytest
from django.urls import reverse

from kpis import services as kpi_services
from kpis.periods import Period
from notifications import receivers
from reviews import workflow
from reviews.cycles import services as cycle_services
from reviews.models import Review, ReviewStatus
from reviews.workflow import Actor
from reviews.writing import services
from reviews.writing.views import _actions
from tests import factories
from tests.kpis import world

Q3 = "2026-Q3"
D = datetime.date


def test_the_services_and_the_table_name_the_same_steps():
    assert set(services.TRANSITIONS) == set(workflow.ACTIONS)
    assert {"submit_self", "submit", "acknowledge", "finalize"} == workflow.IRREVERSIBLE


def test_every_person_a_step_tells_has_a_sentence_and_every_sentence_a_step():
    told = {(s.action, a) for s in workflow.STEPS for a in s.tells}
    assert told == set(receivers.STEP_TEXTS)
    assert {s.action for s in workflow.STEPS if s.tells} == set(receivers.STEP_KINDS)
    assert {s.action for s in workflow.STEPS if s.tells_team} == set(receivers.STEP_ANNOUNCEMENTS)


def test_the_steps_chain_from_draft_to_finalized_and_reopen_goes_back_to_the_manager():
    chain = [ReviewStatus.DRAFT]
    for step in workflow.STEPS:
        if step.action != "reopen":
            assert step.source == chain[-1]
            chain.append(step.target)
    assert chain[-1] == ReviewStatus.FINALIZED
    reopen = workflow.STEP["reopen"]
    assert (reopen.source, reopen.target) == (ReviewStatus.FINALIZED, ReviewStatus.MANAGER_REVIEW)


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    w["manager_a"], w["manager_b"] = w["team_a"].manager, w["team_b"].manager
    w["hr"] = factories.HrFactory(email="hr@example.com")
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=D(2026, 11, 1))
    w["cycle"] = cycle_services.cycle_create(
        user=w["hr"], period=Q3, self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )
    cycle_services.cycle_open(user=w["hr"], cycle=w["cycle"])
    w["review"] = Review.objects.get(cycle=w["cycle"], csm=w["bob"])
    return w


# Who sees which button in each state, written out by hand (bob's review; his manager is manager_a;
# manager_b manages another team; reopening is HR's card, not a button of the bar).
BUTTONS = {
    ReviewStatus.DRAFT: {"bob": [], "manager_a": ["send_to_csm"], "hr": ["send_to_csm"], "manager_b": []},
    ReviewStatus.SELF_REVIEW: {"bob": ["submit_self"], "manager_a": [], "hr": [], "manager_b": []},
    ReviewStatus.MANAGER_REVIEW: {"bob": [], "manager_a": ["submit"], "hr": [], "manager_b": []},
    ReviewStatus.SUBMITTED: {"bob": ["acknowledge"], "manager_a": [], "hr": [], "manager_b": []},
    ReviewStatus.ACKNOWLEDGED: {"bob": [], "manager_a": [], "hr": ["finalize"], "manager_b": []},
    ReviewStatus.FINALIZED: {"bob": [], "manager_a": [], "hr": [], "manager_b": []},
}


def _advance(w, review, to):
    m, bob, hr = w["manager_a"], w["bob"], w["hr"]
    steps = [
        (
            ReviewStatus.SELF_REVIEW,
            lambda r: services.review_send_to_csm(user=m, review=r, version=r.version),
        ),
        (
            ReviewStatus.MANAGER_REVIEW,
            lambda r: services.review_submit_self(
                user=bob,
                review=services.review_save_self(
                    user=bob, review=r, version=r.version, sections={"outcomes": "X"}
                ),
                version=r.version + 1,
            ),
        ),
        (
            ReviewStatus.SUBMITTED,
            lambda r: services.review_submit(
                user=m,
                review=services.review_save_manager(
                    user=m,
                    review=r,
                    version=r.version,
                    final_rating=r.suggested_detail.get("rounded") or 3,
                ),
                version=r.version + 1,
            ),
        ),
        (
            ReviewStatus.ACKNOWLEDGED,
            lambda r: services.review_acknowledge(user=bob, review=r, version=r.version),
        ),
        (ReviewStatus.FINALIZED, lambda r: services.review_finalize(user=hr, review=r, version=r.version)),
    ]
    order = [ReviewStatus.DRAFT] + [status for status, _ in steps]
    for status, step in steps:
        if order.index(review.status) >= order.index(to):
            break
        if order.index(review.status) >= order.index(status):
            continue
        review = step(Review.objects.get(pk=review.pk))
        assert review.status == status
    return Review.objects.get(pk=review.pk)


def test_the_page_offers_each_person_the_steps_of_the_table(w):
    review = w["review"]
    for status, expected in BUTTONS.items():
        review = _advance(w, review, status)
        for who, actions in expected.items():
            assert [a["action"] for a in _actions(review, w[who])] == actions, (status, who)


def test_a_step_not_theirs_answers_403_on_the_api_with_the_tables_words(w, client):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(w["manager_b"])
    review = w["review"]
    response = api.post(
        f"/api/v1/reviews/{review.pk}/transition/",
        {"action": "send_to_csm", "version": review.version},
        format="json",
    )
    assert response.status_code in (403, 404)
    api.force_authenticate(w["bob"])
    review = _advance(w, review, ReviewStatus.SELF_REVIEW)
    response = api.post(
        f"/api/v1/reviews/{review.pk}/transition/",
        {"action": "finalize", "version": review.version},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Only HR finalizes a review."


def test_the_page_refuses_an_action_outside_the_table(w, client):
    client.force_login(w["manager_a"])
    review = w["review"]
    response = client.post(
        reverse("review-transition", args=[review.pk, "approve"]), {"version": review.version}
    )
    assert response.status_code in (400, 404)
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.DRAFT


def test_actors_of_a_review(w):
    review = w["review"]
    assert workflow.actors_of(w["bob"], review) == {Actor.CSM}
    assert workflow.actors_of(w["manager_a"], review) == {Actor.REVIEWER}
    assert workflow.actors_of(w["hr"], review) == {Actor.HR}
    assert workflow.actors_of(w["manager_b"], review) == set()
