"""Why an expected result or a lift has no number (docs/metrics.md, "Expected results and lift").

The engine stores a reason as a key and its parameters: in a fit (``ExpectedFit.reason`` and
``reason_params``) and in a value's breakdown (``{"reason": key, "reason_params": {...}}``), never
as a sentence; ``in_words`` puts it into words in the reader's language when it is shown.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import formatting
from kpis.engine.words import OUTCOME_NAMES
from kpis.periods import period_label

NOT_A_QUARTER = "not_a_quarter"
NO_MODEL = "no_model"
IN_PROGRESS = "in_progress"
NO_COHORT = "no_cohort"
SMALL_BOOK = "small_book"
FEW_QUARTERS = "few_history_quarters"
FEW_ACCOUNTS = "few_history_accounts"
CALIBRATION_GAP = "calibration_gap"
CALIBRATION_SLOPE = "calibration_slope"
# Every key, as the API's schema lists them.
KEYS = (
    NOT_A_QUARTER,
    NO_MODEL,
    IN_PROGRESS,
    NO_COHORT,
    SMALL_BOOK,
    FEW_QUARTERS,
    FEW_ACCOUNTS,
    CALIBRATION_GAP,
    CALIBRATION_SLOPE,
)

Reason = tuple[str, dict[str, Any]]  # (key, parameters): JSON both


def breakdown(reason: Reason) -> dict[str, Any]:
    """A value's breakdown holding the reason."""
    key, params = reason
    return {"reason": key, "reason_params": params}


def _n(x: Any, decimals: int = 1) -> str:
    return formatting.number(x, decimals)


def _pct(x: Any) -> str:
    """A percentage given in percent, the reader's way: "82.5%" (en), "%82,5" (tr)."""
    return formatting.percent(x, 1)


def in_words(key: str, params: dict[str, Any] | None = None) -> str:
    """The reason as a sentence. A key it does not know is shown as it is (a fit stored before the
    reasons were keys held the sentence itself)."""
    p = params or {}
    if key == NOT_A_QUARTER:
        return _("Expected results are computed for whole quarters only.")
    if key == NO_MODEL:
        return _("No expected-results model was fitted for this run.")
    if key == IN_PROGRESS:
        return _("The quarter is not over: its outcome is not known yet.")
    if key == NO_COHORT:
        return _("No account of the book was paying at the quarter's start.")
    if key == SMALL_BOOK:
        return ngettext(
            "Not enough data: %(n)s starting account, at least %(min)s needed.",
            "Not enough data: %(n)s starting accounts, at least %(min)s needed.",
            p["n"],
        ) % {"n": _n(p["n"], 0), "min": _n(p["min"], 0)}
    if key == FEW_QUARTERS:
        return ngettext(
            "Not enough history: %(n)s earlier quarter with paying accounts, at least %(min)s needed.",
            "Not enough history: %(n)s earlier quarters with paying accounts, at least %(min)s needed.",
            p["n"],
        ) % {"n": _n(p["n"], 0), "min": _n(p["min"], 0)}
    if key == FEW_ACCOUNTS:
        return _(
            "Not enough history: %(n)s accounts counted over the quarters before %(period)s, at least "
            "%(min)s needed."
        ) % {"n": _n(p["n"], 0), "period": period_label(p["period"]), "min": _n(p["min"], 0)}
    if key == CALIBRATION_GAP:
        return _(
            "Withheld: on the held-out quarter (%(quarter)s) the model expected %(name)s of %(predicted)s "
            "and %(actual)s happened, %(gap)s points apart, more than the %(allowed)s allowed."
        ) % {
            "quarter": period_label(p["quarter"]),
            "name": OUTCOME_NAMES[p["outcome"]],
            "predicted": _pct(p["predicted"]),
            "actual": _pct(p["actual"]),
            "gap": _n(abs(p["actual"] - p["predicted"])),
            "allowed": _n(p["allowed"]),
        }
    if key == CALIBRATION_SLOPE:
        return _(
            "Withheld: on the held-out quarter (%(quarter)s) the model's %(name)s told accounts apart badly "
            "(calibration slope %(slope)s, outside %(low)s to %(high)s)."
        ) % {
            "quarter": period_label(p["quarter"]),
            "name": OUTCOME_NAMES[p["outcome"]],
            "slope": _n(p["slope"], 2),
            "low": _n(p["low"]),
            "high": _n(p["high"]),
        }
    return key


def of_breakdown(values: dict[str, Any] | None) -> str:
    """The reason a value's breakdown holds, in words ("" when it holds none)."""
    if not values or not values.get("reason"):
        return ""
    return in_words(values["reason"], values.get("reason_params"))
