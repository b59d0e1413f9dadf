"""The words people read about a review: field labels, sample nouns, the reasons a metric is left
out of the suggested rating. Keys and field names never reach a page, a PDF or a message."""

from __future__ import annotations

from decimal import Decimal

from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core import dates
from kpis import lifts_shown
from kpis.periods import Period, period_label
from kpis.registry import OKR_SCORE, REGISTRY, label
from kpis.scorecards import freshness_words
from reviews.models import Review, ReviewCycle

FIELD_LABELS = {
    "status": _("Status"),
    "reviewer": _("Reviewer"),
    "revision": _("Revision"),
    "snapshot": _("The numbers"),
    "snapshot_at": _("Numbers taken"),
    "suggested_rating": _("Suggested rating"),
    "suggested_detail": _("How the suggested rating is made"),
    "self_assessment": _("Self-review"),
    "manager_assessment": _("Manager's review"),
    "section_ratings": _("Manager's rating"),
    "self_ratings": _("Self-rating"),
    "quotes": _("Customers' words"),
    "self_quotes": _("Customers' words in the self-review"),
    "manager_quotes": _("Customers' words in the manager's review"),
    "final_rating": _("Overall rating"),
    "final_rating_reason": _("Reason for the overall rating"),
    "acknowledgement_comment": _("Acknowledgement comment"),
    "open_flags_at_acknowledgement": _("Flags not resolved at acknowledgement"),
    "self_submitted_at": _("Self-review submitted"),
    "submitted_at": _("Review submitted"),
    "acknowledged_at": _("Acknowledged"),
    "finalized_at": _("Finalized"),
    "finalized_by": _("Finalized by"),
    "version": _("Version"),
}


def css_text(text: str) -> str:
    """``text`` for a CSS string (a PDF's running header): every character but ASCII letters, digits
    and spaces as a CSS hex escape, so that a quote, a backslash or a hyphen prints as itself. Each
    escape ends with the one space CSS takes as its end, so the space after a "·" is kept."""
    return "".join(c if (c.isascii() and c.isalnum()) or c == " " else f"\\{ord(c):06x} " for c in str(text))


def metric_name(key: str) -> str:
    return label(key)


def sample_words(key: str, n: int) -> str:
    """ "1 response", "12 tickets", "121 touchpoints": the unit the registry declares for the metric."""
    metric = REGISTRY.get(key)
    return metric.sample_words(n) if metric else str(n)


INTERVAL_ENDS = ("_lift_low", "_lift_high")


def lift_interval(key: str, metrics: dict[str, dict]) -> str:
    """The words of a lift's 90 % interval, from the ends the snapshot keeps beside it ("" for any
    other metric, or when an end has no number)."""
    if not key.endswith("_lift"):
        return ""
    low, high = (_decimal((metrics.get(key + end) or {}).get("value")) for end in ("_low", "_high"))
    return "" if low is None or high is None else lifts_shown.interval_words(low, high)


def _decimal(x) -> Decimal | None:
    return None if x in (None, "") else Decimal(str(x))


def left_out_reason(item: dict) -> str:
    """Why a weighted metric is not in the suggested rating, in a reader's words."""
    if item.get("reason") == "few_data":
        metric = REGISTRY.get(item["metric"])
        return str(_("too few %(noun)s: %(n)s of at least %(min)s")) % {
            "noun": metric.sample_noun if metric else _("data"),
            "n": item.get("sample", 0),
            "min": item.get("min_sample"),
        }
    if item.get("reason") == "no_expectation":
        return str(
            _(
                "no lift: not enough data for an expected result (a small book, too little history or a "
                "model withheld)"
            )
        )
    if item["metric"] == OKR_SCORE:
        return str(_("no scored OKR this quarter"))
    return str(_("no data this quarter"))


