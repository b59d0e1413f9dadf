"""Zendesk Support tickets and their ticket metrics → ``tickets``.

Reads what the Tickets API answers with its metric sets sideloaded (``GET /api/v2/tickets.json?
include=metric_sets``, or the incremental export ``/api/v2/incremental/tickets/cursor.json?
include=metric_sets``): ``{"tickets": [...], "metric_sets": [...]}``, one page or a list of pages.
The metrics may also come as ``ticket_metrics`` (``GET /api/v2/ticket_metrics.json``) or embedded
in each ticket as ``metric_set``.

- ``external_id`` = ``zendesk:`` + ticket ``id``; ``opened_at`` = ``created_at``.
- ``first_response_at`` = ``created_at`` + ``reply_time_in_minutes.calendar`` (empty without a
  reply).
- ``resolved_at`` = the metric set's ``solved_at`` while the ticket is ``solved`` or ``closed``; a
  reopened ticket that is open again is unresolved.
- ``customer_contacts`` = 1 + ``reopens`` once resolved: Zendesk does not count the customer's
  contacts; each reopen is taken as one more (an approximation: docs/data-contract.md, "Data from other systems").
- ``escalated_at``: when the ticket matches ``ZENDESK_ESCALATION`` (a tag, a group, priority
  urgent), the metric set's ``assigned_at`` (its latest assignment), else its ``created_at``: the
  exact moment needs the ticket's audits, which are not read.
- ``priority``: ``urgent/high/normal/low``; a ticket without one (null) is ``normal``.
- ``channel`` = ``via.channel``. The account: ``organization_id`` through the account crosswalk. A
  ticket of no organization, or deleted, is skipped (counted in the summary).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from core.said import said
from datain import words as w
from datain.sources.base import (
    Bad,
    Crosswalks,
    Item,
    Mapped,
    Problem,
    Shape,
    Skipped,
    dig,
    iso,
    not_a_record,
    plus_minutes,
    records_of,
    source_datetime,
    whole_number,
)

PRIORITIES = {"urgent", "high", "normal", "low"}
RESOLVED = {"solved", "closed"}

FIELDS = {
    "tickets": {
        "external_id": "id",
        "account_external_id": "organization_id",
        "opened_at": "created_at",
        "first_response_at": "created_at + metric_set.reply_time_in_minutes.calendar",
        "resolved_at": "metric_set.solved_at",
        "customer_contacts": "1 + metric_set.reopens",
        "escalated_at": "metric_set.assigned_at (escalation rule)",
        "priority": "priority",
        "channel": "via.channel",
    }
}


@dataclass(frozen=True)
class EscalationRule:
    """``ZENDESK_ESCALATION``: comma-separated ``tag:NAME``, ``group:ID``, ``priority:urgent``."""

    tags: frozenset[str]
    groups: frozenset[str]
    urgent: bool

    @classmethod
    def parse(cls, text: str) -> EscalationRule:
        tags, groups, urgent = set(), set(), False
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            what, _, value = part.partition(":")
            what, value = what.strip().lower(), value.strip()
            if what == "tag" and value:
                tags.add(value)
            elif what == "group" and value:
                groups.add(value)
            elif what == "priority" and value.lower() == "urgent":
                urgent = True
            else:
                raise ValueError(f"ZENDESK_ESCALATION: {part!r} is not tag:NAME, group:ID or priority:urgent")
        return cls(frozenset(tags), frozenset(groups), urgent)

    def matches(self, ticket: dict[str, Any]) -> bool:
        tags = ticket.get("tags") or []
        if isinstance(tags, list) and self.tags.intersection(str(t) for t in tags):
            return True
        if ticket.get("group_id") is not None and str(ticket["group_id"]) in self.groups:
            return True
        return self.urgent and ticket.get("priority") == "urgent"


def tickets_and_metrics(payload: Any) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    """The tickets of a payload and their metric sets by ticket id."""
    pages = (
        payload
        if isinstance(payload, list) and payload and isinstance(payload[0], dict) and "tickets" in payload[0]
        else [payload]
    )
    tickets: list[Any] = []
    metrics: dict[str, dict[str, Any]] = {}
    for page in pages:
        tickets.extend(records_of(page, ("tickets", "ticket")))
        if isinstance(page, dict):
            for key in ("metric_sets", "ticket_metrics"):
                sets = page.get(key) or []
                if not isinstance(sets, list):
                    raise Shape(said(w.NOT_A_KEY_LIST, key=key))
                for metric in sets:
                    if isinstance(metric, dict) and metric.get("ticket_id") is not None:
                        metrics[str(metric["ticket_id"])] = metric
    return tickets, metrics


class Zendesk:
    name = "zendesk"
    title = "Zendesk"
    fields = FIELDS

    def normalise(self, source_id: str) -> str:
        return source_id

    def items(self, kind: str, payload: Any, crosswalks: Crosswalks) -> Iterator[Item]:
        rule = EscalationRule.parse(settings.ZENDESK_ESCALATION)
        tickets, metrics = tickets_and_metrics(payload)
        for line, ticket in enumerate(tickets, start=1):
            if not isinstance(ticket, dict):
                yield not_a_record(line)
                continue
            label = said(w.L_TICKET, id=ticket.get("id"), line=line)
            if ticket.get("status") == "deleted":
                yield Skipped(label, w.DELETED_TICKETS)
                continue
            if ticket.get("organization_id") in (None, ""):
                yield Skipped(label, w.NO_ORGANIZATION)
                continue
            metric = ticket.get("metric_set") or metrics.get(str(ticket.get("id")))
            try:
                cells = self.ticket(ticket, metric if isinstance(metric, dict) else {}, rule, crosswalks)
            except Bad as bad:
                yield Problem(
                    line,
                    label,
                    bad.field,
                    bad.value,
                    bad.code,
                    said(w.FIELD_PROBLEM, field=bad.field, problem=bad.message),
                )
                continue
            yield Mapped(line, label, cells)

    def ticket(
        self, ticket: dict[str, Any], metric: dict[str, Any], rule: EscalationRule, crosswalks: Crosswalks
    ) -> dict[str, str]:
        if ticket.get("id") in (None, ""):
            raise Bad("id", "", said(w.MISSING))
        opened = source_datetime(ticket.get("created_at"), "created_at")
        minutes = whole_number(
            dig(metric, "reply_time_in_minutes.calendar"), "metric_set.reply_time_in_minutes.calendar", 0
        )
        first_response = None
        if opened is not None and minutes is not None:
            first_response = plus_minutes(opened, minutes, "metric_set.reply_time_in_minutes.calendar")
        resolved = None
        contacts = ""
        if str(ticket.get("status")) in RESOLVED:
            resolved = source_datetime(metric.get("solved_at"), "metric_set.solved_at")
            if resolved is not None:
                reopens = whole_number(metric.get("reopens"), "metric_set.reopens", 0) or 0
                contacts = str(1 + reopens)
        escalated = None
        if rule.matches(ticket):
            escalated = source_datetime(metric.get("assigned_at"), "metric_set.assigned_at") or opened
            if escalated is not None and opened is not None and escalated < opened:
                escalated = opened
        priority = ticket.get("priority")
        if priority is None or priority == "":
            priority = "normal"  # Zendesk leaves priority empty unless an agent sets one
        channel = dig(ticket, "via.channel")
        return {
            "external_id": f"zendesk:{ticket['id']}",
            "account_external_id": crosswalks.account(ticket["organization_id"]),
            "opened_at": iso(opened),
            "first_response_at": iso(first_response),
            "resolved_at": iso(resolved),
            "customer_contacts": contacts,
            "escalated_at": iso(escalated),
            "priority": str(priority),
            "channel": "" if channel is None else str(channel),
        }
