"""The cycle summary PDF for HR's files: completion, who was left out and why, the distribution of
ratings per manager against the organisation, and every calibration change with its reason."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from kpis.periods import period_label
from reviews import cycle_reads
from reviews.models import ReviewCycle, ReviewStatus
from reviews.pdf import render_pdf, safe_filename
from reviews.wording import css_text


def summary_filename(cycle: ReviewCycle) -> str:
    """``2026-Q3 summary of the cycle.pdf``."""
    return safe_filename(cycle.period, "summary of the cycle")


def cycle_summary_context(cycle: ReviewCycle, *, viewer: User) -> dict:
    rows = cycle_reads.cycle_rows(cycle)
    counts = {s.value: 0 for s in ReviewStatus}
    for row in rows:
        counts[row.review.status] += 1
    session = cycle_reads.calibration_session(cycle=cycle, viewer=viewer)
    return {
        "cycle": cycle,
        "page_header": css_text(_("Review cycle %(p)s") % {"p": period_label(cycle.period)}),
        "total": len(rows),
        "counts": [(ReviewStatus(k).label, v) for k, v in counts.items()],
        "submitted": sum(1 for r in rows if r.review.reached(ReviewStatus.SUBMITTED)),
        "overdue": [r for r in rows if r.overdue],
        "progress": cycle_reads.manager_progress(rows),
        "excluded": list(cycle.exclusions.select_related("csm", "excluded_by").order_by("csm__name")),
        "s": session,
        "changes": sorted(session["changes"], key=lambda p: (p["csm"].name or "").lower()),
        "generated_at": timezone.now(),
    }


def cycle_summary_pdf(cycle: ReviewCycle, *, viewer: User) -> bytes:
    html = render_to_string("reviews/cycle_summary_pdf.html", cycle_summary_context(cycle, viewer=viewer))
    return render_pdf(html)
