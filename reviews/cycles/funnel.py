"""The calibration's funnel plot of accounts lost (docs/metrics.md, "The funnel plot in calibration").

Each CSM's accounts lost in the quarter (observed, O: accounts of the starting cohort no longer
paying at its end) against the losses the expected-results model foresaw for that book (expected,
E: the cohort's size less the sum of each account's probability of still paying), as the ratio O/E
plotted against E. A book that does what it was expected to do sits at 1. Around 1, the limits
within which chance alone keeps a book of that expected volume (Spiegelhalter 2005, funnel plots
for an indirectly standardised ratio, Poisson counts, normal approximation):

    limits(E) = 1 ± z × sqrt(φ / E),     z = 1.960 (95 %) and 3.090 (99.8 %), never below 0

with the multiplicative over-dispersion factor φ of Spiegelhalter (2005, "Handling over-dispersion
of performance indicators"): the mean of the books' squared z-scores ``z_i = (O_i/E_i - 1) × sqrt(E_i)``,
each first winsorised (the ``floor(n / 10)`` lowest set to the next one up, as many of the highest to
the next one down), used only when it is above 1 (it widens the limits, never narrows them).

Pure: numbers in, numbers out; the frozen snapshots of the cycle's reviews are read by
``points_of``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

Z95 = 1.959964  # two-sided 95 %
Z998 = 3.090232  # two-sided 99.8 %

INSIDE = "inside"
HIGH_95, HIGH_998 = "high_95", "high_998"  # more lost than expected, beyond the limit
LOW_95, LOW_998 = "low_95", "low_998"  # fewer lost than expected, beyond the limit
WHERE_WORDS = {
    # xgettext:no-python-format (a percent sign, not a placeholder)
    INSIDE: _("within the 95 % limits"),
    # xgettext:no-python-format (a percent sign, not a placeholder)
    HIGH_95: _("more lost than expected, beyond the 95 % limit"),
    # xgettext:no-python-format (a percent sign, not a placeholder)
    HIGH_998: _("more lost than expected, beyond the 99.8 % limit"),
    # xgettext:no-python-format (a percent sign, not a placeholder)
    LOW_95: _("fewer lost than expected, beyond the 95 % limit"),
    # xgettext:no-python-format (a percent sign, not a placeholder)
    LOW_998: _("fewer lost than expected, beyond the 99.8 % limit"),
}
NO_EXPECTED = _("no expected result for this book (not enough history, or the model was withheld)")
NONE_EXPECTED_LOST = _("the model expected no account of this book to be lost")


@dataclass(frozen=True)
class Point:
    """One book: ``observed`` and ``expected`` accounts lost, out of ``accounts`` at the start."""

    key: object  # who it is (a review, for the page)
    accounts: int
    observed: float
    expected: float

    @property
    def ratio(self) -> float:
        return self.observed / self.expected

    @property
    def z(self) -> float:
        return (self.ratio - 1.0) * math.sqrt(self.expected)


def winsorised(values: list[float]) -> list[float]:
    """``values`` with the ``floor(n / 10)`` lowest raised to the next one up and as many of the
    highest lowered to the next one down (in their order)."""
    k = len(values) // 10
    if not k:
        return list(values)
    ordered = sorted(values)
    low, high = ordered[k], ordered[-k - 1]
    return [min(max(v, low), high) for v in values]


def overdispersion(points: list[Point]) -> float:
    """φ: the mean squared winsorised z-score, or 1 when that is not above 1 (or with no book)."""
    if not points:
        return 1.0
    zs = winsorised([p.z for p in points])
    return max(1.0, sum(z * z for z in zs) / len(zs))


def limits(expected: float, phi: float, z: float) -> tuple[float, float]:
    """The (lower, upper) limits of O/E for a book expected to lose ``expected`` accounts."""
    half = z * math.sqrt(phi / expected)
    return max(0.0, 1.0 - half), 1.0 + half


def where(point: Point, phi: float) -> str:
    """Where a book falls: inside the 95 % limits, or beyond which limit on which side."""
    ratio = point.ratio
    low95, high95 = limits(point.expected, phi, Z95)
    low998, high998 = limits(point.expected, phi, Z998)
    if ratio > high998:
        return HIGH_998
    if ratio > high95:
        return HIGH_95
    if ratio < low998:
        return LOW_998
    if ratio < low95:
        return LOW_95
    return INSIDE


def _metric(snapshot: dict, key: str) -> dict:
    return next((m for m in snapshot.get("metrics", []) if m.get("metric") == key), {})


def point_of(key, snapshot: dict) -> Point | str:
    """The book of a frozen snapshot as a point, or why it has none (in words). Observed: the
    cohort less the accounts still paying (``logo_retention``'s denominator and numerator);
    expected: the cohort less the sum of the probabilities (``logo_retention_expected``'s)."""
    observed, expected = _metric(snapshot, "logo_retention"), _metric(snapshot, "logo_retention_expected")
    if expected.get("value") is None or expected.get("numerator") is None or not expected.get("denominator"):
        return str(NO_EXPECTED)
    if observed.get("numerator") is None or not observed.get("denominator"):
        return str(NO_EXPECTED)
    accounts = Decimal(str(observed["denominator"]))
    lost = float(accounts - Decimal(str(observed["numerator"])))
    expected_lost = float(Decimal(str(expected["denominator"])) - Decimal(str(expected["numerator"])))
    if expected_lost <= 0:
        return str(NONE_EXPECTED_LOST)
    return Point(key=key, accounts=int(accounts), observed=lost, expected=expected_lost)


def curve(phi: float, z: float, low: float, high: float, steps: int = 40) -> list[tuple[float, float, float]]:
    """The limits drawn from ``low`` to ``high`` expected losses: [(E, lower, upper), ...], spaced
    evenly on a square-root scale (the funnel narrows fast near 0)."""
    a, b = math.sqrt(max(low, 1e-6)), math.sqrt(max(high, low, 1e-6))
    out = []
    for i in range(steps + 1):
        e = (a + (b - a) * i / steps) ** 2
        out.append((e, *limits(e, phi, z)))
    return out


def session(reviews: list, shown: list) -> dict:
    """The funnel of a calibration session: φ from the books of every review of the cycle (numbers
    only), a row per review ``shown`` (in the order given) with its point, limits and where it falls,
    and the reviews shown without a point, with why."""
    phi = overdispersion([p for p in (point_of(r.pk, r.snapshot) for r in reviews) if isinstance(p, Point)])
    rows, missing = [], []
    for r in shown:
        p = point_of(r, r.snapshot)
        if not isinstance(p, Point):
            missing.append({"review": r, "csm": r.csm, "why": p})
            continue
        low95, high95 = limits(p.expected, phi, Z95)
        low998, high998 = limits(p.expected, phi, Z998)
        at = where(p, phi)
        rows.append(
            {
                "review": r,
                "csm": r.csm,
                "accounts": p.accounts,
                "observed": p.observed,
                "expected": p.expected,
                "ratio": p.ratio,
                "low95": low95,
                "high95": high95,
                "low998": low998,
                "high998": high998,
                "where": at,
                "where_words": str(WHERE_WORDS[at]),
            }
        )
    return {"phi": phi, "rows": rows, "missing": missing}
