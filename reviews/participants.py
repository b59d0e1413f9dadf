"""Who takes part in a review cycle, and what opening a cycle would leave missing (reads only).

A CSM takes part unless a ``CycleExclusion`` leaves them out (with its reason). New hires are left out
by default when the cycle is created: tenure counts from the CSM's first account assignment, and a CSM
whose first account came fewer than ``REVIEW_MIN_TENURE_DAYS`` days before the quarter ends has too
little of a book to be judged on. A CSM without any account keeps taking part (their tenure is unknown):
HR leaves them out by hand when they should be."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from accounts.models import Assignment, Role, User
from core import dates
from kpis.models import KpiRun, RunStatus
from kpis.periods import Period, period_label
from reviews.models import CycleExclusion, Review, ReviewCycle


def first_assignments(csm_ids=None) -> dict[int, datetime.date]:
    qs = Assignment.objects.all()
    if csm_ids is not None:
        qs = qs.filter(csm_id__in=csm_ids)
    return dict(qs.values("csm_id").annotate(first=Min("start_date")).values_list("csm_id", "first"))


def new_hire_reason(*, first: datetime.date | None, period: Period) -> str:
    """Why a CSM is left out as a new hire by default ('' when they are not one)."""
    if first is None:
        return ""  # no book at all: the tenure is unknown, HR decides (and may leave them out)
    days = (period.end - first).days  # the days of the quarter it had the book for (end is exclusive)
    if days < settings.REVIEW_MIN_TENURE_DAYS:
        return (
            f"New hire: first account on {dates.day(first)}, {max(days, 0)} days before the "
            f"quarter ends (under {settings.REVIEW_MIN_TENURE_DAYS})."
        )
    return ""


def new_hires(*, period: Period) -> dict[int, str]:
    """Active CSMs who are new hires for ``period``: id -> the reason they are left out."""
    csm_ids = list(User.objects.filter(role=Role.CSM, is_active=True).values_list("pk", flat=True))
    firsts = first_assignments(csm_ids)
    out = {}
    for pk in csm_ids:
        reason = new_hire_reason(first=firsts.get(pk), period=period)
        if reason:
            out[pk] = reason
    return out


@dataclass
class Participant:
    csm: User
    included: bool
    exclusion: CycleExclusion | None
    review: Review | None
    first_account: datetime.date | None


def cycle_participants(cycle: ReviewCycle) -> list[Participant]:
    """Every active CSM, and anyone with a review or an exclusion in the cycle, by name."""
    reviews = {r.csm_id: r for r in cycle.reviews.only("pk", "csm_id", "status", "cycle_id")}
    exclusions = {e.csm_id: e for e in cycle.exclusions.select_related("excluded_by")}
    csms = list(
        User.objects.filter(role=Role.CSM, is_active=True).select_related("team")
        | User.objects.filter(pk__in=list(reviews) + list(exclusions)).select_related("team")
    )
    firsts = first_assignments([c.pk for c in csms])
    return [
        Participant(
            csm=c,
            included=c.pk not in exclusions,
            exclusion=exclusions.get(c.pk),
            review=reviews.get(c.pk),
            first_account=firsts.get(c.pk),
        )
        for c in sorted(set(csms), key=lambda u: (u.name or u.email).lower())
    ]


def opening_warnings(cycle: ReviewCycle, today: datetime.date | None = None) -> list[str]:
    """What the reviews would miss if the cycle opened now: a quarter that has not started, a quarter
    without a published KPI run. Empty when nothing is missing."""
    today = today or timezone.localdate()
    p = Period.parse(cycle.period)
    out = []
    if p.start > today:
        out.append(
            f"{period_label(p)} has not started (it starts on {dates.day(p.start)}): there is no activity yet, "
            "so every number of every review will read “no data” and no review will have a suggested rating."
        )
    elif not KpiRun.objects.filter(period=str(p), status=RunStatus.PUBLISHED).exists():
        out.append(
            f"No KPI run of {period_label(p)} is published yet: the reviews’ numbers will be empty and no review will have "
            "a suggested rating until its reviewer refreshes the numbers after a run."
        )
    return out


def next_free_quarter(today: datetime.date | None = None) -> Period:
    """The quarter the new-cycle form offers: the current one, or the first one after it without a cycle."""
    p = Period.containing(today or timezone.localdate())
    taken = set(ReviewCycle.objects.values_list("period", flat=True))
    while str(p) in taken:
        p = p.next()
    return p
