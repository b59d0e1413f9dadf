"""What the pages of the web shell show: the home page per role (a CSM's book, a manager's team)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import CustomerAccount, Role, Team, User
from accounts.selectors import book_of, owner_history
from activity.models import (
    HealthBand,
    HealthSnapshot,
    RevenueEvent,
    SurveyKind,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)
from core import formatting
from kpis import book, dashboard, forward, scorecards
from kpis.models import KpiValue, SubjectType
from kpis.periods import Period
from kpis.registry import KPI, METRICS, REGISTRY, SERVICE, Metric

# Risk rules of the home book (also written on the page, under the table).
FALLING_ADOPTION_PP = Decimal(5)  # adoption down by at least this many points over USAGE_TREND_DAYS
USAGE_TREND_DAYS = 30  # the trend compares the latest reading with the latest one this much older
DETRACTOR_DAYS = 90  # an NPS response of 0-6 this recent is a "recent detractor"
DETRACTOR_MAX_SCORE = 6

BOOK_SORTS = ("name", "arr", "health", "usage", "touchpoint", "tickets", "risk")
HEALTH_ORDER = {HealthBand.POOR: 0, HealthBand.AVERAGE: 1, HealthBand.GOOD: 2}


@dataclass
class BookRow:
    account: CustomerAccount
    mrr: Decimal = Decimal(0)
    health: str = ""  # good, average, poor, "" (no reading)
    health_score: int | None = None
    health_on: datetime.date | None = None
    adoption: Decimal | None = None  # latest features used / available, in %
    adoption_change: Decimal | None = None  # in points, against the reading USAGE_TREND_DAYS older
    last_touchpoint: datetime.datetime | None = None
    open_tickets: int = 0
    detractors: int = 0  # NPS 0-6 in the last DETRACTOR_DAYS
    risks: list[str] = field(default_factory=list)

    @property
    def arr(self) -> Decimal:
        return self.mrr * 12

    @property
    def paying(self) -> bool:
        return self.mrr > 0

    @property
    def health_label(self) -> str:
        return str(HealthBand(self.health).label) if self.health else ""


@dataclass
class BookCounts:
    """The book's counts and how they meet the scorecard's (book size counts paying accounts only)."""

    assigned: int
    paying: int
    period: Period
    scorecard_book: int | None  # book_size of the scorecard's default period, when published
    scorecard_as_of: datetime.date | None
    cohort: int | None  # the NRR cohort: owned on the period's first day with MRR above 0

    @property
    def not_paying(self) -> int:
        return self.assigned - self.paying


@dataclass
class Book:
    rows: list[BookRow]
    counts: BookCounts
    sort: str
    arr_total: Decimal
    at_risk: int


def _sort_key(sort: str):
    key = sort.lstrip("-")
    return {
        "name": lambda r: (r.account.name.lower(),),
        "arr": lambda r: (r.arr,),
        "health": lambda r: (HEALTH_ORDER.get(r.health, 3),),
        "usage": lambda r: (r.adoption_change is None, r.adoption_change or Decimal(0)),
        "touchpoint": lambda r: (r.last_touchpoint is None, r.last_touchpoint or timezone.now()),
        "tickets": lambda r: (r.open_tickets,),
        "risk": lambda r: (-len(r.risks), r.account.name.lower()),
    }[key]


def csm_book(*, csm: User, today: datetime.date | None = None, sort: str = "risk") -> Book:
    """The CSM's book today, one row per account (a fixed number of queries, whatever its size):
    ARR (12 x MRR: the revenue events dated up to today), the latest health band, the adoption
    trend, the last touchpoint, open tickets, recent detractors and the risks they add up to; and
    the counts the scorecard shows for the period to date, with the difference named."""
    today = today or timezone.localdate()
    accounts = list(book_of(csm=csm, day=today).order_by("name"))
    ids = [a.pk for a in accounts]
    rows = {a.pk: BookRow(account=a) for a in accounts}
    for account_id, mrr in book.mrr_on(ids, today).items():
        rows[account_id].mrr = mrr
    latest_health = (
        HealthSnapshot.objects.filter(account_id__in=ids, date__lte=today)
        .order_by("account_id", "-date")
        .distinct("account_id")
    )
    for h in latest_health:
        row = rows[h.account_id]
        row.health, row.health_score, row.health_on = book.health_band(h.score, h.band), h.score, h.date
    usage: dict[int, list[UsageSnapshot]] = {}
    window = today - datetime.timedelta(days=USAGE_TREND_DAYS + 60)
    for s in UsageSnapshot.objects.filter(account_id__in=ids, date__lte=today, date__gte=window).order_by(
        "account_id", "-date"
    ):
        usage.setdefault(s.account_id, []).append(s)
    for account_id, snaps in usage.items():
        row = rows[account_id]
        latest = snaps[0]
        row.adoption = book.adoption(latest.features_used, latest.features_available)
        older = next(
            (s for s in snaps if s.date <= latest.date - datetime.timedelta(days=USAGE_TREND_DAYS)), None
        )
        before = book.adoption(older.features_used, older.features_available) if older else None
        if row.adoption is not None and before is not None:
            row.adoption_change = row.adoption - before
    for t in (
        Touchpoint.objects.filter(account_id__in=ids, csm=csm)
        .values("account_id")
        .annotate(last=Max("occurred_at"))
    ):
        rows[t["account_id"]].last_touchpoint = t["last"]
    for open_ in (
        Ticket.objects.filter(account_id__in=ids, resolved_at__isnull=True)
        .values("account_id")
        .annotate(n=Count("pk"))
    ):
        rows[open_["account_id"]].open_tickets = open_["n"]
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=DETRACTOR_DAYS), datetime.time.min)
    )
    for d in (
        SurveyResponse.objects.filter(
            account_id__in=ids, kind=SurveyKind.NPS, score__lte=DETRACTOR_MAX_SCORE, responded_at__gte=since
        )
        .values("account_id")
        .annotate(n=Count("pk"))
    ):
        rows[d["account_id"]].detractors = d["n"]
    for row in rows.values():
        if row.health == HealthBand.POOR:
            row.risks.append(_("poor health"))
        if row.adoption_change is not None and row.adoption_change <= -FALLING_ADOPTION_PP:
            row.risks.append(_("falling adoption"))
        if row.detractors:
            row.risks.append(_("recent detractor"))
    if sort.lstrip("-") not in BOOK_SORTS:
        sort = "risk"
    ordered = sorted(rows.values(), key=_sort_key(sort), reverse=sort.startswith("-"))
    return Book(
        rows=ordered,
        counts=book_counts(
            csm=csm, today=today, assigned=len(rows), paying=sum(r.paying for r in rows.values())
        ),
        sort=sort,
        arr_total=sum((r.arr for r in rows.values()), Decimal(0)),
        at_risk=sum(1 for r in rows.values() if r.risks),
    )


def book_counts(*, csm: User, today: datetime.date, assigned: int, paying: int) -> BookCounts:
    period = scorecards.default_period(today)
    values = {
        v.metric: v
        for v in KpiValue.objects.filter(
            csm=csm, subject_type=SubjectType.CSM, period=str(period), metric__in=("book_size", "nrr")
        ).select_related("run")
    }
    book = values.get("book_size")
    nrr = values.get("nrr")
    return BookCounts(
        assigned=assigned,
        paying=paying,
        period=period,
        scorecard_book=int(book.value) if book and book.value is not None else None,
        scorecard_as_of=book.run.as_of if book else None,
        cohort=nrr.sample_size if nrr else None,
    )


# --- the manager's home: the team at a glance ----------------------------------------------------

GLANCE_METRICS: tuple[Metric, ...] = tuple(m for m in METRICS if m.group in (KPI, SERVICE))


@dataclass
class GlanceRow:
    metric: Metric
    value: Decimal | None  # the team's value (its roll-up, as stored by the run)
    previous: Decimal | None
    change: Decimal | None
    change_class: str
    low: Decimal | None  # the spread over the CSMs with enough data
    median: Decimal | None
    high: Decimal | None
    counted: int  # CSMs with enough data
    few: int  # CSMs with a value below the metric's minimum sample
    partial: bool = False  # a total of a period in progress: not compared with the previous one yet
    team_few: bool = False  # the team's own value rests on fewer than the metric's minimum sample
    sample: int = 0  # the team value's sample
    few_sample: int = 0  # how much of that sample comes from the CSMs with few data

    @property
    def outside_spread(self) -> bool:
        """The team's value lies outside its CSMs' lowest-highest: it counts the CSMs with few data
        (pooled onboardings, tickets, responses ...), which the spread leaves out. A total is always
        above its parts and says so itself."""
        if self.value is None or self.low is None or self.high is None or not self.few:
            return False
        if self.metric.key in dashboard.SUM_ROLLUPS:
            return False
        return self.value < self.low or self.value > self.high

    @property
    def spread_note(self) -> str:
        """Why the team's value can lie outside its CSMs' spread, in a manager's words."""
        if not self.outside_spread:
            return ""
        params = {
            "sample": self.metric.sample_words(self.sample),
            "few_sample": formatting.integer(self.few_sample),
            "n": self.few,
        }
        if self.metric.key in dashboard.MEDIAN_ROLLUPS:
            return (
                ngettext(
                    "The team's value is the median of all its %(sample)s taken together, %(few_sample)s of "
                    "them from %(n)s CSM with few data. Lowest, median and highest compare only the CSMs "
                    "with enough data.",
                    "The team's value is the median of all its %(sample)s taken together, %(few_sample)s of "
                    "them from %(n)s CSMs with few data. Lowest, median and highest compare only the CSMs "
                    "with enough data.",
                    self.few,
                )
                % params
            )
        return (
            ngettext(
                "The team's value counts all its %(sample)s, %(few_sample)s of them from %(n)s CSM with "
                "few data. Lowest, median and highest compare only the CSMs with enough data.",
                "The team's value counts all its %(sample)s, %(few_sample)s of them from %(n)s CSMs with "
                "few data. Lowest, median and highest compare only the CSMs with enough data.",
                self.few,
            )
            % params
        )


