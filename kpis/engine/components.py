"""The components of a CSM's numbers: named sums, counts and observations, typed.

A part of a run (``kpis.engine.parts``) or a drill-down (``kpis.engine.drilldown``) turns rows into
*components*; the formulas (``kpis.engine.formulas``) turn components into values. Every component
has a name in ``C``: a name that is not in it fails at once (``TypeError`` when adding or reading,
``ValueError`` when decoding a stored part), never silently becomes 0 or "no data".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Any

ZERO = Decimal(0)


class C(StrEnum):
    """Every component, with the rows it is counted from (the metric definitions, docs/metrics.md)."""

    # Revenue over the starting cohort C(c, P): accounts owned on P.start with MRR(a, P.start) > 0.
    COHORT = "cohort"  # accounts in the cohort
    MRR_START = "mrr_start"  # sum of MRR(a, P.start)
    MRR_END = "mrr_end"  # sum of MRR(a, P.end')
    MRR_KEPT = "mrr_kept"  # sum of min(MRR(a, P.end'), MRR(a, P.start)): gross retention
    COHORT_PAYING = "cohort_paying"  # cohort accounts with MRR(a, P.end') > 0
    BRIDGE_NEW = "bridge_new"  # the cohort's movements in P, by revenue kind
    BRIDGE_EXPANSION = "bridge_expansion"
    BRIDGE_UPGRADE = "bridge_upgrade"
    BRIDGE_RENEWAL = "bridge_renewal"
    BRIDGE_DOWNGRADE = "bridge_downgrade"
    BRIDGE_CONTRACTION = "bridge_contraction"
    BRIDGE_CHURN = "bridge_churn"
    BRIDGE_REACTIVATION = "bridge_reactivation"
    # The book B(c, P): accounts owned on P.end' - 1 with MRR(a, P.end') > 0.
    BOOK = "book"  # accounts in the book
    ARR = "arr"  # 12 x the book's MRR(a, P.end')
    PREV_BOOK = "prev_book"  # accounts in the previous period's book
    # Adoption: book accounts with a reading at both ends.
    ADOPTION_SUM = "adoption_sum"  # sum of the change of features used / available, in pp
    ADOPTION_N = "adoption_n"
    # Health: book accounts with a reading, by band; the same for the previous period's book.
    HEALTH_N = "health_n"
    HEALTH_GOOD = "health_good"
    HEALTH_AVERAGE = "health_average"
    HEALTH_POOR = "health_poor"
    PREV_HEALTH_N = "prev_health_n"
    PREV_HEALTH_GOOD = "prev_health_good"
    PREV_HEALTH_AVERAGE = "prev_health_average"
    PREV_HEALTH_POOR = "prev_health_poor"
    # Tickets opened in P (and in the previous period), attributed to the owner on the opening day.
    TICKETS = "tickets"
    ESCALATED = "escalated"
    RESOLVED = "resolved"  # resolved before P.end'
    RESOLVED_FIRST_CONTACT = "resolved_first_contact"  # of those, with at most one customer contact
    RESOLVED_CONTACTS = "resolved_contacts"  # customer contacts of the resolved tickets
    PREV_TICKETS = "prev_tickets"
    FIRST_RESPONSE_MICROS = "first_response_micros"  # observations: waits in whole microseconds
    # Surveys dated in P (and in the previous period).
    NPS_N = "nps_n"
    NPS_PROMOTERS = "nps_promoters"
    NPS_DETRACTORS = "nps_detractors"
    PREV_NPS_N = "prev_nps_n"
    PREV_NPS_PROMOTERS = "prev_nps_promoters"
    PREV_NPS_DETRACTORS = "prev_nps_detractors"
    CSAT_N = "csat_n"
    CSAT_SATISFIED = "csat_satisfied"
    # Usage snapshots with MAU > 0 dated in P (and in the previous period).
    USAGE_SNAPSHOTS = "usage_snapshots"
    DAU = "dau"
    MAU = "mau"
    PREV_USAGE_SNAPSHOTS = "prev_usage_snapshots"
    PREV_DAU = "prev_dau"
    PREV_MAU = "prev_mau"
    # Advocacy dated in P, by kind.
    REFERRALS = "referrals"
    REFERRALS_REFERRAL = "referrals_referral"
    REFERRALS_REVIEW = "referrals_review"
    REFERRALS_CASE_STUDY = "referrals_case_study"
    REFERRALS_REFERENCE = "referrals_reference"
    # Onboardings completed in P.
    ONBOARDINGS = "onboardings"
    ONBOARDING_DAYS = "onboarding_days"  # observations: days from signing to completion
    # Expected results of the starting cohort (kpis.engine.expected): accounts scored, and per
    # outcome the sum of the accounts' expectations and of their variances.
    EXP_N = "exp_n"
    EXP_PAYING = "exp_paying"  # sum of P(still paying at the end)
    EXP_PAYING_VAR = "exp_paying_var"  # sum of p (1 - p)
    EXP_KEPT = "exp_kept"  # sum of MRR(a, P.start) x expected gross retention ratio
    EXP_KEPT_VAR = "exp_kept_var"  # sum of MRR(a, P.start)^2 x its variance
    EXP_END = "exp_end"  # sum of MRR(a, P.start) x expected net retention ratio
    EXP_END_VAR = "exp_end_var"
    # Touchpoints logged by the CSM in P, by kind (tracked, never scored).
    TOUCHPOINTS = "touchpoints"
    TOUCHPOINTS_CALL = "touchpoints_call"
    TOUCHPOINTS_EMAIL = "touchpoints_email"
    TOUCHPOINTS_MEETING = "touchpoints_meeting"
    TOUCHPOINTS_QBR = "touchpoints_qbr"

    @classmethod
    def bridge(cls, kind: str) -> C:
        return cls(f"bridge_{kind}")

    @classmethod
    def referrals_of(cls, kind: str) -> C:
        return cls(f"referrals_{kind}")

    @classmethod
    def touchpoints_of(cls, kind: str) -> C:
        return cls(f"touchpoints_{kind}")


# Components that are lists of observations (for medians); every other one is a Decimal sum.
OBSERVATIONS = frozenset({C.FIRST_RESPONSE_MICROS, C.ONBOARDING_DAYS})


def _name(name: Any) -> C:
    if not isinstance(name, C):
        raise TypeError(f"Not a component name: {name!r} (use kpis.engine.components.C)")
    return name


class Components:
    """One subject's components: sums (Decimal) and observations (lists). Reading a component
    that was never added gives 0 (or an empty list); ``has`` tells whether it was added."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[C, Any] | None = None) -> None:
        self._values: dict[C, Any] = {}
        for name, value in (values or {}).items():
            self.add(name, value)

    def add(self, name: C, value: Any) -> None:
        name = _name(name)
        if name in OBSERVATIONS:
            self._values.setdefault(name, []).extend(value)
        else:
            self._values[name] = self._values.get(name, ZERO) + _decimal(value)

    def update(self, other: Components) -> None:
        for name, value in other.items():
            self.add(name, value)

    def __getitem__(self, name: C) -> Any:
        name = _name(name)
        return self._values.get(name, [] if name in OBSERVATIONS else ZERO)

    def has(self, name: C) -> bool:
        return _name(name) in self._values

    def items(self) -> Iterator[tuple[C, Any]]:
        return iter(self._values.items())

    __hash__ = None  # type: ignore[assignment]  # mutable: compared by value, never a key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Components):
            return NotImplemented
        mine = {k: sorted(v) if isinstance(v, list) else v for k, v in self._values.items()}
        theirs = {k: sorted(v) if isinstance(v, list) else v for k, v in other._values.items()}
        return mine == theirs

    def __repr__(self) -> str:
        return f"Components({ {k.value: v for k, v in self._values.items()} })"


