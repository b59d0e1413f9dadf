"""The formulas of the metric definitions (docs/metrics.md) as pure functions: components in,
values out. No database, no settings: every function here can be checked with numbers alone.

Team and segment values come from the sums of their members' components (``combine``), never
from averages of percentages. Every value is rounded once, at the end, to 2 decimals, half up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, overload

from kpis.engine.components import C, Components

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
MICROS_PER_HOUR = Decimal(3_600_000_000)

BRIDGE = tuple(c for c in C if c.value.startswith("bridge_"))
REFERRAL_KINDS = tuple(c for c in C if c.value.startswith("referrals_"))
TOUCHPOINT_KINDS = tuple(c for c in C if c.value.startswith("touchpoints_"))


@dataclass
class Value:
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    sample_size: int = 0
    breakdown: dict[str, Any] = field(default_factory=dict)


@overload
def round2(x: Decimal) -> Decimal: ...
@overload
def round2(x: None) -> None: ...
@overload
def round2(x: Decimal | None) -> Decimal | None: ...
def round2(x: Decimal | None) -> Decimal | None:
    """Every stored value is rounded once, at the end, to 2 decimals, half up."""
    return None if x is None else x.quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(num: Decimal, den: Decimal, scale: Decimal = HUNDRED) -> Decimal | None:
    """num / den x scale; no data when the denominator is 0."""
    return None if not den else num / den * scale


def median(values: Sequence[Decimal | int]) -> Decimal | None:
    """The middle value; for an even count, the mean of the two middle values."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[mid])
    return (Decimal(ordered[mid - 1]) + Decimal(ordered[mid])) / 2


