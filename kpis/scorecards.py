"""Selectors of the scorecard and the team dashboard: published values with their comparisons.

Every number comes from ``KpiValue`` rows of published runs; a page costs a fixed number of queries
whatever the number of CSMs or periods.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from core import dates
from kpis import charts, lifts_shown
from kpis.models import PARTS_MISSING, RUN_ABANDONED, KpiRun, KpiValue, RunStatus, SubjectType
from kpis.periods import MONTH, QUARTER, Period, period_label
from kpis.registry import CONTEXT, KPI, METRICS, REGISTRY, SERVICE, TRACKED, Metric
from kpis.registry import LOWER as LOWER_BETTER
from kpis.templatetags.kpi_format import money

STALE_AFTER = datetime.timedelta(hours=36)
TREND_LENGTH = {QUARTER: 8, MONTH: 12}
# The health mix of each month of a quarter: good, average, poor (the scorecard's stacked chart).
HEALTH_SHARES = ("health_good_share", "health_average_share", "health_poor_share")
BRIDGE_ORDER = ("expansion", "upgrade", "renewal", "reactivation", "downgrade", "contraction", "churn")
BRIDGE_LABELS = {
    "expansion": _lazy("Expansion"),
    "upgrade": _lazy("Upgrade"),
    "renewal": _lazy("Renewal uplift"),
    "reactivation": _lazy("Reactivation"),
    "downgrade": _lazy("Downgrade"),
    "contraction": _lazy("Contraction"),
    "churn": _lazy("Churn"),
}


@dataclass
class Peer:
    median: Decimal | None = None
    percentile: Decimal | None = None
    count: int = 0


@dataclass
class MetricRow:
    metric: Metric
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    sample_size: int = 0
    breakdown: dict = field(default_factory=dict)
    previous: Decimal | None = None
    change: Decimal | None = None
    change_class: str = ""
    team: Peer = field(default_factory=Peer)
    segment: Peer = field(default_factory=Peer)
    trend: list[tuple[str, Decimal | None]] = field(default_factory=list)
    few: bool = False  # fewer than the metric's minimum sample: greyed, no colour, no percentile
    partial: bool = False  # a total of a period in progress: not compared with the previous one yet

    @property
    def key(self) -> str:
        return self.metric.key

    @property
    def min_sample(self) -> int:
        return self.metric.minimum_sample

    @property
    def sample_words(self) -> str:
        """The sample in its own unit: "121 touchpoints", "1 response"."""
        return self.metric.sample_words(self.sample_size)

    @property
    def benchmark(self) -> tuple[str, str] | None:
        """(value, source), the source in the reader's language."""
        if self.metric.benchmark is None:
            return None
        return self.metric.benchmark[0], str(self.metric.benchmark[1])

    @property
    def sparkline(self):
        return charts.sparkline(
            [v for _, v in self.trend],
            title=_("Trend of %(metric)s") % {"metric": self.metric.name},
            labels=[p for p, _ in self.trend],
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.key,
            "name": str(self.metric.name),
            "unit": self.metric.unit,
            "direction": self.metric.direction,
            "scored": self.metric.scored,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "sample_size": self.sample_size,
            "breakdown": self.breakdown,
            "previous": self.previous,
            "change": self.change,
            "change_is": self.change_class or None,
            "few_data": self.few,
            "min_sample": self.min_sample,
            "team_median": self.team.median,
            "team_percentile": self.team.percentile,
            "segment_median": self.segment.median,
            "segment_percentile": self.segment.percentile,
            "benchmark": {"value": self.benchmark[0], "source": str(self.benchmark[1])}
            if self.benchmark
            else None,
            "trend": [{"period": p, "value": v} for p, v in self.trend],
            "how_computed": str(self.metric.help),
        }


@dataclass
class Freshness:
    run: KpiRun | None  # the run the page's numbers come from
    last: KpiRun | None  # the newest run of any period
    warning: str = ""
    # What the warning says, as a code and its parameters (``freshness_words`` puts it into words).
    notice: dict | None = None


