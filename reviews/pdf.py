"""The review as a PDF (WeasyPrint): the whole review, its numbers with comparisons and trend
charts (the scorecard's chart module), OKRs, comments, disputes, acknowledgement, the methodology,
and on the last page the version and a SHA-256 of the content."""

from __future__ import annotations

from decimal import Decimal

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from kpis import charts
from kpis.registry import KPI, METRICS, REGISTRY, SERVICE
from reviews.models import Review
from reviews.selectors import content_hash


def _d(x) -> Decimal | None:
    return None if x in (None, "") else Decimal(str(x))


def review_pdf_context(review: Review) -> dict:
    metrics = {m["metric"]: m for m in review.snapshot.get("metrics", [])}
    rows = []
    # Trend charts for the metrics the template weighs: the numbers the rating stands on.
    charted = set(review.cycle.template.kpi_weights)
    for group, title in ((KPI, "The ten CSM KPIs"), (SERVICE, "Service metrics")):
        items = []
        for m in METRICS:
            if m.group != group or m.key not in metrics:
                continue
            s = metrics[m.key]
            trend = s.get("trend", [])
            items.append(
                {
                    "metric": m,
                    "value": _d(s["value"]),
                    "previous": _d(s["previous"]),
                    "change": _d(s["change"]),
                    "change_is": s.get("change_is") or "",
                    "sample": s["sample_size"],
                    "team_median": _d(s["team_median"]),
                    "team_percentile": _d(s["team_percentile"]),
                    "segment_percentile": _d(s["segment_percentile"]),
                    "benchmark": s.get("benchmark"),
                    "chart": charts.print_trend([t["period"] for t in trend], [_d(t["value"]) for t in trend])
                    if m.key in charted
                    else None,
                }
            )
        rows.append((title, items))
    template = review.cycle.template
    return {
        "review": review,
        "template": template,
        "sections": template.sections,
        "groups": rows,
        "okrs": review.snapshot.get("okrs") or {},
        "run": review.snapshot.get("run"),
        "disputes": list(review.disputes.select_related("raised_by", "answered_by")),
        "comments": list(review.comments.select_related("author")),
        "methodology": [m for m in METRICS if m.group in (KPI, SERVICE)] + [REGISTRY["touchpoints"]],
        "final_label": template.label_of(review.final_rating),
        "hash": content_hash(review),
        "generated_at": timezone.now(),
        "time_zone": settings.TIME_ZONE,
    }


def review_pdf(review: Review) -> bytes:
    html = render_to_string("reviews/pdf.html", review_pdf_context(review))
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
