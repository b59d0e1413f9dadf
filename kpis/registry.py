"""The metric registry: one definition per metric key (docs/metrics.md). Keys are stable identifiers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import get_language, ngettext_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

HIGHER, LOWER, NEUTRAL = "higher", "lower", "neutral"
KPI, SERVICE, CONTEXT, TRACKED = "kpi", "service", "context", "tracked"
# Expected results and lift (docs/metrics.md): read beside the observed retention, not in the
# default review template.
EXPECTED = "expected"


@dataclass(frozen=True)
class Metric:
    key: str
    name: StrOrPromise  # lazily translated: the reader's language at the time of reading
    unit: str  # money, percent, pp, count, days, hours, score
    direction: str
    group: str  # kpi, service, context (stored extras), expected (expected results), tracked (never scored)
    help: StrOrPromise
    scored: bool = True
    benchmark: tuple[str, StrOrPromise] | None = None  # (value, source)
    # Below this sample size the value is "few data": greyed, never coloured as a change, kept out
    # of percentiles, medians and highlights (settings.KPI_MIN_SAMPLE overrides it per key).
    min_sample: int = 0
    # A total that grows with the days counted (a count, a sum of movements): while its period is in
    # progress it is not compared with the whole of the previous one.
    accumulates: bool = False
    # The key of a metric this one is the same quantity as, on another scale (an affine function of
    # it over the same rows): weighing both in a review template counts that quantity twice.
    same_quantity_as: str = ""
    # How the two relate, in the readers' words ("NRR − 100").
    same_quantity_how: StrOrPromise = ""
    # What the value's ``sample_size`` counts: a key of ``SAMPLE_UNITS`` ("accounts", "tickets" ...),
    # declared once here for every page, PDF and message that shows the sample.
    sample: str = field(kw_only=True)

    def __post_init__(self):
        if self.sample not in SAMPLE_UNITS:
            raise ValueError(f"{self.key}: unknown sample unit {self.sample!r}")

    @property
    def unit_label(self) -> str:
        return str(UNIT_LABELS[self.unit])

    @property
    def sample_noun(self) -> str:
        """What the sample counts, in the plural: "tickets"."""
        return str(SAMPLE_UNITS[self.sample][1])

    def sample_words(self, n: int) -> str:
        """The sample with its own unit, singular or plural as the language wants: "1 ticket",
        "121 touchpoints"."""
        return SAMPLE_UNITS[self.sample][0] % {"n": n}

    @property
    def minimum_sample(self) -> int:
        return min_sample(self.key)

    def is_few(self, value, sample_size: int | None) -> bool:
        """A value computed from fewer than the metric's minimum sample (None is no data, not few)."""
        return value is not None and (sample_size or 0) < self.minimum_sample


def _capitalised(text) -> str:
    """A name that starts a label with a capital, however its language put the words: Turkish puts
    the lowercase "hesap elde tutma oranı" first in "Lift in {name}". A Turkish i becomes İ."""
    text = str(text)
    first = text[:1]
    if (get_language() or "").startswith(("tr", "az")):
        first = {"i": "İ", "ı": "I"}.get(first, first)
    return first.upper() + text[1:]


capitalised = lazy(_capitalised, str)


UNIT_LABELS: dict[str, StrOrPromise] = {
    "money": "",
    "percent": "%",
    "pp": "pp",
    "count": "",
    "days": _("days"),
    "hours": _("h"),
    "score": "",
    "ratio": "",
}

# What a sample counts: the count in words (plural forms by ngettext) and the plural noun alone.
SAMPLE_UNITS = {
    "accounts": (ngettext_lazy("%(n)d account", "%(n)d accounts", "n"), _("accounts")),
    "tickets": (ngettext_lazy("%(n)d ticket", "%(n)d tickets", "n"), _("tickets")),
    "responses": (ngettext_lazy("%(n)d response", "%(n)d responses", "n"), _("responses")),
    "onboardings": (ngettext_lazy("%(n)d onboarding", "%(n)d onboardings", "n"), _("onboardings")),
    "usage_readings": (
        ngettext_lazy("%(n)d usage reading", "%(n)d usage readings", "n"),
        _("usage readings"),
    ),
    "advocacy_events": (
        ngettext_lazy("%(n)d advocacy event", "%(n)d advocacy events", "n"),
        _("advocacy events"),
    ),
    "touchpoints": (ngettext_lazy("%(n)d touchpoint", "%(n)d touchpoints", "n"), _("touchpoints")),
}

