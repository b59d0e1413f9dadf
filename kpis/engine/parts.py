"""The parts of a KPI run: each reads the rows of the building blocks (``kpis.engine.blocks``) for
every CSM at once and adds them up into components (``kpis.engine.components``).

Each part owns its rows (``*_rows``: what is counted, with the owner of each row) and how they add
up (``*_TOTALS`` and the ``accumulate_*`` functions). The engine sums the rows in the database; the
drill-down (``kpis.engine.drilldown``) reads the same rows for one CSM and adds them up here, in
Python, with the same definitions: for every metric, its rows reproduce the stored number.

The number of queries of a part does not depend on the number of CSMs, accounts or events.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from accounts.models import CustomerAccount
from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    RevenueKind,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)
from kpis.engine import blocks, expected
from kpis.engine.blocks import BOOK, COHORT, PREV_BOOK, attributed, between, fetch, flag, local_day
from kpis.engine.components import C, PerCsm, add, merge
from kpis.engine.formulas import HUNDRED
from kpis.periods import Period

ADOPTION_WINDOW_DAYS = 30  # a reading: the latest usage snapshot in the 30 days before the day
HEALTH_WINDOW_DAYS = 31  # the latest health snapshot in the last 31 days of the period


@dataclass(frozen=True)
class Inputs:
    """The period of a run, and ``as_of`` for a period to date."""

    period: Period
    as_of: datetime.date | None = None
    run_id: int | None = None  # the run the part computes for (the expected-results fits are kept with it)

    @property
    def prev(self) -> Period:
        return self.period.previous()

    @property
    def start(self) -> datetime.date:
        return self.period.start

    @property
    def end(self) -> datetime.date:
        """``P.end'``: the period's end, or the day after ``as_of`` for a period to date."""
        return self.period.end_to_date(self.as_of)


@dataclass(frozen=True)
class Total:
    """A component that is the sum of one column over the rows."""

    name: C
    column: str


def sum_sql(totals: Iterable[Total], alias: str = "r") -> str:
    return ", ".join(f"SUM({alias}.{t.column})" for t in totals)


def accumulate_totals(out: PerCsm, totals: tuple[Total, ...], rows: Iterable[dict[str, Any]]) -> None:
    """Add the rows' columns up into the components of each row's CSM (the drill-down's sums)."""
    for row in rows:
        for t in totals:
            add(out, row["csm_id"], t.name, row[t.column] or 0)


def _sums_by_csm(sql: str, params: Any, totals: tuple[Total, ...], out: PerCsm) -> None:
    """The engine's sums: ``totals`` over the rows ``sql``, grouped by CSM."""
    for csm, *sums in fetch(f"SELECT r.csm_id, {sum_sql(totals)} FROM ({sql}) r GROUP BY r.csm_id", params):
        for t, value in zip(totals, sums, strict=True):
            add(out, csm, t.name, value or 0)


def _only(qs: QuerySet, accounts: list[int] | None, field: str = "account_id") -> QuerySet:
    return qs if accounts is None else qs.filter(**{f"{field}__in": accounts})


# --- books: revenue, the book, adoption and health -------------------------------------------------

COHORT_TOTALS = (
    Total(C.COHORT, "n"),
    Total(C.MRR_START, "s"),
    Total(C.MRR_END, "e"),
    Total(C.MRR_KEPT, "kept"),
    Total(C.COHORT_PAYING, "paying"),
    *(Total(C.bridge(k), f"b_{k}") for k in RevenueKind.values),
)
BOOK_TOTALS = (Total(C.BOOK, "n"), Total(C.ARR, "arr"))
PREV_BOOK_TOTALS = (Total(C.PREV_BOOK, "n"),)
COHORT_ROWS = f"SELECT 1 AS n, c.* FROM ({COHORT}) c"
BOOK_ROWS = f"SELECT 1 AS n, 12 * b.e AS arr, b.* FROM ({BOOK}) b"
PREV_BOOK_ROWS = f"SELECT 1 AS n, b.* FROM ({PREV_BOOK}) b"


def book_params(inputs: Inputs) -> dict[str, Any]:
    """The named parameters of every statement over the balances table."""
    params: dict[str, Any] = blocks.edge_days(inputs.start, inputs.end)
    blocks.reading_window(params, "adoption_start", inputs.start, ADOPTION_WINDOW_DAYS)
    blocks.reading_window(params, "adoption_end", inputs.end, ADOPTION_WINDOW_DAYS)
    blocks.reading_window(params, "health_end", inputs.end, HEALTH_WINDOW_DAYS)
    blocks.reading_window(params, "health_start", inputs.start, HEALTH_WINDOW_DAYS)
    params["good_min"] = settings.HEALTH_GOOD_MIN_SCORE
    params["average_min"] = settings.HEALTH_AVERAGE_MIN_SCORE
    return params


def adoption_rows(*, counted_only: bool = False) -> str:
    """One row per account of the book: its adoption readings at P.start and at P.end'."""
    features = "features_used, features_available"
    sql = (
        "SELECT book.csm_id, book.account_id, ra.date AS start_date, ra.features_used AS start_used, "
        "ra.features_available AS start_available, rb.date AS end_date, rb.features_used AS end_used, "
        f"rb.features_available AS end_available FROM ({BOOK}) book "
        f"{blocks.latest_reading(UsageSnapshot, 'book', 'adoption_start', 'ra', features)} "
        f"{blocks.latest_reading(UsageSnapshot, 'book', 'adoption_end', 'rb', features)}"
    )
    if counted_only:
        sql += " WHERE ra.features_available > 0 AND rb.features_available > 0"
    return sql


def accumulate_adoption(out: PerCsm, rows: Iterable[tuple]) -> None:
    """Rows (csm, start_used, start_available, end_used, end_available): accounts with a reading
    at both ends (features available above 0) count, with the change of their share in pp."""
    sums: dict[int, Decimal] = {}
    counts: dict[int, int] = {}
    for csm, a_used, a_available, b_used, b_available in rows:
        if not a_available or not b_available:
            continue
        change = (Decimal(b_used) / Decimal(b_available) - Decimal(a_used) / Decimal(a_available)) * HUNDRED
        sums[csm] = sums.get(csm, Decimal(0)) + change
        counts[csm] = counts.get(csm, 0) + 1
    for csm, total in sums.items():
        add(out, csm, C.ADOPTION_SUM, total)
        add(out, csm, C.ADOPTION_N, counts[csm])


# The band of a health reading: the snapshot's own band wins; otherwise the score thresholds of
# the settings (HEALTH_GOOD_MIN_SCORE, HEALTH_AVERAGE_MIN_SCORE). No reading: no band.
HEALTH_BAND = (
    "CASE WHEN x.score IS NULL THEN NULL WHEN x.band <> '' THEN x.band WHEN x.score >= %(good_min)s THEN 'good' "
    "WHEN x.score >= %(average_min)s THEN 'average' ELSE 'poor' END"
)


def health_rows() -> str:
    """One row per account of the book (``which`` = 'end') and of the previous period's book
    ('previous'): its latest health reading, if any, and the reading's band (``health``)."""
    columns = "score, band"
    select = f"book.csm_id, book.account_id, x.date, x.score, {HEALTH_BAND} AS health"
    return (
        f"SELECT 'end' AS which, {select} "
        f"FROM ({BOOK}) book {blocks.latest_reading(HealthSnapshot, 'book', 'health_end', 'x', columns)} "
        f"UNION ALL SELECT 'previous', {select} "
        f"FROM ({PREV_BOOK}) book {blocks.latest_reading(HealthSnapshot, 'book', 'health_start', 'x', columns)}"
    )


HEALTH_COMPONENTS = {
    "end": {"n": C.HEALTH_N, "good": C.HEALTH_GOOD, "average": C.HEALTH_AVERAGE, "poor": C.HEALTH_POOR},
    "previous": {
        "n": C.PREV_HEALTH_N,
        "good": C.PREV_HEALTH_GOOD,
        "average": C.PREV_HEALTH_AVERAGE,
        "poor": C.PREV_HEALTH_POOR,
    },
}


def accumulate_health(out: PerCsm, rows: Iterable[tuple]) -> None:
    """Rows (which, csm, health band or None when there is no reading, n): accounts with a
    reading count, by band."""
    for which, csm, band, n in rows:
        if band is None:
            continue  # no reading
        names = HEALTH_COMPONENTS[which]
        add(out, csm, names["n"], n)
        add(out, csm, names[band], n)


def part_books(inputs: Inputs) -> PerCsm:
    """Everything measured over the cohort and the books, from one computation of the balances:
    revenue (KPIs 1-3, book size, ARR, bridge), adoption change and the health mix."""
    params = book_params(inputs)
    out: PerCsm = {}
    with blocks.balances_table(params):
        _sums_by_csm(COHORT_ROWS, params, COHORT_TOTALS, out)
        _sums_by_csm(BOOK_ROWS, params, BOOK_TOTALS, out)
        _sums_by_csm(PREV_BOOK_ROWS, params, PREV_BOOK_TOTALS, out)
        adoption = fetch(
            "SELECT csm_id, start_used, start_available, end_used, end_available "
            f"FROM ({adoption_rows(counted_only=True)}) r",
            params,
        )
        accumulate_adoption(out, adoption)
        health = fetch(
            f"SELECT which, csm_id, health, COUNT(*) FROM ({health_rows()}) r "
            "WHERE health IS NOT NULL GROUP BY which, csm_id, health",
            params,
        )
        accumulate_health(out, health)
    return out


# --- tickets ----------------------------------------------------------------------------------------

TICKET_TOTALS = (
    Total(C.TICKETS, "cur"),
    Total(C.ESCALATED, "esc"),
    Total(C.RESOLVED, "res"),
    Total(C.RESOLVED_FIRST_CONTACT, "fcr"),
    Total(C.RESOLVED_CONTACTS, "res_contacts"),
    Total(C.PREV_TICKETS, "prev"),
)


def ticket_rows(inputs: Inputs, accounts: list[int] | None = None, extra: tuple[str, ...] = ()) -> QuerySet:
    """Tickets opened in the period and the previous one, with what the service metrics count."""
    end_at = blocks.day_start(inputs.end)
    current = Q(opened_at__gte=blocks.day_start(inputs.start))
    done = current & Q(resolved_at__lt=end_at)
    wait = ExpressionWrapper(F("first_response_at") - F("opened_at"), output_field=DurationField())
    events = _only(Ticket.objects.filter(between("opened_at", inputs.prev.start, inputs.end)), accounts)
    return events.annotate(
        day=local_day("opened_at"),
        cur=flag(current),
        prev=flag(~current),
        esc=flag(current & Q(escalated_at__isnull=False)),
        res=flag(done),
        fcr=flag(done & Q(customer_contacts__lte=1)),
        res_contacts=flag(done, F("customer_contacts")),
        wait=wait,
    ).values("account_id", "day", *(t.column for t in TICKET_TOTALS), "wait", *extra)


def micros(delta: datetime.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def accumulate_waits(out: PerCsm, rows: Iterable[dict[str, Any]]) -> None:
    """First-response waits of the period's tickets that have a first response."""
    for row in rows:
        if row["cur"] and row["wait"] is not None:
            add(out, row["csm_id"], C.FIRST_RESPONSE_MICROS, [micros(row["wait"])])


def part_tickets(inputs: Inputs) -> PerCsm:
    """Service metrics on tickets, and tickets per account for this and the previous period."""
    out: PerCsm = {}
    sql, params = attributed(ticket_rows(inputs))
    # The first-response waits of the period ride along the same scan, as integer microseconds.
    waits = "ARRAY_AGG((EXTRACT(EPOCH FROM r.wait) * 1000000)::bigint) FILTER (WHERE r.cur = 1 AND r.wait IS NOT NULL)"
    for csm, *sums, observed in fetch(
        f"SELECT r.csm_id, {sum_sql(TICKET_TOTALS)}, {waits} FROM ({sql}) r GROUP BY r.csm_id", params
    ):
        for t, value in zip(TICKET_TOTALS, sums, strict=True):
            add(out, csm, t.name, value or 0)
        if observed:
            add(out, csm, C.FIRST_RESPONSE_MICROS, observed)  # ints: a quarter holds ~10^5 of them
    return out


# --- surveys ----------------------------------------------------------------------------------------

SURVEY_TOTALS = (
    Total(C.NPS_N, "nps_n"),
    Total(C.NPS_PROMOTERS, "nps_pro"),
    Total(C.NPS_DETRACTORS, "nps_det"),
    Total(C.CSAT_N, "csat_n"),
    Total(C.CSAT_SATISFIED, "csat_ok"),
    Total(C.PREV_NPS_N, "prev_nps_n"),
    Total(C.PREV_NPS_PROMOTERS, "prev_nps_pro"),
    Total(C.PREV_NPS_DETRACTORS, "prev_nps_det"),
)


def survey_rows(inputs: Inputs, accounts: list[int] | None = None, extra: tuple[str, ...] = ()) -> QuerySet:
    """NPS and CSAT responses dated in the period and the previous one (NPS only counts there)."""
    current = Q(responded_at__gte=blocks.day_start(inputs.start))
    nps, csat = Q(kind="nps"), Q(kind="csat")
    flags = {
        "nps_n": current & nps,
        "nps_pro": current & nps & Q(score__gte=9),
        "nps_det": current & nps & Q(score__lte=6),
        "csat_n": current & csat,
        "csat_ok": current & csat & Q(score__gte=4),
        "prev_nps_n": ~current & nps,
        "prev_nps_pro": ~current & nps & Q(score__gte=9),
        "prev_nps_det": ~current & nps & Q(score__lte=6),
    }
    events = _only(
        SurveyResponse.objects.filter(between("responded_at", inputs.prev.start, inputs.end)), accounts
    )
    return events.annotate(day=local_day("responded_at"), **{k: flag(q) for k, q in flags.items()}).values(
        "account_id", "day", *flags, *extra
    )


def part_surveys(inputs: Inputs) -> PerCsm:
    """NPS and CSAT of this period, NPS of the previous one."""
    out: PerCsm = {}
    _sums_by_csm(*attributed(survey_rows(inputs)), SURVEY_TOTALS, out)
    return out


# --- usage ------------------------------------------------------------------------------------------

USAGE_TOTALS = (
    Total(C.USAGE_SNAPSHOTS, "cur"),
    Total(C.DAU, "cur_dau"),
    Total(C.MAU, "cur_mau"),
    Total(C.PREV_USAGE_SNAPSHOTS, "prev"),
    Total(C.PREV_DAU, "prev_dau"),
    Total(C.PREV_MAU, "prev_mau"),
)


def usage_rows(inputs: Inputs, accounts: list[int] | None = None, extra: tuple[str, ...] = ()) -> QuerySet:
    """Usage snapshots with MAU above 0 dated in the period and the previous one."""
    current = Q(date__gte=inputs.start)
    events = _only(
        UsageSnapshot.objects.filter(mau__gt=0, date__gte=inputs.prev.start, date__lt=inputs.end), accounts
    )
    return events.annotate(
        cur=flag(current),
        cur_dau=flag(current, F("dau")),
        cur_mau=flag(current, F("mau")),
        prev=flag(~current),
        prev_dau=flag(~current, F("dau")),
        prev_mau=flag(~current, F("mau")),
    ).values("account_id", "date", *(t.column for t in USAGE_TOTALS), *extra)


def part_usage(inputs: Inputs) -> PerCsm:
    """Stickiness of this and the previous period."""
    out: PerCsm = {}
    _sums_by_csm(*attributed(usage_rows(inputs), day="date"), USAGE_TOTALS, out)
    return out


# --- other: advocacy, onboardings, touchpoints ----------------------------------------------------------


def advocacy_rows(inputs: Inputs, accounts: list[int] | None = None, extra: tuple[str, ...] = ()) -> QuerySet:
    """Referrals, reviews, case studies and references dated in the period."""
    events = _only(AdvocacyEvent.objects.filter(date__gte=inputs.start, date__lt=inputs.end), accounts)
    return events.values("account_id", "date", "kind", *extra)


def accumulate_advocacy(out: PerCsm, rows: Iterable[tuple]) -> None:
    """Rows (csm, kind, n)."""
    for csm, kind, n in rows:
        add(out, csm, C.REFERRALS, n)
        add(out, csm, C.referrals_of(kind), n)


def onboarding_rows(inputs: Inputs, accounts: list[int] | None = None) -> QuerySet:
    """Accounts that completed onboarding in the period; ``day``: the completion date."""
    done = CustomerAccount.objects.filter(
        onboarding_completed_on__gte=inputs.start, onboarding_completed_on__lt=inputs.end
    )
    return (
        _only(done, accounts, "pk")
        .annotate(account_id=F("pk"), day=F("onboarding_completed_on"))
        .values("account_id", "day", "signed_on")
    )


def accumulate_onboardings(out: PerCsm, rows: Iterable[tuple]) -> None:
    """Rows (csm, signed_on, completed_on): one onboarding each, and its days."""
    for csm, signed, done in rows:
        add(out, csm, C.ONBOARDINGS, 1)
        add(out, csm, C.ONBOARDING_DAYS, [Decimal((done - signed).days)])


def touchpoint_rows(inputs: Inputs, csm: int | None = None) -> QuerySet:
    """Touchpoints logged in the period (they carry their CSM: no owner to look up)."""
    rows = Touchpoint.objects.filter(between("occurred_at", inputs.start, inputs.end))
    return rows if csm is None else rows.filter(csm_id=csm)


def accumulate_touchpoints(out: PerCsm, rows: Iterable[tuple]) -> None:
    """Rows (csm, kind, n)."""
    for csm, kind, n in rows:
        add(out, csm, C.TOUCHPOINTS, n)
        add(out, csm, C.touchpoints_of(kind), n)


def part_other(inputs: Inputs) -> PerCsm:
    """Referrals, onboardings and touchpoints."""
    out: PerCsm = {}
    sql, params = attributed(advocacy_rows(inputs), day="date")
    accumulate_advocacy(
        out, fetch(f"SELECT r.csm_id, r.kind, COUNT(*) FROM ({sql}) r GROUP BY r.csm_id, r.kind", params)
    )
    sql, params = attributed(onboarding_rows(inputs))
    accumulate_onboardings(out, fetch(f"SELECT r.csm_id, r.signed_on, r.day FROM ({sql}) r", params))
    touches = (
        touchpoint_rows(inputs)
        .values("csm_id", "kind")
        .annotate(n=Count("pk"))
        .values_list("csm_id", "kind", "n")
    )
    accumulate_touchpoints(out, touches)
    return out


PARTS: dict[str, Callable[[Inputs], PerCsm]] = {
    "books": part_books,
    "expected": expected.part_expected,
    "tickets": part_tickets,
    "surveys": part_surveys,
    "usage": part_usage,
    "other": part_other,
}

# The order a run with several threads starts its parts in (the longest first).
LONGEST_FIRST = ("tickets", "usage", "books", "expected", "surveys", "other")


def compute_all(inputs: Inputs) -> PerCsm:
    """Every part, one after the other, merged (tests and the drill-down's checks)."""
    return merge(part(inputs) for part in PARTS.values())
