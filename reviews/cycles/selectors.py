"""Reads of a review cycle: who takes part, what opening it would leave missing, HR's cycle page
(every review with who it waits on and when it is due, progress per manager), and the calibration
session (ratings per manager, the grid, the books).

Who takes part: a CSM takes part unless a ``CycleExclusion`` leaves them out (with its reason). New
hires are left out by default when the cycle is created: tenure counts from the CSM's first account
assignment, and a CSM whose first account came fewer than ``REVIEW_MIN_TENURE_DAYS`` days before the
quarter ends has too little of a book to be judged on. A CSM without any account keeps taking part
(their tenure is unknown): HR leaves them out by hand when they should be."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Min, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Assignment, Role, User
from core import dates
from kpis import book
from kpis.models import KpiRun, RunStatus
from kpis.periods import Period
from reviews.access import review_view
from reviews.cycles import funnel
from reviews.models import STATUS_ORDER, CycleExclusion, Review, ReviewCycle, ReviewStatus
from reviews.wording import NO_RUN, NOT_STARTED, opening_warning_words


def waiting_on(review: Review) -> tuple[User | None, datetime.date | None, str]:
    """Who the review waits on, by when, and for what (None: no one, the review is done or with HR)."""
    cycle = review.cycle
    if review.status == ReviewStatus.DRAFT:
        return review.reviewer, cycle.self_review_due, gettext("reviewer: send to the CSM")
    if review.status == ReviewStatus.SELF_REVIEW:
        return review.csm, cycle.self_review_due, gettext("CSM: self-review")
    if review.status == ReviewStatus.MANAGER_REVIEW:
        return review.reviewer, cycle.manager_review_due, gettext("reviewer: manager review")
    if review.status == ReviewStatus.SUBMITTED:
        return review.csm, None, gettext("CSM: acknowledgement")
    if review.status == ReviewStatus.ACKNOWLEDGED:
        return None, None, gettext("HR: finalize")
    return None, None, ""


@dataclass
class Row:
    review: Review
    waiting: User | None
    due: datetime.date | None
    step: str
    overdue: bool
    manager: User | None  # the CSM's team manager
    name_matches: bool = True  # the CSM's name contains the page's name filter (all_cycle_rows)
    choices: list[User] = field(default_factory=list)  # who may review the CSM instead (cycle page)


# What the cycle page, its filters and the summary read of a review: never the frozen numbers, the
# texts or the rating's detail (kilobytes of JSON per review, 500 reviews a cycle).
_ROW_HEAVY_FIELDS = (
    "snapshot",
    "self_assessment",
    "manager_assessment",
    "section_ratings",
    "self_ratings",
    "suggested_detail",
    "final_rating_reason",
    "calibration_reason",
    "acknowledgement_comment",
)


def cycle_rows(
    cycle: ReviewCycle,
    *,
    status: str = "",
    manager: str = "",
    overdue: bool = False,
    q: str = "",
    today: datetime.date | None = None,
) -> list[Row]:
    """Every review of the cycle, filtered by status, team manager (id), overdue, and name."""
    return filter_rows(
        all_cycle_rows(cycle, q=q, today=today), status=status, manager=manager, overdue=overdue, q=q
    )


def all_cycle_rows(cycle: ReviewCycle, *, q: str = "", today: datetime.date | None = None) -> list[Row]:
    """Every review of the cycle, by CSM name, in one query; with ``q``, each row knows whether the
    CSM's name contains it (the database's case-insensitive match) for ``filter_rows``."""
    today = today or timezone.localdate()
    qs = (
        cycle.reviews.select_related("csm__team__manager", "reviewer", "cycle")
        .defer(*_ROW_HEAVY_FIELDS)
        .order_by("csm__name")
    )
    if q:
        qs = qs.annotate(
            name_matches=ExpressionWrapper(Q(csm__name__icontains=q), output_field=BooleanField())
        )
    rows = []
    for r in qs:
        who, due, step = waiting_on(r)
        late = bool(who is not None and due and due < today)
        manager = r.csm.team.manager if r.csm.team else None
        rows.append(Row(r, who, due, step, late, manager, getattr(r, "name_matches", True)))
    return rows


def filter_rows(
    rows: list[Row], *, status: str = "", manager: str = "", overdue: bool = False, q: str = ""
) -> list[Row]:
    """The rows of ``all_cycle_rows`` that pass the cycle page's filters, without asking the database
    again: filtering never costs more than the whole list."""
    if status in STATUS_ORDER:
        rows = [row for row in rows if row.review.status == status]
    if manager.isdigit():
        rows = [row for row in rows if row.review.csm.team and row.review.csm.team.manager_id == int(manager)]
    if q:
        rows = [row for row in rows if row.name_matches]
    if overdue:
        rows = [row for row in rows if row.overdue]
    return rows


@dataclass
class Progress:
    manager: str
    manager_id: int | None
    total: int = 0
    submitted: int = 0
    finalized: int = 0
    overdue: int = 0
    counts: dict = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.total) if self.total else 0


def manager_progress(rows: list[Row]) -> list[Progress]:
    """Per team manager: reviews, submitted (or further), finalized, overdue."""
    out: dict[int | None, Progress] = {}
    for row in rows:
        m = row.manager
        p = out.setdefault(m.pk if m else None, Progress(str(m) if m else "— (no team)", m.pk if m else None))
        p.total += 1
        p.submitted += row.review.reached(ReviewStatus.SUBMITTED)
        p.finalized += row.review.status == ReviewStatus.FINALIZED
        p.overdue += row.overdue
    return sorted(out.values(), key=lambda p: p.manager.lower())


# --- who takes part ------------------------------------------------------------------------------


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
        return gettext(
            "New hire: first account on %(day)s, %(days)d days before the quarter ends (under %(min)d)."
        ) % {"day": dates.day(first), "days": max(days, 0), "min": settings.REVIEW_MIN_TENURE_DAYS}
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


# What opening a cycle now would miss, by code: kept so on the cycle (``ReviewCycle.opened_despite``)
# and put into words in the reader's language (``reviews.wording.opening_warning_words``).


def opening_warning_codes(cycle: ReviewCycle, today: datetime.date | None = None) -> list[str]:
    """What the reviews would miss if the cycle opened now, as codes: a quarter that has not
    started, a quarter without a published KPI run. Empty when nothing is missing."""
    today = today or timezone.localdate()
    p = Period.parse(cycle.period)
    if p.start > today:
        return [NOT_STARTED]
    if not KpiRun.objects.filter(period=str(p), status=RunStatus.PUBLISHED).exists():
        return [NO_RUN]
    return []


def opening_warnings(cycle: ReviewCycle, today: datetime.date | None = None) -> list[str]:
    """``opening_warning_codes`` in the reader's words."""
    return [opening_warning_words(cycle, code) for code in opening_warning_codes(cycle, today)]


