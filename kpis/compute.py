"""The set-based computation of METRICS.md.

A run is split into *parts* (revenue, tickets, surveys, usage, health, other). Each part runs a
fixed number of aggregate queries over every CSM at once and returns *components* per CSM:
additive sums and counts, and lists of observations for medians. ``derive`` turns the
components of any subject (a CSM, or the sum of a team's or a segment's CSMs) into the stored
values, so team and segment roll-ups come from sums of numerators and denominators and from
pooled observations, never from averages of percentages.

The number of queries does not depend on the number of CSMs, accounts or events.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models import Value as Literal
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Assignment, CustomerAccount
from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    RevenueEvent,
    RevenueKind,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)
from kpis.periods import Period, day_start

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
MICROS_PER_HOUR = Decimal(3_600_000_000)

# Components of one CSM: additive numbers, or lists of observations (medians).
Components = dict[str, Any]


@dataclass
class Inputs:
    """The period, and per-account lookups of the drill-down (cached per instance). ``accounts``
    limits the lookups to some accounts (those a CSM was ever assigned, for one CSM's drill-down)."""

    period: Period
    as_of: datetime.date | None = None
    accounts: frozenset[int] | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

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

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    # --- shared lookups -------------------------------------------------------------------

    def revenue(self) -> dict[int, dict[str, Decimal]]:
        """Per account: raw MRR sums before prev.start, P.start and P.end', and movements by kind in P."""
        return self.cached("revenue", self._revenue)

    def _revenue(self) -> dict[int, dict[str, Decimal]]:
        in_period = Q(date__gte=self.start, date__lt=self.end)
        aggregates = {
            "before_start": Sum("mrr_delta", filter=Q(date__lt=self.start), default=ZERO),
            "before_end": Sum("mrr_delta", filter=Q(date__lt=self.end), default=ZERO),
        }
        for kind in RevenueKind.values:
            aggregates[f"bridge_{kind}"] = Sum("mrr_delta", filter=in_period & Q(kind=kind), default=ZERO)
        events = RevenueEvent.objects.filter(date__lt=self.end)
        if self.accounts is not None:
            events = events.filter(account_id__in=self.accounts)
        rows = events.values("account_id").annotate(**aggregates)
        return {row.pop("account_id"): row for row in rows}

    def owners(self) -> dict[int, tuple[int | None, int | None, int | None]]:
        """Per account: Owner(a, P.start - 1), Owner(a, P.start), Owner(a, P.end' - 1)."""
        return self.cached("owners", self._owners)

    def _owners(self):
        def owner_on(day: datetime.date) -> Subquery:
            return Subquery(
                Assignment.objects.filter(account_id=OuterRef("pk"), start_date__lte=day)
                .order_by("-start_date")
                .values("csm_id")[:1]
            )

        one_day = datetime.timedelta(days=1)
        accounts = CustomerAccount.objects.all()
        if self.accounts is not None:
            accounts = accounts.filter(pk__in=self.accounts)
        rows = accounts.annotate(
            o_prev_end=owner_on(self.start - one_day),
            o_start=owner_on(self.start),
            o_end=owner_on(self.end - one_day),
        ).values_list("pk", "o_prev_end", "o_start", "o_end")
        return {pk: (a, b, c) for pk, a, b, c in rows}

    def mrr(self, account_id: int, moment: str) -> Decimal:
        """MRR(a, t), floored at 0 (METRICS.md). ``moment``: before_start or before_end."""
        row = self.revenue().get(account_id)
        return max(row[moment], ZERO) if row else ZERO

    def book(self) -> dict[int, int]:
        """B(c, P): account -> CSM, for accounts owned on P.end' - 1 with MRR(a, P.end') > 0."""

        def build():
            return {
                a: o[2]
                for a, o in self.owners().items()
                if o[2] is not None and self.mrr(a, "before_end") > 0
            }

        return self.cached("book", build)


def _owner_at(day_field: str) -> Subquery:
    """Owner(a, d) of a row whose date is the field ``day_field`` (a correlated subquery, for small sets)."""
    return Subquery(
        Assignment.objects.filter(account_id=OuterRef("account_id"), start_date__lte=OuterRef(day_field))
        .order_by("-start_date")
        .values("csm_id")[:1]
    )


def _local_day(field_name: str) -> TruncDate:
    return TruncDate(field_name, tzinfo=timezone.get_default_timezone())


def _between(field_name: str, start: datetime.date, end: datetime.date) -> Q:
    """An aware datetime field within [start, end) of the organisation's calendar."""
    return Q(**{f"{field_name}__gte": day_start(start), f"{field_name}__lt": day_start(end)})


def _add(out: dict[int, Components], csm: int | None, key: str, value: Any) -> None:
    if csm is None:
        return
    bucket = out.setdefault(csm, {})
    if isinstance(value, list):
        bucket.setdefault(key, []).extend(value)
    else:
        bucket[key] = bucket.get(key, ZERO) + _decimal(value)


def _decimal(value: Any) -> Decimal:
    """A database number as a Decimal; SQLite answers sums of money as floats (rounded to the cent)."""
    if isinstance(value, float):
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return value if isinstance(value, Decimal) else Decimal(value or 0)


def _hours(delta: datetime.timedelta) -> Decimal:
    return Decimal(_micros(delta)) / MICROS_PER_HOUR


def _micros(delta: datetime.timedelta | int) -> int:
    """A duration in microseconds (SQLite answers durations as microseconds already)."""
    if isinstance(delta, int):
        return delta
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# --- owners by assignment spans (one range join, whatever the number of events) ------------------
#
# Owner(a, d) is the CSM of the assignment of a with the latest start on or before d. Each assignment
# holds its account from its start until the next assignment's start (LEAD over the account's
# assignments): an event belongs to the span that holds its date. Every part joins its events to the
# spans once, instead of looking the owner up per event.


def _spans() -> str:
    table = connection.ops.quote_name(Assignment._meta.db_table)
    return (
        "SELECT account_id, csm_id, start_date, "
        "LEAD(start_date) OVER (PARTITION BY account_id ORDER BY start_date) AS next_start "
        f"FROM {table}"
    )


def _holds(span: str, day: str) -> str:
    """SQL condition: the span ``span`` holds the date expression ``day``."""
    return f"{span}.start_date <= {day} AND ({span}.next_start IS NULL OR {day} < {span}.next_start)"


def _fetch(sql: str, params: Any) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _by_owner(events: QuerySet, select: str, *, day: str = "day", group: bool = True) -> list[tuple]:
    """``events`` (a values() query with ``account_id`` and the local date ``day``) with the owner on
    each row's date; ``select`` over the rows ``e``, grouped by the owner.

    PostgreSQL joins the rows to the span that holds their date (one hash join). SQLite looks the
    owner up per row in the (account, start_date) index instead: it would evaluate the local date
    (a Python function there) once per candidate span of the join."""
    inner, params = events.query.sql_with_params()
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT s.csm_id, {select} FROM ({inner}) e "
            f"JOIN ({_spans()}) s ON s.account_id = e.account_id AND {_holds('s', 'e.' + day)}"
        )
        return _fetch(sql + (" GROUP BY s.csm_id" if group else ""), params)
    # MATERIALIZED: the owner (and the local date inside it) is worked out once per row.
    sql = (
        f"WITH o AS MATERIALIZED (SELECT {_owner_of('r.account_id', 'r.' + day)} AS csm_id, r.* "
        f"FROM ({inner}) r) SELECT e.csm_id, {select} FROM o e WHERE e.csm_id IS NOT NULL"
    )
    return _fetch(sql + (" GROUP BY e.csm_id" if group else ""), params)


