"""Human words for what the notifications name: quarters, dates, metrics, kinds of data. Each is
evaluated in the language active when it is called (the recipient's: ``services.speaking_to``)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy

from core import dates
from kpis import periods
from kpis.registry import label

DATA_KINDS = {
    "people": gettext_lazy("people"),
    "accounts": gettext_lazy("accounts"),
    "assignments": gettext_lazy("assignments"),
    "revenue": gettext_lazy("revenue"),
    "tickets": gettext_lazy("tickets"),
    "surveys": gettext_lazy("surveys"),
    "usage": gettext_lazy("usage"),
    "health": gettext_lazy("health"),
    "advocacy": gettext_lazy("advocacy"),
    "touchpoints": gettext_lazy("touchpoints"),
    "account_team": gettext_lazy("account teams"),
}
# One label for a period everywhere (pages, emails, chat): the KPI layer's.
period_label = periods.period_label


def date_label(day: datetime.date | None) -> str:
    """A date as the pages write it: "10 Dec 2026" (months in the reader's language)."""
    return dates.day(day)


def metric_label(key: str) -> str:
    return label(key)


def data_kind_label(kind: str) -> str:
    return str(DATA_KINDS.get(kind, kind))
