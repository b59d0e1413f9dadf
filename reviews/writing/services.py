"""Writing a review: the workflow's steps, the self-review and the manager's part, ratings, the
reviewer, a fresh snapshot before submission. Cycles are ``reviews.cycles.services``; the snapshot
and the suggested rating ``reviews.writing.snapshot``; flags and comments ``reviews.writing.disputes``.

The workflow is enforced here, for the web, the API and the admin alike:
draft -> self_review -> manager_review -> submitted -> acknowledged -> finalized (and an audited
reopen by HR that issues a new revision). Every save names the version it was made on; a save over a
newer version is refused (``ReviewConflict``) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role, User
from core import dates
from core import text as limits
from reviews import signals, workflow
from reviews.access import require_hr, review_view
from reviews.input.selectors import input_freeze
from reviews.models import UNRESOLVED_FLAGS, Review, ReviewStatus
from reviews.notes.services import frozen_notes
from reviews.writing.quotes import pick_quotes
from reviews.writing.snapshot import set_snapshot, snapshot_diff


class ReviewConflict(Exception):
    """Someone saved the review after the version this save was made on."""

    def __init__(self, review: Review) -> None:
        last = review.history.select_related("history_user").first()
        who = last.history_user.get_full_name() if last and last.history_user else _("someone else")
        when = dates.moment(review.updated_at)
        super().__init__(
            _(
                "%(who)s saved this review at %(when)s, after you opened it. Nothing was overwritten and "
                "nothing moved: your text is kept on the page, next to theirs where both changed."
            )
            % {"who": who, "when": when}
        )
        self.current_version = review.version


def change_reason(text: str) -> str:
    """A history record's reason: django-simple-history keeps 100 characters; the full text stays in
    the record's own fields."""
    text = " ".join(text.split())
    return text if len(text) <= 100 else text[:99] + "…"


# --- templates and cycles ----------------------------------------------------------------------


def reviewer_refusal(*, csm: User, reviewer: User | None) -> str | None:
    """Who may review a CSM, for a cycle that opens and for a change of reviewer alike: never the
    CSM, always an active person who may see the CSM (their team's manager, HR or an admin).
    Returns why ``reviewer`` may not, or None."""
    if reviewer is None:
        return _("Choose a reviewer.")
    if reviewer.pk == csm.pk:
        return _("%(csm)s cannot review themselves.") % {"csm": csm}
    if not User.objects.visible_to(reviewer).filter(pk=csm.pk).exists():
        return _(
            "%(reviewer)s may not see %(csm)s: the reviewer is the CSM's team manager, HR or an admin "
            "(an active account)."
        ) % {"reviewer": reviewer, "csm": csm}
    return None


def reviewer_change_check(*, review: Review, reviewer: User | None) -> None:
    """A review's reviewer may change until the review is finalized, to someone the rule allows."""
    if review.status == ReviewStatus.FINALIZED:
        raise ValidationError(
            {"reviewer": _("A finalized review is read-only: reopen it to change its reviewer.")}
        )
    refusal = reviewer_refusal(csm=review.csm, reviewer=reviewer)
    if refusal:
        raise ValidationError({"reviewer": refusal})


@transaction.atomic
def review_set_reviewer(
    *, user: User, review: Review, reviewer: User | None, version: PostedVersion
) -> Review:
    """HR (or an admin) gives the review to another reviewer: a new version, kept in the history."""
    review = lock_review(review)
    require_hr(user)
    same_version(review, version)
    reviewer_change_check(review=review, reviewer=reviewer)
    assert reviewer is not None  # reviewer_change_check refuses no reviewer
    if reviewer.pk == review.reviewer_id:
        return review
    before = review.reviewer
    review.reviewer = reviewer
    review._change_reason = change_reason(f"Reviewer changed by {user}: {before or '—'} → {reviewer}")
    return save_version(review, user)


# --- snapshot and suggested rating ---------------------------------------------------------------


# --- the workflow ------------------------------------------------------------------------------


def lock_review(review: Review) -> Review:
    """The review read afresh, its row locked until the transaction ends. Who may act is checked on
    it first, then the version (``same_version``): a step the caller may not take is a 403 whatever
    the version they send, never a 409 that would tell them the review moved."""
    return (
        # Lock the review row only: the reviewer may be null (an outer join PostgreSQL cannot lock).
        Review.objects.select_for_update(of=("self",))
        .select_related("cycle__template", "csm", "reviewer")
        .get(pk=review.pk)
    )


# The version a change was made on, as the page or the API sent it (a form posts a string):
# ``int_version`` reads it, and refuses one that is missing or not a whole number.
PostedVersion = int | str | None


def same_version(locked: Review, version: PostedVersion) -> None:
    """The stale-save guard, on the locked row: the change was made on the version it holds."""
    if int_version(version) != locked.version:
        raise ReviewConflict(locked)


