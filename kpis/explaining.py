"""How a drill-down's total makes its number, in words: "Ending MRR $104,640.00 ÷ starting MRR
$120,000.00 × 100 = 87.20%". The parts are the value's own numerator and denominator, derived from
the components the drill-down's rows add up to (``kpis.engine.drilldown``): the sentence is the
stored number's arithmetic, not a second computation."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import formatting
from kpis.engine.drilldown import Explanation
from kpis.engine.formulas import derive
from kpis.templatetags.kpi_format import format_value, money, number

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Per metric: the sentence, with {num}, {den} (the value's numerator and denominator), {n} (its
# sample) and {value}; and how the numerator and denominator are written ("money", "number",
# "percent": a share already times 100, "score").
SENTENCES: dict[str, tuple[StrOrPromise, str]] = {
    "nrr": (gettext_lazy("Ending MRR {num} ÷ starting MRR {den} × 100 = {value}"), "money"),
    "portfolio_growth": (gettext_lazy("Ending MRR {num} − starting MRR {den} = {value}"), "money"),
    "portfolio_growth_rate": (
        gettext_lazy("Ending less starting MRR {num} ÷ starting MRR {den} × 100 = {value}"),
        "money",
    ),
    "gross_retention": (gettext_lazy("Retained MRR {num} ÷ starting MRR {den} × 100 = {value}"), "money"),
    "logo_retention": (
        gettext_lazy("Accounts still paying {num} ÷ accounts of the cohort {den} × 100 = {value}"),
        "number",
    ),
    "starting_mrr": (gettext_lazy("Starting MRR of the {n} accounts of the cohort = {value}"), "money"),
    "book_size": (gettext_lazy("Accounts in the book = {value}"), "number"),
    "arr_managed": (gettext_lazy("12 × the ending MRR of the {n} accounts of the book = {value}"), "money"),
    "referrals": (gettext_lazy("Events counted = {value}"), "number"),
    "adoption_change": (
        gettext_lazy("Sum of the changes {num} pp ÷ accounts counted {den} = {value}"),
        "number",
    ),
    "tickets_per_account": (gettext_lazy("Tickets {num} ÷ accounts in the book {den} = {value}"), "number"),
    "ticket_reduction": (
        gettext_lazy(
            "Tickets per account, previous less this period, {num} ÷ previous {den} × 100 = {value}"
        ),
        "number",
    ),
    "onboarding_days": (gettext_lazy("The median of {n} onboardings = {value}"), "number"),
    "onboardings": (gettext_lazy("Onboardings counted = {value}"), "number"),
    "health_good_share": (
        gettext_lazy("Accounts in band good {num} ÷ accounts with a reading {den} × 100 = {value}"),
        "number",
    ),
    "health_average_share": (
        gettext_lazy("Accounts in band average {num} ÷ accounts with a reading {den} × 100 = {value}"),
        "number",
    ),
    "health_poor_share": (
        gettext_lazy("Accounts in band poor {num} ÷ accounts with a reading {den} × 100 = {value}"),
        "number",
    ),
    "health_mix_change": (
        gettext_lazy("Good share {num} − the previous period's {den} = {value}"),
        "percent",
    ),
    "stickiness": (
        gettext_lazy("Daily active users {num} ÷ monthly active users {den} × 100 = {value}"),
        "number",
    ),
    "stickiness_change": (
        gettext_lazy("Stickiness {num} − the previous period's {den} = {value}"),
        "percent",
    ),
    "first_response_hours": (gettext_lazy("The median of {n} first responses = {value}"), "number"),
    "first_contact_resolution": (
        gettext_lazy("Resolved with at most one contact {num} ÷ resolved {den} × 100 = {value}"),
        "number",
    ),
    "contacts_to_resolve": (
        gettext_lazy("Customer contacts {num} ÷ resolved tickets {den} = {value}"),
        "number",
    ),
    "escalation_rate": (gettext_lazy("Escalated {num} ÷ tickets {den} × 100 = {value}"), "number"),
    "nps": (gettext_lazy("Promoters less detractors {num} ÷ responses {den} × 100 = {value}"), "number"),
    "nps_change": (gettext_lazy("NPS {num} − the previous period's {den} = {value}"), "score"),
    "csat": (gettext_lazy("Scoring 4 or 5 {num} ÷ responses {den} × 100 = {value}"), "number"),
    "touchpoints": (gettext_lazy("Touchpoints counted = {value}"), "number"),
    "logo_retention_expected": (
        gettext_lazy("Accounts expected to still pay {num} ÷ accounts of the cohort {den} × 100 = {value}"),
        "number",
    ),
    "gross_retention_expected": (
        gettext_lazy("Expected retained MRR {num} ÷ starting MRR {den} × 100 = {value}"),
        "money",
    ),
    "nrr_expected": (gettext_lazy("Expected ending MRR {num} ÷ starting MRR {den} × 100 = {value}"), "money"),
}


def _part(x: Decimal | None, how: str) -> str:
    if x is None:
        return _("no data")
    if how == "money":
        return money(x)
    if how == "percent":
        return formatting.percent(x, 2)
    x = x.normalize()
    exponent = x.as_tuple().exponent  # an int for every finite number (a value is never NaN)
    decimals = max(0, -exponent) if isinstance(exponent, int) else 2
    return number(x, min(decimals, 2))


def adds_up(explanation: Explanation) -> str:
    """The arithmetic of the value from its total, or "" when there is no value."""
    value = derive(explanation.components)[explanation.metric]
    if value.value is None or explanation.metric not in SENTENCES:
        return ""
    sentence, how = SENTENCES[explanation.metric]
    return str(sentence).format(
        num=_part(value.numerator, how),
        den=_part(value.denominator, how),
        n=number(value.sample_size, 0),
        value=format_value(value.value, explanation.metric),
    )