@dataclass
class Scorecard:
    csm: User
    period: Period
    rows: dict[str, MetricRow]
    freshness: Freshness
    health_months: list[tuple[str, Decimal | None, Decimal | None, Decimal | None]] = field(
        default_factory=list
    )

    def group(self, group: str) -> list[MetricRow]:
        return [self.rows[m.key] for m in METRICS if m.group == group]

    @property
    def in_progress(self) -> bool:
        return in_progress(self.period)

    @property
    def kpis(self) -> list[MetricRow]:
        return self.group(KPI)

    @property
    def service(self) -> list[MetricRow]:
        return self.group(SERVICE)

    @property
    def context(self) -> list[MetricRow]:
        return self.group(CONTEXT)

    @property
    def tracked(self) -> list[MetricRow]:
        return self.group(TRACKED)

    @property
    def expected_lines(self) -> list[lifts_shown.ExpectedLine]:
        """Account retention, GRR and NRR against what the book could be expected to do."""
        return lifts_shown.expected_lines(self.rows)

    @property
    def bridge(self) -> list[tuple[str, Decimal]]:
        growth = self.rows["portfolio_growth"].breakdown
        return [(k, Decimal(growth[k])) for k in BRIDGE_ORDER if k in growth]

    @property
    def bridge_labelled(self) -> list[tuple[str, Decimal]]:
        return [(str(BRIDGE_LABELS.get(k, k)), v) for k, v in self.bridge]

    @property
    def has_cohort(self) -> bool:
        return self.rows["portfolio_growth"].value is not None

    @property
    def bridge_rows(self) -> list[tuple[str, str, str]]:
        """The bridge as a table for a phone, where the chart would be too small to read: (label,
        amount, "good" | "bad" | "") from the starting MRR through each movement to the ending MRR."""
        row = self.rows["portfolio_growth"]
        out = [(_("Starting MRR"), money(row.denominator or Decimal(0), decimals=0), "")]
        for label, delta in self.bridge_labelled:
            kind = "good" if delta > 0 else "bad" if delta < 0 else ""
            out.append((label, money(delta, signed=True, decimals=0), kind))
        out.append((_("Ending MRR"), money(row.numerator or Decimal(0), decimals=0), ""))
        return out

    def bridge_chart(self):
        row = self.rows["portfolio_growth"]
        start = row.denominator or Decimal(0)
        end = row.numerator or Decimal(0)
        return charts.waterfall(
            start,
            self.bridge_labelled,
            end,
            start_label=_("Starting MRR"),
            end_label=_("Ending MRR"),
            title=_("NRR bridge of %(name)s, %(period)s") % {"name": self.csm.name, "period": self.period},
        )

    def health_chart(self):
        labels = [m for m, *_ in self.health_months]
        return charts.health_mix(
            labels,
            [g for _, g, _, _ in self.health_months],
            [a for _, _, a, _ in self.health_months],
            [p for _, _, _, p in self.health_months],
            names=(_("Good"), _("Average"), _("Poor")),
            title=_("Health mix by month of %(name)s, %(period)s")
            % {"name": self.csm.name, "period": self.period},
        )

    def as_dict(self) -> dict[str, Any]:
        run = self.freshness.run
        return {
            "csm": {"id": self.csm.pk, "email": self.csm.email, "name": self.csm.name},
            "period": str(self.period),
            "run": {"id": run.pk, "as_of": run.as_of, "finished_at": run.finished_at} if run else None,
            "warning": self.freshness.warning or None,
            "metrics": [self.rows[m.key].as_dict() for m in METRICS],
            "nrr_bridge": [{"kind": k, "mrr_delta": v} for k, v in self.bridge],
            "health_mix": [
                {"period": m, "good": g, "average": a, "poor": p} for m, g, a, p in self.health_months
            ],
        }


def default_period(today: datetime.date | None = None) -> Period:
    return Period.containing(today or timezone.localdate(), QUARTER)


def median(values: list[Decimal], *, presorted: bool = False) -> Decimal | None:
    if not values:
        return None
    s = values if presorted else sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def percentile_rank(
    value: Decimal | None, peers: list[Decimal], direction: str, *, presorted: bool = False
) -> Decimal | None:
    """Percent of peers (self included) doing worse, counting ties as half: 100 is the best."""
    if value is None or not peers:
        return None
    s = peers if presorted else sorted(peers)
    below, above = bisect_left(s, value), len(s) - bisect_right(s, value)
    equal = len(s) - below - above
    worse = above if direction == LOWER_BETTER else below
    return (Decimal(worse) + Decimal(equal) / 2) / Decimal(len(s)) * 100