def int_version(version) -> int:
    """The version a change was made on: required (the stale-save guard), a whole number."""
    if isinstance(version, bool):
        version = None
    try:
        return int(str(version).strip()) if version is not None else _missing_version()
    except ValueError:
        raise ValidationError(
            {"version": _("The version of the review you edited is not a whole number.")}
        ) from None


def _missing_version():
    raise ValidationError(
        {"version": _("The version of the review you edited is missing: reload the page and try again.")}
    )


def save_version(review: Review, user: User) -> Review:
    review.version += 1
    review._history_user = user
    review.save()
    return review


def _moved(review: Review, user: User, action: str) -> Review:
    """A transition: saved as a new version and announced inside its transaction, so what a receiver
    writes (a notification) stands or falls with it; receivers that reach outside the database (mail,
    chat) wait for the commit themselves."""
    save_version(review, user)
    signals.review_transitioned.send(
        sender=Review, review=review, user=user, by=user, action=action, status=review.status
    )
    return review


def _begin(action: str, user: User, review: Review, version: PostedVersion) -> tuple[Review, workflow.Step]:
    """The guards every step shares (``reviews.workflow``), in their order: lock the row, who may take
    the step (403), the version (409), the state (400)."""
    step = workflow.STEP[action]
    review = lock_review(review)
    workflow.check(step, user, review)
    same_version(review, version)
    workflow.check_state(step, review)
    return review, step


def _end(review: Review, user: User, step: workflow.Step) -> Review:
    review.status = step.target
    return _moved(review, user, step.action)


def is_reviewer(user: User, review: Review) -> bool:
    return review_view(user, review).is_reviewer


def refuse(message: str):
    raise ValidationError({"status": message})


@transaction.atomic
def review_refresh_snapshot(*, user: User, review: Review, version: PostedVersion) -> list[dict]:
    """Before submission the reviewer (or HR) may take a new snapshot; returns what changed."""
    review = lock_review(review)
    if not (is_reviewer(user, review) or user.role == Role.HR):
        raise PermissionDenied(_("Only the reviewer or HR refreshes the numbers."))
    same_version(review, version)
    if review.reached(ReviewStatus.SUBMITTED):
        refuse(_("A submitted review keeps the numbers it was submitted with."))
    old = review.snapshot
    set_snapshot(review)
    changes = snapshot_diff(old, review.snapshot)
    save_version(review, user)
    return changes


@transaction.atomic
def review_send_to_csm(*, user: User, review: Review, version: PostedVersion) -> Review:
    review, step = _begin("send_to_csm", user, review, version)
    return _end(review, user, step)


def free_text(value, field: str) -> str:
    """Free text from a person: any characters but NUL (which no database stores)."""
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError({field: _("contains a NUL character.")})
    return text


def _clean_sections(review: Review, sections: dict) -> dict:
    keys = {s["key"] for s in review.cycle.template.sections}
    unknown = set(sections) - keys
    if unknown:
        word = ngettext("Unknown section: %(keys)s.", "Unknown sections: %(keys)s.", len(unknown))
        raise ValidationError({"sections": word % {"keys": ", ".join(sorted(unknown))}})
    # Each section's text within its limit (core/text.py; JSON keeps no field validator).
    return {
        k: limits.check(free_text(v, f"section_{k}"), limits.SECTION, f"section_{k}")
        for k, v in sections.items()
    }


def _ratings(review: Review, ratings: dict | None, prefix: str) -> dict:
    """Section ratings as posted (a section's key -> a value of the scale, or empty for none)."""
    if not ratings:
        return {}
    _clean_sections(review, {k: "" for k in ratings})
    return {k: check_rating(review, v, f"{prefix}{k}") for k, v in ratings.items()}


@transaction.atomic
def review_save_self(
    *,
    user: User,
    review: Review,
    version: PostedVersion,
    sections: dict,
    ratings: dict | None = None,
    quotes: dict | None = None,
) -> Review:
    """The CSM's self-review (texts, the customers' words it quotes and, when the template asks for
    it, a rating per section). A save that changes nothing keeps the version."""
    review = lock_review(review)
    if user.pk != review.csm_id:
        raise PermissionDenied(_("Only the CSM writes their self-review."))
    same_version(review, version)
    if review.status != ReviewStatus.SELF_REVIEW:
        refuse(_("The self-review can be written while the review is in self-review."))
    texts = {**review.self_assessment, **_clean_sections(review, sections)}
    rated = review.self_ratings
    if ratings and review.cycle.template.self_rating:
        rated = {**review.self_ratings, **_ratings(review, ratings, "selfrating_")}
    quoted = (
        pick_quotes(review=review, current=review.self_quotes, picks=quotes) if quotes else review.self_quotes
    )
    if texts == review.self_assessment and rated == review.self_ratings and quoted == review.self_quotes:
        return review
    review.self_assessment, review.self_ratings, review.self_quotes = texts, rated, quoted
    return save_version(review, user)