# Benchmarks are labelled as a reader would cite them: the source, never where we keep a copy.
SAAS_MEDIAN_2024 = _("SaaS median (Gainsight benchmarking data, SaaStr workshop, 2024)")

METRICS: tuple[Metric, ...] = (
    # The ten CSM KPIs.
    Metric(
        "portfolio_growth",
        _("Portfolio MRR growth"),
        "money",
        HIGHER,
        KPI,
        _(
            "Ending MRR minus starting MRR of the accounts the CSM owned when the period began (their cohort): "
            "expansions, upgrades and renewal uplifts less downgrades, contractions and churn. New business is "
            "excluded because new accounts are not in the cohort."
        ),
        accumulates=True,
        sample="accounts",
    ),
    Metric(
        "nrr",
        _("MRR retention (NRR)"),
        "percent",
        HIGHER,
        KPI,
        _(
            "Ending MRR of the starting cohort divided by its starting MRR, times 100. Above 100 means the book "
            "grew without new logos."
        ),
        benchmark=("106", SAAS_MEDIAN_2024),
        sample="accounts",
    ),
    Metric(
        "logo_retention",
        _("Account retention"),
        "percent",
        HIGHER,
        KPI,
        _(
            "Share of the starting cohort still paying (MRR above 0) at the end of the period. Logo churn is "
            "100 minus this."
        ),
        sample="accounts",
    ),
    Metric(
        "referrals",
        _("Referrals and advocacy"),
        "count",
        HIGHER,
        KPI,
        _(
            "Referrals, reviews, case studies and references dated in the period, counted for the account's "
            "owner on the event's date."
        ),
        accumulates=True,
        sample="advocacy_events",
    ),
    Metric(
        "adoption_change",
        _("Product adoption increase"),
        "pp",
        HIGHER,
        KPI,
        _(
            "For accounts in the book at the end with an adoption reading at both the start and the end: the mean "
            "change of features used / features available, in percentage points. A reading is the latest usage "
            "snapshot in the 30 days before the day."
        ),
        min_sample=3,
        sample="accounts",
    ),
    Metric(
        "ticket_reduction",
        _("Fewer support tickets"),
        "percent",
        HIGHER,
        KPI,
        _(
            "How much tickets per account fell against the previous period, in percent of the previous value. "
            "No data when the previous period had no tickets per account."
        ),
        min_sample=10,
        accumulates=True,
        sample="tickets",
    ),
    Metric(
        "onboarding_days",
        _("Onboarding time (time to value)"),
        "days",
        LOWER,
        KPI,
        _(
            "Median days from signing to onboarding completed, over accounts that completed onboarding in the "
            "period, counted for their owner on the completion date."
        ),
        min_sample=3,
        sample="onboardings",
    ),
    Metric(
        "onboardings",
        _("Onboardings completed"),
        "count",
        HIGHER,
        KPI,
        _(
            "Accounts that completed onboarding in the period, counted for their owner on the completion date."
        ),
        accumulates=True,
        sample="onboardings",
    ),
    Metric(
        "health_good_share",
        _("Customer health mix (good)"),
        "percent",
        HIGHER,
        KPI,
        _(
            "Of the accounts in the book at the end with a health reading in the last 31 days of the period, the "
            "share in band good. A snapshot's own band wins; otherwise 70+ is good, 40-69 average, below 40 poor."
        ),
        min_sample=3,
        sample="accounts",
    ),
    Metric(
        "stickiness_change",
        _("Product stickiness improvement"),
        "pp",
        HIGHER,
        KPI,
        _(
            "Stickiness (sum of DAU / sum of MAU over the period's usage snapshots) minus the previous period's, in "
            "percentage points. Snapshots with MAU 0 are skipped."
        ),
        sample="usage_readings",
    ),
    # Service metrics.
    Metric(
        "first_response_hours",
        _("First response time"),
        "hours",
        LOWER,
        SERVICE,
        _(
            "Median hours from a ticket's opening to its first response, over tickets opened in the period that "
            "have a first response."
        ),
        min_sample=10,
        sample="tickets",
    ),
    Metric(
        "first_contact_resolution",
        _("First contact resolution"),
        "percent",
        HIGHER,
        SERVICE,
        _(
            "Of tickets opened in the period and resolved before its end, the share resolved with at most one "
            "customer contact."
        ),
        min_sample=10,
        sample="tickets",
    ),
    Metric(
        "escalation_rate",
        _("Escalation rate"),
        "percent",
        LOWER,
        SERVICE,
        _("Share of the tickets opened in the period that were escalated."),
        min_sample=10,
        sample="tickets",
    ),
    Metric(
        "nps",
        _("Net Promoter Score"),
        "score",
        HIGHER,
        SERVICE,
        _("Promoters (9-10) minus detractors (0-6), over all NPS responses dated in the period, times 100."),
        benchmark=("35", SAAS_MEDIAN_2024),
        min_sample=5,
        sample="responses",
    ),
    Metric(
        "csat",
        _("Customer satisfaction (CSAT)"),
        "percent",
        HIGHER,
        SERVICE,
        _("Share of CSAT responses (1-5) dated in the period that scored 4 or 5."),
        min_sample=5,
        sample="responses",
    ),
    # Stored extras, shown for context.
    Metric(
        "portfolio_growth_rate",
        _("Portfolio growth rate"),
        "percent",
        HIGHER,
        CONTEXT,
        _("Portfolio MRR growth divided by the cohort's starting MRR, times 100."),
        accumulates=True,
        same_quantity_as="nrr",
        same_quantity_how=_("the portfolio growth rate is NRR minus 100"),
        sample="accounts",
    ),
    Metric(
        "gross_retention",
        _("Gross revenue retention (GRR)"),
        "percent",
        HIGHER,
        CONTEXT,
        _(
            "Sum over the starting cohort of the smaller of ending and starting MRR, divided by starting MRR: "
            "retention without expansion."
        ),
        sample="accounts",
    ),
    Metric(
        "starting_mrr",
        _("Starting MRR"),
        "money",
        HIGHER,
        CONTEXT,
        _("MRR of the starting cohort on the first day of the period."),
        sample="accounts",
    ),
    Metric(
        "book_size",
        _("Book size"),
        "count",
        NEUTRAL,
        CONTEXT,
        _("Accounts owned on the last day of the period with MRR above 0."),
        sample="accounts",
    ),
    Metric(
        "arr_managed",
        _("ARR managed"),
        "money",
        HIGHER,
        CONTEXT,
        _("12 times the ending MRR of the book at the end of the period."),
        sample="accounts",
    ),
    Metric(
        "tickets_per_account",
        _("Tickets per account"),
        "ratio",
        LOWER,
        CONTEXT,
        _("Tickets opened in the period for the CSM's accounts, divided by the book size at the end."),
        sample="tickets",
    ),
    Metric(
        "health_average_share",
        _("Customer health mix (average)"),
        "percent",
        NEUTRAL,
        CONTEXT,
        _("Share of the book with a health reading that is in band average."),
        sample="accounts",
    ),
    Metric(
        "health_poor_share",
        _("Customer health mix (poor)"),
        "percent",
        LOWER,
        CONTEXT,
        _("Share of the book with a health reading that is in band poor."),
        sample="accounts",
    ),
    Metric(
        "health_mix_change",
        _("Health mix change"),
        "pp",
        HIGHER,
        CONTEXT,
        _("Share of good health this period minus the previous period's, in percentage points."),
        sample="accounts",
    ),
    Metric(
        "stickiness",
        _("Stickiness"),
        "percent",
        HIGHER,
        CONTEXT,
        _("Sum of DAU divided by sum of MAU over the period's usage snapshots, times 100."),
        sample="usage_readings",
    ),
    Metric(
        "contacts_to_resolve",
        _("Contacts to resolve"),
        "ratio",
        LOWER,
        CONTEXT,
        _("Mean customer contacts of the tickets counted by first contact resolution."),
        min_sample=10,
        sample="tickets",
    ),
    Metric(
        "nps_change",
        _("NPS change"),
        "score",
        HIGHER,
        CONTEXT,
        _("NPS this period minus the previous period's."),
        min_sample=5,
        sample="responses",
    ),
    # Expected results and lift: what the book could be expected to do (docs/metrics.md).
    *(
        metric
        for key, name in (
            ("logo_retention", _("account retention")),
            ("gross_retention", _("gross revenue retention")),
            ("nrr", _("MRR retention (NRR)")),
        )
        for metric in (
            Metric(
                f"{key}_expected",
                capitalised(format_lazy(_("Expected {name}"), name=name)),
                "percent",
                NEUTRAL,
                EXPECTED,
                _(
                    "What the book could be expected to do: the mean of its starting accounts' expected results "
                    "(weighted by starting MRR for revenue), from the organisation's earlier quarters and what was "
                    "known of each account at the quarter's start (segment, health, tenure, size), never its CSM."
                ),
                sample="accounts",
            ),
            Metric(
                f"{key}_lift",
                capitalised(format_lazy(_("Lift in {name}"), name=name)),
                "pp",
                HIGHER,
                EXPECTED,
                _(
                    "Observed minus expected, in points, pulled toward 0 by how little the book's size lets us tell "
                    "skill from luck. No number below the minimum book or without enough history."
                ),
                sample="accounts",
            ),
            Metric(
                f"{key}_lift_low",
                # xgettext:no-python-format (a percent sign, not a placeholder)
                capitalised(format_lazy(_("Lift in {name}, 90 % interval low"), name=name)),
                "pp",
                NEUTRAL,
                EXPECTED,
                # xgettext:no-python-format (a percent sign, not a placeholder)
                _("The lower end of the lift's 90 % interval."),
                sample="accounts",
            ),
            Metric(
                f"{key}_lift_high",
                # xgettext:no-python-format (a percent sign, not a placeholder)
                capitalised(format_lazy(_("Lift in {name}, 90 % interval high"), name=name)),
                "pp",
                NEUTRAL,
                EXPECTED,
                # xgettext:no-python-format (a percent sign, not a placeholder)
                _("The upper end of the lift's 90 % interval."),
                sample="accounts",
            ),
        )
    ),
    # Tracked, never scored: effort is tracked, not rewarded.
    Metric(
        "touchpoints",
        _("Touchpoints"),
        "count",
        NEUTRAL,
        TRACKED,
        _(
            "Calls, emails, meetings and QBRs logged by the CSM in the period. Tracked, never scored or rated."
        ),
        scored=False,
        accumulates=True,
        sample="touchpoints",
    ),
)