def is_good_side(metric: Metric, value: Decimal, reference: Decimal | None) -> bool:
    """Whether ``value`` is on the better side of ``reference`` by the metric's direction (never of
    no reference)."""
    if reference is None:
        return False
    if metric.direction == LOWER_BETTER:
        return value < reference
    return value > reference


def change_class(metric: Metric, change: Decimal | None) -> str:
    if change is None or metric.direction not in ("higher", "lower"):
        return ""
    if change == 0:
        return "same"
    better = change > 0 if metric.direction == "higher" else change < 0
    return "better" if better else "worse"


def in_progress(period: Period, today: datetime.date | None = None) -> bool:
    """The period has begun and not ended: its numbers are to date."""
    today = today or timezone.localdate()
    return period.start <= today <= period.end


def comparable_change(metric: Metric, value, previous, partial: bool) -> Decimal | None:
    """The change against the previous period, except for a total (``Metric.accumulates``) of a
    period still in progress: a quarter's first weeks are not compared with a whole quarter."""
    if value is None or previous is None or (partial and metric.accumulates):
        return None
    return value - previous


def freshness(period: Period, now: datetime.datetime | None = None) -> Freshness:
    now = now or timezone.now()
    runs = list(
        KpiRun.objects.filter(
            Q(period=str(period), status=RunStatus.PUBLISHED)
            | Q(pk__in=KpiRun.objects.order_by("-started_at").values("pk")[:1])
        ).order_by("-started_at")
    )
    last = runs[0] if runs else None
    mine = next((r for r in runs if r.period == str(period) and r.status == RunStatus.PUBLISHED), None)
    notice: dict | None = None
    if last is None:
        notice = {"code": "no_run"}
    elif last.status == RunStatus.FAILED:
        notice = {
            "code": "failed",
            "period": last.period,
            "started_at": last.started_at.isoformat(),
            "error": last.error[:200],  # a code or an exception's text (``run_error_words``)
        }
    else:
        newest = max((r.finished_at for r in runs if r.finished_at), default=None)
        if newest is None or now - newest > STALE_AFTER:
            notice = {"code": "stale"}
    return Freshness(run=mine, last=last, warning=freshness_words(notice), notice=notice)


def run_error_words(error: str) -> str:
    """Why a KPI run failed (``KpiRun.error``) in the reader's words: a code of the product's, or an
    exception's text as it was raised."""
    if error == RUN_ABANDONED:
        return _("no sign of life before its lock expired")
    if error.startswith(PARTS_MISSING):
        return _("parts missing at publication: %(parts)s") % {
            "parts": error[len(PARTS_MISSING) :].replace(",", ", ")
        }
    return error


def freshness_words(notice: dict | str | None) -> str:
    """The freshness warning in the reader's language, from what ``freshness`` keeps of it (a code
    and its parameters, frozen so in a review's snapshot). A text is a warning frozen before the
    code was kept: said as it was stored."""
    if not notice:
        return ""
    if isinstance(notice, str):
        return notice
    code = notice.get("code")
    if code == "no_run":
        return _("No KPI run has completed yet: the numbers below are empty.")
    if code == "stale":
        return _("The KPIs have not been refreshed for more than 36 hours.")
    if code == "failed":
        started = parse_datetime(str(notice.get("started_at") or ""))
        return _(
            "The last KPI run (%(period)s, started %(when)s) failed: %(error)s. The numbers shown are from the previous run."
        ) % {
            "period": period_label(notice.get("period") or ""),
            "when": dates.moment(started) if started else "—",
            "error": run_error_words(notice.get("error") or ""),
        }
    return ""


def _peer_values(period: Period):
    return KpiValue.objects.filter(period=str(period), subject_type=SubjectType.CSM).values_list(
        "metric", "value", "csm__team_id", "csm__segment", "sample_size"
    )