def _flag(condition: Q, then: Any = 1) -> Case:
    """1 (or ``then``) where the condition holds, else 0: summed by the outer query."""
    value = Literal(then) if isinstance(then, int) else then
    return Case(When(condition, then=value), default=Literal(0), output_field=IntegerField())


def _owner_of(account: str, day: str) -> str:
    """SQL scalar: Owner(account, day), one lookup in the (account, start_date) index per row."""
    table = connection.ops.quote_name(Assignment._meta.db_table)
    return (
        f"(SELECT a.csm_id FROM {table} a WHERE a.account_id = {account} AND a.start_date <= {day} "
        "ORDER BY a.start_date DESC LIMIT 1)"
    )


# The balances of every account (``bal`` of _balances with the owners on P.start, P.end' - 1 and
# P.start - 1), kept for the statements of the books part in a temporary table of their connection:
# the revenue aggregates, the adoption readings and the health readings all start from them.
BALANCES = "kpi_balances"
BALANCE_OWNERS = {"o_start": "start", "o_last": "last", "o_prev": "prev_last"}


def _balances(params: dict[str, Any]) -> str:
    """CTEs ``raw`` and ``bal``: per account, raw MRR sums before P.start (s_raw) and before P.end'
    (e_raw), floored at 0 (s, e), the period's movements by kind (b_<kind>), and the owner on each
    day of BALANCE_OWNERS (column name -> named parameter of the day).

    PostgreSQL finds the owners in one pass over the assignment spans, grouped by account (three
    index probes per account cost 0.1-0.2 s more there); SQLite probes its index per account."""
    table = connection.ops.quote_name(RevenueEvent._meta.db_table)
    by_kind = ""
    for kind in RevenueKind.values:
        params[f"kind_{kind}"] = kind
        by_kind += f", SUM(mrr_delta) FILTER (WHERE date >= %(start)s AND kind = %(kind_{kind})s) AS b_{kind}"
    raw = (
        "raw AS (SELECT account_id, "
        f"SUM(CASE WHEN date < %(start)s THEN mrr_delta ELSE 0 END) AS s_raw, SUM(mrr_delta) AS e_raw{by_kind} "
        f"FROM {table} WHERE date < %(end)s GROUP BY account_id)"
    )
    floored = "raw.*, CASE WHEN s_raw > 0 THEN s_raw ELSE 0 END AS s, CASE WHEN e_raw > 0 THEN e_raw ELSE 0 END AS e"
    if connection.vendor == "postgresql":
        held = ", ".join(
            f"MAX(s.csm_id) FILTER (WHERE {_holds('s', f'%({day})s::date')}) AS {name}"
            for name, day in BALANCE_OWNERS.items()
        )
        return (
            f"{raw}, own AS (SELECT s.account_id, {held} FROM ({_spans()}) s GROUP BY s.account_id), "
            f"bal AS (SELECT {floored}, {', '.join(f'own.{name}' for name in BALANCE_OWNERS)} "
            "FROM raw LEFT JOIN own ON own.account_id = raw.account_id)"
        )
    owned = "".join(
        f", {_owner_of('raw.account_id', f'%({day})s')} AS {name}" for name, day in BALANCE_OWNERS.items()
    )
    return f"{raw}, bal AS (SELECT {floored}{owned} FROM raw)"