def next_free_quarter(today: datetime.date | None = None) -> Period:
    """The quarter the new-cycle form offers: the current one, or the first one after it without a cycle."""
    p = Period.containing(today or timezone.localdate())
    taken = set(ReviewCycle.objects.values_list("period", flat=True))
    while str(p) in taken:
        p = p.next()
    return p


# --- calibration: ratings per manager and the 9-box ----------------------------------------------


def calibration(*, cycle: ReviewCycle) -> dict:
    """Distribution of final ratings per manager, and final rating against KPI percentile per CSM."""
    reviews = list(cycle.reviews.select_related("csm", "reviewer"))
    weighted = set(cycle.template.kpi_weights)
    per_manager: dict[str, Counter] = defaultdict(Counter)
    points: list[dict[str, Any]] = []
    for r in reviews:
        if r.rating is None or not r.reached(ReviewStatus.SUBMITTED):
            continue  # before submission the rating is the manager's draft
        per_manager[str(r.reviewer)][r.rating] += 1
        # Percentiles in the segment, across teams: within one team they average 50 by construction.
        pcts = [
            Decimal(str(m["segment_percentile"]))
            for m in r.snapshot.get("metrics", [])
            if m["metric"] in weighted and m.get("segment_percentile") is not None
        ]
        pct = (sum(pcts, Decimal(0)) / len(pcts)).quantize(Decimal("0.1")) if pcts else None
        points.append(
            {
                "review": r.pk,
                "version": r.version,
                "status": r.status,
                "csm": r.csm,
                "manager": r.reviewer,
                "rating": r.rating,
                "percentile": pct,
                "suggested": r.suggested_rating,
            }
        )
    scale = cycle.template.scale_values
    managers: list[dict[str, Any]] = []
    for name, counts in sorted(per_manager.items()):
        n = sum(counts.values())
        mean = Decimal(sum(k * v for k, v in counts.items())) / n
        mgr_points = [p for p in points if str(p["manager"]) == name and p["percentile"] is not None]
        mean_pct = (
            (sum(p["percentile"] for p in mgr_points) / len(mgr_points)).quantize(Decimal("0.1"))
            if mgr_points
            else None
        )
        managers.append(
            {
                "manager": name,
                "counts": [counts.get(v, 0) for v in scale],
                "n": n,
                "mean": mean.quantize(Decimal("0.01")),
                "mean_percentile": mean_pct,
            }
        )
    overall = [p["rating"] for p in points]
    overall_mean = (Decimal(sum(overall)) / len(overall)).quantize(Decimal("0.01")) if overall else None
    for m in managers:
        m["flag"] = ""
        if overall_mean is not None and len(managers) > 1:
            if m["mean"] - overall_mean >= Decimal("0.5"):
                m["flag"] = "lenient"
            elif overall_mean - m["mean"] >= Decimal("0.5"):
                m["flag"] = "harsh"
    return {"scale": scale, "managers": managers, "points": points, "overall_mean": overall_mean}


