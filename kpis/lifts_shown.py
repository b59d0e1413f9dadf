"""Expected results and lifts as the pages show them (the scorecard's lines, the team dashboard's
columns): the lift always with its 90 % interval, or "not enough data" with the reason in words,
never a number alone (docs/metrics.md, "Expected results and lift")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core import formatting
from kpis.engine import reasons
from kpis.engine.expected import OUTCOMES
from kpis.registry import REGISTRY
from kpis.templatetags.kpi_format import number

# The outcomes by the names of their raw metric on the scorecard.
NAMES = {o: REGISTRY[o].name for o in OUTCOMES}
LIFT_KEYS = tuple(f"{o}_{s}" for o in OUTCOMES for s in ("lift", "lift_low", "lift_high"))


NBSP = "\u00a0"  # a number and its unit never part at the end of a line


def percent(x: Decimal | None) -> str:
    return "" if x is None else formatting.percent(x, 2)


def signed(x: Decimal) -> str:
    """A lift in points with its sign, for people to read: "+3.32", "−2.61" (the minus sign, not a
    hyphen, as in print), "0.00". Exports keep the plain number."""
    text = number(abs(x), 2)
    return ("+" if x > 0 else "−" if x < 0 else "") + text


def interval_words(low: Decimal, high: Decimal) -> str:
    """A lift's 90 % interval beside its value in a table: "(90 % interval −0.40 to +4.60)", the
    share written the language's way ("%90" in Turkish)."""
    return _("(%(share)s interval %(low)s to %(high)s)") % {
        "share": formatting.percent(90),
        "low": signed(low),
        "high": signed(high),
    }


def lift_words(lift: Decimal, low: Decimal, high: Decimal) -> str:
    """ "+3.32 points, 90 % interval −2.61 to +9.25" """
    words = _("%(lift)s points, 90 %% interval %(low)s to %(high)s") % {
        "lift": signed(lift),
        "low": signed(low),
        "high": signed(high),
    }
    return words.replace(" %", NBSP + "%")


@dataclass
class Lift:
    """One subject's lift of one outcome: the three numbers, or none with the reason."""

    outcome: str
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    reason: str = ""  # in words, when there is no number

    @property
    def shown(self) -> bool:
        return None not in (self.value, self.low, self.high)

    @property
    def words(self) -> str:
        if self.shown:
            return lift_words(self.value, self.low, self.high)  # type: ignore[arg-type]
        return self.reason or _("Not enough data.")

    @property
    def short(self) -> str:
        """For a table cell: "+3.32 (−2.61 to +9.25)"."""
        if not self.shown:
            return ""
        return _("%(lift)s (%(low)s to %(high)s)") % {
            "lift": signed(self.value),  # type: ignore[arg-type]
            "low": signed(self.low),  # type: ignore[arg-type]
            "high": signed(self.high),  # type: ignore[arg-type]
        }


def lift_of(outcome: str, values: dict[str, Any]) -> Lift:
    """The lift of ``outcome`` from a subject's values: key -> an object with ``value`` and
    ``breakdown`` (a KpiValue, a scorecard row)."""
    lift, low, high = (values.get(f"{outcome}_{s}") for s in ("lift", "lift_low", "lift_high"))
    reason = ""
    for v in (lift, values.get(f"{outcome}_expected")):
        reason = reason or (reasons.of_breakdown(v.breakdown) if v is not None else "")
    return Lift(
        outcome,
        lift.value if lift else None,
        low.value if low else None,
        high.value if high else None,
        reason,
    )


@dataclass
class ExpectedLine:
    """The scorecard's line beside a raw retention: "expected 88.75 %, actual 100.00 %: +3.32 points,
    90 % interval −2.61 to +9.25"."""

    outcome: str
    observed: Decimal | None
    expected: Decimal | None
    lift: Lift

    @property
    def name(self) -> str:
        return str(NAMES[self.outcome])

    @property
    def expected_words(self) -> str:
        return percent(self.expected)

    @property
    def observed_words(self) -> str:
        return percent(self.observed) if self.observed is not None else _("no data")


def expected_lines(rows: dict[str, Any]) -> list[ExpectedLine]:
    """The three lines of a scorecard (``rows``: metric key -> row with ``value`` and ``breakdown``)."""
    return [
        ExpectedLine(
            o,
            rows[o].value if o in rows else None,
            rows[f"{o}_expected"].value if f"{o}_expected" in rows else None,
            lift_of(o, rows),
        )
        for o in OUTCOMES
    ]


def lift_story(outcome: str, values: dict[str, Any]) -> str:
    """How a subject's lift came about, in words (the drill-down of an expected figure or a lift):
    "Actual 100.00 % − expected 88.75 % = +11.25 points before allowing for luck; 29.5 % of it is
    kept ...: +3.32 points, 90 % interval -2.61 to +9.25." Or the reason there is no lift."""
    line = expected_lines(values)[OUTCOMES.index(outcome)]
    if not line.lift.shown:
        return line.lift.words
    shrunk = values[f"{outcome}_lift"].breakdown or {}
    raw, weight = shrunk.get("raw_lift"), shrunk.get("weight")
    if raw is None or weight is None or line.observed is None or line.expected is None:
        return line.lift.words
    return _(
        "Actual %(observed)s − expected %(expected)s = %(raw)s points before allowing for luck; %(kept)s of "
        "it is kept (by the book's size against the spread of every book's lifts): %(lift)s."
    ) % {
        "observed": percent(line.observed),
        "expected": percent(line.expected),
        "raw": signed(Decimal(raw)),
        "kept": formatting.percent(Decimal(weight) * 100, 1),
        "lift": line.lift.words,
    }
