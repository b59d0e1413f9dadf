"""ChartMogul activities → ``revenue``.

Reads what ``GET /v1/activities`` answers (``{"entries": [...], "has_more", "cursor"}``), one page or
a list of pages, or a bare list of activities. One activity, one revenue event:

- ``external_id`` = ``chartmogul:`` + ``uuid``; ``date`` = the organisation's day of ``date``;
- ``kind`` from ``type``: ``new_biz`` → ``new``, ``expansion``, ``contraction``, ``churn``,
  ``reactivation`` (the same words);
- ``mrr_delta`` = ``activity-mrr-movement`` / 100 (ChartMogul counts cents);
- the account: ``customer-external-id`` through the account crosswalk.

An activity that moves MRR by 0 (a free plan) changes no balance and has no kind of ours: it is
skipped and counted. Amounts are taken in the organisation's currency.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.said import said
from datain import words as w
from datain.sources.base import (
    Bad,
    Crosswalks,
    Item,
    Mapped,
    Problem,
    Skipped,
    cents,
    local_date,
    not_a_record,
    records_of,
    source_datetime,
)

TYPES = {
    "new_biz": "new",
    "expansion": "expansion",
    "contraction": "contraction",
    "churn": "churn",
    "reactivation": "reactivation",
}
FIELDS = {
    "revenue": {
        "external_id": "uuid",
        "account_external_id": "customer-external-id",
        "date": "date",
        "kind": "type",
        "mrr_delta": "activity-mrr-movement",
    }
}


class ChartMogul:
    name = "chartmogul"
    title = "ChartMogul"
    fields = FIELDS

    def normalise(self, source_id: str) -> str:
        return source_id

    def items(self, kind: str, payload: Any, crosswalks: Crosswalks) -> Iterator[Item]:
        for line, activity in enumerate(records_of(payload, ("entries",)), start=1):
            if not isinstance(activity, dict):
                yield not_a_record(line)
                continue
            label = said(w.L_ACTIVITY, id=activity.get("uuid"), line=line)
            try:
                cells = self.activity(activity, crosswalks)
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
            if cells is None:
                yield Skipped(label, w.ZERO_MRR)
                continue
            yield Mapped(line, label, cells)

    def activity(self, activity: dict[str, Any], crosswalks: Crosswalks) -> dict[str, str] | None:
        if not activity.get("uuid"):
            raise Bad("uuid", "", said(w.MISSING))
        kind = activity.get("type")
        if not isinstance(kind, str) or kind not in TYPES:
            raise Bad("type", kind, said(w.NOT_A_CHOICE, values=list(TYPES)))
        movement = cents(activity.get("activity-mrr-movement"), "activity-mrr-movement")
        if movement is None:
            raise Bad("activity-mrr-movement", "", said(w.MISSING))
        if movement == 0:
            return None
        at = source_datetime(activity.get("date"), "date")
        customer = activity.get("customer-external-id")
        if customer in (None, ""):
            raise Bad("customer-external-id", "", said(w.MISSING))
        return {
            "external_id": f"chartmogul:{activity['uuid']}",
            "account_external_id": crosswalks.account(customer),
            "date": "" if at is None else local_date(at).isoformat(),
            "kind": TYPES[kind],
            "mrr_delta": str(movement),
        }
