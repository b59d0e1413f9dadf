"""The team dashboard: CSMs x metrics of one team, with the median row and the roll-up row of the
CSMs shown (``team_dashboard``). Every number comes from published ``KpiValue`` rows; the roll-up
adds up the CSMs' components, never a mean of percentages.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from accounts.models import Role, Segment, Team, User
from kpis import lifts_shown
from kpis.engine import drilldown, formulas, words
from kpis.engine.components import combine
from kpis.engine.expected import OUTCOMES
from kpis.models import KpiValue, SubjectType
from kpis.periods import Period
from kpis.registry import KPI, METRICS, REGISTRY, SERVICE, Metric
from kpis.scorecards import Freshness, freshness, is_good_side, median

DASHBOARD_METRICS = tuple(m.key for m in METRICS if m.group in (KPI, SERVICE))


@dataclass
class Cell:
    value: Decimal | None
    far: bool = False  # far from the team median
    good: bool = False  # far, on the good side of the median (the metric's direction)
    few: bool = False  # fewer than the metric's minimum sample
    sample: int = 0

    @property
    def far_class(self) -> str:
        if not self.far:
            return ""
        return "far good" if self.good else "far bad"


@dataclass
class DashboardRow:
    csm: User | None
    label: str
    cells: dict[str, Cell]


@dataclass
class TeamDashboard:
    team: Team
    period: Period
    metrics: list[Metric]
    rows: list[DashboardRow]
    rollup: DashboardRow
    medians: dict[str, Decimal | None]
    freshness: Freshness
    segment: str = ""
    sort: str = ""
    # The lift of each outcome with its interval, per CSM and for the team (never sorted, never ranked).
    lifts: dict[int, dict[str, lifts_shown.Lift]] = field(default_factory=dict)
    rollup_lifts: dict[str, lifts_shown.Lift] = field(default_factory=dict)

    # The lift columns stand beside the raw retention they read.
    lifts_after = "logo_retention"

    @property
    def column_count(self) -> int:
        """The columns of figures: the metrics and the lifts."""
        return len(self.metrics) + len(self.lift_columns)

    @property
    def lift_columns(self) -> list[tuple[str, str]]:
        """(outcome, its name) of the lift columns: quarters only (a month has no expected results)."""
        if not self.period.is_quarter:
            return []
        return [(o, str(words.OUTCOME_NAMES[o])) for o in OUTCOMES]

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def sort_descending(self) -> bool:
        return self.sort.startswith("-")


def is_far(value: Decimal | None, values: list[Decimal], med: Decimal | None) -> bool:
    """Further from the team median than twice the median absolute deviation."""
    if value is None or med is None or len(values) < 3:
        return False
    mad = median([abs(v - med) for v in values])
    if not mad:
        return False
    return abs(value - med) > 2 * mad


# The roll-up of visible CSMs from their components (kpis/engine/formulas.py): sums, or a ratio of
# the summed numerators and denominators (times the scale); never a mean of percentages.
SUM_ROLLUPS = ("portfolio_growth", "referrals", "onboardings")
RATIO_ROLLUPS = {
    "nrr": 100,
    "logo_retention": 100,
    "adoption_change": 1,
    "health_good_share": 100,
    "first_contact_resolution": 100,
    "escalation_rate": 100,
    "nps": 100,
    "csat": 100,
}
# Differences of a ratio with the previous period's ratio (same components, both periods).
CHANGE_ROLLUPS = {"ticket_reduction": "tickets_per_account", "stickiness_change": "stickiness"}
# Medians of pooled observations: the stored team value, or (under a filter) the visible CSMs'
# observations pooled through the drill-down (kpis/engine/drilldown.py).
MEDIAN_ROLLUPS = ("onboarding_days", "first_response_hours")


@dataclass
class _Parts:
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    sample: int


def _round(x: Decimal | None) -> Decimal | None:
    return None if x is None else x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _sum_ratio(parts: list[_Parts], scale: int) -> Decimal | None:
    nums = [p.numerator for p in parts if p.numerator is not None and p.denominator is not None]
    dens = [p.denominator for p in parts if p.numerator is not None and p.denominator is not None]
    den = sum(dens, Decimal(0))
    return None if not den else sum(nums, Decimal(0)) / den * scale


def rollup_values(
    current: dict[str, list[_Parts]],
    previous: dict[str, list[_Parts]],
    pooled_medians: dict[str, Decimal | None],
) -> dict[str, Decimal | None]:
    """The roll-up of a set of CSMs from their values' components (see SUM_ROLLUPS and the rest)."""
    out: dict[str, Decimal | None] = {}
    for key in SUM_ROLLUPS:
        values = [p.value for p in current.get(key, []) if p.value is not None]
        out[key] = sum(values, Decimal(0)) if values else None
    for key, scale in RATIO_ROLLUPS.items():
        out[key] = _sum_ratio(current.get(key, []), scale)
    now_tpa = _sum_ratio(current.get("tickets_per_account", []), 1)
    before_tpa = _sum_ratio(previous.get("tickets_per_account", []), 1)
    out["ticket_reduction"] = (
        (before_tpa - now_tpa) / before_tpa * 100 if now_tpa is not None and before_tpa else None
    )
    now_stick = _sum_ratio(current.get("stickiness", []), 100)
    before_stick = _sum_ratio(previous.get("stickiness", []), 100)
    out["stickiness_change"] = (
        now_stick - before_stick if now_stick is not None and before_stick is not None else None
    )
    out.update(pooled_medians)
    return {k: _round(v) for k, v in out.items()}