def empty_parts(review: Review, *, self_part: bool) -> list[str]:
    """The sections (and ratings) still empty in the CSM's self-review or in the manager's part,
    by the names a person reads: what the confirmation before submitting lists."""
    template = review.cycle.template
    texts = review.self_assessment if self_part else review.manager_assessment
    ratings = review.self_ratings if self_part else review.section_ratings
    rated = template.self_rating if self_part else True
    out = []
    for s in template.sections:
        if not str(texts.get(s["key"]) or "").strip():
            out.append(s["title"])
        if rated and ratings.get(s["key"]) in (None, ""):
            out.append(f"{s['title']} · rating")
    if not self_part and review.final_rating is None:
        out.append("Overall rating")
    return out


@transaction.atomic
def review_submit_self(*, user: User, review: Review, version: PostedVersion) -> Review:
    review, step = _begin("submit_self", user, review, version)
    if not any(str(v or "").strip() for v in review.self_assessment.values()):
        raise ValidationError(
            {
                "self_assessment": _(
                    "The self-review is empty: write at least one section before submitting it."
                )
            }
        )
    review.self_submitted_at = timezone.now()
    return _end(review, user, step)


def check_rating(review: Review, value, field: str) -> int | None:
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


@transaction.atomic
def review_save_manager(
    *,
    user: User,
    review: Review,
    version: PostedVersion,
    sections: dict | None = None,
    section_ratings: dict | None = None,
    final_rating=None,
    final_rating_reason: str | None = None,
    quotes: dict | None = None,
) -> Review:
    """The manager's draft: hidden from the CSM until submitted. Saved any time before submission.
    ``quotes``: survey response id -> the section it is evidence for, or empty to take it out."""
    review = lock_review(review)
    if not is_reviewer(user, review):
        raise PermissionDenied(_("Only the reviewer writes the manager's part."))
    same_version(review, version)
    if review.reached(ReviewStatus.SUBMITTED):
        refuse(_("A submitted review can no longer be edited."))
    before = (
        review.manager_assessment,
        review.section_ratings,
        review.final_rating,
        review.final_rating_reason,
        review.manager_quotes,
    )
    if sections:
        review.manager_assessment = {**review.manager_assessment, **_clean_sections(review, sections)}
    if section_ratings:
        review.section_ratings = {**review.section_ratings, **_ratings(review, section_ratings, "rating_")}
    if final_rating is not None:
        review.final_rating = check_rating(review, final_rating, "final_rating")
    if final_rating_reason is not None:
        review.final_rating_reason = free_text(final_rating_reason, "final_rating_reason").strip()
    if quotes:
        review.manager_quotes = pick_quotes(review=review, current=review.manager_quotes, picks=quotes)
    after = (
        review.manager_assessment,
        review.section_ratings,
        review.final_rating,
        review.final_rating_reason,
        review.manager_quotes,
    )
    if after == before:
        return review  # nothing changed: the version stays
    return save_version(review, user)


@transaction.atomic
def review_submit(*, user: User, review: Review, version: PostedVersion) -> Review:
    review, step = _begin("submit", user, review, version)
    errors = {}
    if review.final_rating is None:
        errors["final_rating"] = _("Give the overall rating before submitting.")
    suggested = review.suggested_detail.get("rounded")
    if (
        review.final_rating is not None
        and suggested is not None
        and review.final_rating != suggested
        and not review.final_rating_reason
    ):
        errors["final_rating_reason"] = _(
            "The rating (%(final)s) differs from the suggested one (%(suggested)s): say why."
        ) % {"final": review.final_rating, "suggested": suggested}
    if errors:
        raise ValidationError(errors)
    review.submitted_at = timezone.now()
    # The feedback notes of the quarter, as they read now: the submitted review keeps them.
    review.notes = frozen_notes(review)
    input_freeze(review)
    return _end(review, user, step)


def unresolved_flags(review: Review) -> int:
    return review.disputes.filter(state__in=UNRESOLVED_FLAGS).count()


