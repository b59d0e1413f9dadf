"""What each reader sees of the colleagues' input on a review: the one rule every surface asks (the
review page, the API, the PDF and so the cycle's zip). The history keeps no input (the field is out
of the review's history), and the CSM is never emailed about input.

- The CSM sees the input once the review is submitted (when they see the manager's part), as it was
  frozen then. Everyone else who reads the review (reviewer, team manager, HR, admins) sees it while
  it is written, and frozen once submitted.
- Named input shows each answer with its author. Anonymous input shows no author to anyone (it is
  frozen without them), and only once at least ``ANONYMOUS_MIN_ANSWERS`` colleagues answered:
  before that, to every reader, a sentence says how many answers it waits for.
- Who was asked, and where each request stands, is the business of those who ask (the reviewer and
  HR), never the CSM's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from reviews import wording
from reviews.access import may_ask_input as may_request
from reviews.access import review_view
from reviews.input.suggestions import suggestions_for
from reviews.models import (
    ANONYMOUS_MIN_ANSWERS,
    CycleStatus,
    InputRequest,
    InputStatus,
    Review,
    ReviewStatus,
)

LIVE = (CycleStatus.OPEN, CycleStatus.CALIBRATION)


@dataclass
class InputView:
    readable: bool = False  # the reader sees this part of the review at all
    anonymous: bool = False
    frozen: bool = False
    answers: list[dict] = field(
        default_factory=list
    )  # {author, questions: [{text, answer}], rating, rating_label}
    withheld: str = ""  # why no answer is shown (anonymous input below the threshold)
    asked: int = 0
    answered: int = 0
    declined: int = 0
    requests: list[InputRequest] | None = None  # for those who ask; None for everyone else

    def as_dict(self) -> dict:
        return {
            "anonymous": self.anonymous,
            "frozen": self.frozen,
            "answers": self.answers,
            "withheld": self.withheld,
            "asked": self.asked,
            "answered": self.answered,
            "declined": self.declined,
        }


def _answer_of(request: InputRequest, anonymous: bool) -> dict:
    # Each question as asked (its English and its translations), put into the reader's words when
    # read (``input_for``): what is frozen on a submitted review holds no one reader's language.
    questions = [
        {
            "text": q["text"],
            "translations": q.get("translations") or {},
            "answer": request.answers.get(q["key"], ""),
        }
        for q in request.questions
        if request.answers.get(q["key"])
    ]
    return {
        "author": None if anonymous else request.contributor.get_full_name(),
        "questions": questions,
        "rating": request.rating,
    }


def _requests_of(review: Review) -> list[InputRequest]:
    """Every request of the review, in the order it was asked (one query, or none when a list of
    reviews prefetched them: ``prefetch_input_requests``)."""
    prefetched = getattr(review, "_prefetched_objects_cache", {}).get("input_requests")
    if prefetched is not None:
        return sorted(prefetched, key=lambda r: (r.requested_at, r.pk))
    return list(review.input_requests.select_related("contributor").order_by("requested_at", "pk"))


def prefetch_input_requests() -> Prefetch:
    """For a queryset of reviews: every review's requests with their colleagues, in one query."""
    return Prefetch("input_requests", queryset=InputRequest.objects.select_related("contributor"))


def input_collect(review: Review, requests: list[InputRequest] | None = None) -> dict:
    """The input as it stands (the shape that is frozen): named answers by their author's name,
    anonymous answers without author and ordered by their text, never by who or when."""
    anonymous = review.cycle.input_anonymous
    requests = sorted(
        _requests_of(review) if requests is None else requests,
        key=lambda r: (r.contributor.name, r.contributor.email, r.pk),
    )
    answered = [r for r in requests if r.status == InputStatus.ANSWERED]
    answers = [_answer_of(r, anonymous) for r in answered]
    if anonymous:
        answers.sort(key=lambda a: ([q["answer"] for q in a["questions"]], a["rating"] or 0))
    return {
        "anonymous": anonymous,
        "answers": answers,
        "asked": len(requests),
        "answered": len(answered),
        "declined": sum(1 for r in requests if r.status == InputStatus.DECLINED),
    }


def input_freeze(review: Review) -> None:
    """Called when the review is submitted: the input it was written with, kept on the review. An
    anonymous cycle's input below the threshold is frozen as withheld (no answer at all)."""
    collected = input_collect(review)
    if collected["anonymous"] and collected["answered"] < ANONYMOUS_MIN_ANSWERS:
        collected["answers"] = []
    collected["frozen_at"] = timezone.now().isoformat()
    review.colleague_input = collected


def input_for(user: User | None, review: Review, *, with_requests: bool = True) -> InputView:
    view = review_view(user, review)
    if not view.can_read:
        return InputView()
    if view.is_csm and not view.manager_visible:
        return InputView()
    frozen = review.reached(ReviewStatus.SUBMITTED) and bool(review.colleague_input)
    asking = with_requests and not view.is_csm and user is not None and may_request(user, review)
    requests = _requests_of(review) if asking or not frozen else []
    data = review.colleague_input if frozen else input_collect(review, requests)
    out = InputView(
        readable=True,
        anonymous=bool(data.get("anonymous")),
        frozen=frozen,
        asked=int(data.get("asked") or 0),
        answered=int(data.get("answered") or 0),
        declined=int(data.get("declined") or 0),
    )
    if out.anonymous and out.answered < ANONYMOUS_MIN_ANSWERS:
        out.withheld = ngettext(
            "Input is anonymous: it is shown once at least %(min)d colleagues answered (%(n)d did).",
            "Input is anonymous: it is shown once at least %(min)d colleagues answered (%(n)d did).",
            out.answered,
        ) % {"min": ANONYMOUS_MIN_ANSWERS, "n": out.answered}
    else:
        template = review.cycle.template
        out.answers = [
            {
                "author": None if out.anonymous else a.get("author"),
                "questions": [
                    {"text": wording.question_text(q), "answer": q.get("answer", "")}
                    for q in a.get("questions", [])
                ],
                "rating": a.get("rating"),
                "rating_label": template.label_of(a["rating"]) if a.get("rating") is not None else "",
            }
            for a in data.get("answers", [])
        ]
    if asking:
        out.requests = requests
    return out


def requests_addressed_to(user: User):
    """The requests ``user`` is asked to answer, newest first, with what the page names."""
    return (
        InputRequest.objects.addressed_to(user)
        .select_related("review__csm", "review__cycle", "requested_by")
        .order_by("-requested_at", "-pk")
    )


def closed_reason(review: Review) -> str:
    """Why input can no longer be asked for or given on ``review``; empty while it can."""
    if review.cycle.status not in LIVE:
        return _("Input is asked for while the cycle is open.")
    if review.reached(ReviewStatus.SUBMITTED):
        return _("This review was submitted: the input it was written with is frozen.")
    return ""


def can_answer(request: InputRequest) -> bool:
    return request.status != InputStatus.DECLINED and not closed_reason(request.review)


def input_page_context(user: User, review: Review) -> dict:
    """The review page's part: the input as its reader sees it, and for those who ask while input
    may still be asked for, the suggestions (with their reasons) of people not asked yet."""
    view = input_for(user, review)
    can_ask = view.requests is not None and not closed_reason(review)
    suggestions = []
    if can_ask:
        asked = {r.contributor_id for r in view.requests or []}
        suggestions = [s for s in suggestions_for(review) if s.person.pk not in asked]
    return {"input": view, "input_can_ask": can_ask, "input_suggestions": suggestions}
