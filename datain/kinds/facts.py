"""The kinds of the facts (docs/data-contract.md): revenue events, tickets, survey responses, usage
and health snapshots, advocacy events, touchpoints."""

from __future__ import annotations

from django.db import connection

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
from core.said import said
from datain import words as w
from datain.kinds.base import Counts, FactKind, account_refs, user_refs
from datain.validation import (
    Code,
    Column,
    RowError,
    choice,
    integer,
    parse_date,
    parse_datetime,
    parse_email,
    parse_money,
    text,
)


class RevenueEventsKind(FactKind):
    name = "revenue"
    model = RevenueEvent
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100), field="account_id"),
        Column("date", parse_date),
        Column("kind", choice(RevenueKind.values)),
        Column("mrr_delta", parse_money),
    )
    key_columns = ("external_id",)
    lasting = True  # MRR(a, t) sums every earlier event

    SEEN = "import_revenue_rows"

    def __init__(self) -> None:
        self.ready = False

    def check(self, values):
        kind, delta = values["kind"], values["mrr_delta"]
        if kind in POSITIVE_REVENUE_KINDS and delta <= 0:
            return [
                (
                    "mrr_delta",
                    Code.SIGN_MISMATCH,
                    said(w.ABOVE_ZERO_FOR_KIND, kind=kind),
                )
            ]
        if kind == "renewal" and delta < 0:
            return [("mrr_delta", Code.SIGN_MISMATCH, said(w.NOT_NEGATIVE_FOR_RENEWAL))]
        if kind in NEGATIVE_REVENUE_KINDS and delta >= 0:
            return [("mrr_delta", Code.SIGN_MISMATCH, said(w.BELOW_ZERO_FOR_KIND, kind=kind))]
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
                said(
                    w.MRR_BELOW_ZERO,
                    account=str(names.get(account_id, account_id)),
                    balance=str(balance),
                    day=day.isoformat(),
                ),
            )
            for account_id, day, balance, line, delta in found
        ]
        return Counts(), errors


class TicketsKind(FactKind):
    name = "tickets"
    model = Ticket
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100), field="account_id"),
        Column("opened_at", parse_datetime),
        Column("first_response_at", parse_datetime, required=False),
        Column("resolved_at", parse_datetime, required=False),
        Column("customer_contacts", integer(1), required=False),
        Column("escalated_at", parse_datetime, required=False),
        Column("priority", choice(Priority.values)),
        Column("channel", text(50), required=False),
    )
    key_columns = ("external_id",)

    def check(self, values):
        problems = []
        opened = values["opened_at"]
        for column in ("first_response_at", "resolved_at", "escalated_at"):
            if values[column] is not None and values[column] < opened:
                problems.append((column, Code.BEFORE_OPENED, said(w.BEFORE_OPENED)))
        if values["resolved_at"] is None and values["customer_contacts"] is not None:
            problems.append(("customer_contacts", Code.MUST_BE_EMPTY, said(w.EMPTY_WHILE_UNRESOLVED)))
        if values["resolved_at"] is not None and values["customer_contacts"] is None:
            problems.append(("customer_contacts", Code.REQUIRED, said(w.REQUIRED_ONCE_RESOLVED)))
        return problems


class SurveysKind(FactKind):
    name = "surveys"
    model = SurveyResponse
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100), field="account_id"),
        Column("responded_at", parse_datetime),
        Column("kind", choice(SurveyKind.values)),
        Column("score", integer(-32768, 32767)),  # the column's range; then per kind, in check()
        Column("comment", text(5000, free=True), required=False, optional_column=True),
    )
    key_columns = ("external_id",)

    def check(self, values):
        low, high = (0, 10) if values["kind"] == "nps" else (1, 5)
        if not low <= values["score"] <= high:
            return [
                (
                    "score",
                    Code.OUT_OF_RANGE,
                    said(w.SCORE_BETWEEN, low=low, high=high, kind=values["kind"]),
                )
            ]
        return []


class UsageKind(FactKind):
    name = "usage"
    model = UsageSnapshot
    columns = (
        Column("account_external_id", text(100), field="account_id"),
        Column("date", parse_date),
        Column("licensed_seats", integer(0)),
        Column("dau", integer(0)),
        Column("mau", integer(0)),
        Column("features_used", integer(0)),
        Column("features_available", integer(0)),
    )
    key_columns = ("account_external_id", "date")

    def check(self, values):
        problems = []
        if values["dau"] > values["mau"]:
            problems.append(("dau", Code.GREATER_THAN, said(w.DAU_ABOVE_MAU)))
        if values["features_used"] > values["features_available"]:
            problems.append(("features_used", Code.GREATER_THAN, said(w.FEATURES_ABOVE_AVAILABLE)))
        return problems


class HealthKind(FactKind):
    name = "health"
    model = HealthSnapshot
    columns = (
        Column("account_external_id", text(100), field="account_id"),
        Column("date", parse_date),
        Column("score", integer(0, 100)),
        Column("band", choice(HealthBand.values), required=False),
    )
    key_columns = ("account_external_id", "date")


class AdvocacyEventsKind(FactKind):
    name = "advocacy"
    model = AdvocacyEvent
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100), field="account_id"),
        Column("date", parse_date),
        Column("kind", choice(AdvocacyKind.values)),
    )
    key_columns = ("external_id",)


class TouchpointsKind(FactKind):
    name = "touchpoints"
    model = Touchpoint
    columns = (
        Column("external_id", text(100)),
        Column("account_external_id", text(100), field="account_id"),
        Column("csm_email", parse_email, field="csm_id"),
        Column("occurred_at", parse_datetime),
        Column("kind", choice(TouchpointKind.values)),
    )
    key_columns = ("external_id",)

    def resolve(self, rows, ctx):
        return account_refs(rows, ctx) + user_refs(rows, ctx, "csm_email", "csm_id", None)
