"""Formatting of metric values: units, "no data", signed changes."""

from decimal import Decimal

from babel.core import UnknownLocaleError
from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

from kpis.registry import REGISTRY, Metric

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
    if m.unit in ("count",) and value == value.to_integral():
        text = intcomma(int(value))
    elif m.unit == "money":
        return money(value, signed=signed)
    else:
        text = f"{value:.2f}"
    if signed and value > 0:
        text = "+" + text
    unit = {"percent": "%", "pp": " pp", "days": " " + _("days"), "hours": " h"}.get(m.unit, "")
    if signed and m.unit == "percent":
        unit = " pp"  # a change of a percentage is in percentage points
    return text + unit


def money(value: Decimal, signed: bool = False) -> str:
    """An amount in the organisation's currency (``CURRENCY``), formatted for the reader's language:
    "$12,400.00", "12 400,00 $US"."""
    locale = to_locale(get_language() or settings.LANGUAGE_CODE)
    try:
        text = format_currency(value, settings.CURRENCY, locale=locale)
    except (UnknownLocaleError, ValueError):
        text = format_currency(value, settings.CURRENCY, locale="en")
    return "+" + text if signed and value > 0 else text


@register.filter
def fmt(value, metric):
    return format_value(value, metric)


@register.filter
def fmt_change(value, metric):
    return format_value(value, metric, signed=True) if value is not None else ""


@register.filter
def pct(value):
    value = _dec(value)
    return "" if value is None else f"{value:.0f}"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