def _book_params(inputs: Inputs) -> dict[str, Any]:
    one_day = datetime.timedelta(days=1)
    return {
        "start": inputs.start,
        "end": inputs.end,
        "last": inputs.end - one_day,  # P.end' - 1: the book's owner
        "prev_last": inputs.start - one_day,  # P.start - 1: the previous book's owner
    }


# The book B(c, P): accounts owned on P.end' - 1 with MRR(a, P.end') > 0; the previous period's book:
# owned on P.start - 1 with MRR(a, P.start) > 0 (the previous period is closed).
BOOK = f"book AS (SELECT account_id, o_last AS csm_id FROM {BALANCES} WHERE e > 0 AND o_last IS NOT NULL)"
PREV_BOOK = (
    f"prev_book AS (SELECT account_id, o_prev AS csm_id FROM {BALANCES} WHERE s > 0 AND o_prev IS NOT NULL)"
)


@contextmanager
def _balances_table(params: dict[str, Any]) -> Iterator[None]:
    """The temporary table BALANCES for the statements run inside, in one transaction (one server
    connection even behind a transaction pooler): dropped at the end, or taken away by the
    rollback when anything inside fails."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {BALANCES} AS WITH {_balances(params)} SELECT * FROM bal", params
        )
        yield
        cursor.execute(f"DROP TABLE {BALANCES}")


def _latest_reading(model, source: str, day: str, alias: str, columns: str) -> str:
    """A join of each row of ``source`` (with ``account_id``) to its account's latest snapshot
    dated in [day - n, day) (named parameters ``<day>_since`` and ``<day>``), as ``alias``.

    PostgreSQL: the latest snapshot of every account from one range scan of the date index and a
    sort, joined by hash (one index probe per row cost 0.15-0.2 s per day; a MAX(date) subquery made
    it hash the whole snapshot table). SQLite: the date of the latest snapshot through the unique
    (account, date) index per row, then the snapshot on (account, that date)."""
    table = connection.ops.quote_name(model._meta.db_table)
    window = f"date >= %({day}_since)s AND date < %({day})s"
    if connection.vendor == "postgresql":
        return (
            f"JOIN (SELECT DISTINCT ON (account_id) account_id, {columns} FROM {table} WHERE {window} "
            f"ORDER BY account_id, date DESC) {alias} ON {alias}.account_id = {source}.account_id"
        )
    return (
        f"JOIN {table} {alias} ON {alias}.account_id = {source}.account_id AND {alias}.date = "
        f"(SELECT MAX(date) FROM {table} WHERE account_id = {source}.account_id AND {window})"
    )


# --- parts ------------------------------------------------------------------------------------


def part_books(inputs: Inputs) -> dict[int, Components]:
    """Everything measured over the cohort and the books, from one computation of the balances:
    revenue (KPIs 1-3, book size, ARR, bridge), adoption change and the health mix."""
    params = _book_params(inputs)
    month, window = datetime.timedelta(days=30), datetime.timedelta(days=31)
    params.update(a_day=inputs.start, a_day_since=inputs.start - month)
    params.update(b_day=inputs.end, b_day_since=inputs.end - month)
    params.update(h_end=inputs.end, h_end_since=inputs.end - window)
    params.update(h_start=inputs.start, h_start_since=inputs.start - window)
    with _balances_table(params):
        return merge((_revenue(params), _adoption(params), _health(params)))


def _revenue(params: dict[str, Any]) -> dict[int, Components]:
    """KPIs 1-3 and the context values: cohort C(c, P), book B(c, P), starting/ending MRR, bridge."""
    out: dict[int, Components] = {}
    kinds = RevenueKind.values
    bridge = ", ".join(f"SUM(b_{k})" for k in kinds)
    zeros = ", ".join("0" for _ in kinds)
    sql = (
        "SELECT 0, o_start, COUNT(*), SUM(s), SUM(e), SUM(CASE WHEN e < s THEN e ELSE s END), "
        f"SUM(CASE WHEN e > 0 THEN 1 ELSE 0 END), {bridge} FROM {BALANCES} "
        "WHERE s > 0 AND o_start IS NOT NULL GROUP BY o_start "
        f"UNION ALL SELECT 1, o_last, COUNT(*), 0, SUM(e), 0, 0, {zeros} FROM {BALANCES} "
        "WHERE e > 0 AND o_last IS NOT NULL GROUP BY o_last "
        f"UNION ALL SELECT 2, o_prev, COUNT(*), 0, 0, 0, 0, {zeros} FROM {BALANCES} "
        "WHERE s > 0 AND o_prev IS NOT NULL GROUP BY o_prev"
    )
    for which, csm, n, start, end, grr, retained, *moves in _fetch(sql, params):
        if which == 0:
            _add(out, csm, "cohort", n)
            _add(out, csm, "mrr_start", start)
            _add(out, csm, "mrr_end", end)
            _add(out, csm, "grr", grr)
            _add(out, csm, "retained", retained)
            for kind, move in zip(kinds, moves, strict=True):
                if _decimal(move):
                    _add(out, csm, f"bridge_{kind}", move)
        elif which == 1:
            _add(out, csm, "book", n)
            _add(out, csm, "arr", 12 * _decimal(end))
        else:
            _add(out, csm, "prev_book", n)
    return out


def part_tickets(inputs: Inputs) -> dict[int, Components]:
    """Service metrics on tickets, and tickets per account for this and the previous period."""
    out: dict[int, Components] = {}
    end_at = day_start(inputs.end)
    current = Q(opened_at__gte=day_start(inputs.start))
    done = current & Q(resolved_at__lt=end_at)
    columns = ("account_id", "day", "cur", "esc", "res", "fcr", "res_contacts")
    events = (
        Ticket.objects.filter(_between("opened_at", inputs.prev.start, inputs.end))
        .annotate(
            day=_local_day("opened_at"),
            cur=_flag(current),
            esc=_flag(current & Q(escalated_at__isnull=False)),
            res=_flag(done),
            fcr=_flag(done & Q(customer_contacts__lte=1)),
            res_contacts=Case(When(done, then=F("customer_contacts")), default=Literal(0)),
        )
        .values(*columns)
    )
    select = "SUM(e.cur), SUM(e.esc), SUM(e.res), SUM(e.fcr), SUM(e.res_contacts), SUM(1 - e.cur)"
    keys = ("tickets", "escalated", "resolved", "fcr", "contacts", "prev_tickets")
    wait = ExpressionWrapper(F("first_response_at") - F("opened_at"), output_field=DurationField())
    arrays = connection.vendor == "postgresql"
    if arrays:
        # The first-response waits of the period ride along the same scan, as integer microseconds.
        events = events.annotate(wait=wait).values(*columns, "wait")
        select += (
            ", ARRAY_AGG((EXTRACT(EPOCH FROM e.wait) * 1000000)::bigint) "
            "FILTER (WHERE e.cur = 1 AND e.wait IS NOT NULL)"
        )
    for csm, *counts in _by_owner(events, select):
        waits = counts.pop() if arrays else None
        for key, value in zip(keys, counts, strict=True):
            _add(out, csm, key, value or 0)
        if waits:
            _add(out, csm, "frh", waits)  # microseconds; the median is turned into hours by derive
    if arrays:
        return out
    # SQLite has no arrays: the waits of the period in a second scan.
    waits = (
        Ticket.objects.filter(
            _between("opened_at", inputs.start, inputs.end), first_response_at__isnull=False
        )
        .annotate(day=_local_day("opened_at"), wait=wait)
        .values("account_id", "day", "wait")
    )
    grouped: dict[int, list[int]] = defaultdict(list)
    for csm, micros in _by_owner(waits, "e.wait", group=False):
        grouped[csm].append(_micros(micros))
    for csm, micros in grouped.items():
        _add(out, csm, "frh", micros)
    return out


def part_surveys(inputs: Inputs) -> dict[int, Components]:
    """NPS and CSAT of this period, NPS of the previous one."""
    out: dict[int, Components] = {}
    current = Q(responded_at__gte=day_start(inputs.start))
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
    events = (
        SurveyResponse.objects.filter(_between("responded_at", inputs.prev.start, inputs.end))
        .annotate(day=_local_day("responded_at"), **{k: _flag(q) for k, q in flags.items()})
        .values("account_id", "day", *flags)
    )
    for csm, *counts in _by_owner(events, ", ".join(f"SUM(e.{k})" for k in flags)):
        for key, value in zip(flags, counts, strict=True):
            _add(out, csm, key, value or 0)
    return out


def part_usage(inputs: Inputs) -> dict[int, Components]:
    """Stickiness of this and the previous period."""
    out: dict[int, Components] = {}
    current = Q(date__gte=inputs.start)
    events = (
        UsageSnapshot.objects.filter(mau__gt=0, date__gte=inputs.prev.start, date__lt=inputs.end)
        .annotate(cur=_flag(current), cur_dau=_flag(current, F("dau")), cur_mau=_flag(current, F("mau")))
        .values("account_id", "date", "cur", "cur_dau", "cur_mau", "dau", "mau")
    )
    select = (
        "SUM(e.cur), SUM(e.cur_dau), SUM(e.cur_mau), "
        "SUM(1 - e.cur), SUM(e.dau - e.cur_dau), SUM(e.mau - e.cur_mau)"
    )
    keys = ("snaps", "dau", "mau", "prev_snaps", "prev_dau", "prev_mau")
    for csm, *sums in _by_owner(events, select, day="date"):
        for key, value in zip(keys, sums, strict=True):
            _add(out, csm, key, value or 0)
    return out


def _readings(
    day: datetime.date, days: int, model, fields: Iterable[str], accounts: Iterable[int] | None = None
) -> dict[int, tuple]:
    """The latest snapshot per account dated in [day - days, day) (the drill-down's lookup)."""
    since = day - datetime.timedelta(days=days)
    latest: dict[int, tuple] = {}
    snapshots = model.objects.filter(date__gte=since, date__lt=day)
    if accounts is not None:
        snapshots = snapshots.filter(account_id__in=list(accounts))
    rows = snapshots.order_by("account_id", "date").values_list("account_id", *fields)
    for account_id, *values in rows:
        latest[account_id] = tuple(values)
    return latest


def health_band(score: int, band: str) -> str:
    """A snapshot's own band wins; otherwise the score thresholds (settings)."""
    if band:
        return band
    if score >= settings.HEALTH_GOOD_MIN_SCORE:
        return "good"
    if score >= settings.HEALTH_AVERAGE_MIN_SCORE:
        return "average"
    return "poor"


def _adoption(params: dict[str, Any]) -> dict[int, Components]:
    """Adoption change over the book at the end: accounts with a reading within 30 days before
    P.start and before P.end'."""
    out: dict[int, Components] = {}
    features = "features_used, features_available"
    sql = (
        f"WITH {BOOK} SELECT book.csm_id, ra.features_used, ra.features_available, rb.features_used, "
        f"rb.features_available FROM book {_latest_reading(UsageSnapshot, 'book', 'a_day', 'ra', features)} "
        f"{_latest_reading(UsageSnapshot, 'book', 'b_day', 'rb', features)} "
        "WHERE ra.features_available > 0 AND rb.features_available > 0"
    )
    # One row per account of the books (tens of thousands): summed per CSM before _add.
    sums: dict[int, Decimal] = defaultdict(Decimal)
    counts: dict[int, int] = defaultdict(int)
    for csm, a_used, a_available, b_used, b_available in _fetch(sql, params):
        sums[csm] += (
            Decimal(b_used) / Decimal(b_available) - Decimal(a_used) / Decimal(a_available)
        ) * HUNDRED
        counts[csm] += 1
    for csm, total in sums.items():
        _add(out, csm, "adopt_sum", total)
        _add(out, csm, "adopt_n", counts[csm])
    return out


def _health(params: dict[str, Any]) -> dict[int, Components]:
    """Health mix of the book at the end, and of the previous period's book (for the change)."""
    out: dict[int, Components] = {}
    sql = (
        f"WITH {BOOK}, {PREV_BOOK} SELECT 0, book.csm_id, x.score, x.band, COUNT(*) FROM book "
        f"{_latest_reading(HealthSnapshot, 'book', 'h_end', 'x', 'score, band')} "
        "GROUP BY book.csm_id, x.score, x.band "
        "UNION ALL SELECT 1, prev_book.csm_id, x.score, x.band, COUNT(*) FROM prev_book "
        f"{_latest_reading(HealthSnapshot, 'prev_book', 'h_start', 'x', 'score, band')} "
        "GROUP BY prev_book.csm_id, x.score, x.band"
    )
    # One row per CSM, score and band (tens of thousands): counted per CSM and band before _add.
    counts: dict[tuple[int, str], int] = defaultdict(int)
    bands: dict[tuple[int, str], str] = {}
    for which, csm, score, band, n in _fetch(sql, params):
        prefix = "prev_" if which else ""
        if (score, band) not in bands:
            bands[score, band] = health_band(score, band)
        counts[csm, f"{prefix}h_n"] += n
        counts[csm, f"{prefix}h_{bands[score, band]}"] += n
    for (csm, key), n in counts.items():
        _add(out, csm, key, n)
    return out


def part_other(inputs: Inputs) -> dict[int, Components]:
    """Referrals, onboardings and touchpoints."""
    out: dict[int, Components] = {}
    advocacy = (
        AdvocacyEvent.objects.filter(date__gte=inputs.start, date__lt=inputs.end)
        .annotate(owner=_owner_at("date"))
        .values("owner", "kind")
        .annotate(n=Count("pk"))
    )
    for row in advocacy:
        _add(out, row["owner"], "referrals", row["n"])
        _add(out, row["owner"], f"ref_{row['kind']}", row["n"])
    onboarded = (
        CustomerAccount.objects.filter(
            onboarding_completed_on__gte=inputs.start, onboarding_completed_on__lt=inputs.end
        )
        .annotate(
            owner=Subquery(
                Assignment.objects.filter(
                    account_id=OuterRef("pk"), start_date__lte=OuterRef("onboarding_completed_on")
                )
                .order_by("-start_date")
                .values("csm_id")[:1]
            )
        )
        .values_list("owner", "signed_on", "onboarding_completed_on")
    )
    for owner, signed, done in onboarded:
        _add(out, owner, "onboardings", 1)
        _add(out, owner, "onb_days", [Decimal((done - signed).days)])
    touches = (
        Touchpoint.objects.filter(_between("occurred_at", inputs.start, inputs.end))
        .values("csm_id", "kind")
        .annotate(n=Count("pk"))
    )
    for row in touches:
        _add(out, row["csm_id"], "touch", row["n"])
        _add(out, row["csm_id"], f"touch_{row['kind']}", row["n"])
    return out


PARTS: dict[str, Callable[[Inputs], dict[int, Components]]] = {
    "books": part_books,
    "tickets": part_tickets,
    "surveys": part_surveys,
    "usage": part_usage,
    "other": part_other,
}


# The order a run with several threads starts its parts in (the longest first).
LONGEST_FIRST = ("tickets", "usage", "books", "surveys", "other")


def merge(parts: Iterable[dict[int, Components]]) -> dict[int, Components]:
    merged: dict[int, Components] = {}
    for part in parts:
        for csm, comps in part.items():
            for key, value in comps.items():
                _add(merged, csm, key, value)
    return merged


def combine(members: Iterable[Components]) -> Components:
    """The components of a team or segment: sums of its CSMs' sums, pooled observations."""
    out: Components = {}
    for comps in members:
        for key, value in comps.items():
            if isinstance(value, list):
                out.setdefault(key, []).extend(value)
            else:
                out[key] = out.get(key, ZERO) + _decimal(value)
    return out


# --- serialisation of components (fan-out parts travel through the database) ---------------


def encode(part: dict[int, Components]) -> dict[str, dict[str, Any]]:
    return {
        str(csm): {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in comps.items()}
        for csm, comps in part.items()
    }


def decode(payload: dict[str, dict[str, Any]]) -> dict[int, Components]:
    return {
        int(csm): {
            k: [Decimal(x) for x in v] if isinstance(v, list) else Decimal(v) for k, v in comps.items()
        }
        for csm, comps in payload.items()
    }


# --- values ----------------------------------------------------------------------------------


@dataclass
class Value:
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    sample_size: int = 0
    breakdown: dict[str, Any] = field(default_factory=dict)


def round2(x: Decimal | None) -> Decimal | None:
    """Every stored value is rounded once, at the end, to 2 decimals, half up."""
    return None if x is None else x.quantize(CENT, rounding=ROUND_HALF_UP)


def _ratio(num: Decimal, den: Decimal, scale: Decimal = HUNDRED) -> Decimal | None:
    return None if not den else num / den * scale


def median(values: list[Decimal] | list[int]) -> Decimal | None:
    """The middle value; for an even count, the mean of the two middle values."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[mid])
    return (Decimal(ordered[mid - 1]) + Decimal(ordered[mid])) / 2


def _diff(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def derive(c: Components) -> dict[str, Value]:
    """Every metric of METRICS.md from one subject's components (unrounded until the end)."""
    g = lambda key: c.get(key, ZERO)  # noqa: E731
    n = lambda key: int(c.get(key, ZERO))  # noqa: E731
    v: dict[str, Value] = {}
    cohort, start, end = n("cohort"), g("mrr_start"), g("mrr_end")
    bridge = {k: str(round2(g(f"bridge_{k}"))) for k in RevenueKind.values if f"bridge_{k}" in c}
    v["starting_mrr"] = Value(start, start, None, cohort)
    v["portfolio_growth"] = Value(end - start if cohort else None, end, start, cohort, bridge)
    v["portfolio_growth_rate"] = Value(_ratio(end - start, start), end - start, start, cohort)
    v["nrr"] = Value(_ratio(end, start), end, start, cohort)
    v["gross_retention"] = Value(_ratio(g("grr"), start), g("grr"), start, cohort)
    v["logo_retention"] = Value(_ratio(g("retained"), g("cohort")), g("retained"), g("cohort"), cohort)
    v["book_size"] = Value(g("book"), g("book"), None, n("book"))
    v["arr_managed"] = Value(g("arr"), g("arr"), None, n("book"))
    v["referrals"] = Value(
        g("referrals"),
        g("referrals"),
        None,
        n("referrals"),
        {k[4:]: int(val) for k, val in c.items() if k.startswith("ref_")},
    )
    v["adoption_change"] = Value(
        _ratio(g("adopt_sum"), g("adopt_n"), Decimal(1)), g("adopt_sum"), g("adopt_n"), n("adopt_n")
    )
    tpa = _ratio(g("tickets"), g("book"), Decimal(1))
    prev_tpa = _ratio(g("prev_tickets"), g("prev_book"), Decimal(1))
    v["tickets_per_account"] = Value(tpa, g("tickets"), g("book"), n("tickets"))
    reduction = None
    if tpa is not None and prev_tpa:
        reduction = (prev_tpa - tpa) / prev_tpa * HUNDRED
    v["ticket_reduction"] = Value(reduction, _diff(prev_tpa, tpa), prev_tpa, n("tickets"))
    days = c.get("onb_days", [])
    v["onboarding_days"] = Value(median(days), None, None, len(days))
    v["onboardings"] = Value(g("onboardings"), g("onboardings"), None, n("onboardings"))
    h_n = g("h_n")
    good = _ratio(g("h_good"), h_n)
    v["health_good_share"] = Value(good, g("h_good"), h_n, int(h_n))
    v["health_average_share"] = Value(_ratio(g("h_average"), h_n), g("h_average"), h_n, int(h_n))
    v["health_poor_share"] = Value(_ratio(g("h_poor"), h_n), g("h_poor"), h_n, int(h_n))
    prev_good = _ratio(g("prev_h_good"), g("prev_h_n"))
    v["health_mix_change"] = Value(_diff(good, prev_good), good, prev_good, int(h_n))
    stick = _ratio(g("dau"), g("mau"))
    prev_stick = _ratio(g("prev_dau"), g("prev_mau"))
    v["stickiness"] = Value(stick, g("dau"), g("mau"), n("snaps"))
    v["stickiness_change"] = Value(_diff(stick, prev_stick), stick, prev_stick, n("snaps"))
    waits = c.get("frh", [])  # microseconds
    middle = median(waits)
    v["first_response_hours"] = Value(
        None if middle is None else middle / MICROS_PER_HOUR, None, None, len(waits)
    )
    v["first_contact_resolution"] = Value(
        _ratio(g("fcr"), g("resolved")), g("fcr"), g("resolved"), n("resolved")
    )
    v["contacts_to_resolve"] = Value(
        _ratio(g("contacts"), g("resolved"), Decimal(1)), g("contacts"), g("resolved"), n("resolved")
    )
    v["escalation_rate"] = Value(
        _ratio(g("escalated"), g("tickets")), g("escalated"), g("tickets"), n("tickets")
    )
    nps = _ratio(g("nps_pro") - g("nps_det"), g("nps_n"))
    prev_nps = _ratio(g("prev_nps_pro") - g("prev_nps_det"), g("prev_nps_n"))
    v["nps"] = Value(nps, g("nps_pro") - g("nps_det"), g("nps_n"), n("nps_n"))
    v["nps_change"] = Value(_diff(nps, prev_nps), nps, prev_nps, n("nps_n"))
    v["csat"] = Value(_ratio(g("csat_ok"), g("csat_n")), g("csat_ok"), g("csat_n"), n("csat_n"))
    v["touchpoints"] = Value(
        g("touch"),
        g("touch"),
        None,
        n("touch"),
        {k[6:]: int(val) for k, val in c.items() if k.startswith("touch_")},
    )
    for value in v.values():
        value.value = round2(value.value)
        value.numerator = None if value.numerator is None else value.numerator.quantize(MICRO, ROUND_HALF_UP)
        value.denominator = (
            None if value.denominator is None else value.denominator.quantize(MICRO, ROUND_HALF_UP)
        )
    return v
