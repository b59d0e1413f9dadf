"""``Period``: a calendar month (``2026-09``) or quarter (``2026-Q3``) as ``[start, end)`` (docs/metrics.md).

Quarters follow the fiscal year (setting ``FISCAL_YEAR_START_MONTH``, default 1): with a start in
April, ``2026-Q1`` is April to June 2026. A fiscal year is named by the calendar year it starts in.

The name is the machine's (URLs, query parameters, form values, CSV, the API); a person reads the
period's label (``period_label``: "Q3 2026", "September 2026"), in their language.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core import formatting

MONTH = "month"
QUARTER = "quarter"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$", re.ASCII)


class PeriodError(ValueError):
    pass


def _fiscal_start() -> int:
    month = int(getattr(settings, "FISCAL_YEAR_START_MONTH", 1))
    if not 1 <= month <= 12:
        raise PeriodError(_("FISCAL_YEAR_START_MONTH must be 1-12, not %(month)s") % {"month": month})
    return month


def year_range() -> tuple[int, int]:
    """The years any date or period may fall in (settings FIRST_YEAR, LAST_YEAR)."""
    return int(getattr(settings, "FIRST_YEAR", 2000)), int(getattr(settings, "LAST_YEAR", 2100))


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


@dataclass(frozen=True, order=True)
class Period:
    kind: str  # "month" or "quarter"
    year: int  # calendar year for months, fiscal year for quarters
    number: int  # 1-12 for months, 1-4 for quarters

    @classmethod
    def parse(cls, text: str) -> Period:
        """A period from its name; names outside the years the product holds (settings
        ``FIRST_YEAR`` to ``LAST_YEAR``) are refused like any other bad name."""
        text = (text or "").strip() if isinstance(text, str) else ""
        period = None
        if m := _QUARTER_RE.match(text):
            period = cls(QUARTER, int(m.group(1)), int(m.group(2)))
        elif (m := _MONTH_RE.match(text)) and 1 <= int(m.group(2)) <= 12:
            period = cls(MONTH, int(m.group(1)), int(m.group(2)))
        if period is None:
            raise PeriodError(
                _("“%(text)s” is not a period: write 2026-Q3 for a quarter or 2026-09 for a month.")
                % {"text": text[:40]}
            )
        first, last = year_range()
        if not first <= period.year <= last:
            raise PeriodError(
                _("%(text)s is outside the years this product holds (%(first)s to %(last)s).")
                % {"text": text, "first": first, "last": last}
            )
        return period

    @classmethod
    def containing(cls, day: datetime.date, kind: str = QUARTER) -> Period:
        if kind == MONTH:
            return cls(MONTH, day.year, day.month)
        offset = (day.month - _fiscal_start()) % 12
        fiscal_year = day.year if day.month >= _fiscal_start() else day.year - 1
        return cls(QUARTER, fiscal_year, offset // 3 + 1)

    @classmethod
    def range(cls, first: Period, last: Period) -> list[Period]:
        """Every period from ``first`` to ``last`` inclusive (same kind): ``2025-Q1..2026-Q3``."""
        if first.kind != last.kind:
            raise PeriodError(_("a range needs two periods of the same kind"))
        if last < first:
            raise PeriodError(_("%(last)s is before %(first)s") % {"last": last, "first": first})
        out, p = [], first
        while p <= last:
            out.append(p)
            p = p.next()
        return out

    @classmethod
    def parse_range(cls, text: str) -> list[Period]:
        if ".." not in text:
            raise PeriodError(_("%(text)r is not a range: use 2025-Q1..2026-Q3") % {"text": text})
        a, b = text.split("..", 1)
        return cls.range(cls.parse(a), cls.parse(b))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}" if self.kind == QUARTER else f"{self.year}-{self.number:02d}"

    @property
    def is_quarter(self) -> bool:
        return self.kind == QUARTER

    @property
    def start(self) -> datetime.date:
        if self.kind == MONTH:
            return datetime.date(self.year, self.number, 1)
        y, m = _add_months(self.year, _fiscal_start(), 3 * (self.number - 1))
        return datetime.date(y, m, 1)

    @property
    def end(self) -> datetime.date:
        """The first day after the period (exclusive end)."""
        y, m = _add_months(self.start.year, self.start.month, 3 if self.kind == QUARTER else 1)
        return datetime.date(y, m, 1)

    def end_to_date(self, as_of: datetime.date | None) -> datetime.date:
        """``P.end'`` = min(P.end, as_of + 1 day)."""
        if as_of is None:
            return self.end
        return min(self.end, as_of + datetime.timedelta(days=1))

    def is_closed(self, today: datetime.date | None = None) -> bool:
        return (today or timezone.localdate()) >= self.end

    def previous(self) -> Period:
        return self.shift(-1)

    def next(self) -> Period:
        return self.shift(1)

    def shift(self, n: int) -> Period:
        size = 12 if self.kind == MONTH else 4
        index = self.year * size + (self.number - 1) + n
        return Period(self.kind, index // size, index % size + 1)

    def months(self) -> list[Period]:
        if self.kind == MONTH:
            return [self]
        return [Period.containing(self.start, MONTH).shift(i) for i in range(3)]

    def last(self, n: int) -> list[Period]:
        """The ``n`` periods ending with this one, oldest first (trend charts)."""
        return [self.shift(i) for i in range(-n + 1, 1)]


def day_start(day: datetime.date) -> datetime.datetime:
    """The aware instant a day starts in the organisation's time zone."""
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day))


def _as_period(period: Period | str) -> Period | None:
    if isinstance(period, Period):
        return period
    try:
        return Period.parse(str(period))
    except PeriodError:
        return None


def as_period(period: Period | str) -> Period | None:
    """A period from a Period or its code; None for a text that is not one."""
    return _as_period(period)


def fiscal_start() -> int:
    """The month the organisation's fiscal year starts (1: the calendar year)."""
    return _fiscal_start()


def period_label(period: Period | str) -> str:
    """A period as people say it, in the active language: ``2026-Q4`` -> "Q4 2026", ``2026-09`` ->
    "September 2026"; with a fiscal year that starts in April, ``2026-Q1`` -> "Q1 FY2026 (April to
    June 2026)". A text that is not a period comes back as it is."""
    p = _as_period(period)
    if p is None:
        return str(period)
    if p.kind == MONTH:
        return formatting.month_label(p.year, p.number)
    if _fiscal_start() == 1:
        return formatting.quarter_label(p.year, p.number)
    first, last = p.months()[0].start, p.months()[-1].start
    return _("Q%(number)s FY%(year)s (%(first)s to %(last)s)") % {
        "number": p.number,
        "year": p.year,
        "first": formatting.month_name(first.month)
        if first.year == last.year
        else formatting.month_label(first.year, first.month),
        "last": formatting.month_label(last.year, last.month),
    }


def period_short_label(period: Period | str) -> str:
    """The label under a small chart: "Q4 2026" ("Q1 FY2026" with a fiscal year), "Sep 2026"."""
    p = _as_period(period)
    if p is None:
        return str(period)
    if p.kind == MONTH:
        return formatting.month_label(p.year, p.number, short=True)
    if _fiscal_start() == 1:
        return formatting.quarter_label(p.year, p.number)
    return _("Q%(number)s FY%(year)s") % {"number": p.number, "year": p.year}