def _pooled_medians(member_ids: list[int], period: Period, as_of: datetime.date | None) -> dict:
    """The median metrics of a set of CSMs: their observations pooled (one drill-down per CSM)."""
    out = {}
    for key in MEDIAN_ROLLUPS:
        comps = [
            drilldown.explain(csm_id=pk, metric=key, period=period, as_of=as_of).components
            for pk in member_ids
        ]
        out[key] = formulas.derive(combine(comps))[key].value if comps else None
    return out


def team_dashboard(*, team: Team, period: Period, segment: str = "", sort: str = "") -> TeamDashboard:
    """CSMs x metrics of one team with the roll-up row of the CSMs shown (under a segment filter,
    of those CSMs only): a fixed number of queries, plus a drill-down per visible CSM for the two
    median metrics when a filter is on."""
    members = list(User.objects.filter(team=team, role=Role.CSM).order_by("name", "email"))
    if segment:
        members = [m for m in members if m.segment == segment]
    member_ids = {m.pk for m in members}
    extra = tuple(CHANGE_ROLLUPS.values())
    prev = str(period.previous())
    values = (
        KpiValue.objects.filter(period__in=(str(period), prev), metric__in=DASHBOARD_METRICS + extra)
        .filter(Q(csm__team=team, subject_type=SubjectType.CSM) | Q(team=team, subject_type=SubjectType.TEAM))
        .values_list(
            "subject_type",
            "csm_id",
            "metric",
            "period",
            "value",
            "numerator",
            "denominator",
            "sample_size",
            "run__as_of",
        )
    )
    by_csm: dict[int, dict[str, _Parts]] = {}
    team_row: dict[str, Decimal | None] = {}
    current: dict[str, list[_Parts]] = {}
    previous: dict[str, list[_Parts]] = {}
    as_of = None
    for subject_type, csm_id, metric, p, value, num, den, sample, run_as_of in values:
        part = _Parts(value, num, den, sample)
        if subject_type == SubjectType.TEAM:
            if p == str(period):
                team_row[metric] = value
                as_of = run_as_of
            continue
        if csm_id not in member_ids:
            continue
        if p == str(period):
            as_of = as_of or run_as_of
            current.setdefault(metric, []).append(part)
            if metric in DASHBOARD_METRICS:
                by_csm.setdefault(csm_id, {})[metric] = part
        else:
            previous.setdefault(metric, []).append(part)
    medians, columns = {}, {}
    for key in DASHBOARD_METRICS:
        definition = REGISTRY[key]
        columns[key] = [
            got.value
            for pk, v in by_csm.items()
            if (got := v.get(key)) is not None
            and got.value is not None
            and not definition.is_few(got.value, got.sample)
        ]
        medians[key] = median(columns[key])

    def cell(pk: int, key: str) -> Cell:
        part = by_csm.get(pk, {}).get(key)
        if part is None or part.value is None:
            return Cell(None)
        metric = REGISTRY[key]
        if metric.is_few(part.value, part.sample):
            return Cell(part.value, few=True, sample=part.sample)
        far = is_far(part.value, columns[key], medians[key])
        good = far and is_good_side(metric, part.value, medians[key])
        return Cell(part.value, far=far, good=good, sample=part.sample)

    rows = [
        DashboardRow(
            csm=m, label=m.name or m.email, cells={key: cell(m.pk, key) for key in DASHBOARD_METRICS}
        )
        for m in members
    ]
    if sort.lstrip("-") in DASHBOARD_METRICS:
        key = sort.lstrip("-")
        present = [(by, r) for r in rows if (by := r.cells[key].value) is not None]
        missing = [r for r in rows if r.cells[key].value is None]
        present.sort(key=lambda pair: pair[0], reverse=sort.startswith("-"))
        rows = [r for _by, r in present] + missing
    if segment:
        pooled = _pooled_medians(sorted(member_ids), period, as_of) if members else {}
    else:
        pooled = {k: team_row.get(k) for k in MEDIAN_ROLLUPS}
    rolled = rollup_values(current, previous, pooled)
    label = team.name if not segment else f"{team.name} · {Segment(segment).label}"
    rollup = DashboardRow(csm=None, label=label, cells={k: Cell(rolled.get(k)) for k in DASHBOARD_METRICS})
    lifts, team_lifts = _lifts(team, period, member_ids)
    return TeamDashboard(
        team=team,
        period=period,
        metrics=[REGISTRY[k] for k in DASHBOARD_METRICS],
        rows=rows,
        rollup=rollup,
        medians=medians,
        freshness=freshness(period),
        segment=segment,
        sort=sort,
        lifts=lifts,
        # A team's lift is shrunk with the other teams': the CSMs of one segment have none of their own.
        rollup_lifts={} if segment else team_lifts,
    )


def _lifts(
    team: Team, period: Period, member_ids: set[int]
) -> tuple[dict[int, dict[str, lifts_shown.Lift]], dict[str, lifts_shown.Lift]]:
    """The stored lifts and intervals of the team's CSMs and of the team (one query)."""
    if not period.is_quarter:
        return {}, {}
    by_subject: dict[int | None, dict[str, KpiValue]] = {}
    for v in (
        KpiValue.objects.filter(period=str(period), metric__in=lifts_shown.LIFT_KEYS)
        .filter(Q(csm__team=team, subject_type=SubjectType.CSM) | Q(team=team, subject_type=SubjectType.TEAM))
        .only("subject_type", "csm_id", "metric", "value", "breakdown")
    ):
        subject = None if v.subject_type == SubjectType.TEAM else v.csm_id
        if subject is None or subject in member_ids:
            by_subject.setdefault(subject, {})[v.metric] = v
    lifts = {
        pk: {o: lifts_shown.lift_of(o, values) for o in OUTCOMES}
        for pk, values in by_subject.items()
        if pk is not None
    }
    return lifts, {o: lifts_shown.lift_of(o, by_subject.get(None, {})) for o in OUTCOMES}
