"""The suggested rating explained, for the page and the PDF alike: each weighted metric with its
name, weight, floor / target / stretch, this quarter's value and sample, the points it earns and its
contribution; the OKR part; the metrics left out and why, with the re-weighting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core import formatting
from kpis.registry import REGISTRY
from kpis.templatetags.kpi_format import format_value
from reviews.models import ReviewTemplate
from reviews.wording import OKR_SCORE, left_out_reason, metric_name, sample_words


def _fmt(key: str, value) -> str:
    if value in (None, ""):
        return "—"
    if key == OKR_SCORE:
        return formatting.number(value, 2)
    return format_value(value, REGISTRY[key]) if key in REGISTRY else str(value)


def _number(text) -> str:
    """A weight as people write it, the reader's language's way: 2, 1.5 (not 2.00); 1,5 in Spanish."""
    if text in (None, ""):
        return ""
    exponent = Decimal(str(text)).normalize().as_tuple().exponent
    return formatting.number(text, max(0, -int(exponent)))


def _row(item: dict) -> dict:
    key = item["metric"]
    return {
        "name": item.get("name") or metric_name(key),
        "weight": _number(item["weight"]),
        "floor": _fmt(key, item.get("floor")),
        "target": _fmt(key, item.get("target")),
        "stretch": _fmt(key, item.get("stretch")),
        "value": _fmt(key, item.get("value")),
        "sample": sample_words(key, item["sample"]) if "sample" in item else "",
        "rating": item.get("rating"),
        "share": item.get("share"),
        "contribution": item.get("contribution"),
        "is_okr": key == OKR_SCORE,
    }


def _with_shares(parts: list[dict]) -> list[dict]:
    """Each part's share of the weight used and its contribution to the mean, worked out from its
    weight and points when the detail was frozen before they were stored (the same rounding as
    ``services.suggested_rating``)."""
    if all("share" in p and "contribution" in p for p in parts):
        return parts
    rated = [p for p in parts if p.get("rating") not in (None, "") and p.get("weight") not in (None, "")]
    total = sum((Decimal(str(p["weight"])) for p in rated), Decimal(0))
    if not total:
        return parts
    out = []
    for p in parts:
        if p in rated and ("share" not in p or "contribution" not in p):
            weight, points = Decimal(str(p["weight"])), Decimal(str(p["rating"]))
            out.append(
                {
                    **p,
                    "share": str((weight / total * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)),
                    "contribution": str((weight * points / total).quantize(Decimal("0.01"), ROUND_HALF_UP)),
                }
            )
        else:
            out.append(p)
    return out


def suggested_explained(rating: Decimal | None, detail: dict, template: ReviewTemplate) -> dict | None:
    """What the explanation table shows; None when there is no detail to explain."""
    if not detail:
        return None
    parts = _with_shares(detail.get("parts", []))
    left_out = detail.get("left_out")
    if left_out is None:  # a detail written before the explanation existed: names only
        left_out = [{"metric": k, "weight": "", "reason": "no_data"} for k in detail.get("missing", [])]
    low, high = detail.get("scale") or [min(template.scale_values), max(template.scale_values)]
    rounded = detail.get("rounded")
    return {
        "rows": [_row(p) for p in parts if p["metric"] != OKR_SCORE],
        "okr": next((_row(p) for p in parts if p["metric"] == OKR_SCORE), None),
        "left_out": [
            {**_row({**m, "weight": m.get("weight", "")}), "why": left_out_reason(m)} for m in left_out
        ],
        "weight_total": _number(detail.get("weight_total")),
        "weight_used": _number(detail.get("weight_used")),
        "complete": "weight_total" in detail,
        # Frozen before the floors, targets and stretch values were kept with the review.
        "without_targets": any("floor" not in p for p in parts if p["metric"] != OKR_SCORE),
        "rating": rating,
        "rounded": rounded,
        "rounded_label": template.label_of(rounded) if rounded is not None else "",
        "low": low,
        "high": high,
        "mid": (Decimal(low) + Decimal(high)) / 2,
        "okr_rule": _("OKR score 0.00 earns %(low)s, 1.00 earns %(high)s, linear between.")
        % {"low": low, "high": high},
    }