@dataclass
class Peers:
    """What the scorecards of one period share: each team's and each segment's values per metric,
    sorted (values below their metric's minimum sample left out of medians and percentiles), and
    the freshness of the period's numbers."""

    by_team: dict[int, dict[str, list[Decimal]]]
    by_segment: dict[str, dict[str, list[Decimal]]]
    freshness: Freshness | None = None


def _grouped(rows) -> Peers:
    by_team: dict[int, dict[str, list[Decimal]]] = {}
    by_segment: dict[str, dict[str, list[Decimal]]] = {}
    for metric, value, team_id, segment, sample in rows:
        if value is None:
            continue
        if metric in REGISTRY and REGISTRY[metric].is_few(value, sample):
            continue  # few data: kept out of medians and percentiles
        if team_id:
            by_team.setdefault(team_id, {}).setdefault(metric, []).append(value)
        by_segment.setdefault(segment, {}).setdefault(metric, []).append(value)
    for groups in (*by_team.values(), *by_segment.values()):
        for values in groups.values():
            values.sort()
    return Peers(by_team=by_team, by_segment=by_segment)


def period_peers(period: Period) -> Peers:
    """Every CSM's values of the period, grouped by team and segment, and the period's freshness:
    for callers that build many scorecards of one period (opening a review cycle), read once."""
    peers = _grouped(_peer_values(period))
    peers.freshness = freshness(period)
    return peers


def scorecard(*, csm: User, period: Period, peers: Peers | None = None) -> Scorecard:
    """Everything the scorecard shows for one CSM and period (5 queries, whatever the size).
    ``peers``: period_peers(period), when the caller has them already (then 1 query)."""
    trend_periods = period.last(TREND_LENGTH[period.kind])
    months = period.months() if period.is_quarter else []
    wanted = {str(p) for p in trend_periods} | {str(period.previous())}
    own: dict[tuple[str, str], KpiValue] = {
        (v.metric, v.period): v
        for v in KpiValue.objects.filter(csm=csm)
        .filter(Q(period__in=wanted) | Q(period__in=[str(m) for m in months], metric__in=HEALTH_SHARES))
        .only("metric", "period", "value", "numerator", "denominator", "sample_size", "breakdown")
    }
    if peers is None:  # only the CSM's team and segment
        peers = _grouped(
            _peer_values(period).filter(Q(csm__team_id=csm.team_id) | Q(csm__segment=csm.segment))
        )
    team_values = peers.by_team.get(csm.team_id, {}) if csm.team_id else {}
    segment_values = peers.by_segment.get(csm.segment, {})
    rows: dict[str, MetricRow] = {}
    p, prev = str(period), str(period.previous())
    partial = in_progress(period)
    for m in METRICS:
        current = own.get((m.key, p))
        before = own.get((m.key, prev))
        value = current.value if current else None
        previous = before.value if before else None
        change = comparable_change(m, value, previous, partial)
        few = m.is_few(value, current.sample_size if current else 0)
        few_before = m.is_few(previous, before.sample_size if before else 0)
        tv, sv = team_values.get(m.key, []), segment_values.get(m.key, [])
        rank = None if few else value
        rows[m.key] = MetricRow(
            metric=m,
            value=value,
            numerator=current.numerator if current else None,
            denominator=current.denominator if current else None,
            sample_size=current.sample_size if current else 0,
            breakdown=current.breakdown if current else {},
            previous=previous,
            change=change,
            change_class="" if few or few_before else change_class(m, change),
            partial=partial and m.accumulates,
            team=Peer(
                median(tv, presorted=True), percentile_rank(rank, tv, m.direction, presorted=True), len(tv)
            ),
            segment=Peer(
                median(sv, presorted=True), percentile_rank(rank, sv, m.direction, presorted=True), len(sv)
            ),
            trend=[
                (str(t), own[(m.key, str(t))].value if (m.key, str(t)) in own else None)
                for t in trend_periods
            ],
            few=few,
        )
    health_months = []
    today = timezone.localdate()
    for month in months:
        if month.start > today:
            continue  # no future months

        def share(key, month=month):
            v = own.get((key, str(month)))
            return v.value if v else None

        health_months.append((str(month), *(share(key) for key in HEALTH_SHARES)))
    return Scorecard(
        csm=csm,
        period=period,
        rows=rows,
        freshness=peers.freshness or freshness(period),
        health_months=health_months,
    )
