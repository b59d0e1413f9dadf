"""What is waiting for a person: ``todos_for(user)``, one selector for the home pages and the API,
by role. Each to-do says what to do in words, links to where it is done, and carries its due date;
it disappears by itself once done (everything is read from the current state). Also the unread
count of the bell and the stale key results that the reminders share."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role, Team, User
from datain.models import ImportRun, ImportStatus
from kpis.models import KpiRun, RunStatus
from kpis.periods import Period
from kpis.scorecards import STALE_AFTER
from notifications.labels import data_kind_label, date_label, metric_label, period_label
from notifications.models import Notification
from okrs.models import KeyResult, Objective, OkrQuarter
from okrs.selectors import STALE_AFTER_DAYS, kr_status
from reviews.models import (
    CycleStatus,
    Dispute,
    FlagState,
    InputRequest,
    InputStatus,
    Review,
    ReviewCycle,
    ReviewStatus,
)

LIVE_CYCLES = (CycleStatus.OPEN, CycleStatus.CALIBRATION)
FAILED_IMPORT_DAYS = 14


@dataclass(frozen=True)
class Todo:
    kind: str  # what sort of to-do (a stable code for the API and the page's styling)
    text: str  # what to do, in words
    url: str  # where it is done
    due: datetime.date | None = None
    overdue: bool = False

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "url": self.url,
            "due": self.due,
            "overdue": self.overdue,
        }


def unread_count(user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def _todo(kind: str, text: str, url: str, due: datetime.date | None, today: datetime.date) -> Todo:
    return Todo(kind, text, url, due, bool(due and due < today))


# --- key results without a check-in -------------------------------------------------------------


@dataclass(frozen=True)
class StaleKr:
    kr: KeyResult
    person: User | None  # who checks in: the owner, else the CSM of the objective
    last_activity: datetime.date
    days: int


def stale_key_results(*, today: datetime.date, objectives=None) -> list[StaleKr]:
    """Key results of the current quarter (not closed) with no check-in and no fresh metric value for
    more than 14 days, not done (the rule of the OKR pages: ``okrs.selectors.kr_status``)."""
    period = Period.containing(today)
    if OkrQuarter.objects.filter(period=str(period), closed_at__isnull=False).exists():
        return []
    objectives = objectives if objectives is not None else Objective.objects.all()
    krs = (
        KeyResult.objects.filter(
            objective__in=objectives.filter(period=str(period)), frozen_progress__isnull=True
        )
        .exclude(done=True)
        .select_related("objective__csm", "objective__team", "owner")
        .prefetch_related("check_ins")
        .order_by("objective__csm_id", "objective_id", "position", "pk")
    )
    out = []
    for kr in krs:
        status = kr_status(kr, list(kr.check_ins.all()), today)
        if status.code in ("done", "closed") or status.last_activity is None:
            continue
        days = (min(today, period.end) - status.last_activity).days
        if days > STALE_AFTER_DAYS:
            out.append(StaleKr(kr, kr.owner or kr.objective.csm, status.last_activity, days))
    return out


# --- per role -----------------------------------------------------------------------------------


def _csm_todos(user: User, today: datetime.date) -> list[Todo]:
    todos = []
    reviews = (
        Review.objects.filter(csm=user, cycle__status__in=LIVE_CYCLES)
        .select_related("cycle")
        .order_by("cycle__period")
    )
    for review in reviews:
        url = reverse("review-detail", args=[review.pk])
        period = period_label(review.cycle.period)
        if review.status == ReviewStatus.SELF_REVIEW:
            todos.append(
                _todo(
                    "self_review",
                    _("Write your %(period)s self-review") % {"period": period},
                    url,
                    review.cycle.self_review_due,
                    today,
                )
            )
        elif review.status == ReviewStatus.SUBMITTED:
            todos.append(
                _todo(
                    "acknowledge",
                    _("Read and acknowledge your %(period)s review") % {"period": period},
                    url,
                    None,
                    today,
                )
            )
    # An answered flag waits for the CSM (to resolve or withdraw it) until they do, also once they
    # acknowledged the review with it open; a finalized review is read-only, nothing waits there.
    answered = (
        Dispute.objects.filter(review__csm=user, state=FlagState.ANSWERED)
        .exclude(review__status=ReviewStatus.FINALIZED)
        .select_related("review__cycle", "answered_by")
        .order_by("answered_at")
    )
    for dispute in answered:
        todos.append(
            _todo(
                "flag_answered",
                _("%(manager)s answered what you flagged about “%(metric)s”: read the answer")
                % {
                    "manager": dispute.answered_by or _("Your manager"),
                    "metric": metric_label(dispute.metric),
                },
                reverse("review-detail", args=[dispute.review_id]) + "#disputes",
                None,
                today,
            )
        )
    for stale in stale_key_results(today=today, objectives=Objective.objects.filter(csm=user)):
        todos.append(
            _todo(
                "key_result_stale",
                _("Check in on “%(kr)s”: no check-in for %(days)d days")
                % {"kr": stale.kr.title, "days": stale.days},
                reverse("okrs-mine") + f"#kr-{stale.kr.pk}",
                None,
                today,
            )
        )
    return todos


def _reviewer_todos(user: User, today: datetime.date) -> list[Todo]:
    todos = []
    reviews = (
        Review.objects.filter(
            reviewer=user,
            cycle__status__in=LIVE_CYCLES,
            status__in=(ReviewStatus.DRAFT, ReviewStatus.MANAGER_REVIEW),
        )
        .select_related("cycle", "csm")
        .order_by("cycle__period", "csm__name")
    )
    for review in reviews:
        url = reverse("review-detail", args=[review.pk])
        args = {"csm": review.csm, "period": period_label(review.cycle.period)}
        if review.status == ReviewStatus.DRAFT:
            todos.append(
                _todo(
                    "review_to_start",
                    _("Send the %(period)s review of %(csm)s to them for their self-review") % args,
                    url,
                    review.cycle.self_review_due,
                    today,
                )
            )
        else:
            todos.append(
                _todo(
                    "review_to_write",
                    _("%(csm)s submitted their self-review: write their %(period)s review") % args,
                    url,
                    review.cycle.manager_review_due,
                    today,
                )
            )
    flags = (
        Dispute.objects.filter(review__reviewer=user, state=FlagState.OPEN)
        .exclude(review__status=ReviewStatus.FINALIZED)
        .select_related("review__csm", "review__cycle")
        .order_by("raised_at")
    )
    for dispute in flags:
        todos.append(
            _todo(
                "flag_open",
                _("Answer %(csm)s about “%(metric)s” in their %(period)s review")
                % {
                    "csm": dispute.review.csm,
                    "metric": metric_label(dispute.metric),
                    "period": period_label(dispute.review.cycle.period),
                },
                reverse("review-detail", args=[dispute.review_id]) + "#disputes",
                None,
                today,
            )
        )
    calibrating = (
        ReviewCycle.objects.filter(status=CycleStatus.CALIBRATION, reviews__reviewer=user)
        .distinct()
        .order_by("period")
    )
    for cycle in calibrating:
        count = cycle.reviews.filter(reviewer=user).count()
        todos.append(
            _todo(
                "calibration",
                ngettext(
                    "Calibration of %(period)s: be ready to discuss the rating you gave",
                    "Calibration of %(period)s: be ready to discuss the %(count)d ratings you gave",
                    count,
                )
                % {"period": period_label(cycle.period), "count": count},
                reverse("review-list") + f"?cycle={cycle.pk}",
                None,
                today,
            )
        )
    return todos


def _manager_todos(user: User, today: datetime.date) -> list[Todo]:
    todos = _reviewer_todos(user, today)
    for team in Team.objects.filter(manager=user).order_by("name"):
        objectives = Objective.objects.filter(Q(team=team) | Q(csm__team=team))
        stale = stale_key_results(today=today, objectives=objectives)
        if stale:
            todos.append(
                _todo(
                    "team_okrs_stale",
                    ngettext(
                        "%(count)d key result of team %(team)s has had no check-in for %(days)d days",
                        "%(count)d key results of team %(team)s have had no check-in for %(days)d days",
                        len(stale),
                    )
                    % {"count": len(stale), "team": team.name, "days": STALE_AFTER_DAYS},
                    reverse("okrs-team", args=[team.pk]),
                    None,
                    today,
                )
            )
    return todos


def _is_overdue(review: Review, today: datetime.date) -> bool:
    cycle = review.cycle
    if review.status in (ReviewStatus.DRAFT, ReviewStatus.SELF_REVIEW) and today > cycle.self_review_due:
        return True
    return (
        review.status
        in (
            ReviewStatus.DRAFT,
            ReviewStatus.SELF_REVIEW,
            ReviewStatus.MANAGER_REVIEW,
        )
        and today > cycle.manager_review_due
    )


def _hr_todos(user: User, today: datetime.date) -> list[Todo]:
    todos = []
    for cycle in ReviewCycle.objects.filter(status=CycleStatus.DRAFT).order_by("period"):
        todos.append(
            _todo(
                "cycle_to_open",
                _("Open the %(period)s review cycle") % {"period": period_label(cycle.period)},
                reverse("cycle-detail", args=[cycle.pk]),
                cycle.self_review_due,
                today,
            )
        )
    for cycle in ReviewCycle.objects.filter(status__in=LIVE_CYCLES).order_by("period"):
        period = period_label(cycle.period)
        reviews = list(cycle.reviews.select_related("reviewer", "cycle"))
        list_url = reverse("review-list") + f"?cycle={cycle.pk}"
        overdue: dict[User | None, int] = defaultdict(int)
        for review in reviews:
            if _is_overdue(review, today):
                overdue[review.reviewer] += 1
        for reviewer, count in sorted(overdue.items(), key=lambda kv: (-kv[1], str(kv[0] or ""))):
            text = (
                ngettext(
                    "%(manager)s: %(count)d %(period)s review overdue",
                    "%(manager)s: %(count)d %(period)s reviews overdue",
                    count,
                )
                % {"manager": reviewer, "count": count, "period": period}
                if reviewer
                else ngettext(
                    "%(count)d %(period)s review overdue has no reviewer",
                    "%(count)d %(period)s reviews overdue have no reviewer",
                    count,
                )
                % {"count": count, "period": period}
            )
            todos.append(Todo("overdue_reviews", text, list_url, cycle.manager_review_due, True))
        to_finalize = sum(1 for r in reviews if r.status == ReviewStatus.ACKNOWLEDGED)
        if to_finalize:
            todos.append(
                _todo(
                    "reviews_to_finalize",
                    ngettext(
                        "Finalize %(count)d acknowledged %(period)s review",
                        "Finalize %(count)d acknowledged %(period)s reviews",
                        to_finalize,
                    )
                    % {"count": to_finalize, "period": period},
                    list_url,
                    None,
                    today,
                )
            )
        settled = reviews and all(r.reached(ReviewStatus.ACKNOWLEDGED) for r in reviews)
        if cycle.status == CycleStatus.OPEN and (settled or today > cycle.manager_review_due):
            todos.append(
                _todo(
                    "cycle_to_calibrate",
                    _("Move the %(period)s cycle on to calibration") % {"period": period},
                    reverse("cycle-detail", args=[cycle.pk]),
                    cycle.manager_review_due,
                    today,
                )
            )
        if cycle.status == CycleStatus.CALIBRATION and all(
            r.status == ReviewStatus.FINALIZED for r in reviews
        ):
            todos.append(
                _todo(
                    "cycle_to_close",
                    _("Close the %(period)s cycle: every review is finalized") % {"period": period},
                    reverse("cycle-detail", args=[cycle.pk]),
                    None,
                    today,
                )
            )
    return todos


def _ops_todos(user: User, today: datetime.date, now: datetime.datetime) -> list[Todo]:
    todos = []
    since = now - datetime.timedelta(days=FAILED_IMPORT_DAYS)
    failed = (
        ImportRun.objects.filter(started_at__gte=since)
        .filter(Q(status=ImportStatus.FAILED) | Q(status=ImportStatus.INVALID, dry_run=False))
        .order_by("-started_at")
    )
    for run in failed[:20]:
        fixed = ImportRun.objects.filter(
            kind=run.kind, status=ImportStatus.DONE, started_at__gt=run.started_at
        ).exists()
        if fixed:
            continue
        when = timezone.localtime(run.started_at).date()
        text = (
            _("The import of %(kind)s from %(file)s failed on %(date)s: look at its errors and load it again")
            if run.filename
            else _("An import of %(kind)s failed on %(date)s: look at its errors and load it again")
        ) % {"kind": data_kind_label(run.kind), "file": run.filename, "date": date_label(when)}
        todos.append(Todo("import_failed", text, reverse("import-detail", args=[run.pk]), None, False))
    runs_url = reverse("admin:kpis_kpirun_changelist")
    for period in (Period.containing(today, "month"), Period.containing(today)):
        last = (
            KpiRun.objects.filter(period=str(period))
            .exclude(status=RunStatus.RUNNING)
            .order_by("-started_at")
            .first()
        )
        if last is not None and last.status == RunStatus.FAILED:
            todos.append(
                Todo(
                    "kpi_run_failed",
                    _("The last KPI run of %(period)s failed: see why and recompute it")
                    % {"period": period_label(str(period))},
                    runs_url,
                    None,
                    False,
                )
            )
    newest = (
        KpiRun.objects.filter(status=RunStatus.PUBLISHED)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if newest is None or now - newest > STALE_AFTER:
        todos.append(
            Todo(
                "kpi_run_late",
                _("The KPIs have not been refreshed for more than 36 hours: check the nightly run")
                if newest
                else _("No KPI run has been published yet: compute the KPIs"),
                runs_url,
                None,
                True,
            )
        )
    return todos


def _input_todos(user: User, today: datetime.date) -> list[Todo]:
    """Input the person was asked for and has not given: whatever their role."""
    requests = (
        InputRequest.objects.addressed_to(user)
        .filter(
            status=InputStatus.REQUESTED,
            review__cycle__status__in=LIVE_CYCLES,
            review__status__in=(ReviewStatus.DRAFT, ReviewStatus.SELF_REVIEW, ReviewStatus.MANAGER_REVIEW),
        )
        .select_related("review__csm", "review__cycle")
        .order_by("due_on", "pk")
    )
    return [
        _todo(
            "input_requested",
            _("Give your input on the %(period)s review of %(csm)s")
            % {"period": period_label(r.review.cycle.period), "csm": r.review.csm.get_full_name()},
            reverse("input-detail", args=[r.pk]),
            r.due_on,
            today,
        )
        for r in requests
    ]


def todos_for(
    user: User, *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> list[Todo]:
    """Everything waiting for ``user``, most urgent first (overdue, then by due date, then the rest)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if user.role == Role.CSM:
        todos = _csm_todos(user, today)
    elif user.role == Role.MANAGER:
        todos = _manager_todos(user, today)
    elif user.role == Role.HR:
        todos = _hr_todos(user, today) + _reviewer_todos(user, today)
    elif user.role == Role.ADMIN:
        todos = _ops_todos(user, today, now) + _reviewer_todos(user, today)
    elif user.role == Role.CONTRIBUTOR:
        todos = []
    else:
        return []
    todos = todos + _input_todos(user, today)
    return sorted(todos, key=lambda t: (not t.overdue, t.due is None, t.due or today))  # stable