REGISTRY: dict[str, Metric] = {m.key: m for m in METRICS}
KPI_KEYS = tuple(m.key for m in METRICS if m.group == KPI)
SERVICE_KEYS = tuple(m.key for m in METRICS if m.group == SERVICE)
EXPECTED_KEYS = tuple(m.key for m in METRICS if m.group == EXPECTED)
ALL_KEYS = tuple(REGISTRY)


def same_quantity_pairs(keys) -> list[tuple[Metric, Metric]]:
    """The pairs among ``keys`` that are the same quantity (``Metric.same_quantity_as``), each once."""
    chosen = set(keys)
    return [
        (REGISTRY[m.same_quantity_as], m) for m in METRICS if m.key in chosen and m.same_quantity_as in chosen
    ]


def metric(key: str) -> Metric:
    return REGISTRY[key]


# A review's own number beside the metrics: the quarter's OKR score.
OKR_SCORE = "okr_score"


def label(key: str) -> str:
    """The one way a metric key becomes words for people (pages, PDFs, emails, exports' headings):
    its name; the OKR score by its name; a key no longer registered (a metric retired since a review
    froze it) in words, never as a key."""
    if key == OKR_SCORE:
        return str(_("OKR score"))
    found = REGISTRY.get(key)
    return str(found.name) if found else str(key).replace("_", " ")


def min_sample(key: str) -> int:
    """The smallest sample a value of ``key`` needs to count: settings.KPI_MIN_SAMPLE, else the
    metric's default (docs/metrics.md, "Small samples": NPS and CSAT 5 responses, the ticket
    metrics 10 tickets, onboarding time 3 onboardings, adoption and health 3 accounts; 0 for the rest)."""
    overrides = getattr(settings, "KPI_MIN_SAMPLE", None) or {}
    if key in overrides:
        return int(overrides[key])
    return REGISTRY[key].min_sample if key in REGISTRY else 0
