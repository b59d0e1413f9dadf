"""One validator per input kind (docs/data-contract.md), shared by the command, the upload page and the API.

A kind knows its columns, its key, its cross-field rules, how to resolve references, and how to
upsert a validated batch. The engine that drives it lives in ``datain.services``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import capfirst

from accounts.models import PERSON_ROLES, Assignment, CustomerAccount, Role, Segment, Team, User
from activity.models import (
    NEGATIVE_REVENUE_KINDS,
    POSITIVE_REVENUE_KINDS,
    AdvocacyEvent,
    AdvocacyKind,
    HealthBand,
    HealthSnapshot,
    Priority,
    RevenueEvent,
    RevenueKind,
    SurveyKind,
    SurveyResponse,
    Ticket,
    Touchpoint,
    TouchpointKind,
    UsageSnapshot,
)
from datain.models import SourceAccount, SourceOwner
from datain.validation import (
    CellError,
    Code,
    Column,
    RowError,
    choice,
    integer,
    parse_date,
    parse_datetime,
    parse_email,
    parse_money,
    source_name,
    text,
    unstorable,
)


@dataclass
class Row:
    """A row whose cells parsed: ``values`` by column name, plus resolved ids."""

    line: int
    values: dict[str, Any]
    ids: dict[str, int] = field(default_factory=dict)
    # A cell failed or a rule is broken: the row is still checked for references and its key, never
    # written. The columns whose cells failed are absent from ``values``.
    broken: bool = False


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


ACCOUNTS_READ_AT_ONCE = 200_000


class Context:
    """Per-load caches of references (one query per batch for what is not cached yet)."""

    def __init__(self) -> None:
        self.accounts: dict[str, int] = {}
        self.users: dict[str, tuple[int, str]] = {}
        self.today = timezone.localdate()
        self._every_account: bool | None = None  # all accounts read at once (None: not decided yet)

    def load_accounts(self, external_ids: set[str]) -> None:
        if self._every_account is None:
            # Up to ACCOUNTS_READ_AT_ONCE accounts, one query reads them all (50,000: ~5 MB) instead
            # of one query per 2,000 new ids in each batch of a million-row load.
            self._every_account = CustomerAccount.objects.count() <= ACCOUNTS_READ_AT_ONCE
            if self._every_account:
                self.accounts.update(CustomerAccount.objects.values_list("external_id", "id"))
        if self._every_account:
            return
        missing = [e for e in external_ids if e not in self.accounts]
        for start in range(0, len(missing), 2000):
            chunk = missing[start : start + 2000]
            self.accounts.update(
                CustomerAccount.objects.filter(external_id__in=chunk).values_list("external_id", "id")
            )

    def load_users(self, emails: set[str]) -> None:
        missing = [e for e in emails if e not in self.users]
        if missing:
            for pk, email, role in User.objects.filter(email__in=missing).values_list("pk", "email", "role"):
                self.users[email] = (pk, role)


class Kind:
    """Base of every kind. Subclasses set ``name``, ``columns`` and ``key_columns``."""

    name: str
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]
    # The columns that place a row in time (dates, or datetimes read in the organisation's time
    # zone): a load touches the days from the earliest to the latest of them (datain.services).
    dated_columns: tuple[str, ...] = ()
    # A row holds from its date on (an MRR change, an owner, an account): the load touches every day
    # from its earliest date up to today. A kind without dated columns (people) touches today.
    lasting: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def _plan(self) -> tuple[tuple[str, Callable[[str], Any], bool], ...]:
        return tuple((c.name, c.parse, c.required) for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.optional_column)

    def parse(self, line: int, raw: dict[str, str]) -> tuple[Row, list[RowError]]:
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        get = raw.get
        for name, parse, required in self._plan:  # the hot loop of a million-row load
            cell = get(name)
            cell = cell.strip() if cell else ""
            if not cell:
                if required:
                    errors.append(RowError(line, name, "", Code.REQUIRED, "is required"))
                values[name] = None
                continue
            if "\x00" in cell or not cell.isascii():  # the fast test first: a million rows
                problem = unstorable(cell)
                if problem:
                    errors.append(RowError(line, name, cell, Code.BAD_ENCODING, problem))
                    continue
            try:
                values[name] = parse(cell)
            except CellError as exc:
                errors.append(RowError(line, name, cell, exc.code, exc.message))
        row = Row(line, values)
        if errors:
            # The cells that parsed are still checked against the rest (references, the key, the
            # rules between columns that all parsed): every error of a file comes in one pass.
            row.broken = True
            for error in errors:
                values.pop(error.column, None)
            try:
                problems = self.check(values)
            except (KeyError, TypeError):  # a rule reads a cell that failed: nothing more to say
                problems = []
        else:
            problems = self.check(values)
        for column, code, message in problems:
            value = values.get(column)
            errors.append(RowError(line, column, "" if value is None else str(value), code, message))
        if problems:
            row.broken = True
        return row, errors

    def key(self, row: Row) -> Hashable | None:
        """The row's key, or None when a cell of it failed or is empty (no key to compare)."""
        values = row.values
        key = tuple([values.get(c) for c in self.key_columns])
        return None if None in key else key

    def check(self, values: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Cross-field rules of one row: (column, code, message) for each broken one."""
        return []

    def resolve(self, rows: list[Row], ctx: Context) -> list[RowError]:
        return []

    def apply(self, rows: list[Row], ctx: Context, write: bool) -> Counts:
        raise NotImplementedError

    def finish(self, ctx: Context, write: bool) -> tuple[Counts, list[RowError]]:
        """Whole-file rules and deferred writes, once every row has been seen."""
        return Counts(), []

    def export_rows(self):
        raise NotImplementedError


def _account_refs(rows: list[Row], ctx: Context, column: str = "account_external_id") -> list[RowError]:
    ctx.load_accounts({v for r in rows if (v := r.values.get(column)) is not None})
    errors = []
    for row in rows:
        ext = row.values.get(column)
        if ext is None:  # its cell failed: already an error
            continue
        if ext in ctx.accounts:
            row.ids["account_id"] = ctx.accounts[ext]
        else:
            errors.append(
                RowError(row.line, column, ext, Code.UNKNOWN_REFERENCE, "no account has this external_id")
            )
    return errors


def _user_refs(rows: list[Row], ctx: Context, column: str, id_name: str, role: str | None) -> list[RowError]:
    ctx.load_users({v for r in rows if (v := r.values.get(column))})
    errors = []
    for row in rows:
        email = row.values.get(column)
        if email is None:
            continue
        found = ctx.users.get(email)
        if found is None:
            errors.append(
                RowError(row.line, column, email, Code.UNKNOWN_REFERENCE, "no person has this email")
            )
        elif role and found[1] != role:
            errors.append(
                RowError(
                    row.line, column, email, Code.WRONG_ROLE, f"this person is a {found[1]}, not a {role}"
                )
            )
        else:
            row.ids[id_name] = found[0]
    return errors


def _iso(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


_PG_TYPES: dict[str, list[str]] = {}


def _staging_table(cursor, table: str, columns: list[str]) -> str:
    """A temporary table shaped like ``columns`` of ``table``, emptied, for this transaction."""
    qn = connection.ops.quote_name
    staging = qn(f"staging_{table}")
    cols = ", ".join(qn(c) for c in columns)
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS SELECT {cols} FROM {qn(table)} WITH NO DATA"
    )
    cursor.execute(f"TRUNCATE {staging}")
    key = f"{table}:{cols}"
    if key not in _PG_TYPES:
        cursor.execute(
            "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            [table],
        )
        found = dict(cursor.fetchall())
        _PG_TYPES[key] = ["text" if found[c] == "character varying" else found[c] for c in columns]
    return staging


def _copy_rows(cursor, staging: str, table: str, columns: list[str], params: list[tuple]) -> None:
    """Binary COPY of the batch into the staging table (typed once per table, no text round trip)."""
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with cursor.cursor.copy(f"COPY {staging} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_PG_TYPES[f"{table}:{cols}"])
        for row in params:
            copy.write_row(row)


def merge_rows(
    model: type[models.Model], key_fields: tuple[str, ...], fields: list[str], rows: list[dict], write: bool
) -> tuple[int, int]:
    """PostgreSQL, one statement per batch: insert new rows, update changed ones, leave the rest.

    ``RETURNING (xmax = 0)`` tells inserted from updated rows; unchanged rows are not touched. On a
    dry run the statement runs inside a savepoint that is rolled back, so the counts are exact and
    nothing stays written. Returns (created, updated).
    """
    qn = connection.ops.quote_name
    meta = model._meta
    table = meta.db_table
    columns = [meta.get_field(f).column for f in fields]
    keys = [meta.get_field(f).column for f in key_fields]
    others = [c for c in columns if c not in keys]
    cols = ", ".join(qn(c) for c in columns)
    target = qn(table)
    sql = (
        f"INSERT INTO {target} AS t ({cols}) SELECT {cols} FROM {{staging}} "
        f"ON CONFLICT ({', '.join(qn(k) for k in keys)}) DO UPDATE SET "
        + ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in others)
        + f" WHERE ({', '.join('t.' + qn(c) for c in others)}) IS DISTINCT FROM "
        f"({', '.join('excluded.' + qn(c) for c in others)}) RETURNING (xmax = 0)"
    )
    pick = itemgetter(*fields)  # a tuple: there are always several fields
    params = [pick(row) for row in rows]
    # The COPY goes through psycopg directly: wrap its errors as Django's (DatabaseError & co.).
    with connection.wrap_database_errors, connection.cursor() as cursor:
        staging = _staging_table(cursor, table, columns)
        _copy_rows(cursor, staging, table, columns, params)
        sid = None if write else transaction.savepoint()
        cursor.execute(sql.format(staging=staging))
        flags = [r[0] for r in cursor.fetchall()]
        if sid is not None:
            transaction.savepoint_rollback(sid)
    created = sum(1 for f in flags if f)
    return created, len(flags) - created


class FactKind(Kind):
    """A kind stored in one table and merged on its key (``merge_rows``)."""

    model: type[models.Model]
    # Model field of each column (account_external_id -> account_id is resolved, not copied).
    fields: dict[str, str]
    key_fields: tuple[str, ...]

    def model_values(self, row: Row) -> dict[str, Any]:
        ids, values = row.ids, row.values
        out = {f: ids[f] if f in ids else values[c] for c, f in self.fields.items()}
        # Text columns store '' rather than NULL for "empty".
        for name in self.blank_text_fields:
            if out.get(name) is None:
                out[name] = ""
        return out

    blank_text_fields: tuple[str, ...] = ()

    def resolve(self, rows: list[Row], ctx: Context) -> list[RowError]:
        return _account_refs(rows, ctx)

    def apply(self, rows: list[Row], ctx: Context, write: bool) -> Counts:
        counts = Counts()
        wanted = [self.model_values(r) for r in rows]
        counts.created, counts.updated = merge_rows(
            self.model, self.key_fields, list(self.fields.values()), wanted, write
        )
        counts.unchanged = len(wanted) - counts.created - counts.updated
        return counts

    def export_queryset(self):
        return self.model.objects.select_related("account").order_by(*self.key_fields)

    def export_rows(self):
        for obj in self.export_queryset().iterator(chunk_size=5000):
            row = {}
            for column in self.column_names:
                fieldname = self.fields[column]
                if column == "account_external_id":
                    row[column] = obj.account.external_id
                elif column == "csm_email":
                    row[column] = obj.csm.email
                else:
                    row[column] = _iso(getattr(obj, fieldname))
            yield row


class AssignmentsKind(FactKind):
    name = "assignments"
    model = Assignment
    columns = (
        Column("account_external_id", text(100)),
        Column("csm_email", parse_email),
        Column("start_date", parse_date),
    )
    key_columns = ("account_external_id", "start_date")
    fields = {"account_external_id": "account_id", "csm_email": "csm_id", "start_date": "start_date"}
    key_fields = ("account_id", "start_date")
    dated_columns = ("start_date",)
    lasting = True

    def resolve(self, rows, ctx):
        return _account_refs(rows, ctx) + _user_refs(rows, ctx, "csm_email", "csm_id", Role.CSM)

    def export_queryset(self):
        return Assignment.objects.select_related("account", "csm").order_by(
            "account__external_id", "start_date"
        )


class RevenueEventsKind(FactKind):
    name = "revenue"
    model = RevenueEvent
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100)),
        Column("date", parse_date),
        Column("kind", choice(RevenueKind.values)),
        Column("mrr_delta", parse_money),
    )
    key_columns = ("external_id",)
    fields = {
        "external_id": "external_id",
        "account_external_id": "account_id",
        "date": "date",
        "kind": "kind",
        "mrr_delta": "mrr_delta",
    }
    key_fields = ("external_id",)
    dated_columns = ("date",)
    lasting = True  # MRR(a, t) sums every earlier event

    SEEN = "import_revenue_rows"

    def __init__(self) -> None:
        self.ready = False

    def check(self, values):
        kind, delta = values["kind"], values["mrr_delta"]
        if kind in POSITIVE_REVENUE_KINDS and delta <= 0:
            return [("mrr_delta", Code.SIGN_MISMATCH, f"must be greater than 0 for kind {kind}")]
        if kind == "renewal" and delta < 0:
            return [("mrr_delta", Code.SIGN_MISMATCH, "must be 0 or more for kind renewal")]
        if kind in NEGATIVE_REVENUE_KINDS and delta >= 0:
            return [("mrr_delta", Code.SIGN_MISMATCH, f"must be less than 0 for kind {kind}")]
        return []

    def apply(self, rows, ctx, write):
        """Each row's account, date and amount go to a temporary table of the load (not to memory):
        ``finish`` checks the balances across the file and the database there."""
        with connection.wrap_database_errors, connection.cursor() as cursor:
            if not self.ready:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.SEEN} (line integer, account_id bigint, "
                    "external_id text, day date, delta numeric(14, 2)) ON COMMIT DROP"
                )
                cursor.execute(f"TRUNCATE {self.SEEN}")
                self.ready = True
            with cursor.cursor.copy(
                f"COPY {self.SEEN} (line, account_id, external_id, day, delta) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["integer", "bigint", "text", "date", "numeric"])
                for r in rows:
                    v = r.values
                    copy.write_row((r.line, r.ids["account_id"], v["external_id"], v["date"], v["mrr_delta"]))
        return super().apply(rows, ctx, write)

    def finish(self, ctx, write):
        """MRR never below 0, across the file and the database together (docs/data-contract.md, revenue):
        per account of the file, its events (the file's, and the stored ones the file does not
        replace) summed day by day; the first day its balance falls below 0 is blamed on the file's
        latest row up to that day (by date, then row)."""
        if not self.ready:
            return Counts(), []
        seen, events = self.SEEN, RevenueEvent._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {seen}_ext ON {seen} (external_id)")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {seen}_day ON {seen} (account_id, day, line)")
            cursor.execute(f"ANALYZE {seen}")
            cursor.execute(
                f"""
                WITH accounts AS (SELECT DISTINCT account_id FROM {seen}),
                movements AS (
                    SELECT account_id, day, delta FROM {seen}
                    UNION ALL
                    SELECT e.account_id, e.date, e.mrr_delta FROM {events} e
                    JOIN accounts a ON a.account_id = e.account_id
                    WHERE NOT EXISTS (SELECT 1 FROM {seen} s WHERE s.external_id = e.external_id)
                ),
                per_day AS (SELECT account_id, day, sum(delta) AS delta FROM movements GROUP BY 1, 2),
                running AS (
                    SELECT account_id, day,
                           sum(delta) OVER (PARTITION BY account_id ORDER BY day) AS balance
                    FROM per_day
                ),
                first_below AS (
                    SELECT DISTINCT ON (account_id) account_id, day, balance
                    FROM running WHERE balance < 0 ORDER BY account_id, day
                )
                SELECT f.account_id, f.day, f.balance,
                       COALESCE(c.line, d.line), COALESCE(c.delta, d.delta)
                FROM first_below f
                LEFT JOIN LATERAL (
                    SELECT line, delta FROM {seen} r WHERE r.account_id = f.account_id AND r.day <= f.day
                    ORDER BY r.day DESC, r.line DESC LIMIT 1
                ) c ON true
                LEFT JOIN LATERAL (
                    SELECT line, delta FROM {seen} r WHERE r.account_id = f.account_id ORDER BY r.line LIMIT 1
                ) d ON true
                ORDER BY 4
                """
            )
            found = cursor.fetchall()
        names = {v: k for k, v in ctx.accounts.items()} if found else {}
        errors = [
            RowError(
                line,
                "mrr_delta",
                str(delta),
                Code.MRR_BELOW_ZERO,
                f"takes the MRR of account {names.get(account_id, account_id)} below 0 "
                f"({balance} after {day.isoformat()})",
            )
            for account_id, day, balance, line, delta in found
        ]
        return Counts(), errors


class TicketsKind(FactKind):
    name = "tickets"
    model = Ticket
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100)),
        Column("opened_at", parse_datetime),
        Column("first_response_at", parse_datetime, required=False),
        Column("resolved_at", parse_datetime, required=False),
        Column("customer_contacts", integer(1), required=False),
        Column("escalated_at", parse_datetime, required=False),
        Column("priority", choice(Priority.values)),
        Column("channel", text(50), required=False),
    )
    key_columns = ("external_id",)
    fields = {
        c: c
        for c in (
            "external_id",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "customer_contacts",
            "escalated_at",
            "priority",
            "channel",
        )
    } | {"account_external_id": "account_id"}
    key_fields = ("external_id",)
    blank_text_fields = ("channel",)
    dated_columns = ("opened_at",)  # tickets count in the period they were opened in

    def check(self, values):
        problems = []
        opened = values["opened_at"]
        for column in ("first_response_at", "resolved_at", "escalated_at"):
            if values[column] is not None and values[column] < opened:
                problems.append((column, Code.BEFORE_OPENED, "must not be before opened_at"))
        if values["resolved_at"] is None and values["customer_contacts"] is not None:
            problems.append(
                ("customer_contacts", Code.MUST_BE_EMPTY, "must be empty while the ticket is unresolved")
            )
        if values["resolved_at"] is not None and values["customer_contacts"] is None:
            problems.append(("customer_contacts", Code.REQUIRED, "is required once the ticket is resolved"))
        return problems


class SurveysKind(FactKind):
    name = "surveys"
    model = SurveyResponse
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100)),
        Column("responded_at", parse_datetime),
        Column("kind", choice(SurveyKind.values)),
        Column("score", integer(-32768, 32767)),  # the column's range; then per kind, in check()
        Column("comment", text(5000, free=True), required=False, optional_column=True),
    )
    key_columns = ("external_id",)
    fields = {c: c for c in ("external_id", "responded_at", "kind", "score", "comment")} | {
        "account_external_id": "account_id"
    }
    key_fields = ("external_id",)
    blank_text_fields = ("comment",)
    dated_columns = ("responded_at",)

    def check(self, values):
        low, high = (0, 10) if values["kind"] == "nps" else (1, 5)
        if not low <= values["score"] <= high:
            return [
                ("score", Code.OUT_OF_RANGE, f"must be between {low} and {high} for kind {values['kind']}")
            ]
        return []


class UsageKind(FactKind):
    name = "usage"
    model = UsageSnapshot
    columns = (
        Column("account_external_id", text(100)),
        Column("date", parse_date),
        Column("licensed_seats", integer(0)),
        Column("dau", integer(0)),
        Column("mau", integer(0)),
        Column("features_used", integer(0)),
        Column("features_available", integer(0)),
    )
    key_columns = ("account_external_id", "date")
    fields = {
        c: c for c in ("date", "licensed_seats", "dau", "mau", "features_used", "features_available")
    } | {"account_external_id": "account_id"}
    key_fields = ("account_id", "date")
    dated_columns = ("date",)

    def check(self, values):
        problems = []
        if values["dau"] > values["mau"]:
            problems.append(("dau", Code.GREATER_THAN, "must not be greater than mau"))
        if values["features_used"] > values["features_available"]:
            problems.append(
                ("features_used", Code.GREATER_THAN, "must not be greater than features_available")
            )
        return problems


class HealthKind(FactKind):
    name = "health"
    model = HealthSnapshot
    columns = (
        Column("account_external_id", text(100)),
        Column("date", parse_date),
        Column("score", integer(0, 100)),
        Column("band", choice(HealthBand.values), required=False),
    )
    key_columns = ("account_external_id", "date")
    fields = {"account_external_id": "account_id", "date": "date", "score": "score", "band": "band"}
    key_fields = ("account_id", "date")
    dated_columns = ("date",)
    blank_text_fields = ("band",)


class AdvocacyEventsKind(FactKind):
    name = "advocacy"
    model = AdvocacyEvent
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100)),
        Column("date", parse_date),
        Column("kind", choice(AdvocacyKind.values)),
    )
    key_columns = ("external_id",)
    fields = {
        "external_id": "external_id",
        "account_external_id": "account_id",
        "date": "date",
        "kind": "kind",
    }
    key_fields = ("external_id",)
    dated_columns = ("date",)


class TouchpointsKind(FactKind):
    name = "touchpoints"
    model = Touchpoint
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100)),
        Column("csm_email", parse_email),
        Column("occurred_at", parse_datetime),
        Column("kind", choice(TouchpointKind.values)),
    )
    key_columns = ("external_id",)
    fields = {
        "external_id": "external_id",
        "account_external_id": "account_id",
        "csm_email": "csm_id",
        "occurred_at": "occurred_at",
        "kind": "kind",
    }
    key_fields = ("external_id",)
    dated_columns = ("occurred_at",)

    def resolve(self, rows, ctx):
        return _account_refs(rows, ctx) + _user_refs(rows, ctx, "csm_email", "csm_id", None)

    def export_queryset(self):
        return Touchpoint.objects.select_related("account", "csm").order_by("external_id")


class PeopleKind(Kind):
    """People and teams. Small files: rows are gathered, then checked and written together."""

    name = "people"
    columns = (
        Column("email", parse_email),
        Column("name", text(200)),
        Column("role", choice(PERSON_ROLES)),
        Column("team", text(120), required=False),
        Column("manager_email", parse_email, required=False),
        Column("segment", choice(Segment.values), required=False),
    )
    key_columns = ("email",)

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def check(self, values):
        if values["role"] == Role.CSM and not values["segment"]:
            return [("segment", Code.REQUIRED, "is required for a CSM")]
        if values["role"] != Role.CSM and values["segment"]:
            return [("segment", Code.MUST_BE_EMPTY, "is for CSMs only")]
        if values["role"] != Role.CSM and values["manager_email"]:
            return [("manager_email", Code.MUST_BE_EMPTY, "is for CSMs only")]
        return []

    def apply(self, rows, ctx, write):
        self.rows.extend(rows)
        return Counts()

    def finish(self, ctx, write):
        errors: list[RowError] = []
        teams = {t.name: t for t in Team.objects.select_related("manager")}
        # Managers named by this file win over the database.
        managers: dict[str, tuple[str, int]] = {
            name: (t.manager.email, 0) for name, t in teams.items() if t.manager
        }
        claimed: dict[str, int] = {}
        for row in self.rows:
            v = row.values
            if v["role"] == Role.MANAGER and v["team"]:
                if v["team"] in claimed:
                    errors.append(
                        RowError(
                            row.line,
                            "team",
                            v["team"],
                            Code.TEAM_MANAGER_CONFLICT,
                            f"this team already gets a manager on row {claimed[v['team']]}",
                        )
                    )
                    continue
                claimed[v["team"]] = row.line
                managers[v["team"]] = (v["email"], row.line)
        for row in self.rows:
            v = row.values
            if v["manager_email"]:
                expected = managers.get(v["team"] or "")
                if expected is None or expected[0] != v["manager_email"]:
                    who = expected[0] if expected else "nobody"
                    errors.append(
                        RowError(
                            row.line,
                            "manager_email",
                            v["manager_email"],
                            Code.NOT_TEAM_MANAGER,
                            f"is not the manager of team {v['team'] or '(none)'} (its manager is {who})",
                        )
                    )
        counts = Counts()
        if errors:
            return counts, errors
        existing = {u.email: u for u in User.objects.filter(email__in=[r.values["email"] for r in self.rows])}
        for row in self.rows:
            v = row.values
            team = None
            if v["team"]:
                team = teams.get(v["team"])
                if team is None:
                    team = Team(name=v["team"])
                    if write:
                        team.save()
                    teams[v["team"]] = team
            wanted = {
                "name": v["name"],
                "role": v["role"],
                "segment": v["segment"] or "",
                "team_id": team.pk if (team and v["role"] == Role.CSM) else None,
                "is_staff": v["role"] == Role.ADMIN,
            }
            user = existing.get(v["email"])
            if user is None:
                counts.created += 1
                user = User(email=v["email"], **wanted)
                user.set_unusable_password()
                if write:
                    user.save()
            elif any(getattr(user, k) != val for k, val in wanted.items() if k != "team_id") or (
                wanted["team_id"] != user.team_id and v["role"] == Role.CSM
            ):
                counts.updated += 1
                for k, val in wanted.items():
                    setattr(user, k, val)
                if write:
                    user.save()
            else:
                counts.unchanged += 1
            if write and v["role"] == Role.MANAGER and team is not None and team.manager_id != user.pk:
                team.manager = user
                team.save(update_fields=["manager"])
        return counts, errors

    def export_rows(self):
        for user in User.objects.select_related("team", "team__manager").order_by("email"):
            team = user.team.name if user.team else ""
            if user.role == Role.MANAGER:
                managed = user.managed_teams.order_by("name").first()
                team = managed.name if managed else ""
            yield {
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "team": team,
                "manager_email": user.team.manager.email if user.team and user.team.manager else "",
                "segment": user.segment,
            }


class AccountsKind(Kind):
    """Accounts and their current owner. A new account's first assignment starts on ``signed_on``;
    another ``csm_email`` later adds an assignment starting on the load date (history kept)."""

    name = "accounts"
    columns = (
        Column("external_id", text(100)),
        Column("name", text(200)),
        Column("segment", choice(Segment.values)),
        Column("signed_on", parse_date),
        Column("onboarding_completed_on", parse_date, required=False),
        Column("csm_email", parse_email, required=False),
    )
    key_columns = ("external_id",)
    FIELDS = ("name", "segment", "signed_on", "onboarding_completed_on")
    dated_columns = ("signed_on", "onboarding_completed_on")
    lasting = True  # an account's attributes and owner hold from then on

    def check(self, values):
        done = values["onboarding_completed_on"]
        if done is not None and done < values["signed_on"]:
            return [("onboarding_completed_on", Code.BEFORE_SIGNED, "must not be before signed_on")]
        return []

    def resolve(self, rows, ctx):
        return _user_refs(rows, ctx, "csm_email", "csm_id", Role.CSM)

    def apply(self, rows, ctx, write):
        counts = Counts()
        today = ctx.today
        existing = {
            a["external_id"]: a
            for a in CustomerAccount.objects.filter(external_id__in=[r.values["external_id"] for r in rows])
            .with_owner_on(today)
            .values("id", "external_id", "owner_id_on", *self.FIELDS)
        }
        upserts, new_owner = [], []
        for row in rows:
            v = row.values
            before = existing.get(v["external_id"])
            csm_id = row.ids.get("csm_id")
            if before is None:
                counts.created += 1
                upserts.append(row)
                if csm_id:
                    new_owner.append((v["external_id"], csm_id, v["signed_on"]))
                continue
            changed = any(before[f] != v[f] for f in self.FIELDS)
            moved = csm_id is not None and before["owner_id_on"] != csm_id
            if changed:
                upserts.append(row)
            if moved:
                new_owner.append((v["external_id"], csm_id, max(today, v["signed_on"])))
            if changed or moved:
                counts.updated += 1
            else:
                counts.unchanged += 1
        if write and upserts:
            CustomerAccount.objects.bulk_create(
                [
                    CustomerAccount(
                        external_id=r.values["external_id"], **{f: r.values[f] for f in self.FIELDS}
                    )
                    for r in upserts
                ],
                update_conflicts=True,
                unique_fields=["external_id"],
                update_fields=list(self.FIELDS),
            )
        if write and new_owner:
            ids = dict(
                CustomerAccount.objects.filter(external_id__in=[e for e, _, _ in new_owner]).values_list(
                    "external_id", "id"
                )
            )
            Assignment.objects.bulk_create(
                [Assignment(account_id=ids[e], csm_id=c, start_date=d) for e, c, d in new_owner],
                update_conflicts=True,
                unique_fields=["account", "start_date"],
                update_fields=["csm"],
            )
        return counts

    def export_rows(self):
        today = timezone.localdate()
        owners = dict(User.objects.values_list("pk", "email"))
        for account in (
            CustomerAccount.objects.with_owner_on(today).order_by("external_id").iterator(chunk_size=5000)
        ):
            yield {
                "external_id": account.external_id,
                "name": account.name,
                "segment": account.segment,
                "signed_on": account.signed_on.isoformat(),
                "onboarding_completed_on": _iso(account.onboarding_completed_on),
                "csm_email": owners.get(account.owner_id_on, ""),
            }


class SourceAccountsKind(FactKind):
    """The account crosswalk: a source system's account id is this account of ours."""

    name = "source_accounts"
    model = SourceAccount
    columns = (
        Column("source", source_name),
        Column("source_id", text(100)),
        Column("account_external_id", text(100)),
    )
    key_columns = ("source", "source_id")
    fields = {"source": "source", "source_id": "source_id", "account_external_id": "account_id"}
    key_fields = ("source", "source_id")

    def export_queryset(self):
        return SourceAccount.objects.select_related("account").order_by("source", "source_id")


class SourceOwnersKind(FactKind):
    """The owner crosswalk: a source system's owner id is this person (by email)."""

    name = "source_owners"
    model = SourceOwner
    columns = (
        Column("source", source_name),
        Column("source_id", text(100)),
        Column("email", parse_email),
    )
    key_columns = ("source", "source_id")
    fields = {"source": "source", "source_id": "source_id", "email": "person_id"}
    key_fields = ("source", "source_id")

    def resolve(self, rows, ctx):
        return _user_refs(rows, ctx, "email", "person_id", None)

    def export_rows(self):
        for entry in SourceOwner.objects.select_related("person").order_by("source", "source_id"):
            yield {"source": entry.source, "source_id": entry.source_id, "email": entry.person.email}


KINDS: dict[str, type[Kind]] = {
    k.name: k
    for k in (
        PeopleKind,
        AccountsKind,
        AssignmentsKind,
        RevenueEventsKind,
        TicketsKind,
        SurveysKind,
        UsageKind,
        HealthKind,
        AdvocacyEventsKind,
        TouchpointsKind,
        SourceAccountsKind,
        SourceOwnersKind,
    )
}
# The load order of references: people -> accounts -> assignments -> the rest.
LOAD_ORDER = tuple(KINDS)


def kind_for(name: str) -> Kind:
    return KINDS[name]()


def kind_label(name: str) -> str:
    """A kind of data as the admin pages name its rows: "People", "Revenue events", "Account
    crosswalk"; the name itself when it is no kind."""
    model = {"people": User, "accounts": CustomerAccount}.get(name) or getattr(KINDS.get(name), "model", None)
    return capfirst(model._meta.verbose_name_plural) if model else name
