"""The lifts of a run: each subject's raw lift (observed minus expected, from ``formulas.derive``)
shrunk toward 0 together with the other subjects of its kind (CSMs, teams, segments) by empirical
Bayes (``kpis.engine.expected.shrink``), with its 90 % interval; or no number, with the reason (a
key and its parameters, kpis.engine.reasons; docs/metrics.md, "Expected results and lift"). Pure: values in, values out, no database.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from kpis.engine import reasons
from kpis.engine.expected import OUTCOMES, shrink
from kpis.engine.formulas import Value, round2
from kpis.periods import Period

Fits = dict[str, tuple[str, str, dict[str, Any]]]  # outcome -> (status, reason key, its parameters)


def withheld_reasons(period: Period, to_date: bool, fits: Fits) -> dict[str, reasons.Reason]:
    """Per outcome, why no lift is shown for anyone this run (absent: lifts are shown), as a reason
    key and its parameters (kpis.engine.reasons). ``fits``: the run's fits (kpis.models.ExpectedFit)."""
    out: dict[str, reasons.Reason] = {}
    for outcome in OUTCOMES:
        if not period.is_quarter:
            out[outcome] = reasons.NOT_A_QUARTER, {}
        elif outcome not in fits:
            out[outcome] = reasons.NO_MODEL, {}
        elif fits[outcome][0] != "ok":
            out[outcome] = fits[outcome][1], fits[outcome][2]
        elif to_date:
            out[outcome] = reasons.IN_PROGRESS, {}
    return out


def _d(x: float) -> Decimal:
    return round2(Decimal(repr(x)))


def _empty(v: Value, reason: reasons.Reason) -> None:
    v.value = None
    v.breakdown = reasons.breakdown(reason)


def shrink_subjects(subjects: list[dict[str, Value]], withheld: dict[str, reasons.Reason]) -> None:
    """Fill each subject's ``<outcome>_lift``, ``_lift_low`` and ``_lift_high`` in place: the shrunk
    lift and its 90 % interval for the subjects with a book of at least ``KPI_EXPECTED_MIN_BOOK``
    starting accounts, all three null with the reason for the others (``withheld``: the run's
    reasons for every subject, ``withheld_reasons``)."""
    min_book = settings.KPI_EXPECTED_MIN_BOOK
    for outcome in OUTCOMES:
        eligible: list[tuple[dict[str, Value], float, float]] = []
        for values in subjects:
            expected, lift = values[f"{outcome}_expected"], values[f"{outcome}_lift"]
            raw, se = lift.breakdown.pop("raw", None), lift.breakdown.pop("se", None)
            reason = withheld.get(outcome)
            if expected.value is None:
                reason = reason or (reasons.NO_COHORT, {})
                expected.breakdown = reasons.breakdown(reason)
            elif not reason and expected.sample_size < min_book:
                reason = reasons.SMALL_BOOK, {"n": expected.sample_size, "min": min_book}
            if reason or raw is None:
                for suffix in ("lift", "lift_low", "lift_high"):
                    _empty(values[f"{outcome}_{suffix}"], reason or (reasons.NO_COHORT, {}))
                continue
            eligible.append((values, float(raw), float(se)))
        tau2, shrunk = shrink([raw for _, raw, _ in eligible], [se for _, _, se in eligible])
        for (values, raw, se), s in zip(eligible, shrunk, strict=True):
            lift = values[f"{outcome}_lift"]
            lift.value = _d(s.lift)
            lift.breakdown = {
                "raw_lift": str(_d(raw)),
                "standard_error": str(_d(se)),
                "weight": f"{s.weight:.3f}",
                "between_variance": f"{tau2:.4f}",
                "subjects_shrunk_together": len(eligible),
            }
            values[f"{outcome}_lift_low"].value = _d(s.low)
            values[f"{outcome}_lift_high"].value = _d(s.high)
