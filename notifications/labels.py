"""Human words for what the notifications name: quarters, dates, metrics, kinds of data. Each is
evaluated in the language active when it is called (the recipient's: ``services.speaking_to``)."""

from __future__ import annotations

import datetime

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpis.registry import REGISTRY

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
}
MONTHS = [
    gettext_lazy("January"),
    gettext_lazy("February"),
    gettext_lazy("March"),
    gettext_lazy("April"),
    gettext_lazy("May"),
    gettext_lazy("June"),
    gettext_lazy("July"),
    gettext_lazy("August"),
    gettext_lazy("September"),
    gettext_lazy("October"),
    gettext_lazy("November"),
    gettext_lazy("December"),
]


def period_label(period: str) -> str:
    """2026-Q4 -> "Q4 2026"; 2026-09 -> "September 2026"."""
    year, _sep, rest = str(period).partition("-")
    if rest.startswith("Q"):
        return _("Q%(quarter)s %(year)s") % {"quarter": rest[1:], "year": year}
    if rest.isdigit() and 1 <= int(rest) <= 12:
        return _("%(month)s %(year)s") % {"month": MONTHS[int(rest) - 1], "year": year}
    return str(period)


def date_label(day: datetime.date | None) -> str:
    return formats.date_format(day, "DATE_FORMAT") if day else ""


def metric_label(key: str) -> str:
    if key == "okr_score":
        return _("OKR score")
    metric = REGISTRY.get(key)
    return str(metric.name) if metric else _("a number")


def data_kind_label(kind: str) -> str:
    return str(DATA_KINDS.get(kind, kind))