@transaction.atomic
def review_acknowledge(
    *, user: User, review: Review, version: PostedVersion, comment: str = "", confirm_open_flags: bool = False
) -> Review:
    """The CSM acknowledges (which is not agreeing), with an optional comment. With flags not yet
    resolved the CSM confirms it (``confirm_open_flags``), and the acknowledgement keeps how many."""
    review, step = _begin("acknowledge", user, review, version)
    open_flags = unresolved_flags(review)
    if open_flags and not confirm_open_flags:
        raise ValidationError(
            {
                "open_flags": ngettext(
                    "%(n)d flagged number not resolved yet: confirm that you acknowledge with it open "
                    "(the acknowledgement says so), or resolve it first.",
                    "%(n)d flagged numbers not resolved yet: confirm that you acknowledge with them open "
                    "(the acknowledgement says so), or resolve them first.",
                    open_flags,
                )
                % {"n": open_flags}
            }
        )
    review.acknowledged_at = timezone.now()
    review.acknowledgement_comment = free_text(comment, "comment").strip()
    review.open_flags_at_acknowledgement = open_flags
    return _end(review, user, step)


@transaction.atomic
def review_finalize(*, user: User, review: Review, version: PostedVersion) -> Review:
    review, step = _begin("finalize", user, review, version)
    review.finalized_at, review.finalized_by = timezone.now(), user
    return _end(review, user, step)


@transaction.atomic
def review_reopen(*, user: User, review: Review, version: PostedVersion, reason: str) -> Review:
    """HR reopens a finalized review: a new revision, back to manager review; the history keeps why."""
    review, step = _begin("reopen", user, review, version)
    if not free_text(reason, "reason").strip():
        raise ValidationError({"reason": _("Say why the review is reopened.")})
    review.revision += 1
    review.submitted_at = review.acknowledged_at = review.finalized_at = None
    review.finalized_by = None
    review._change_reason = change_reason(f"Reopened by {user}: {reason.strip()}")
    return _end(review, user, step)


# The service of each step of ``reviews.workflow.STEPS`` (a test checks they are the same steps).
TRANSITIONS: dict[str, Callable[..., Review]] = {
    "send_to_csm": review_send_to_csm,
    "submit_self": review_submit_self,
    "submit": review_submit,
    "acknowledge": review_acknowledge,
    "finalize": review_finalize,
    "reopen": review_reopen,
}


IRREVERSIBLE = workflow.IRREVERSIBLE


@dataclass(frozen=True)
class ReviewContent:
    """What a person's page holds of the part they write: section texts, section ratings (the
    manager's, or the CSM's self-rating), and for the manager the overall rating and its reason.
    Only what was on the page is given; None: not on the page."""

    sections: dict = field(default_factory=dict)
    ratings: dict = field(default_factory=dict)
    final_rating: str | None = None
    final_rating_reason: str | None = None
    # The customers' words on the page: survey response id -> the section it is evidence for ("": none).
    quotes: dict = field(default_factory=dict)

    def is_empty(self) -> bool:
        return (
            not (self.sections or self.ratings or self.quotes)
            and self.final_rating is None
            and self.final_rating_reason is None
        )


def review_save_content(
    *, user: User, review: Review, version: PostedVersion, content: ReviewContent
) -> Review:
    """Save ``content`` as the part ``user`` writes now (the self-review or the manager's)."""
    view = review_view(user, review)
    if view.can_write_self:
        return review_save_self(
            user=user,
            review=review,
            version=version,
            sections=content.sections,
            ratings=content.ratings,
            quotes=content.quotes,
        )
    if view.can_write_manager:
        return review_save_manager(
            user=user,
            review=review,
            version=version,
            sections=content.sections,
            section_ratings=content.ratings,
            final_rating=content.final_rating,
            final_rating_reason=content.final_rating_reason,
            quotes=content.quotes,
        )
    raise PermissionDenied(_("This review is not yours to edit now."))


@dataclass
class StepOutcome:
    review: Review
    saved: bool  # the content on the page was saved (a new version)
    moved: bool  # the transition happened
    errors: dict = field(default_factory=dict)  # why it did not move (the content is saved all the same)


def review_save_and_step(
    *,
    user: User,
    review: Review,
    version: PostedVersion,
    action: str,
    content: ReviewContent | None = None,
    **kwargs,
) -> StepOutcome:
    """A button that moves the review on: what is on the screen is saved with the version it was made
    on, then the transition runs on the saved version, in one transaction (the row stays locked
    between them). A newer version refuses both (``ReviewConflict``: nothing saved, nothing moved).
    A transition refused by its rules (say, no overall rating yet) leaves the content saved and
    the review where it was; the outcome says why."""
    step = TRANSITIONS[action]
    with transaction.atomic():
        saved = False
        if content is not None and not content.is_empty():
            before = int_version(version)
            review = review_save_content(user=user, review=review, version=version, content=content)
            saved, version = review.version != before, review.version
        try:
            with transaction.atomic():
                review = step(user=user, review=review, version=version, **kwargs)
        except ValidationError as exc:
            if not saved:
                raise
            return StepOutcome(review=review, saved=True, moved=False, errors=exc.message_dict)
    return StepOutcome(review=review, saved=saved, moved=True)


# --- disputes and comments ---------------------------------------------------------------------
