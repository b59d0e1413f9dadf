"""HR runs a cycle: participants, reviewers, reminders, and the calibration session's decisions.

Writes only; the pages read through ``reviews.cycle_reads``. The reviewer rule and the workflow's
version guard are the ones of ``reviews.services`` (``reviewer_refusal``, ``_locked``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import EVERYONE_ROLES, Role, User
from kpis.periods import Period
from kpis.scorecards import period_peers
from reviews import services, signals
from reviews.access import review_view
from reviews.cycle_reads import waiting_on
from reviews.models import (
    CalibrationNote,
    CycleExclusion,
    CycleStatus,
    Review,
    ReviewCycle,
    ReviewStatus,
)
from reviews.signals import REMINDER_KEPT, reminder_requested

# --- participants --------------------------------------------------------------------------------


@transaction.atomic
def participant_exclude(*, user: User, cycle: ReviewCycle, csm: User, reason: str) -> CycleExclusion:
    """Leave a CSM out of the cycle, with the reason. Once the cycle is open, only while their review
    is an untouched draft (it is deleted; the history keeps it)."""
    services._require_hr(user)
    reason = services._text(reason, "reason").strip()
    if not reason:
        raise ValidationError({"reason": f"Say why {csm} is left out of the cycle."})
    if csm.role != Role.CSM:
        raise ValidationError({"csm": f"{csm} is not a CSM."})
    if cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
        raise ValidationError({"status": f"A cycle in {cycle.get_status_display()} keeps its participants."})
    review = Review.objects.select_for_update().filter(cycle=cycle, csm=csm).first()
    if review is not None:
        if review.status != ReviewStatus.DRAFT:
            raise ValidationError(
                {"csm": f"{csm}'s review is in {review.get_status_display()}: it has started and stays."}
            )
        review._history_user = user
        review._change_reason = services.change_reason(f"Left out of the cycle by {user}: {reason}")
        review.delete()
    exclusion, _ = CycleExclusion.objects.update_or_create(
        cycle=cycle, csm=csm, defaults={"reason": reason, "excluded_by": user}
    )
    return exclusion


@transaction.atomic
def participant_include(*, user: User, cycle: ReviewCycle, csm: User) -> Review | None:
    """Take a left-out CSM back into the cycle; in an open cycle their review is created at once."""
    services._require_hr(user)
    if cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
        raise ValidationError({"status": f"A cycle in {cycle.get_status_display()} keeps its participants."})
    for exclusion in CycleExclusion.objects.filter(cycle=cycle, csm=csm):
        exclusion._history_user = user
        exclusion.delete()
    if cycle.status != CycleStatus.OPEN or not csm.is_active:
        return None
    review = Review.objects.filter(cycle=cycle, csm=csm).first()
    if review is not None:
        return review
    manager = csm.team.manager if csm.team else None
    reviewer = manager if manager and services.reviewer_refusal(csm=csm, reviewer=manager) is None else None
    review = Review(cycle=cycle, csm=csm, reviewer=reviewer)
    services._set_snapshot(review, peers=period_peers(Period.parse(cycle.period)))
    review._history_user = user
    review.save()
    return review


@transaction.atomic
def reviewer_reassign(*, user: User, review: Review, reviewer_id, version) -> Review:
    """From the cycle page: the rule of ``services.review_set_reviewer`` (never the CSM, someone who
    may see them, until finalized), by the id posted."""
    reviewer = User.objects.filter(pk=reviewer_id).first() if str(reviewer_id or "").isdigit() else None
    return services.review_set_reviewer(user=user, review=review, reviewer=reviewer, version=version)


# --- reminders -----------------------------------------------------------------------------------


def _ask_reminder(*, review: Review, recipient: User, requested_by: User, due, overdue: bool) -> str:
    """Send ``reminder_requested``: "sent" when a listener says it reminded the person, "kept" when it
    saved the reminder but the email waits for the mail queue, "" when nobody reminded them (nobody
    listens, or they were reminded already today)."""
    answers = [
        answer
        for _receiver, answer in reminder_requested.send(
            sender=Review,
            review=review,
            recipient=recipient,
            requested_by=requested_by,
            due=due,
            overdue=overdue,
        )
    ]
    if REMINDER_KEPT in answers:
        return "kept"
    return "sent" if any(answer is True for answer in answers) else ""


def review_remind(*, user: User, review: Review) -> tuple[User, str]:
    """Remind whoever the review waits on (through ``reviews.signals.reminder_requested``): who it is,
    and what happened: "sent", "kept" (saved; the email goes out when the mail queue is back) or ""
    (they were reminded already today)."""
    services._require_hr(user)
    who, due, _step = waiting_on(review)
    if who is None:
        raise ValidationError({"review": f"{review.csm}'s review waits on no one to remind."})
    overdue = bool(due and due < timezone.localdate())
    return who, _ask_reminder(review=review, recipient=who, requested_by=user, due=due, overdue=overdue)


def cycle_remind_overdue(*, user: User, cycle: ReviewCycle) -> tuple[int, int, int]:
    """A reminder for every overdue review of the cycle: (overdue reviews, reminders that went or were
    saved, those of them whose email waits for the mail queue)."""
    services._require_hr(user)
    today = timezone.localdate()
    overdue = sent = kept = 0
    for review in cycle.reviews.select_related("csm", "reviewer", "cycle").order_by("csm__name"):
        who, due, _step = waiting_on(review)
        if who is not None and due and due < today:
            overdue += 1
            outcome = _ask_reminder(review=review, recipient=who, requested_by=user, due=due, overdue=True)
            sent += bool(outcome)
            kept += outcome == "kept"
    return overdue, sent, kept


# --- calibration ---------------------------------------------------------------------------------


def calibration_member(user: User, cycle: ReviewCycle) -> bool:
    """Who takes part in the calibration session: HR, admins, and the managers of the cycle (the
    reviewers of its reviews and the managers of its CSMs' teams)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role in EVERYONE_ROLES:
        return True
    return user.role == Role.MANAGER and (
        cycle.reviews.filter(reviewer=user).exists() or cycle.reviews.filter(csm__team__manager=user).exists()
    )


@transaction.atomic
def calibration_adjust(*, user: User, review: Review, rating, reason: str, version) -> Review:
    """The session changes a review's rating: HR, or a manager of the cycle who may read the review,
    with a reason. The manager's own rating (``final_rating``) is kept; the change, who made it and why
    go into the review's history (and its PDF)."""
    review = services._lock(review)
    cycle = review.cycle
    view = review_view(user, review)
    # Who may act first, then the version: someone outside the session gets a 403 whatever version
    # they send, never a 409 telling them the review moved.
    if not (calibration_member(user, cycle) and view.can_read and view.manager_visible) or view.is_csm:
        raise PermissionDenied("HR and the cycle's managers who may read the review adjust its rating.")
    services._same_version(review, version)
    if cycle.status != CycleStatus.CALIBRATION:
        raise ValidationError({"status": "Ratings are adjusted while the cycle is in calibration."})
    if not review.reached(ReviewStatus.SUBMITTED):
        services._refuse("Only a submitted review is calibrated.")
    if review.status == ReviewStatus.FINALIZED:
        services._refuse("A finalized review is read-only: reopen it to change its rating.")
    new = services._check_rating(review, rating, "rating")
    if new is None:
        raise ValidationError({"rating": "Choose the rating."})
    reason = services._text(reason, "reason").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the session changes the rating."})
    before = review.rating
    if new == before:
        raise ValidationError({"rating": f"The rating is {new} already."})
    review.calibrated_rating = new
    review.calibration_reason = reason
    review.calibrated_by = user
    review.calibrated_at = timezone.now()
    # The reason itself is the record's calibration_reason (the history shows it changing).
    review._change_reason = services.change_reason(
        f"Calibration by {user}: rating {before} → {new} (manager's rating {review.final_rating})"
    )
    services._save(review, user)
    signals.rating_calibrated.send(
        sender=Review, review=review, before=before, after=new, reason=reason, by=user
    )
    return review


def calibration_note_add(*, user: User, cycle: ReviewCycle, csm: User, body: str) -> CalibrationNote:
    """A note on a CSM in the session, by HR or a manager of the cycle who may read the CSM's review."""
    review = Review.objects.select_related("csm__team").filter(cycle=cycle, csm=csm).first()
    if review is None or not calibration_member(user, cycle) or not review_view(user, review).can_read:
        raise PermissionDenied("HR and the cycle's managers who may read the review take notes on it.")
    if user.pk == csm.pk:
        raise PermissionDenied("A CSM takes no calibration notes on themselves.")
    if cycle.status != CycleStatus.CALIBRATION:
        raise ValidationError({"status": "Notes are taken while the cycle is in calibration."})
    body = services._text(body, "body").strip()
    if not body:
        raise ValidationError({"body": "A note cannot be empty."})
    return CalibrationNote.objects.create(cycle=cycle, csm=csm, author=user, body=body)
