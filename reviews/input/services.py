"""Asking colleagues for input on a review, answering, declining, and HR's choice of named or
anonymous input for a cycle. The one place these rules live, for the pages, the API and the tests.

- Who asks: the review's reviewer (an admin acts as one) or HR, while the review is not submitted
  and its cycle is open or in calibration.
- Who may be asked: any active person but the CSM reviewed and integrations; once per review.
- HR (and admins) may ask for a whole cycle at once (``cycle_input_request_all``): each review still
  being written gets its suggestions, account team first, up to ``CYCLE_ASK_PER_REVIEW`` requests
  (those already made counting), each asked as one by one; asking again asks nobody twice.
- Who answers: the person asked, and only them, until the review is submitted (then the input is
  frozen with it). An answer holds at least one question's text, or a rating; it may be edited until
  then. Declining is final for that request.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from accounts.models import Role, User
from core import text as limits
from reviews import signals
from reviews.access import may_ask_input as may_request
from reviews.access import require_hr
from reviews.input.selectors import closed_reason
from reviews.input.suggestions import Suggestion, suggestions_for
from reviews.models import (
    CycleStatus,
    InputRequest,
    InputSource,
    InputStatus,
    Review,
    ReviewCycle,
    ReviewStatus,
    validate_due_date,
)


def frozen_questions(template) -> list[dict]:
    """The template's questions to colleagues as the request keeps them: as written (English), each
    with its translations (``translations``: language -> text) for the languages that have one, so
    that the colleague reads them in their language and a later edit of the template changes nothing
    asked (reviews/translation.py)."""
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        questions = [dict(q) for q in template.input_questions or []]
    for language in settings.MODELTRANSLATION_LANGUAGES:
        if language == settings.MODELTRANSLATION_DEFAULT_LANGUAGE:
            continue
        texts = {
            q.get("key"): q.get("text")
            for q in getattr(template, build_localized_fieldname("input_questions", language)) or []
        }
        for q in questions:
            if texts.get(q["key"]):
                q.setdefault("translations", {})[language] = texts[q["key"]]
    return questions


def check_open(review: Review) -> None:
    reason = closed_reason(review)
    if reason:
        raise ValidationError({"review": reason})


def free_text(value, field: str) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError({field: _("contains a NUL character.")})
    return text


def check_rating(review: Review, value, field: str) -> int | None:
    """A rating of the template's scale, or None for none (the same rule as a review's ratings)."""
    if value in (None, ""):
        return None
    scale = review.cycle.template.scale_values
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = None
    if rating not in scale or str(value).strip() != str(rating):
        raise ValidationError(
            {field: _("A rating is one of %(scale)s.") % {"scale": ", ".join(map(str, scale))}}
        )
    return rating


DEFAULT_NOTICE = datetime.timedelta(days=7)


@transaction.atomic
def input_request_create(
    *,
    user: User,
    review: Review,
    contributor: User,
    due_on: datetime.date | None = None,
    source: str = InputSource.ADDED,
) -> InputRequest:
    if not may_request(user, review):
        raise PermissionDenied(_("The reviewer or HR asks colleagues for input."))
    review = (
        Review.objects.select_related("cycle__template", "csm")
        .select_for_update(of=("self",))
        .get(pk=review.pk)
    )
    check_open(review)
    if contributor.pk == review.csm_id:
        raise ValidationError({"contributor": _("The CSM reviewed cannot give input on their own review.")})
    if not contributor.is_active or contributor.role == Role.SERVICE:
        raise ValidationError({"contributor": _("This person cannot sign in to answer.")})
    if source not in InputSource.values:
        raise ValidationError({"source": _("Unknown reason for asking.")})
    today = timezone.localdate()
    # By default the answer is due with the manager's review, or in a week when that date is past.
    due = due_on or max(review.cycle.manager_review_due, today + DEFAULT_NOTICE)
    validate_due_date(due)
    if due < today:
        raise ValidationError({"due_on": _("The answer cannot be due in the past.")})
    template = review.cycle.template
    try:
        with transaction.atomic():
            request = InputRequest.objects.create(
                review=review,
                contributor=contributor,
                requested_by=user,
                source=source,
                due_on=due,
                questions=frozen_questions(template),
            )
    except IntegrityError:
        raise ValidationError(
            {"contributor": _("%(name)s was asked already.") % {"name": contributor.get_full_name()}}
        ) from None
    signals.input_requested.send(sender=InputRequest, request=request, by=user)
    return request


def _lock(request: InputRequest, user: User) -> InputRequest:
    request = (
        InputRequest.objects.select_related("review__cycle__template", "review__csm", "contributor")
        .select_for_update(of=("self",))
        .get(pk=request.pk)
    )
    if request.contributor_id != user.pk:
        raise PermissionDenied(_("Only the person asked answers this request."))
    check_open(request.review)
    return request


@transaction.atomic
def input_answer(*, user: User, request: InputRequest, answers: dict, rating=None) -> InputRequest:
    request = _lock(request, user)
    if request.status == InputStatus.DECLINED:
        raise ValidationError({"status": _("You declined this request.")})
    keys = [q["key"] for q in request.questions]
    unknown = set(answers or {}) - set(keys)
    if unknown:
        raise ValidationError(
            {"answers": _("Unknown question: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}}
        )
    cleaned = {}
    for key in keys:
        value = free_text((answers or {}).get(key, ""), f"answer_{key}").strip()
        cleaned[key] = limits.check(value, limits.COMMENT, f"answer_{key}")
    template = request.review.cycle.template
    if rating not in (None, "") and not template.input_rating:
        raise ValidationError({"rating": _("This cycle's form has no rating.")})
    given = check_rating(request.review, rating, "rating")
    if not any(cleaned.values()) and given is None:
        raise ValidationError({"answers": _("Answer at least one question, or decline the request.")})
    request.answers = cleaned
    request.rating = given
    request.status = InputStatus.ANSWERED
    first = request.answered_at is None
    request.answered_at = timezone.now()
    request.save()
    if first:
        signals.input_answered.send(sender=InputRequest, request=request, by=user)
    return request


@transaction.atomic
def input_decline(*, user: User, request: InputRequest, reason: str = "") -> InputRequest:
    request = _lock(request, user)
    if request.status != InputStatus.REQUESTED:
        raise ValidationError({"status": _("Only a request not yet answered can be declined.")})
    request.decline_reason = limits.check(free_text(reason, "reason").strip(), limits.NOTE, "reason")
    request.status = InputStatus.DECLINED
    request.save()
    signals.input_declined.send(sender=InputRequest, request=request, by=user)
    return request


@transaction.atomic
def cycle_set_input_anonymity(*, user: User, cycle: ReviewCycle, anonymous: bool) -> ReviewCycle:
    """HR chooses whether the cycle's input is named or anonymous to the CSM. Input given under the
    promise of anonymity is never made named afterwards."""
    require_hr(user)
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.status == CycleStatus.CLOSED:
        raise ValidationError({"input_anonymous": _("A closed cycle keeps its input as it was given.")})
    if (
        cycle.input_anonymous
        and not anonymous
        and InputRequest.objects.filter(review__cycle=cycle, status=InputStatus.ANSWERED).exists()
    ):
        raise ValidationError(
            {
                "input_anonymous": _(
                    "Colleagues answered on the promise that their input is anonymous: it stays anonymous."
                )
            }
        )
    if cycle.input_anonymous != anonymous:
        cycle.input_anonymous = anonymous
        cycle._history_user = user
        cycle._change_reason = "input anonymous" if anonymous else "input named"
        cycle.save()
    return cycle


# HR's ask for a whole cycle: at most this many colleagues per review (those already asked count).
CYCLE_ASK_PER_REVIEW = 3


@dataclass
class CycleAsk:
    """What asking for a whole cycle does (or did): the (review, suggestion) pairs, in order."""

    asks: list[tuple[Review, Suggestion]] = field(default_factory=list)
    reviews_past_writing: int = 0  # submitted or later: their input is frozen

    @property
    def requests(self) -> int:
        return len(self.asks)

    @property
    def people(self) -> int:
        return len({s.person.pk for _review, s in self.asks})

    @property
    def reviews(self) -> int:
        return len({review.pk for review, _s in self.asks})


def cycle_input_plan(*, user: User, cycle: ReviewCycle, per_review: int = CYCLE_ASK_PER_REVIEW) -> CycleAsk:
    """Who asking for input on every review of ``cycle`` would ask: per review still being written
    (draft, self-review, manager's review), its suggestions in their order (the account team, then
    the previous owners, then the teammates), leaving out the people already asked on it, until the
    review has ``per_review`` requests (those already made count). Reads only."""
    require_hr(user, _("HR asks colleagues for input on a whole cycle."))
    if cycle.status not in (CycleStatus.OPEN, CycleStatus.CALIBRATION):
        raise ValidationError({"cycle": _("Input is asked in an open cycle.")})
    if not 1 <= per_review <= 10:
        raise ValidationError({"per_review": _("Ask between 1 and 10 colleagues per review.")})
    reviews = list(
        cycle.reviews.select_related("cycle__template", "csm__team", "reviewer").order_by("csm__name", "pk")
    )
    asked: dict[int, set[int]] = {}
    for review_id, person_id in InputRequest.objects.filter(review__cycle=cycle).values_list(
        "review_id", "contributor_id"
    ):
        asked.setdefault(review_id, set()).add(person_id)
    plan = CycleAsk()
    for review in reviews:
        if review.reached(ReviewStatus.SUBMITTED):
            plan.reviews_past_writing += 1
            continue
        already = asked.get(review.pk, set())
        room = per_review - len(already)
        if room <= 0:
            continue
        fresh = [s for s in suggestions_for(review) if s.person.pk not in already]
        plan.asks += [(review, s) for s in fresh[:room]]
    return plan


@transaction.atomic
def cycle_input_request_all(
    *, user: User, cycle: ReviewCycle, per_review: int = CYCLE_ASK_PER_REVIEW, expected: int | None = None
) -> CycleAsk:
    """Ask the plan's people (``cycle_input_plan``), each as one by one would (the same checks, a
    to-do and an email each). ``expected``: the number of requests the person confirmed; when the
    plan has changed since, nothing is asked and the error says the new number. All or nothing."""
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    plan = cycle_input_plan(user=user, cycle=cycle, per_review=per_review)
    if expected is not None and expected != plan.requests:
        raise ValidationError(
            {
                "expected": _(
                    "The suggestions changed since you confirmed: %(n)s requests would go out now. "
                    "Confirm again."
                )
                % {"n": plan.requests}
            }
        )
    for review, suggestion in plan.asks:
        input_request_create(
            user=user, review=review, contributor=suggestion.person, source=suggestion.source
        )
    return plan
