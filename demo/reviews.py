"""Reviews of the demo organisation: the previous quarter's cycle closed with finalized reviews, the
current quarter's open with reviews at every step of the workflow."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from accounts.models import Role, User
from demo.builders import aware
from kpis.periods import Period
from reviews.cycles import services as cycle_services
from reviews.input import services as input_services
from reviews.input.suggestions import suggestions_for
from reviews.models import FeedbackNote, InputRequest, InputStatus, Review, ReviewStatus
from reviews.notes import services as note_services
from reviews.writing import disputes, services

SELF = {
    "outcomes": "Kept every strategic account; two expansions closed with the account executives.",
    "customer_experience": "Answered faster after moving the weekly office hours to Tuesdays.",
    "okrs": "Success plans are signed off for most new customers; QBR deck reused across accounts.",
    "product_expertise": "Ran the reporting workshop for three customers.",
    "collaboration": "Fed the top five feature requests to product with revenue attached.",
}
MANAGER = {
    "outcomes": "Retention is solid; the churned logo was flagged early and well documented.",
    "customer_experience": "Service numbers improved; NPS follow-ups with detractors need to happen within a week.",
    "okrs": "Good progress on success plans; QBRs slipped for two accounts.",
    "product_expertise": "Trusted by customers on the reporting module.",
    "collaboration": "Works well with support; keep sales in the loop on renewals earlier.",
}


def _walk(
    review: Review,
    hr: User,
    until: str,
    rng: random.Random,
    before_submit: Callable[[Review], None] | None = None,
) -> None:
    manager = review.reviewer
    if manager is None:  # every demo review has its reviewer; none to walk without one
        return
    order = ["self_review", "manager_review", "submitted", "acknowledged", "finalized"]
    steps = order[: order.index(until) + 1] if until in order else []
    if "self_review" in steps:
        review = services.review_send_to_csm(user=manager, review=review, version=review.version)
        review = services.review_save_self(
            user=review.csm,
            review=review,
            version=review.version,
            sections=SELF,
            ratings={s: str(rng.choice([3, 3, 4, 4, 5])) for s in SELF},
        )
    if "manager_review" in steps:
        review = services.review_submit_self(user=review.csm, review=review, version=review.version)
        suggested = review.suggested_detail.get("rounded") or 3
        final = max(1, min(5, suggested + rng.choice([0, 0, 0, 1, -1])))
        review = services.review_save_manager(
            user=manager,
            review=review,
            version=review.version,
            sections=MANAGER,
            section_ratings={s: str(max(1, min(5, final + rng.choice([-1, 0, 0, 1])))) for s in MANAGER},
            final_rating=str(final),
            final_rating_reason=""
            if final == suggested
            else "Context the numbers miss: see the outcomes section.",
        )
    if "submitted" in steps:
        if before_submit is not None:
            before_submit(review)
        review = services.review_submit(user=manager, review=review, version=review.version)
        if rng.random() < 0.3:
            dispute = disputes.dispute_raise(
                user=review.csm,
                review=review,
                metric="first_response_hours",
                comment="Two tickets were opened on a weekend by mistake.",
            )
            dispute = disputes.dispute_answer(
                user=manager, dispute=dispute, answer="Agreed; noted in the outcomes section."
            )
            if "acknowledged" in steps and rng.random() < 0.7:
                disputes.dispute_resolve(user=review.csm, dispute=dispute)
    if "acknowledged" in steps:
        review = services.review_acknowledge(
            user=review.csm,
            review=review,
            version=review.version,
            comment=rng.choice(["", "Thanks: fair summary.", "I see it differently on QBRs."]),
            confirm_open_flags=True,  # a flag left answered but not resolved: the acknowledgement says so
        )
    if "finalized" in steps:
        services.review_finalize(user=hr, review=review, version=review.version)


ANSWERS = [
    {
        "strengths": "Ran the joint QBRs with me and knew every open ticket before the customer asked.",
        "improve": "Loop sales in earlier when a renewal looks shaky.",
        "other": "",
    },
    {
        "strengths": "Turned the technical deep-dive into a plan the customer's team actually followed.",
        "improve": "",
        "other": "The customer asked for them by name on the last call.",
    },
    {
        "strengths": "Calm and clear during the outage; customers got updates before they asked.",
        "improve": "Write the escalation notes up the same day, not the next week.",
        "other": "",
    },
]
DECLINED = "I only joined the account last month: not enough to say."
# Per review, the colleagues asked: the first suggestions (the account team first).
ASKED_CLOSED, ASKED_CURRENT = 3, 2
ATLAS = 7  # the first CSMs (by pk) are team Atlas: manager@example.com's reviews carry the input


def _ask(review: Review, count: int) -> list[InputRequest]:
    """The first ``count`` suggestions for the review, asked by its reviewer."""
    reviewer = review.reviewer
    if reviewer is None:
        return []
    return [
        input_services.input_request_create(
            user=reviewer, review=review, contributor=s.person, source=s.source
        )
        for s in suggestions_for(review)[:count]
    ]


def _answer(request: InputRequest, rng: random.Random) -> None:
    input_services.input_answer(
        user=request.contributor,
        request=request,
        answers=ANSWERS[rng.randrange(len(ANSWERS))],
        rating=str(rng.choice([3, 4, 4, 5])),
    )


def _closed_cycle_input(rng: random.Random, index: list[int]) -> Callable[[Review], None]:
    """Before an Atlas review of the closed cycle is submitted: three colleagues asked, two answer,
    and on every other review the third declines (the others answer)."""

    def ask(review: Review) -> None:
        i = index[0]
        index[0] += 1
        if i >= ATLAS or review.reviewer is None:
            return
        for n, request in enumerate(_ask(review, ASKED_CLOSED)):
            if n == 2 and i % 2 == 0:
                input_services.input_decline(user=request.contributor, request=request, reason=DECLINED)
            else:
                _answer(request, rng)

    return ask


def _current_cycle_input(reviews: list[Review], rng: random.Random) -> None:
    """The Atlas reviews still being written: two colleagues asked, waiting; on the first review the
    manager is writing, the first of them has answered."""
    answered = False
    for review in reviews[:ATLAS]:
        review.refresh_from_db(fields=["status"])
        if review.reviewer is None or review.status not in (
            ReviewStatus.DRAFT,
            ReviewStatus.SELF_REVIEW,
            ReviewStatus.MANAGER_REVIEW,
        ):
            continue
        requests = _ask(review, ASKED_CURRENT)
        if requests and not answered and review.status == ReviewStatus.MANAGER_REVIEW:
            _answer(requests[0], rng)
            answered = True


def _backdate_input(cycle_period: Period) -> None:
    """The closed cycle's requests were asked and answered in its quarter, not on the day of the seed."""
    asked = aware(cycle_period.end - datetime.timedelta(days=10), 9)
    InputRequest.objects.filter(review__cycle__period=str(cycle_period)).update(
        requested_at=asked, due_on=cycle_period.end + datetime.timedelta(days=7)
    )
    InputRequest.objects.filter(review__cycle__period=str(cycle_period), status=InputStatus.ANSWERED).update(
        answered_at=aware(cycle_period.end - datetime.timedelta(days=4), 15)
    )


