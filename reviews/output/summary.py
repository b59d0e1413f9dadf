"""The cycle summary PDF for HR's files: completion, who was left out and why, the distribution of
ratings per manager against the organisation, and every calibration change with its reason. Like a
review's PDF it carries the SHA-256 of what it says (``summary_hash``) and names the time zone of
the times it prints."""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from kpis.periods import period_label
from reviews.cycles import selectors as cycle_selectors
from reviews.models import ReviewCycle, ReviewStatus
from reviews.output.pdf import render_pdf, safe_filename
from reviews.wording import css_text


def summary_filename(cycle: ReviewCycle) -> str:
    """``2026-Q3 summary of the cycle.pdf``, in the language active (the reader's)."""
    return safe_filename(_("%(period)s summary of the cycle") % {"period": cycle.period})


def cycle_summary_context(cycle: ReviewCycle, *, viewer: User | None) -> dict:
    rows = cycle_selectors.cycle_rows(cycle)
    counts = {s.value: 0 for s in ReviewStatus}
    for row in rows:
        counts[row.review.status] += 1
    session = cycle_selectors.calibration_session(cycle=cycle, viewer=viewer)
    return {
        "cycle": cycle,
        "page_header": css_text(_("Review cycle %(p)s") % {"p": period_label(cycle.period)}),
        "total": len(rows),
        "counts": [(ReviewStatus(k).label, v) for k, v in counts.items()],
        "submitted": sum(1 for r in rows if r.review.reached(ReviewStatus.SUBMITTED)),
        "overdue": [r for r in rows if r.overdue],
        "progress": cycle_selectors.manager_progress(rows),
        "excluded": list(cycle.exclusions.select_related("csm", "excluded_by").order_by("csm__name")),
        "s": session,
        "changes": sorted(session["changes"], key=lambda p: (p["csm"].name or "").lower()),
        "generated_at": timezone.now(),
        "reader_zone": timezone.get_current_timezone_name(),
    }


def summary_hash(context: dict) -> str:
    """SHA-256 of what the summary says (``cycle_summary_context``): the cycle and its due dates, each
    review's state, who was left out and why, the distribution and every calibration change; not
    when it was printed nor the reader's language or time zone, so the same content prints the same
    hash."""
    cycle, s = context["cycle"], context["s"]

    def email(user):
        return user.email if user else None

    content = {
        "cycle": cycle.pk,
        "period": cycle.period,
        "status": cycle.status,
        "due": [cycle.self_review_due, cycle.manager_review_due],
        "created_by": email(cycle.created_by),
        "opened_despite": cycle.opened_despite,
        "calibration_override_reason": cycle.calibration_override_reason,
        "reviews": sorted(
            [r.pk, r.csm.email, r.status, r.version, r.rating]
            for r in cycle.reviews.select_related("csm").order_by("pk")
        ),
        "overdue": sorted(row.review.pk for row in context["overdue"]),
        "progress": [[p.manager, p.total, p.submitted, p.finalized, p.overdue] for p in context["progress"]],
        "excluded": [[e.csm.email, e.reason] for e in context["excluded"]],
        "distribution": {k: s[k] for k in ("scale", "managers", "org", "org_n", "org_mean")},
        "changes": [
            [
                email(p["csm"]),
                email(p["reviewer"]),
                p["manager_rating"],
                p["rating"],
                p["review"].calibration_reason,
                email(p["review"].calibrated_by),
                p["review"].calibrated_at,
            ]
            for p in context["changes"]
        ],
    }
    canonical = json.dumps(content, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def cycle_summary_pdf(cycle: ReviewCycle, *, viewer: User | None) -> bytes:
    context = cycle_summary_context(cycle, viewer=viewer)
    context["hash"] = summary_hash(context)
    html = render_to_string("reviews/cycle_summary_pdf.html", context)
    return render_pdf(html)