# Components of every CSM: CSM id -> components.
PerCsm = dict[int, Components]


def add(out: PerCsm, csm: int | None, name: C, value: Any) -> None:
    """Add to one CSM's components (rows without an owner count for nobody)."""
    if csm is None:
        return
    if csm not in out:
        out[csm] = Components()
    out[csm].add(name, value)


def merge(parts: Iterable[PerCsm]) -> PerCsm:
    merged: PerCsm = {}
    for part in parts:
        for csm, comps in part.items():
            merged.setdefault(csm, Components()).update(comps)
    return merged


def combine(members: Iterable[Components]) -> Components:
    """The components of a team or segment: sums of its CSMs' sums, pooled observations."""
    out = Components()
    for comps in members:
        out.update(comps)
    return out


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError(f"A component must be exact, not the float {value!r}")
    return Decimal(value or 0)


# --- serialisation (the parts of a fanned-out run travel through the database) ------------------


def encode(part: PerCsm) -> dict[str, dict[str, Any]]:
    return {
        str(csm): {k.value: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in comps.items()}
        for csm, comps in part.items()
    }


def decode(payload: dict[str, dict[str, Any]]) -> PerCsm:
    """The inverse of ``encode``; an unknown component name raises ``ValueError``."""
    return {
        int(csm): Components(
            {C(k): [Decimal(x) for x in v] if isinstance(v, list) else Decimal(v) for k, v in comps.items()}
        )
        for csm, comps in payload.items()
    }