@dataclass
class Outlier:
    csm: User
    metric: Metric
    value: Decimal
    median: Decimal
    good: bool  # on the good side of the median (the metric's direction)


@dataclass
class TeamGlance:
    team: Team
    period: Period
    rows: list[GlanceRow]
    outliers: list[Outlier]
    members: int

    @property
    def in_progress(self) -> bool:
        return scorecards.in_progress(self.period)


def team_glance(*, team: Team, period: Period) -> TeamGlance:
    """The team's KPIs and service metrics for ``period``: the team's value, its change against the
    previous period, the spread over the CSMs (lowest, median, highest of the values with enough
    data) and the CSMs far from the median (``dashboard.is_far``), good or bad by the metric's
    direction. Two queries, whatever the team size."""
    keys = [m.key for m in GLANCE_METRICS]
    prev = period.previous()
    members = {m.pk: m for m in User.objects.filter(team=team, role=Role.CSM).order_by("name", "email")}
    values = KpiValue.objects.filter(period__in=(str(period), str(prev)), metric__in=keys).filter(
        Q(team=team, subject_type=SubjectType.TEAM)
        | Q(csm_id__in=list(members), subject_type=SubjectType.CSM)
    )
    team_values: dict[tuple[str, str], Decimal | None] = {}
    team_samples: dict[tuple[str, str], int] = {}
    csm_values: dict[str, list[tuple[int, Decimal]]] = {}
    few: dict[str, int] = {}
    few_sample: dict[str, int] = {}
    for v in values:
        if v.subject_type == SubjectType.TEAM:
            team_values[(v.metric, v.period)] = v.value
            team_samples[(v.metric, v.period)] = v.sample_size
        elif v.period == str(period) and v.value is not None and v.csm_id is not None:
            if REGISTRY[v.metric].is_few(v.value, v.sample_size):
                few[v.metric] = few.get(v.metric, 0) + 1
                few_sample[v.metric] = few_sample.get(v.metric, 0) + (v.sample_size or 0)
            else:
                csm_values.setdefault(v.metric, []).append((v.csm_id, v.value))
    rows, outliers = [], []
    partial = scorecards.in_progress(period)
    for m in GLANCE_METRICS:
        value = team_values.get((m.key, str(period)))
        previous = team_values.get((m.key, str(prev)))
        change = scorecards.comparable_change(m, value, previous, partial)
        # A team value resting on too few data (one NPS response) is shown greyed, its change uncoloured.
        team_few = m.is_few(value, team_samples.get((m.key, str(period)), 0))
        few_before = m.is_few(previous, team_samples.get((m.key, str(prev)), 0))
        pairs = csm_values.get(m.key, [])
        column = [x for _, x in pairs]
        med = scorecards.median(column)
        rows.append(
            GlanceRow(
                metric=m,
                value=value,
                previous=previous,
                change=change,
                change_class="" if team_few or few_before else scorecards.change_class(m, change),
                team_few=team_few,
                sample=team_samples.get((m.key, str(period)), 0),
                low=min(column) if column else None,
                median=med,
                high=max(column) if column else None,
                counted=len(column),
                few=few.get(m.key, 0),
                few_sample=few_sample.get(m.key, 0),
                partial=partial and m.accumulates,
            )
        )
        for csm_id, x in pairs:
            if med is not None and dashboard.is_far(x, column, med):
                outliers.append(
                    Outlier(
                        csm=members[csm_id],
                        metric=m,
                        value=x,
                        median=med,
                        good=scorecards.is_good_side(m, x, med),
                    )
                )
    outliers.sort(key=lambda o: (o.good, o.csm.name, o.metric.key))
    return TeamGlance(team=team, period=period, rows=rows, outliers=outliers, members=len(members))


