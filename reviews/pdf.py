"""The review as a PDF (WeasyPrint): the whole review, its numbers with comparisons and trend
charts (the scorecard's chart module), OKRs, comments, disputes, acknowledgement, the methodology,
and on the last page the version and a SHA-256 of the content. Rendered for one viewer: what the
access rule (``reviews.access``) hides from them is not in it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from kpis import charts
from kpis.registry import KPI, METRICS, REGISTRY, SERVICE
from reviews import explain, wording
from reviews.access import review_view
from reviews.models import Review
from reviews.selectors import content_hash


def _d(x) -> Decimal | None:
    return None if x in (None, "") else Decimal(str(x))


def _moment(text: str | None) -> str:
    if not text:
        return ""
    return date_format(timezone.localtime(datetime.datetime.fromisoformat(text)), "j M Y, H:i T")


def review_pdf_context(review: Review, *, viewer: User | None) -> dict:
    view = review_view(viewer, review)
    metrics = {m["metric"]: m for m in review.snapshot.get("metrics", [])}
    rows = []
    # Trend charts for the metrics the template weighs: the numbers the rating stands on.
    charted = set(review.cycle.template.kpi_weights)
    minimums = review.cycle.template.min_samples or {}
    for group, title in ((KPI, "The ten CSM KPIs"), (SERVICE, "Service metrics")):
        items = []
        for m in METRICS:
            if m.group != group or m.key not in metrics:
                continue
            s = metrics[m.key]
            trend = s.get("trend", [])
            sample, minimum = int(s.get("sample_size") or 0), minimums.get(m.key)
            few = bool(minimum) and s["value"] is not None and sample < int(minimum)
            items.append(
                {
                    "metric": m,
                    "value": _d(s["value"]),
                    "previous": _d(s["previous"]),
                    "change": _d(s["change"]),
                    # Below its minimum sample a change is not coloured (docs/metrics.md, "Small samples").
                    "change_is": "" if few else s.get("change_is") or "",
                    "sample": sample,
                    "sample_words": wording.sample_words(m.key, sample),
                    "few_data": few,
                    "min_sample": minimum,
                    "citation": str(m.benchmark[1]) if m.benchmark else "",
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
    run = review.snapshot.get("run")
    return {
        "review": review,
        "view": view,
        # The parts of the review the viewer may read; a hidden one is None (the PDF says so).
        "shown": view.mask(
            {
                "self_assessment": review.self_assessment,
                "self_ratings": review.self_ratings,
                "manager_assessment": review.manager_assessment,
                "section_ratings": review.section_ratings,
                "suggested_rating": review.suggested_rating,
                "suggested_detail": review.suggested_detail,
                "final_rating": review.final_rating,
                "final_rating_reason": review.final_rating_reason,
            }
        ),
        "template": template,
        "sections": template.sections,
        "groups": rows,
        "okrs": review.snapshot.get("okrs") or {},
        "run": run,
        "run_as_of": date_format(datetime.date.fromisoformat(run["as_of"]), "j M Y") if run else "",
        "run_finished": _moment(run.get("finished_at")) if run else "",
        "explained": explain.suggested_explained(review.suggested_rating, review.suggested_detail, template)
        if view.manager_visible
        else None,
        "reader_zone": timezone.get_current_timezone_name(),
        "disputes": list(review.disputes.select_related("raised_by", "answered_by")),
        "comments": list(review.comments.select_related("author")),
        "methodology": [m for m in METRICS if m.group in (KPI, SERVICE)] + [REGISTRY["touchpoints"]],
        "final_label": template.label_of(review.final_rating) if view.manager_visible else "",
        "hash": content_hash(review, view),
        "generated_at": timezone.now(),
        "time_zone": settings.TIME_ZONE,
    }


def review_pdf(review: Review, *, viewer: User | None) -> bytes:
    """The PDF as ``viewer`` may read it (the page's reader, or the HR person who exports a cycle)."""
    html = render_to_string("reviews/pdf.html", review_pdf_context(review, viewer=viewer))
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