# --- calibration session -------------------------------------------------------------------------


def _metric(snapshot: dict, key: str):
    return next((m.get("value") for m in snapshot.get("metrics", []) if m["metric"] == key), None)


def kpi_percentile(review: Review) -> Decimal | None:
    """Mean segment percentile of the template's weighted metrics (across teams: within one team
    percentiles average 50 by construction). A weighted lift with no number (no expected result for
    the book) counts by its raw rate's percentile (``nrr_lift`` by ``nrr``'s)."""
    weighted = set(review.cycle.template.kpi_weights)
    rows = {m["metric"]: m for m in review.snapshot.get("metrics", [])}
    keys = [
        key.removesuffix("_lift")
        if key.endswith("_lift") and (rows.get(key) or {}).get("segment_percentile") is None
        else key
        for key in weighted
    ]
    pcts = [
        Decimal(str(rows[k]["segment_percentile"]))
        for k in keys
        if k in rows and rows[k].get("segment_percentile") is not None
    ]
    return (sum(pcts, Decimal(0)) / len(pcts)).quantize(Decimal("0.1")) if pcts else None


def book_of_review(review: Review, renewals: int | None) -> dict:
    """The book the CSM was judged on, from the review's frozen snapshot (and the renewals count)."""
    snap = review.snapshot
    mix = (snap.get("health_mix") or [{}])[0]
    return {
        "segment": review.csm.get_segment_display(),
        "starting_mrr": _metric(snap, "starting_mrr"),
        "accounts": _metric(snap, "book_size"),
        "health": {k: mix.get(k) for k in ("good", "average", "poor")},
        "health_month": mix.get("period"),
        "renewals": renewals,
    }


# Why a review is not placed in the grid (the session lists it under these words).
UNPLACED_NOT_SUBMITTED = _("not submitted yet")
UNPLACED_NO_RATING = _("no rating")
UNPLACED_NO_PERCENTILE = _("no KPI percentile")
UNPLACED_NO_LIFT = _("no lift (not enough data for an expected result)")

# The 9-box's performance axis: the KPI percentile, or a lift placed by its 90 % interval.
PERCENTILE = "percentile"
AXES = {
    PERCENTILE: _("KPI percentile in the segment"),
    "logo_retention_lift": _("Lift in account retention"),
    "gross_retention_lift": _("Lift in gross revenue retention"),
    "nrr_lift": _("Lift in NRR"),
}
LIFT_COLUMNS = [
    # xgettext:no-python-format (a percent sign, not a placeholder)
    _("Below expected (the whole 90 % interval under 0)"),
    _("As expected (the interval holds 0)"),
    _("Above expected (the whole interval over 0)"),
]


def lift_band(snapshot: dict, key: str) -> int | None:
    """The column of a lift by its 90 % interval: 0 below expected, 1 as expected, 2 above; None
    when the lift has no number."""
    low, high = _metric(snapshot, f"{key}_low"), _metric(snapshot, f"{key}_high")
    if _metric(snapshot, key) is None or low is None or high is None:
        return None
    return 0 if Decimal(str(high)) < 0 else 2 if Decimal(str(low)) > 0 else 1


def _band(value, cuts) -> int:
    return sum(1 for c in cuts if value >= c)


