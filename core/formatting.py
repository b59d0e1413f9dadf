"""Numbers, money, percentages, dates and periods as the reader's language writes them (Babel, the
active language): the one module the template filters (``{% load formatting %}``, ``kpi_format``,
``dates``), the PDFs and the emails go through.

    number(Decimal("1234567.5"))        en 1,234,567.50   es 1.234.567,50   tr 1.234.567,50
    money(Decimal("1234567.5"))         es 1.234.567,50 €  pt-br R$ 1.234.567,50  zh-hans ¥1,234,567.50
    percent(Decimal("7.5"), 1)          es 7,5 %   tr %7,5   (the value is in percent: 7.5 is 7.5 %)
    day(date(2026, 12, 7))              en 7 Dec 2026   es 7 de diciembre de 2026   zh-hans 2026年12月7日
    quarter_label(2026, 4)              en Q4 2026   es T4 2026   zh-hans 2026年第4季度   tr 2026 Ç4

Money is in ``settings.CURRENCY``. Machine formats (CSV exports, the API, form values) never come
through here: plain decimals with a point, ISO dates.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, get_month_names
from babel.numbers import format_currency, format_decimal, format_percent
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext, to_locale

# English keeps the product's short day ("7 Dec 2026"); every other language its own long date.
DAY_PATTERN = {"en": "d MMM y"}


def locale() -> Locale:
    """Babel's locale of the active language (English when Babel does not know it)."""
    code = to_locale(get_language() or settings.LANGUAGE_CODE)
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _fixed(pattern: str, decimals: int) -> str:
    """The locale's pattern with exactly ``decimals`` digits after the separator."""
    whole = pattern.split(";")[0].split(".")[0]
    return whole + ("." + "0" * decimals if decimals > 0 else "")


def number(value, decimals: int = 2) -> str:
    """A number with the language's grouping and decimal separator, ``decimals`` digits after it."""
    d = _dec(value)
    if d is None:
        return ""
    loc = locale()
    pattern = loc.decimal_formats[None].pattern
    return format_decimal(d, format=_fixed(pattern, decimals), locale=loc)


def axis_number(value) -> str:
    """A chart's axis tick or tooltip: the language's separators, as many decimals as the value has
    (at most 2): "42,4" (pt-br), "1.250" (es), "42.4" (en)."""
    d = _dec(value)
    if d is None:
        return ""
    d = d.quantize(Decimal("0.01")).normalize()
    return format_decimal(d, format="#,##0.##", locale=locale())


def integer(value) -> str:
    """A count: "12,400" (en), "12.400" (es)."""
    return number(value, 0)


def money(value, *, decimals: int = 2, currency: str | None = None) -> str:
    """An amount in the organisation's currency written the language's way; ``decimals=0`` for whole
    amounts (charts, a book's ARR)."""
    d = _dec(value)
    if d is None:
        return ""
    loc, code = locale(), currency or settings.CURRENCY
    if decimals == 2:
        return format_currency(d, code, locale=loc)
    pattern = loc.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
    return format_currency(d, code, format=pattern, locale=loc, currency_digits=False)


def percent(value, decimals: int = 0) -> str:
    """A percentage given in percent (``7.5`` is 7.5 %): "7.5%" (en), "7,5 %" (es), "%7,5" (tr)."""
    d = _dec(value)
    if d is None:
        return ""
    loc = locale()
    shape = loc.percent_formats[None].pattern.split(";")[0]  # "#,##0%", "#,##0 %", "%#,##0"
    last = shape.rindex("0")
    pattern = shape[: last + 1] + ("." + "0" * decimals if decimals > 0 else "") + shape[last + 1 :]
    return format_percent(d / 100, format=pattern, locale=loc)


def day(value: datetime.date | datetime.datetime | None) -> str:
    """A day: "7 Dec 2026" (en), "7 de diciembre de 2026" (es); a moment is first put in the reader's
    time zone."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    loc = locale()
    return format_date(value, DAY_PATTERN.get(str(loc), "long"), locale=loc)


def moment(value: datetime.date | datetime.datetime | None) -> str:
    """A moment in the reader's time zone, named: "7 Dec 2026, 14:05 EST" (a plain date as ``day``)."""
    if not value:
        return ""
    if not isinstance(value, datetime.datetime):
        return day(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return gettext("%(day)s, %(time)s") % {"day": day(value), "time": date_format(value, "H:i T")}


def month_label(year: int, month: int, *, short: bool = False) -> str:
    """ "September 2026" (en), "septiembre de 2026" (es), "2026年9月" (zh-hans); short: "Sep 2026"."""
    return format_skeleton("yMMM" if short else "yMMMM", datetime.date(year, month, 1), locale=locale())


def month_name(month: int) -> str:
    """A month's name on its own: "April" (en), "abril" (es)."""
    return get_month_names("wide", context="stand-alone", locale=locale())[month]


def quarter_label(year: int, quarter: int) -> str:
    """ "Q3 2026" (en), "T3 2026" (es), "2026年第3季度" (zh-hans), "2026 Ç3" (tr)."""
    return format_skeleton("yQQQ", datetime.date(year, 3 * quarter - 2, 1), locale=locale())
