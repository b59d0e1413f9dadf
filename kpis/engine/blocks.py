"""The SQL building blocks of the KPI engine, each concept written once (docs/metrics.md).

- ``spans``/``holds``: assignment spans, and Owner(a, d): the CSM of the assignment of a with the
  latest start on or before d. Each assignment holds its account from its start until the next
  assignment's start.
- ``attributed``: events attributed to their owner on the event's (local) date.
- ``balances``: MRR(a, t) before P.start and P.end' (floored at 0), the period's movements by
  kind, and the owners on the period's edge days; ``COHORT``/``BOOK``/``PREV_BOOK`` select from it.
- ``latest_reading``: an account's latest snapshot in a window before a day.

The engine aggregates these rows for every CSM at once (``kpis.engine.parts``); the drill-down
(``kpis.engine.drilldown``) reads the same rows for one CSM. Every block takes an optional
restriction to some accounts (``%(accounts)s``, the accounts a CSM was ever assigned) so that a
drill-down reads only what it needs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, When
from django.db.models import Value as Literal
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Assignment
from activity.models import RevenueEvent, RevenueKind
from kpis.periods import day_start

ONE_DAY = datetime.timedelta(days=1)


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def fetch(sql: str, params: Any) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_dicts(sql: str, params: Any) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col.name for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- Owner(a, d) ---------------------------------------------------------------------------------


def spans(*, accounts: bool = False) -> str:
    """Assignment spans: (account_id, csm_id, start_date, next_start). ``accounts``: only the
    accounts of the named parameter ``accounts`` (a list of ids)."""
    where = " WHERE account_id = ANY(%(accounts)s)" if accounts else ""
    return (
        "SELECT account_id, csm_id, start_date, "
        "LEAD(start_date) OVER (PARTITION BY account_id ORDER BY start_date) AS next_start "
        f"FROM {qn(Assignment._meta.db_table)}{where}"
    )


def holds(span: str, day: str) -> str:
    """SQL condition: the span ``span`` holds the date expression ``day`` (Owner(a, day) = its CSM)."""
    return f"{span}.start_date <= {day} AND ({span}.next_start IS NULL OR {day} < {span}.next_start)"


def local_day(field_name: str) -> TruncDate:
    """The date of an aware datetime field in the organisation's calendar."""
    return TruncDate(field_name, tzinfo=timezone.get_default_timezone())


def between(field_name: str, start: datetime.date, end: datetime.date) -> Q:
    """An aware datetime field within [start, end) of the organisation's calendar."""
    return Q(**{f"{field_name}__gte": day_start(start), f"{field_name}__lt": day_start(end)})


def flag(condition: Q, then: Any = 1) -> Case:
    """1 (or ``then``) where the condition holds, else 0: a column the aggregates sum."""
    value = Literal(then) if isinstance(then, int) else then
    return Case(When(condition, then=value), default=Literal(0), output_field=IntegerField())


def attributed(events: QuerySet, *, day: str = "day") -> tuple[str, list[Any]]:
    """Events attributed to their owner: the rows of ``events`` (a values() query with
    ``account_id`` and the local date ``day``) with ``csm_id``, the owner on each row's date.
    Rows whose account had no owner that day are left out.

    One hash join of the rows to the span that holds their date, whatever the number of events.
    Returns SQL with positional parameters, and the parameters."""
    inner, params = events.query.sql_with_params()
    sql = (
        f"SELECT s.csm_id, e.* FROM ({inner}) e "
        f"JOIN ({spans()}) s ON s.account_id = e.account_id AND {holds('s', 'e.' + day)}"
    )
    return sql, list(params)


# --- MRR balances ----------------------------------------------------------------------------------

# The temporary table of the balances of every account (see ``balances_table``).
BALANCES = "kpi_balances"
# The owner columns of the balances, and the named parameter of their day.
EDGE_OWNERS = {"o_start": "start", "o_last": "last", "o_prev": "prev_last"}


def edge_days(start: datetime.date, end: datetime.date) -> dict[str, datetime.date]:
    """The named parameters of ``balances``: P.start, P.end', P.end' - 1 (the book's owner) and
    P.start - 1 (the previous book's owner)."""
    return {"start": start, "end": end, "last": end - ONE_DAY, "prev_last": start - ONE_DAY}


