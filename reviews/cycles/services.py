"""HR runs a cycle: creating and opening it, its participants and reviewers, reminders, the steps
to calibration and closing, and the calibration session's decisions.

Writes only; the pages read through ``reviews.cycles.selectors``. The reviewer rule, the frozen
snapshot and the workflow's version guard are the ones of writing a review
(``reviews.writing.services``, ``reviews.writing.snapshot``)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import EVERYONE_ROLES, Role, User
from kpis.periods import Period, PeriodError
from kpis.scorecards import period_peers
from okrs.selectors import okr_scores_of
from reviews import signals
from reviews.access import require_hr, review_view
from reviews.cycles import selectors
from reviews.cycles.selectors import waiting_on
from reviews.models import (
    CalibrationNote,
    CycleExclusion,
    CycleStatus,
    Review,
    ReviewCycle,
    ReviewStatus,
    ReviewTemplate,
    check_due_dates,
)
from reviews.signals import REMINDER_KEPT, reminder_requested
from reviews.writing import services
from reviews.writing.snapshot import set_snapshot, template_default, template_validate

# --- creating, opening, calibration and closing --------------------------------------------------


@transaction.atomic
def cycle_create(
    *,
    user: User,
    period: str,
    self_review_due: datetime.date,
    manager_review_due: datetime.date,
    template: ReviewTemplate | None = None,
) -> ReviewCycle:
    require_hr(user)
    try:
        p = Period.parse(period)
    except PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    if not p.is_quarter:
        raise ValidationError({"period": _("Reviews are quarterly: choose a quarter such as 2026-Q3.")})
    if ReviewCycle.objects.filter(period=str(p)).exists():
        raise ValidationError({"period": _("There is already a cycle for %(period)s.") % {"period": p}})
    check_due_dates(str(p), self_review_due, manager_review_due)
    template = template or template_default()
    template_validate(
        sections=template.sections, rating_scale=template.rating_scale, kpi_weights=template.kpi_weights
    )
    cycle = ReviewCycle.objects.create(
        period=str(p),
        template=template,
        self_review_due=self_review_due,
        manager_review_due=manager_review_due,
        created_by=user,
    )
    # New hires are left out by default, each with the reason; HR may include them before opening.
    for csm_id, reason in selectors.new_hires(period=p).items():
        exclusion = CycleExclusion(cycle=cycle, csm_id=csm_id, reason=reason, excluded_by=user)
        exclusion._history_user = user
        exclusion.save()
    return cycle


def cycle_open(*, user: User, cycle: ReviewCycle, confirm: bool = False) -> int:
    """Open the cycle: one review per CSM taking part (``reviews.cycles.selectors``), reviewer = the CSM's
    manager, with the frozen snapshot. A quarter that has not started or has no published KPI run opens
    only with ``confirm`` (HR read what will be missing; the cycle keeps it). Idempotent: a CSM who has
    a review already keeps it. Returns the number created."""
    require_hr(user)
    if cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
        raise ValidationError(
            {"status": _("A cycle in %(status)s cannot be opened.") % {"status": cycle.get_status_display()}}
        )
    warnings = selectors.opening_warning_codes(cycle) if cycle.status == CycleStatus.DRAFT else []
    if warnings and not confirm:
        raise ValidationError({"confirm": [selectors.opening_warning_words(cycle, w) for w in warnings]})
    created = []
    csms = (
        User.objects.filter(role=Role.CSM, is_active=True)
        .exclude(pk__in=cycle.exclusions.values("csm_id"))
        .select_related("team__manager")
        .order_by("pk")
    )
    has_review = set(cycle.reviews.values_list("csm_id", flat=True))
    csms = [csm for csm in csms if csm.pk not in has_review]
    # Read once for every review, not once per CSM: the period's peers and everyone's OKRs.
    peers = period_peers(Period.parse(cycle.period))
    okrs = okr_scores_of(csm_ids=[csm.pk for csm in csms], period=cycle.period)
    # The reviewer rule once per manager and team (a manager sees a CSM through their team), not per CSM.
    allowed: dict[tuple[int, int | None], bool] = {}
    for csm in csms:
        with transaction.atomic():
            manager = csm.team.manager if csm.team else None
            # The team's manager, when the reviewer rule allows them (else HR assigns one on the cycle page).
            if manager is not None and (manager.pk, csm.team_id) not in allowed:
                allowed[manager.pk, csm.team_id] = (
                    services.reviewer_refusal(csm=csm, reviewer=manager) is None
                )
            reviewer = manager if manager is not None and allowed[manager.pk, csm.team_id] else None
            review = Review(cycle=cycle, csm=csm, reviewer=reviewer)
            set_snapshot(review, peers=peers, okrs=okrs[csm.pk])
            review._history_user = user
            review.save()
            created.append(review)
    with transaction.atomic():
        if cycle.status == CycleStatus.DRAFT:
            cycle.status = CycleStatus.OPEN
            cycle.opened_despite = " ".join(warnings)  # a code, put into words when read
            cycle._history_user = user
            cycle.save()
        if created:
            signals.cycle_opened.send(sender=ReviewCycle, cycle=cycle, reviews=created, by=user)
    return len(created)


def _cycle_moved(cycle: ReviewCycle, user: User, status: CycleStatus) -> ReviewCycle:
    cycle.status = status
    cycle._history_user = user
    cycle.save()
    return cycle


@transaction.atomic
def cycle_start_calibration(*, user: User, cycle: ReviewCycle, override_reason: str = "") -> ReviewCycle:
    """open -> calibration: when every review of the cycle is submitted, or earlier with
    ``override_reason`` (kept on the cycle and in its history)."""
    require_hr(user)
    if cycle.status != CycleStatus.OPEN:
        raise ValidationError({"status": _("Calibration starts from an open cycle.")})
    early = cycle.reviews.filter(
        status__in=[ReviewStatus.DRAFT, ReviewStatus.SELF_REVIEW, ReviewStatus.MANAGER_REVIEW]
    ).count()
    reason = services.free_text(override_reason, "override_reason").strip()
    if early and not reason:
        raise ValidationError(
            {
                "override_reason": _(
                    "%(early)d of %(all)d reviews are not submitted yet: calibration starts when every "
                    "review is submitted, or now with a reason."
                )
                % {"early": early, "all": cycle.reviews.count()}
            }
        )
    cycle.calibration_override_reason = reason if early else ""
    if early:
        cycle._change_reason = services.change_reason(
            f"Calibration started with {early} reviews unsubmitted: {reason}"
        )
    return _cycle_moved(cycle, user, CycleStatus.CALIBRATION)


@transaction.atomic
def cycle_close(*, user: User, cycle: ReviewCycle) -> ReviewCycle:
    """calibration -> closed, once every review is finalized."""
    require_hr(user)
    if cycle.status != CycleStatus.CALIBRATION:
        raise ValidationError({"status": _("Only a cycle in calibration closes.")})
    left = cycle.reviews.exclude(status=ReviewStatus.FINALIZED).count()
    if left:
        raise ValidationError(
            {
                "status": ngettext(
                    "%(left)d review is not finalized yet: the cycle cannot close.",
                    "%(left)d reviews are not finalized yet: the cycle cannot close.",
                    left,
                )
                % {"left": left}
            }
        )
    return _cycle_moved(cycle, user, CycleStatus.CLOSED)


def cycle_advance(*, user: User, cycle: ReviewCycle, override_reason: str = "") -> ReviewCycle:
    """The next step of an open or calibrating cycle (the API's ``advance``): start calibration or
    close. Pages and code name the step they mean instead."""
    require_hr(user)
    if cycle.status == CycleStatus.OPEN:
        return cycle_start_calibration(user=user, cycle=cycle, override_reason=override_reason)
    if cycle.status == CycleStatus.CALIBRATION:
        return cycle_close(user=user, cycle=cycle)
    raise ValidationError(
        {"status": _("A %(status)s cycle has no next step.") % {"status": cycle.get_status_display()}}
    )


# --- participants --------------------------------------------------------------------------------


@transaction.atomic
def participant_exclude(*, user: User, cycle: ReviewCycle, csm: User, reason: str) -> CycleExclusion:
    """Leave a CSM out of the cycle, with the reason. Once the cycle is open, only while their review
    is an untouched draft (it is deleted; the history keeps it)."""
    require_hr(user)
    reason = services.free_text(reason, "reason").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why %(csm)s is left out of the cycle.") % {"csm": csm}})
    if csm.role != Role.CSM:
        raise ValidationError({"csm": _("%(csm)s is not a CSM.") % {"csm": csm}})
    if cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
        raise ValidationError(
            {
                "status": _("A cycle in %(status)s keeps its participants.")
                % {"status": cycle.get_status_display()}
            }
        )
    review = Review.objects.select_for_update().filter(cycle=cycle, csm=csm).first()
    if review is not None:
        if review.status != ReviewStatus.DRAFT:
            raise ValidationError(
                {
                    "csm": _("%(csm)s's review is in %(status)s: it has started and stays.")
                    % {"csm": csm, "status": review.get_status_display()}
                }
            )
        review._history_user = user
        review._change_reason = services.change_reason(f"Left out of the cycle by {user}: {reason}")
        review.delete()
    exclusion, _created = CycleExclusion.objects.update_or_create(
        cycle=cycle, csm=csm, defaults={"reason": reason, "excluded_by": user}
    )
    return exclusion


@transaction.atomic
def participant_include(*, user: User, cycle: ReviewCycle, csm: User) -> Review | None:
    """Take a left-out CSM back into the cycle; in an open cycle their review is created at once."""
    require_hr(user)
    if cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
        raise ValidationError(
            {
                "status": _("A cycle in %(status)s keeps its participants.")
                % {"status": cycle.get_status_display()}
            }
        )
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
    services.set_snapshot(review, peers=period_peers(Period.parse(cycle.period)))
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
    answers: list[object] = [  # a listener answers True, "kept" or nothing
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
        return REMINDER_KEPT  # a code the views compare, never words
    return "sent" if any(answer is True for answer in answers) else ""


def review_remind(*, user: User, review: Review) -> tuple[User, str]:
    """Remind whoever the review waits on (through ``reviews.signals.reminder_requested``): who it is,
    and what happened: "sent", "kept" (saved; the email goes out when the mail queue is back) or ""
    (they were reminded already today)."""
    require_hr(user)
    who, due, _step = waiting_on(review)
    if who is None:
        raise ValidationError(
            {"review": _("%(csm)s's review waits on no one to remind.") % {"csm": review.csm}}
        )
    overdue = bool(due and due < timezone.localdate())
    return who, _ask_reminder(review=review, recipient=who, requested_by=user, due=due, overdue=overdue)


def cycle_remind_overdue(*, user: User, cycle: ReviewCycle) -> tuple[int, int, int]:
    """A reminder for every overdue review of the cycle: (overdue reviews, reminders that went or were
    saved, those of them whose email waits for the mail queue)."""
    require_hr(user)
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
    review = services.lock_review(review)
    cycle = review.cycle
    view = review_view(user, review)
    # Who may act first, then the version: someone outside the session gets a 403 whatever version
    # they send, never a 409 telling them the review moved.
    if not (calibration_member(user, cycle) and view.can_read and view.manager_visible) or view.is_csm:
        raise PermissionDenied(_("HR and the cycle's managers who may read the review adjust its rating."))
    services.same_version(review, version)
    if cycle.status != CycleStatus.CALIBRATION:
        raise ValidationError({"status": _("Ratings are adjusted while the cycle is in calibration.")})
    if not review.reached(ReviewStatus.SUBMITTED):
        services.refuse(_("Only a submitted review is calibrated."))
    if review.status == ReviewStatus.FINALIZED:
        services.refuse(_("A finalized review is read-only: reopen it to change its rating."))
    new = services.check_rating(review, rating, "rating")
    if new is None:
        raise ValidationError({"rating": _("Choose the rating.")})
    reason = services.free_text(reason, "reason").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the session changes the rating.")})
    before = review.rating
    if new == before:
        raise ValidationError({"rating": _("The rating is %(rating)s already.") % {"rating": new}})
    review.calibrated_rating = new
    review.calibration_reason = reason
    review.calibrated_by = user
    review.calibrated_at = timezone.now()
    # The reason itself is the record's calibration_reason (the history shows it changing).
    review._change_reason = services.change_reason(
        f"Calibration by {user}: rating {before} → {new} (manager's rating {review.final_rating})"
    )
    services.save_version(review, user)
    signals.rating_calibrated.send(
        sender=Review, review=review, before=before, after=new, reason=reason, by=user
    )
    return review


def calibration_note_add(*, user: User, cycle: ReviewCycle, csm: User, body: str) -> CalibrationNote:
    """A note on a CSM in the session, by HR or a manager of the cycle who may read the CSM's review."""
    review = Review.objects.select_related("csm__team").filter(cycle=cycle, csm=csm).first()
    if review is None or not calibration_member(user, cycle) or not review_view(user, review).can_read:
        raise PermissionDenied(_("HR and the cycle's managers who may read the review take notes on it."))
    if user.pk == csm.pk:
        raise PermissionDenied(_("A CSM takes no calibration notes on themselves."))
    if cycle.status != CycleStatus.CALIBRATION:
        raise ValidationError({"status": _("Notes are taken while the cycle is in calibration.")})
    body = services.free_text(body, "body").strip()
    if not body:
        raise ValidationError({"body": _("A note cannot be empty.")})
    return CalibrationNote.objects.create(cycle=cycle, csm=csm, author=user, body=body)
