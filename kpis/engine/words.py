"""The expected-results model's outcomes, inputs and levels as people say them (the drill-down and
the page "How expected results are computed"); the engine keeps the keys."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.models import Segment
from activity.models import HealthBand

OUTCOME_NAMES = {
    "logo_retention": _("account retention"),
    "gross_retention": _("gross revenue retention"),
    "nrr": _("net revenue retention"),
}
INPUT_NAMES = {
    "segment": _("segment"),
    "health": _("health at the quarter's start"),
    "tenure": _("time since signing"),
    "size": _("MRR size"),
}
TENURE = {
    "under_1_year": _("under a year"),
    "1_to_2_years": _("1 to 2 years"),
    "over_2_years": _("over 2 years"),
}
SIZE = {
    "smallest_quarter": _("the smallest quarter of accounts"),
    "second_quarter": _("the second quarter of accounts by MRR"),
    "third_quarter": _("the third quarter of accounts by MRR"),
    "largest_quarter": _("the largest quarter of accounts"),
}


def level(what: str, key: str) -> str:
    """One level of one input in words: ("health", "poor") -> "Poor"; "none" -> "no reading"."""
    if what == "segment":
        return str(dict(Segment.choices).get(key, key))
    if what == "health":
        return str(_("no reading")) if key == "none" else str(dict(HealthBand.choices).get(key, key))
    return str({"tenure": TENURE, "size": SIZE}.get(what, {}).get(key, key))
