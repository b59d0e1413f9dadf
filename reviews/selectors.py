"""Review reads: what a viewer may see of a review (drafts stay hidden), lists, calibration."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from accounts.models import Role, User
from reviews.models import Review, ReviewCycle, ReviewStatus


@dataclass
class ReviewAccess:
    self_visible: bool
    manager_visible: bool
    can_write_self: bool
    can_write_manager: bool
    is_csm: bool
    is_reviewer: bool
    is_hr: bool


def access(review: Review, viewer: User) -> ReviewAccess:
    """The CSM's self-review and the manager's draft are hidden from each other until each is submitted."""
    is_csm = viewer.pk == review.csm_id
    is_reviewer = viewer.pk == review.reviewer_id or viewer.role == Role.ADMIN
    is_hr = viewer.role in (Role.HR, Role.ADMIN)
    return ReviewAccess(
        self_visible=is_csm or review.reached(ReviewStatus.MANAGER_REVIEW) or (is_hr and not is_reviewer),
        manager_visible=(is_reviewer or is_hr) if not is_csm else review.reached(ReviewStatus.SUBMITTED),
        can_write_self=is_csm and review.status == ReviewStatus.SELF_REVIEW,
        can_write_manager=is_reviewer and not review.reached(ReviewStatus.SUBMITTED),
        is_csm=is_csm,
        is_reviewer=is_reviewer,
        is_hr=is_hr,
    )


def reviews_for(*, viewer: User, cycle: ReviewCycle | None = None) -> QuerySet[Review]:
    qs = Review.objects.visible_to(viewer).select_related("cycle", "csm", "reviewer", "csm__team")
    return qs.filter(cycle=cycle) if cycle else qs


def content_hash(review: Review) -> str:
    """SHA-256 of what the review says (numbers, texts, ratings, disputes, comments, acknowledgement)."""
    content = {
        "review": review.pk,
        "revision": review.revision,
        "version": review.version,
        "csm": review.csm.email,
        "period": review.cycle.period,
        "snapshot": review.snapshot,
        "self_assessment": review.self_assessment,
        "manager_assessment": review.manager_assessment,
        "section_ratings": review.section_ratings,
        "suggested_rating": review.suggested_rating,
        "final_rating": review.final_rating,
        "final_rating_reason": review.final_rating_reason,
        "acknowledgement": review.acknowledgement_comment,
        "disputes": [[d.metric, d.comment, d.answer] for d in review.disputes.all()],
        "comments": [[c.author_id, c.body] for c in review.comments.all()],
    }
    canonical = json.dumps(content, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def history_of(review: Review) -> list[dict]:
    """Every change of the review: who, when, and each field's old and new value."""
    records = list(review.history.select_related("history_user").order_by("history_date", "history_id"))
    out = []
    for previous, record in zip([None, *records], records, strict=False):
        changes = []
        if previous is not None:
            delta = record.diff_against(previous)
            changes = [{"field": c.field, "old": c.old, "new": c.new} for c in delta.changes]
        out.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "type": record.get_history_type_display(),
                "status": record.status,
                "version": record.version,
                "reason": record.history_change_reason or "",
                "changes": changes,
            }
        )
    return out[::-1]


def calibration(*, cycle: ReviewCycle) -> dict:
    """Distribution of final ratings per manager, and final rating against KPI percentile per CSM."""
    reviews = list(cycle.reviews.select_related("csm", "reviewer"))
    weighted = set(cycle.template.kpi_weights)
    per_manager: dict[str, Counter] = defaultdict(Counter)
    points = []
    for r in reviews:
        if r.final_rating is None:
            continue
        per_manager[str(r.reviewer)][r.final_rating] += 1
        # Percentiles in the segment, across teams: within one team they average 50 by construction.
        pcts = [
            Decimal(str(m["segment_percentile"]))
            for m in r.snapshot.get("metrics", [])
            if m["metric"] in weighted and m.get("segment_percentile") is not None
        ]
        pct = (sum(pcts) / len(pcts)).quantize(Decimal("0.1")) if pcts else None
        points.append(
            {
                "csm": r.csm,
                "manager": r.reviewer,
                "rating": r.final_rating,
                "percentile": pct,
                "suggested": r.suggested_rating,
            }
        )
    scale = cycle.template.scale_values
    managers = []
    for name, counts in sorted(per_manager.items()):
        n = sum(counts.values())
        mean = Decimal(sum(k * v for k, v in counts.items())) / n
        mgr_points = [p for p in points if str(p["manager"]) == name and p["percentile"] is not None]
        mean_pct = (
            (sum(p["percentile"] for p in mgr_points) / len(mgr_points)).quantize(Decimal("0.1"))
            if mgr_points
            else None
        )
        managers.append(
            {
                "manager": name,
                "counts": [counts.get(v, 0) for v in scale],
                "n": n,
                "mean": mean.quantize(Decimal("0.01")),
                "mean_percentile": mean_pct,
            }
        )
    overall = [p["rating"] for p in points]
    overall_mean = (Decimal(sum(overall)) / len(overall)).quantize(Decimal("0.01")) if overall else None
    for m in managers:
        m["flag"] = ""
        if overall_mean is not None and len(managers) > 1:
            if m["mean"] - overall_mean >= Decimal("0.5"):
                m["flag"] = "lenient"
            elif overall_mean - m["mean"] >= Decimal("0.5"):
                m["flag"] = "harsh"
    return {"scale": scale, "managers": managers, "points": points, "overall_mean": overall_mean}
