"""Formatting of metric values: units, the organisation's currency, "no data", signed changes; and
of periods ("Q3 2026", "September 2026": ``period_label``, for every page that names one).

Numbers, percentages and amounts (in ``settings.CURRENCY``) are written the reader's language's way
by core.formatting (Babel)."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import formatting
from kpis import periods
from kpis.registry import REGISTRY, Metric, label

register = template.Library()


def _metric(metric) -> Metric:
    return metric if isinstance(metric, Metric) else REGISTRY[metric]


def _dec(value) -> Decimal | None:
    """Values come as Decimals from the database and as strings from frozen review snapshots."""
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def format_value(value: Decimal | None, metric, signed: bool = False) -> str:
    value = _dec(value)
    if value is None:
        return _("no data")
    m = _metric(metric)
    if m.unit == "money":
        return money(value, signed=signed)
    if m.unit == "percent" and not signed:
        return formatting.percent(value, 2)
    if m.unit in ("count",) and value == value.to_integral():
        text = number(int(value), 0)
    else:
        text = number(value, 2)
    if signed and value > 0:
        text = "+" + text
    unit = {
        "percent": "%",
        "pp": " pp",
        "days": " " + _("days"),
        "hours": " " + pgettext("hours, abbreviated", "h"),
    }.get(m.unit, "")
    if signed and m.unit == "percent":
        unit = " pp"  # a change of a percentage is in percentage points
    return text + unit


def number(value, decimals: int = 2) -> str:
    """A number in the active language's format, with grouping (1,234.50 in English)."""
    return formatting.number(value, decimals)


def money(value, signed: bool = False, *, decimals: int = 2) -> str:
    """An amount in the organisation's currency (``CURRENCY``), formatted for the reader's language:
    "$12,400.00", "12.400,00 €"; ``decimals=0`` for whole amounts ("$12,400")."""
    value = _dec(value)
    if value is None:
        return _("no data")
    text = formatting.money(value, decimals=decimals)
    return "+" + text if signed and value > 0 else text


@register.filter
def fmt(value, metric):
    return format_value(value, metric)


@register.filter
def fmt_change(value, metric):
    return format_value(value, metric, signed=True) if value is not None else ""


@register.filter(name="money")
def money_filter(value, decimals=2):
    return money(value, decimals=int(decimals))


@register.filter
def pct(value):
    """A percentile (0 to 100), a whole number in the language's digits."""
    return formatting.number(value, 0)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter(name="period_label")
def period_label_filter(period) -> str:
    """``{{ cycle.period|period_label }}``: "Q3 2026"; the code stays in links and form values."""
    return "" if period is None or period == "" else periods.period_label(period)


@register.filter
def metric_label(key) -> str:
    """``{{ kr.metric|metric_label }}``: a metric's name ("MRR retention (NRR)"), never its key."""
    return label(str(key)) if key else ""