NOTES = [
    # (who writes: "manager", "hr" or "peer"), kind, shown to the CSM, the note
    ("manager", "praise", True, "Turned the renewal around after the outage: calm, clear, on time."),
    ("peer", "praise", True, "Covered two of my accounts during my leave without a single dropped ball."),
    ("hr", "concern", False, "Two customers asked for a new contact this quarter; worth a conversation."),
]


def _feedback_notes(current: Period, today: datetime.date) -> None:
    """A few feedback notes on the first CSMs, written in the current quarter (before today)."""
    csms = list(
        User.objects.filter(role=Role.CSM, team__isnull=False).select_related("team").order_by("pk")[:4]
    )
    hr = User.objects.filter(role=Role.HR).order_by("pk").first()
    for i, csm in enumerate(csms):
        peer = User.objects.filter(team=csm.team, role=Role.CSM).exclude(pk=csm.pk).order_by("pk").first()
        authors = {"manager": csm.team.manager, "hr": hr, "peer": peer}
        for j, (who, kind, shared, body) in enumerate(NOTES):
            author = authors[who]
            if author is None or (i + j) % 4 == 3:
                continue
            note = note_services.note_create(
                author=author, csm=csm, kind=kind, body=body, shared_with_csm=shared
            )
            day = min(today, current.start + datetime.timedelta(days=20 + 9 * j + i))
            FeedbackNote.objects.filter(pk=note.pk).update(created_at=aware(day, 11))


def demo_reviews_build(*, today: datetime.date, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    hr = User.objects.filter(role=Role.HR).order_by("pk").first()
    current = Period.containing(today)
    previous = current.previous()
    closed = cycle_services.cycle_create(
        user=hr,
        period=str(previous),
        self_review_due=previous.end,
        manager_review_due=previous.end + datetime.timedelta(days=14),
    )
    cycle_services.cycle_open(user=hr, cycle=closed)
    # The colleagues' input draws from a stream of its own: the reviews' draws stay as they were.
    input_rng = random.Random(seed + 27)
    ask_closed = _closed_cycle_input(input_rng, [0])
    for review in closed.reviews.select_related("csm", "reviewer", "cycle__template").order_by("csm__pk"):
        _walk(review, hr, "finalized", rng, before_submit=ask_closed)
    cycle_services.cycle_start_calibration(user=hr, cycle=closed)
    cycle_services.cycle_close(user=hr, cycle=closed)
    _feedback_notes(current, today)
    cycle = cycle_services.cycle_create(
        user=hr,
        period=str(current),
        self_review_due=current.end - datetime.timedelta(days=7),
        manager_review_due=current.end + datetime.timedelta(days=14),
    )
    cycle_services.cycle_open(user=hr, cycle=cycle)
    steps = ["draft", "self_review", "manager_review", "submitted", "acknowledged", "finalized"]
    reviews = list(cycle.reviews.select_related("csm", "reviewer", "cycle__template").order_by("csm__pk"))
    for i, review in enumerate(reviews):
        # csm@example.com (the first CSM) has a submitted review waiting for their acknowledgement.
        _walk(review, hr, "submitted" if i == 0 else steps[i % len(steps)], rng)
    _current_cycle_input(reviews, input_rng)
    _backdate_input(previous)
    return {
        "reviews": Review.objects.count(),
        "finalized": Review.objects.filter(status=ReviewStatus.FINALIZED).count(),
        "input requests": InputRequest.objects.count(),
    }