def expected_model_words(snapshot: dict) -> str:
    """The model a review's expected results came from, in words; "" for a snapshot frozen before
    the snapshot kept it."""
    if "expected_model" not in snapshot:
        return ""
    fits = [f for f in snapshot["expected_model"] if f.get("status") == "ok"]
    if not fits:
        return str(
            _(
                "No expected results for this quarter: no model was fitted for its numbers, or it was withheld."
            )
        )
    fit = fits[0]
    quarters = fit.get("training_quarters") or []
    text = ngettext(
        "Expected results from the model fitted for %(period)s on %(n)d quarter (%(first)s to %(last)s)",
        "Expected results from the model fitted for %(period)s on %(n)d quarters (%(first)s to %(last)s)",
        len(quarters),
    ) % {
        "period": period_label(fit.get("period", "")),
        "n": len(quarters),
        "first": period_label(quarters[0]) if quarters else "—",
        "last": period_label(quarters[-1]) if quarters else "—",
    }
    fitted = parse_datetime(str(fit.get("fitted_at") or ""))
    if fitted:
        text += ", " + _("on %(when)s") % {"when": dates.moment(fitted)}
    return text + "."


def section_title(review: Review, key: str) -> str:
    return next((s["title"] for s in review.cycle.template.sections if s["key"] == key), key)


def field_label(review: Review, name: str) -> str:
    """The label of a form field (``section_outcomes``, ``rating_outcomes``, ``final_rating`` ...)."""
    for prefix, what in (
        ("section_", None),
        ("rating_", _("rating")),
        ("selfrating_", _("your rating")),
    ):
        if name.startswith(prefix):
            title = section_title(review, name[len(prefix) :])
            return f"{title} · {what}" if what else title
    return str(FIELD_LABELS.get(name, name.replace("_", " ").capitalize()))


def _metric_in_words(row: dict) -> dict:
    metric = REGISTRY.get(row["metric"])
    out = {
        **row,
        "name": row.get("name") or label(row["metric"]),
        "how_computed": row.get("how_computed") or (str(metric.help) if metric else ""),
    }
    benchmark = row.get("benchmark")
    if benchmark and not benchmark.get("source"):
        source = str(metric.benchmark[1]) if metric and metric.benchmark else ""
        out["benchmark"] = {**benchmark, "source": source}
    return out


def snapshot_in_words(snapshot: dict) -> dict:
    """A frozen snapshot with its words in the reader's language: each metric's name and how it is
    computed, the freshness warning. A snapshot keeps keys and parameters; words frozen before it
    did (and not recognised by the migration that turned them into keys) are shown as stored."""
    if not snapshot:
        return snapshot
    out = dict(snapshot)
    out["metrics"] = [_metric_in_words(m) for m in snapshot.get("metrics", [])]
    if "warning" in snapshot:
        out["warning"] = freshness_words(snapshot["warning"]) or None
    return out


def detail_in_words(detail: dict | None) -> dict | None:
    """The suggested rating's detail with each part's name in the reader's language (a name frozen
    before the detail kept keys only is shown as stored)."""
    if not detail:
        return detail
    out = dict(detail)
    for part in ("parts", "left_out"):
        if part in detail:
            out[part] = [{**p, "name": p.get("name") or label(p["metric"])} for p in detail[part]]
    return out


# What a cycle was opened despite (``ReviewCycle.opened_despite``), by code.
NOT_STARTED, NO_RUN = "not_started", "no_run"


def opening_warning_words(cycle: ReviewCycle, code: str) -> str:
    """A code of ``opening_warning_codes`` in the reader's words; any other text (a warning kept in
    words before the codes, not recognised by the migration) as it is."""
    p = Period.parse(cycle.period)
    if code == NOT_STARTED:
        return gettext(
            "%(period)s has not started (it starts on %(day)s): there is no activity yet, so every number "
            "of every review will read “no data” and no review will have a suggested rating."
        ) % {"period": period_label(p), "day": dates.day(p.start)}
    if code == NO_RUN:
        return gettext(
            "No KPI run of %(period)s is published yet: the reviews’ numbers will be empty and no review "
            "will have a suggested rating until its reviewer refreshes the numbers after a run."
        ) % {"period": period_label(p)}
    return code


def opened_despite_words(cycle: ReviewCycle) -> str:
    """What the cycle was opened despite, in the reader's words ("" when nothing)."""
    return opening_warning_words(cycle, cycle.opened_despite) if cycle.opened_despite else ""


def question_text(question: dict) -> str:
    """A question to a colleague in the reader's language when the template had its translation,
    else as written."""
    return (question.get("translations") or {}).get(get_language()) or question["text"]
