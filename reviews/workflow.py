"""The review workflow as one table: each step, the state it leaves and the state it reaches, who may
take it, the words of its button, whether it can be undone, whose part the button submits with it,
and who hears of it. The services (``reviews.writing.services``), the review page's buttons, the API's
``transition`` and the notification receivers all read this table; adding a step is one row here
(and, when it tells someone, its sentence in the notifications app).

    draft -> self_review -> manager_review -> submitted -> acknowledged -> finalized
                                  ^                                            |
                                  +------------------ reopen ------------------+
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from reviews.access import ReviewView, is_hr, review_view
from reviews.models import Review, ReviewStatus


class Actor(StrEnum):
    """Who takes part in a review, as the workflow sees them."""

    CSM = "csm"  # the CSM reviewed
    REVIEWER = "reviewer"  # the review's reviewer (an admin acts as one)
    HR = "hr"  # HR, and CS ops / admins


def actors_of(user: User, review: Review, view: ReviewView | None = None) -> set[Actor]:
    view = view or review_view(user, review)
    out = set()
    if user.pk == review.csm_id:  # the CSM reviewed, whether or not the review is theirs to read yet
        out.add(Actor.CSM)
    if view.is_reviewer:
        out.add(Actor.REVIEWER)
    if is_hr(user):
        out.add(Actor.HR)
    return out


@dataclass(frozen=True)
class Step:
    action: str
    source: ReviewStatus
    target: ReviewStatus
    actors: frozenset[Actor]
    label: str | Promise  # the button
    refused_actor: str | Promise  # why someone else may not take it (403)
    refused_state: str | Promise  # why the review's state does not allow it; {status} is the state's name
    irreversible: bool = False  # the page asks for a confirmation first
    # Whose part of the review the button saves with the step (what is on the screen): the CSM's
    # self-review, the reviewer's texts and ratings, or nothing.
    submits: Actor | None = None
    # Who is told once the step commits (the notifications app words it), and whether the team's
    # chat hears of it.
    tells: tuple[Actor, ...] = ()
    tells_team: bool = False
    # The state-specific refusals that say more than ``refused_state``.
    refused_in: tuple[tuple[ReviewStatus, str | Promise], ...] = ()

    def refusal(self, status: str, status_label: str) -> str:
        for state, message in self.refused_in:
            if status == state:
                return str(message)
        return str(self.refused_state).format(status=status_label)


STEPS: tuple[Step, ...] = (
    Step(
        action="send_to_csm",
        source=ReviewStatus.DRAFT,
        target=ReviewStatus.SELF_REVIEW,
        actors=frozenset({Actor.REVIEWER, Actor.HR}),
        label=_("Send to the CSM for self-review"),
        refused_actor=_("The reviewer or HR starts the self-review."),
        refused_state=_("Only a draft goes to the CSM for self-review (this one is {status})."),
        submits=Actor.REVIEWER,
        tells=(Actor.CSM,),
    ),
    Step(
        action="submit_self",
        source=ReviewStatus.SELF_REVIEW,
        target=ReviewStatus.MANAGER_REVIEW,
        actors=frozenset({Actor.CSM}),
        label=_("Submit my self-review"),
        refused_actor=_("Only the CSM submits their self-review."),
        refused_state=_("A review in {status} has no self-review to submit."),
        irreversible=True,
        submits=Actor.CSM,
        tells=(Actor.REVIEWER,),
        tells_team=True,
    ),
    Step(
        action="submit",
        source=ReviewStatus.MANAGER_REVIEW,
        target=ReviewStatus.SUBMITTED,
        actors=frozenset({Actor.REVIEWER}),
        label=_("Submit the review"),
        refused_actor=_("Only the reviewer submits the review."),
        refused_state=_("A review in {status} cannot be submitted again."),
        refused_in=(
            (ReviewStatus.DRAFT, _("The CSM submits their self-review first.")),
            (ReviewStatus.SELF_REVIEW, _("The CSM submits their self-review first.")),
        ),
        irreversible=True,
        submits=Actor.REVIEWER,
        tells=(Actor.CSM,),
        tells_team=True,
    ),
    Step(
        action="acknowledge",
        source=ReviewStatus.SUBMITTED,
        target=ReviewStatus.ACKNOWLEDGED,
        actors=frozenset({Actor.CSM}),
        label=_("Acknowledge the review"),
        refused_actor=_("Only the CSM acknowledges their review."),
        refused_state=_("Only a submitted review can be acknowledged (this one is {status})."),
        irreversible=True,
        tells=(Actor.REVIEWER,),
        tells_team=True,
    ),
    Step(
        action="finalize",
        source=ReviewStatus.ACKNOWLEDGED,
        target=ReviewStatus.FINALIZED,
        actors=frozenset({Actor.HR}),
        label=_("Finalize"),
        refused_actor=_("Only HR finalizes a review."),
        refused_state=_("Only an acknowledged review can be finalized (this one is {status})."),
        irreversible=True,
    ),
    Step(
        action="reopen",
        source=ReviewStatus.FINALIZED,
        target=ReviewStatus.MANAGER_REVIEW,
        actors=frozenset({Actor.HR}),
        label=_("Reopen"),
        refused_actor=_("Only HR reopens a finalized review."),
        refused_state=_("Only a finalized review is reopened."),
        tells=(Actor.CSM, Actor.REVIEWER),
        tells_team=True,
    ),
)

STEP: dict[str, Step] = {s.action: s for s in STEPS}
ACTIONS: tuple[str, ...] = tuple(STEP)
IRREVERSIBLE: frozenset[str] = frozenset(s.action for s in STEPS if s.irreversible)


def may_take(step: Step, user: User, review: Review, view: ReviewView | None = None) -> bool:
    """Whether ``user`` is one of the step's actors on ``review`` (whatever its state)."""
    return bool(step.actors & actors_of(user, review, view))


def check(step: Step, user: User, review: Review) -> None:
    """The guards every step shares, on the locked row: who first (403: a step that is not theirs
    says nothing of the review's state), then the state (400). The version is checked between the
    two by the service."""
    if not may_take(step, user, review):
        raise PermissionDenied(str(step.refused_actor))


def check_state(step: Step, review: Review) -> None:
    if review.status != step.source:
        raise ValidationError({"status": step.refusal(review.status, review.get_status_display())})


def available(user: User, review: Review, view: ReviewView | None = None) -> list[Step]:
    """The steps ``user`` may take on ``review`` now, in the workflow's order (the page's buttons).
    Reopening is HR's action on the cycle page, not a button of the review's bar."""
    view = view or review_view(user, review)
    return [
        s
        for s in STEPS
        if s.source == review.status and s.action != "reopen" and may_take(s, user, review, view)
    ]