def balances(params: dict[str, Any], *, accounts: bool = False) -> str:
    """CTEs ``raw``, ``own`` and ``bal``: per account with revenue before P.end', the raw MRR sums
    before P.start (s_raw) and before P.end' (e_raw), floored at 0 (s, e), the period's movements
    by kind (b_<kind>), and the owner on each edge day (EDGE_OWNERS)."""
    table = qn(RevenueEvent._meta.db_table)
    by_kind = ""
    for kind in RevenueKind.values:
        params[f"kind_{kind}"] = kind
        by_kind += f", SUM(mrr_delta) FILTER (WHERE date >= %(start)s AND kind = %(kind_{kind})s) AS b_{kind}"
    only = " AND account_id = ANY(%(accounts)s)" if accounts else ""
    raw = (
        "raw AS (SELECT account_id, "
        f"SUM(CASE WHEN date < %(start)s THEN mrr_delta ELSE 0 END) AS s_raw, SUM(mrr_delta) AS e_raw{by_kind} "
        f"FROM {table} WHERE date < %(end)s{only} GROUP BY account_id)"
    )
    # The owners on the edge days in one pass over the spans, grouped by account.
    held = ", ".join(
        f"MAX(s.csm_id) FILTER (WHERE {holds('s', f'%({day})s::date')}) AS {name}"
        for name, day in EDGE_OWNERS.items()
    )
    own = f"own AS (SELECT s.account_id, {held} FROM ({spans(accounts=accounts)}) s GROUP BY s.account_id)"
    floored = "raw.*, CASE WHEN s_raw > 0 THEN s_raw ELSE 0 END AS s, CASE WHEN e_raw > 0 THEN e_raw ELSE 0 END AS e"
    owners = ", ".join(f"own.{name}" for name in EDGE_OWNERS)
    return f"{raw}, {own}, bal AS (SELECT {floored}, {owners} FROM raw LEFT JOIN own ON own.account_id = raw.account_id)"


@contextmanager
def balances_table(params: dict[str, Any], *, accounts: bool = False) -> Iterator[None]:
    """The temporary table BALANCES for the statements run inside, in one transaction (one server
    connection even behind a transaction pooler): dropped at the end, or taken away by the
    rollback when anything inside fails."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {BALANCES} AS WITH {balances(params, accounts=accounts)} SELECT * FROM bal",
            params,
        )
        yield
        cursor.execute(f"DROP TABLE {BALANCES}")


# The starting cohort C(c, P): accounts owned on P.start with MRR(a, P.start) > 0. One row per
# account, with what the revenue KPIs sum.
COHORT = (
    "SELECT o_start AS csm_id, account_id, s, e, CASE WHEN e < s THEN e ELSE s END AS kept, "
    "CASE WHEN e > 0 THEN 1 ELSE 0 END AS paying, "
    + ", ".join(f"COALESCE(b_{k}, 0) AS b_{k}" for k in RevenueKind.values)
    + f" FROM {BALANCES} WHERE s > 0 AND o_start IS NOT NULL"
)
# The book B(c, P): accounts owned on P.end' - 1 with MRR(a, P.end') > 0.
BOOK = f"SELECT o_last AS csm_id, account_id, e FROM {BALANCES} WHERE e > 0 AND o_last IS NOT NULL"
# The previous period's book: owned on P.start - 1 with MRR(a, P.start) > 0 (that period is closed).
PREV_BOOK = f"SELECT o_prev AS csm_id, account_id, s AS e FROM {BALANCES} WHERE s > 0 AND o_prev IS NOT NULL"


# --- latest reading in a window ----------------------------------------------------------------------


def latest_reading(model, source: str, day: str, alias: str, columns: str) -> str:
    """A LEFT JOIN of each row of ``source`` (with ``account_id``) to its account's latest snapshot
    dated in [day - n, day) (named parameters ``<day>_since`` and ``<day>``), as ``alias``.

    The latest snapshot of every account comes from one range scan of the date index and a sort,
    joined by hash (one index probe per row cost 0.15-0.2 s per day on the benchmark)."""
    table = qn(model._meta.db_table)
    window = f"date >= %({day}_since)s AND date < %({day})s"
    return (
        f"LEFT JOIN (SELECT DISTINCT ON (account_id) account_id, date, {columns} FROM {table} WHERE {window} "
        f"ORDER BY account_id, date DESC) {alias} ON {alias}.account_id = {source}.account_id"
    )


def reading_window(params: dict[str, Any], name: str, day: datetime.date, days: int) -> None:
    """The named parameters of a ``latest_reading`` window of ``days`` days before ``day``."""
    params[name] = day
    params[f"{name}_since"] = day - datetime.timedelta(days=days)