def calibration_session(*, cycle: ReviewCycle, viewer: User | None, axis: str = PERCENTILE) -> dict:
    """The session as ``viewer`` sees it. Names, ratings, books and notes: only of the reviews the
    access rule lets them read with the manager's part (HR: all). The distribution per manager counts
    every rated review of the cycle (numbers only, no names), as the funnel's over-dispersion does.
    ``axis``: the 9-box's performance axis (a key of ``AXES``; anything else is the percentile)."""
    axis = axis if axis in AXES else PERCENTILE
    reviews = list(
        cycle.reviews.select_related("csm__team__manager", "reviewer", "cycle__template", "calibrated_by")
    )
    scale = cycle.template.scale_values
    low, high = min(scale), max(scale)
    mid = (low + high) / 2
    per_manager: dict[str, Counter] = defaultdict(Counter)
    org: Counter = Counter()
    for r in reviews:
        if r.rating is not None and r.reached(ReviewStatus.SUBMITTED):
            per_manager[str(r.reviewer or "—")][r.rating] += 1
            org[r.rating] += 1
    n_org = sum(org.values())
    org_mean = (
        (Decimal(sum(k * v for k, v in org.items())) / n_org).quantize(Decimal("0.01")) if n_org else None
    )
    managers = []
    for name, counts in sorted(per_manager.items()):
        n = sum(counts.values())
        mean = (Decimal(sum(k * v for k, v in counts.items())) / n).quantize(Decimal("0.01"))
        flag = ""
        if org_mean is not None and len(per_manager) > 1:
            if mean - org_mean >= Decimal("0.5"):
                flag = "lenient"
            elif org_mean - mean >= Decimal("0.5"):
                flag = "harsh"
        managers.append(
            {
                "manager": name,
                "n": n,
                "mean": mean,
                "flag": flag,
                "cells": [
                    {
                        "count": counts.get(v, 0),
                        "share": round(100 * counts.get(v, 0) / n),
                        "org": round(100 * org.get(v, 0) / n_org),
                    }
                    for v in scale
                ],
            }
        )
    visible = []
    for r in reviews:
        view = review_view(viewer, r)
        if view.can_read and view.manager_visible and not view.is_csm:
            visible.append(r)
    period = Period.parse(cycle.period)
    renewals = book.renewals_in_quarter(csm_ids=[r.csm_id for r in visible], period=period)
    notes: dict[int, list] = defaultdict(list)
    for note in cycle.calibration_notes.filter(csm_id__in=[r.csm_id for r in visible]).select_related(
        "author"
    ):
        notes[note.csm_id].append(note)
    people = []
    grid: list[list[list[dict[str, Any]]]] = [
        [[] for _col in range(3)] for _row in range(3)
    ]  # [rating band high..low][percentile band low..high]
    unplaced = []
    visible.sort(key=lambda r: (r.csm.name or r.csm.email).lower())
    for r in visible:
        pct = kpi_percentile(r)
        band = _band(pct, (Decimal("33.4"), Decimal("66.7"))) if pct is not None else None
        if axis != PERCENTILE:
            band = lift_band(r.snapshot, axis)
        person: dict[str, Any] = {
            "review": r,
            "csm": r.csm,
            "reviewer": r.reviewer,
            "manager_rating": r.final_rating,
            "rating": r.rating,
            "suggested": r.suggested_rating,
            "percentile": pct,
            "book": book_of_review(r, renewals.get(r.csm_id)),
            "notes": notes.get(r.csm_id, []),
            "submitted": r.reached(ReviewStatus.SUBMITTED),
        }
        people.append(person)
        # Only a submitted review is placed: before that its rating is the manager's draft.
        because = (
            UNPLACED_NOT_SUBMITTED
            if not person["submitted"]
            else UNPLACED_NO_RATING
            if r.rating is None
            else (UNPLACED_NO_PERCENTILE if axis == PERCENTILE else UNPLACED_NO_LIFT)
            if band is None
            else ""
        )
        if because:
            person["unplaced_because"] = because
            unplaced.append(person)
            continue
        assert r.rating is not None and band is not None  # else it is unplaced, above
        rating_band = 2 if r.rating > mid else (1 if r.rating == mid else 0)
        grid[2 - rating_band][band].append(person)
    return {
        "scale": scale,
        "labels": {int(s["value"]): s["label"] for s in cycle.template.rating_scale},
        "managers": managers,
        "org": [
            {"value": v, "count": org.get(v, 0), "share": round(100 * org.get(v, 0) / n_org) if n_org else 0}
            for v in scale
        ],
        "org_n": n_org,
        "org_mean": org_mean,
        "people": people,
        "grid": grid,
        "grid_rows": [
            gettext("Above the middle (4–5)"),
            gettext("Middle (3)"),
            gettext("Below the middle (1–2)"),
        ]
        if scale == [1, 2, 3, 4, 5]
        else [gettext("Above the middle"), gettext("Middle"), gettext("Below the middle")],
        "grid_cols": [gettext("KPI percentile 0–33"), "34–66", "67–100"]
        if axis == PERCENTILE
        else LIFT_COLUMNS,
        "axis": axis,
        "axis_label": AXES[axis],
        "axes": AXES,
        "funnel": funnel.session(reviews, visible),
        "unplaced": unplaced,
        # The names left out of the grid, by why: [(why, [person, ...]), ...] in the order above.
        "unplaced_by_reason": [
            (str(why), [p for p in unplaced if p["unplaced_because"] == why])
            for why in (UNPLACED_NOT_SUBMITTED, UNPLACED_NO_RATING, UNPLACED_NO_PERCENTILE, UNPLACED_NO_LIFT)
            if any(p["unplaced_because"] == why for p in unplaced)
        ],
        "changes": [p for p in people if p["review"].calibrated_rating is not None],
    }