def difference(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def _kinds(c: Components, names: tuple[C, ...], prefix: str) -> dict[str, int]:
    return {n.value[len(prefix) :]: int(c[n]) for n in names if c.has(n)}


def derive(c: Components) -> dict[str, Value]:
    """Every metric from one subject's components (unrounded until the end)."""
    n = lambda name: int(c[name])  # noqa: E731
    v: dict[str, Value] = {}
    # Revenue over the starting cohort.
    cohort, start, end = n(C.COHORT), c[C.MRR_START], c[C.MRR_END]
    bridge = {k.value[len("bridge_") :]: str(round2(c[k])) for k in BRIDGE if c[k]}
    v["starting_mrr"] = Value(start, start, None, cohort)
    v["portfolio_growth"] = Value(end - start if cohort else None, end, start, cohort, bridge)
    v["portfolio_growth_rate"] = Value(ratio(end - start, start), end - start, start, cohort)
    v["nrr"] = Value(ratio(end, start), end, start, cohort)
    v["gross_retention"] = Value(ratio(c[C.MRR_KEPT], start), c[C.MRR_KEPT], start, cohort)
    v["logo_retention"] = Value(
        ratio(c[C.COHORT_PAYING], c[C.COHORT]), c[C.COHORT_PAYING], c[C.COHORT], cohort
    )
    # The book at the end.
    v["book_size"] = Value(c[C.BOOK], c[C.BOOK], None, n(C.BOOK))
    v["arr_managed"] = Value(c[C.ARR], c[C.ARR], None, n(C.BOOK))
    v["referrals"] = Value(
        c[C.REFERRALS],
        c[C.REFERRALS],
        None,
        n(C.REFERRALS),
        _kinds(c, REFERRAL_KINDS, "referrals_"),
    )
    v["adoption_change"] = Value(
        ratio(c[C.ADOPTION_SUM], c[C.ADOPTION_N], Decimal(1)),
        c[C.ADOPTION_SUM],
        c[C.ADOPTION_N],
        n(C.ADOPTION_N),
    )
    # Tickets.
    tpa = ratio(c[C.TICKETS], c[C.BOOK], Decimal(1))
    prev_tpa = ratio(c[C.PREV_TICKETS], c[C.PREV_BOOK], Decimal(1))
    v["tickets_per_account"] = Value(tpa, c[C.TICKETS], c[C.BOOK], n(C.TICKETS))
    reduction = None
    if tpa is not None and prev_tpa:
        reduction = (prev_tpa - tpa) / prev_tpa * HUNDRED
    v["ticket_reduction"] = Value(reduction, difference(prev_tpa, tpa), prev_tpa, n(C.TICKETS))
    # Onboarding.
    days = c[C.ONBOARDING_DAYS]
    v["onboarding_days"] = Value(median(days), None, None, len(days))
    v["onboardings"] = Value(c[C.ONBOARDINGS], c[C.ONBOARDINGS], None, n(C.ONBOARDINGS))
    # Health mix.
    h_n = c[C.HEALTH_N]
    good = ratio(c[C.HEALTH_GOOD], h_n)
    v["health_good_share"] = Value(good, c[C.HEALTH_GOOD], h_n, int(h_n))
    v["health_average_share"] = Value(ratio(c[C.HEALTH_AVERAGE], h_n), c[C.HEALTH_AVERAGE], h_n, int(h_n))
    v["health_poor_share"] = Value(ratio(c[C.HEALTH_POOR], h_n), c[C.HEALTH_POOR], h_n, int(h_n))
    prev_good = ratio(c[C.PREV_HEALTH_GOOD], c[C.PREV_HEALTH_N])
    v["health_mix_change"] = Value(difference(good, prev_good), good, prev_good, int(h_n))
    # Usage.
    stick = ratio(c[C.DAU], c[C.MAU])
    prev_stick = ratio(c[C.PREV_DAU], c[C.PREV_MAU])
    v["stickiness"] = Value(stick, c[C.DAU], c[C.MAU], n(C.USAGE_SNAPSHOTS))
    v["stickiness_change"] = Value(difference(stick, prev_stick), stick, prev_stick, n(C.USAGE_SNAPSHOTS))
    # Service.
    waits = c[C.FIRST_RESPONSE_MICROS]
    middle = median(waits)
    v["first_response_hours"] = Value(
        None if middle is None else middle / MICROS_PER_HOUR, None, None, len(waits)
    )
    resolved = c[C.RESOLVED]
    v["first_contact_resolution"] = Value(
        ratio(c[C.RESOLVED_FIRST_CONTACT], resolved), c[C.RESOLVED_FIRST_CONTACT], resolved, int(resolved)
    )
    v["contacts_to_resolve"] = Value(
        ratio(c[C.RESOLVED_CONTACTS], resolved, Decimal(1)), c[C.RESOLVED_CONTACTS], resolved, int(resolved)
    )
    v["escalation_rate"] = Value(
        ratio(c[C.ESCALATED], c[C.TICKETS]), c[C.ESCALATED], c[C.TICKETS], n(C.TICKETS)
    )
    net = c[C.NPS_PROMOTERS] - c[C.NPS_DETRACTORS]
    nps = ratio(net, c[C.NPS_N])
    prev_nps = ratio(c[C.PREV_NPS_PROMOTERS] - c[C.PREV_NPS_DETRACTORS], c[C.PREV_NPS_N])
    v["nps"] = Value(nps, net, c[C.NPS_N], n(C.NPS_N))
    v["nps_change"] = Value(difference(nps, prev_nps), nps, prev_nps, n(C.NPS_N))
    v["csat"] = Value(ratio(c[C.CSAT_SATISFIED], c[C.CSAT_N]), c[C.CSAT_SATISFIED], c[C.CSAT_N], n(C.CSAT_N))
    v["touchpoints"] = Value(
        c[C.TOUCHPOINTS],
        c[C.TOUCHPOINTS],
        None,
        n(C.TOUCHPOINTS),
        _kinds(c, TOUCHPOINT_KINDS, "touchpoints_"),
    )
    _expected(c, v)
    for value in v.values():
        value.value = round2(value.value)
        value.numerator = None if value.numerator is None else value.numerator.quantize(MICRO, ROUND_HALF_UP)
        value.denominator = (
            None if value.denominator is None else value.denominator.quantize(MICRO, ROUND_HALF_UP)
        )
    return v


# The expected results of each outcome: (observed component, expected, variance of the expected, base).
EXPECTED_OF = {
    "logo_retention": (C.COHORT_PAYING, C.EXP_PAYING, C.EXP_PAYING_VAR, C.COHORT),
    "gross_retention": (C.MRR_KEPT, C.EXP_KEPT, C.EXP_KEPT_VAR, C.MRR_START),
    "nrr": (C.MRR_END, C.EXP_END, C.EXP_END_VAR, C.MRR_START),
}


def _expected(c: Components, v: dict[str, Value]) -> None:
    """Expected values and raw lifts (docs/metrics.md, "Expected results and lift"). The raw lift and
    its standard error travel in the lift's breakdown until the run shrinks every subject's lift
    together (kpis.services); the interval is filled there too."""
    cohort = int(c[C.COHORT])
    for key, (observed, expected, variance, base) in EXPECTED_OF.items():
        scored = c.has(C.EXP_N) and c[base] and int(c[C.EXP_N]) == cohort
        exp = ratio(c[expected], c[base]) if scored else None
        v[f"{key}_expected"] = Value(
            exp, c[expected] if scored else None, c[base] if scored else None, cohort
        )
        lift = Value(None, None, None, cohort)
        # The observed share has the expected one's denominator: both or neither.
        obs = ratio(c[observed], c[base]) if exp is not None else None
        if exp is not None and obs is not None:
            lift.numerator, lift.denominator = obs, exp
            lift.breakdown = {"raw": obs - exp, "se": (c[variance].sqrt() / c[base]) * HUNDRED}
        v[f"{key}_lift"] = lift
        v[f"{key}_lift_low"] = Value(None, None, None, cohort)
        v[f"{key}_lift_high"] = Value(None, None, None, cohort)