def team_forecasts(
    *, teams: list[Team], period: Period
) -> list[tuple[Team, list[tuple[User, forward.Forecast]], forward.Forecast | None]]:
    """Per team, each CSM with their accounts least likely to still pay at ``period``'s end (one
    scoring for every team), and the forecast that stands for all of them when none lists accounts
    for one same reason (the model is withheld or lacks history for the whole organisation): said
    once for the team, not once per CSM."""
    members = {t.pk: [m for m in t.members.all() if m.role == Role.CSM] for t in teams}
    ids = [m.pk for ms in members.values() for m in ms]
    found = forward.forecasts(csm_ids=ids, period=period) if ids else {}
    out = []
    for t in teams:
        rows = [(m, found[m.pk]) for m in sorted(members[t.pk], key=lambda m: (m.name, m.email))]
        reasons = {(f.status, f.reason) for _m, f in rows}
        shared = rows[0][1] if len(rows) > 1 and len(reasons) == 1 and rows[0][1].status != "ok" else None
        out.append((t, rows, shared))
    return out


def home_context(*, user: User, sort: str = "risk") -> dict:
    """What a person's home page shows, by role (the scoped rules of ``visible_to``)."""
    today = timezone.localdate()
    context: dict = {"today": today}
    if user.role == Role.CSM:
        context["book"] = csm_book(csm=user, today=today, sort=sort)
        context["book_columns"] = [
            ("name", _("Account"), ""),
            ("arr", _("ARR"), "num"),
            ("health", _("Health"), ""),
            ("usage", _("Usage trend"), "num"),
            ("touchpoint", _("Last touchpoint"), ""),
            ("tickets", _("Open tickets"), "num"),
            ("risk", _("Risk"), ""),
        ]
        context["forecast"] = forward.forecast(csm_id=user.pk, period=scorecards.default_period(today))
    elif user.role == Role.MANAGER:
        period = scorecards.default_period(today)
        teams = list(Team.objects.visible_to(user).prefetch_related("members").order_by("name"))
        context["teams"] = teams
        context["period"] = period
        context["glances"] = [team_glance(team=t, period=period) for t in teams]
        context["at_risk"] = team_forecasts(teams=teams, period=period)
    else:
        context["teams"] = Team.objects.select_related("manager").order_by("name")
        context["people_count"] = User.objects.visible_to(user).count()
        context["account_count"] = CustomerAccount.objects.visible_to(user).count()
    return context


# --- the account page ---------------------------------------------------------------------------


def account_history(*, account: CustomerAccount, months: int = 18) -> dict:
    """Owners, MRR by month, recent tickets and surveys, usage, health of ``account``."""
    events = list(RevenueEvent.objects.filter(account=account).order_by("date", "external_id"))
    today = timezone.localdate()
    first = today.replace(day=1) - relativedelta(months=months - 1)
    month_starts = [first + relativedelta(months=i) for i in range(months)] + [
        today.replace(day=1) + relativedelta(months=1)
    ]
    ends = month_starts[1:]
    mrr = list(zip([s - relativedelta(months=1) for s in ends], book.mrr_by_month(events, ends), strict=True))
    return {
        "owners": list(owner_history(account=account)),
        "mrr": mrr,
        "revenue": events[-30:][::-1],
        "tickets": list(Ticket.objects.filter(account=account).order_by("-opened_at")[:30]),
        "surveys": list(SurveyResponse.objects.filter(account=account).order_by("-responded_at")[:30]),
        "usage": list(UsageSnapshot.objects.filter(account=account).order_by("-date")[:26])[::-1],
        "health": list(HealthSnapshot.objects.filter(account=account).order_by("-date")[:18])[::-1],
    }
