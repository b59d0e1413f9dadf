"""The events: what the domain apps announce (their signals, and the saves of an import) and who is
told. ``connect`` is called once by ``NotificationsConfig.ready``.

A notification is stored as a message's key and parameters (``notifications.messages``), put into
words in the reader's language when read; it names the quarter, the person and the thing, and links
to the page where the person acts. A team's chat is posted to at once, in the organisation's language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from datain.models import ImportRun, ImportStatus
from kpis.models import KpiRun
from kpis.signals import run_failed
from notifications import reminders, services
from notifications.labels import date_label, period_label
from notifications.messages import STEP_TEXTS as STEP_TEXTS
from notifications.messages import message, step_key
from notifications.models import Kind
from reviews import signals as review_signals
from reviews import workflow
from reviews.models import Review
from reviews.workflow import Actor


def _review_url(review: Review) -> str:
    return reverse("review-detail", args=[review.pk])


def _reviews_of_cycle_url(cycle) -> str:
    return reverse("review-list") + f"?cycle={cycle.pk}"


def _name(person) -> str:
    return person.get_full_name() if person else ""


def _iso(day) -> str:
    return day.isoformat() if day else ""


# --- reviews ------------------------------------------------------------------------------------


def on_cycle_opened(sender, cycle, reviews, by=None, **kwargs) -> None:
    """Each CSM (their self-review will come) and each reviewer (how many reviews are theirs)."""
    period = cycle.period
    by_reviewer: dict[int, list[Review]] = {}
    for review in reviews:
        services.notify(
            review.csm,
            Kind.CYCLE_OPENED,
            obj=cycle,
            url=reverse("review-list"),
            dedupe_key=f"cycle_opened:{cycle.pk}",
            by=by,
            message=message("cycle_opened_csm", period=period, date=_iso(cycle.self_review_due)),
        )
        if review.reviewer_id:
            by_reviewer.setdefault(review.reviewer_id, []).append(review)
    for items in by_reviewer.values():
        reviewer = items[0].reviewer
        services.notify(
            reviewer,
            Kind.CYCLE_OPENED,
            obj=cycle,
            url=_reviews_of_cycle_url(cycle),
            dedupe_key=f"cycle_opened:{cycle.pk}",
            by=by,
            message=message(
                "cycle_opened_reviewer", period=period, count=len(items), date=_iso(cycle.manager_review_due)
            ),
        )
    teams = {r.csm.team for r in reviews if r.csm.team_id}
    for team in sorted(teams, key=lambda t: t.pk):
        services.announce(
            team,
            url=reverse("review-list"),
            text=lambda: (
                _("The %(period)s review cycle is open: self-reviews are due on %(date)s.")
                % {"period": period_label(period), "date": date_label(cycle.self_review_due)}
            ),
        )


# Who hears of each step of the review workflow (``reviews.workflow.STEPS``: the row says who is told,
# ``tells``, and whether the team's chat hears of it, ``tells_team``), and in which words
# (``messages.STEP_TEXTS``, said with the step's words: ``period``, ``csm`` (the CSM's name),
# ``self_due`` and ``manager_due``). A test checks that every person a step tells has a sentence, and
# that every sentence belongs to a step that tells that person.
STEP_KINDS: dict[str, Kind] = {
    "send_to_csm": Kind.SELF_REVIEW_REQUESTED,
    "submit_self": Kind.SELF_REVIEW_SUBMITTED,
    "submit": Kind.REVIEW_SUBMITTED,
    "acknowledge": Kind.REVIEW_ACKNOWLEDGED,
    "reopen": Kind.REVIEW_REOPENED,
}
STEP_ANNOUNCEMENTS: dict[str, Callable[[dict], str]] = {
    "submit_self": lambda w: _("%(csm)s submitted their %(period)s self-review.") % w,
    "submit": lambda w: _("The %(period)s review of %(csm)s was submitted.") % w,
    "acknowledge": lambda w: _("%(csm)s acknowledged their %(period)s review.") % w,
    "reopen": lambda w: _("The %(period)s review of %(csm)s was reopened.") % w,
}


def on_review_transitioned(sender, review: Review, action: str, by=None, **kwargs) -> None:
    step = workflow.STEP[action]
    cycle = review.cycle
    url = _review_url(review)
    key = f"{action}:{review.pk}:r{review.revision}:v{review.version}"

    def words() -> dict:  # put into words in the reader's language, when the text is made
        return {
            "period": period_label(cycle.period),
            "csm": _name(review.csm),
            "self_due": date_label(cycle.self_review_due),
            "manager_due": date_label(cycle.manager_review_due),
        }

    people = {Actor.CSM: review.csm, Actor.REVIEWER: review.reviewer}
    for actor in step.tells:
        services.notify(
            people[actor],
            STEP_KINDS[action],
            obj=review,
            url=url,
            dedupe_key=key,
            by=by,
            message=message(
                step_key(action, actor),
                period=cycle.period,
                csm=_name(review.csm),
                self_due=_iso(cycle.self_review_due),
                manager_due=_iso(cycle.manager_review_due),
            ),
        )
    if step.tells_team:
        announcement = STEP_ANNOUNCEMENTS[action]
        services.announce(
            review.csm.team if review.csm.team_id else None,
            url=url,
            text=lambda: announcement(words()),
        )


def on_dispute_raised(sender, dispute, by=None, **kwargs) -> None:
    review = dispute.review
    services.notify(
        review.reviewer,
        Kind.FLAG_RAISED,
        obj=dispute,
        url=_review_url(review) + "#disputes",
        dedupe_key=f"flag_raised:{dispute.pk}",
        by=by,
        message=message(
            "flag_raised", csm=_name(review.csm), period=review.cycle.period, metric=dispute.metric
        ),
    )
    services.announce(
        review.csm.team if review.csm.team_id else None,
        url=_review_url(review),
        text=lambda: (
            _("%(csm)s flagged a number of their %(period)s review.")
            % {"csm": _name(review.csm), "period": period_label(review.cycle.period)}
        ),
    )


def on_dispute_answered(sender, dispute, by=None, **kwargs) -> None:
    review = dispute.review
    services.notify(
        review.csm,
        Kind.FLAG_ANSWERED,
        obj=dispute,
        url=_review_url(review) + "#disputes",
        dedupe_key=f"flag_answered:{dispute.pk}:{dispute.answered_at.isoformat() if dispute.answered_at else ''}",
        by=by,
        message=message(
            "flag_answered",
            manager=_name(dispute.answered_by),
            metric=dispute.metric,
            period=review.cycle.period,
        ),
    )


def on_rating_calibrated(sender, review: Review, before, after, reason, by=None, **kwargs) -> None:
    """The reviewer and the CSM (only submitted reviews are calibrated: the CSM has read theirs).
    The rating itself is on the review page, never in a message."""
    period = review.cycle.period
    url = _review_url(review)
    key = f"calibrated:{review.pk}:v{review.version}"
    services.notify(
        review.reviewer,
        Kind.RATING_CALIBRATED,
        obj=review,
        url=url,
        dedupe_key=key,
        by=by,
        message=message("calibrated_reviewer", csm=_name(review.csm), period=period),
    )
    services.notify(
        review.csm,
        Kind.RATING_CALIBRATED,
        obj=review,
        url=url,
        dedupe_key=key,
        by=by,
        message=message("calibrated_csm", period=period),
    )


def on_reminder_requested(sender, review: Review, recipient, requested_by, **kwargs) -> bool | str:
    """HR's "Remind" on the cycle page: the reminder goes now (mailed unless the person chose
    otherwise), at most once a day per person and review. Returns whether it went (or
    ``REMINDER_KEPT``: stored, its email pending; ``reminders.requested``)."""
    return reminders.requested(
        review=review, recipient=recipient, requested_by=requested_by, today=timezone.localdate()
    )


# --- CS ops: KPI runs and imports ---------------------------------------------------------------


def on_run_failed(sender, run: KpiRun, **kwargs) -> None:
    url = reverse("admin:kpis_kpirun_change", args=[run.pk])
    for person in services.recipients_ops():
        services.notify(
            person,
            Kind.KPI_RUN_FAILED,
            obj=run,
            url=url,
            dedupe_key=f"kpi_run_failed:{run.pk}",
            message=message("kpi_run_failed", period=run.period),
        )


def on_import_saved(sender, instance: ImportRun, created: bool, **kwargs) -> None:
    """A load that failed, or a write refused for errors: CS ops and whoever loaded it."""
    run = instance
    failed = run.status == ImportStatus.FAILED or (run.status == ImportStatus.INVALID and not run.dry_run)
    if not failed:
        return
    people: dict[int, User | None] = {p.pk: p for p in services.recipients_ops()}
    if run.created_by_id and run.created_by_id not in people:
        people[run.created_by_id] = run.created_by
    url = reverse("import-detail", args=[run.pk])
    for person in people.values():
        services.notify(
            person,
            Kind.IMPORT_FAILED,
            obj=run,
            url=url,
            dedupe_key=f"import_failed:{run.pk}",
            message=message("import_failed", kind=run.kind, file=run.filename),
        )


# --- input from colleagues -------------------------------------------------------------------------


def on_input_requested(sender, request, by=None, **kwargs) -> None:
    """The colleague asked: a to-do (their home page) and an email, naming the CSM and the due date.
    Nothing goes to the CSM about input, ever."""
    review = request.review
    services.notify(
        request.contributor,
        Kind.INPUT_REQUESTED,
        obj=request,
        url=reverse("input-detail", args=[request.pk]),
        dedupe_key=f"input_requested:{request.pk}",
        by=by,
        message=message(
            "input_requested",
            by=_name(by),
            period=review.cycle.period,
            csm=_name(review.csm),
            date=_iso(request.due_on),
        ),
    )


def _on_input_closed(request, by, answered: bool) -> None:
    """The person who asked hears that the colleague answered or declined. In an anonymous cycle the
    colleague is not named (the reviewer sees answers without their authors)."""
    review = request.review
    asker = request.requested_by or review.reviewer
    anonymous = review.cycle.input_anonymous

    services.notify(
        asker,
        Kind.INPUT_ANSWERED,
        obj=review,
        url=_review_url(review) + "#input",
        dedupe_key=f"input_closed:{request.pk}:{request.status}",
        by=by,
        message=message(
            "input_closed",
            who=_name(request.contributor),
            csm=_name(review.csm),
            period=review.cycle.period,
            anonymous=bool(anonymous),
            answered=answered,
        ),
    )


def on_input_answered(sender, request, by=None, **kwargs) -> None:
    _on_input_closed(request, by, answered=True)


def on_input_declined(sender, request, by=None, **kwargs) -> None:
    _on_input_closed(request, by, answered=False)


def connect() -> None:
    review_signals.input_requested.connect(on_input_requested, dispatch_uid="notifications.input_requested")
    review_signals.input_answered.connect(on_input_answered, dispatch_uid="notifications.input_answered")
    review_signals.input_declined.connect(on_input_declined, dispatch_uid="notifications.input_declined")
    review_signals.cycle_opened.connect(on_cycle_opened, dispatch_uid="notifications.cycle_opened")
    review_signals.review_transitioned.connect(on_review_transitioned, dispatch_uid="notifications.review")
    review_signals.dispute_raised.connect(on_dispute_raised, dispatch_uid="notifications.dispute_raised")
    review_signals.dispute_answered.connect(
        on_dispute_answered, dispatch_uid="notifications.dispute_answered"
    )
    review_signals.rating_calibrated.connect(on_rating_calibrated, dispatch_uid="notifications.calibrated")
    review_signals.reminder_requested.connect(
        on_reminder_requested, dispatch_uid="notifications.reminder_requested"
    )
    run_failed.connect(on_run_failed, dispatch_uid="notifications.kpi_run_failed")
    post_save.connect(on_import_saved, sender=ImportRun, dispatch_uid="notifications.import_failed")
