"""Review reads: lists, the content hash and the history as a viewer may see them (drafts stay
hidden: ``reviews.access``), calibration."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from accounts.models import User
from reviews.access import EVERYTHING, HIDDEN, ReviewView, review_view
from reviews.models import Review, ReviewCycle


def reviews_for(*, viewer: User, cycle: ReviewCycle | None = None) -> QuerySet[Review]:
    qs = Review.objects.visible_to(viewer).select_related("cycle", "csm", "reviewer", "csm__team")
    return qs.filter(cycle=cycle) if cycle else qs


def content_hash(review: Review, view: ReviewView = EVERYTHING) -> str:
    """SHA-256 of what the review says (numbers, texts, ratings, disputes, comments, acknowledgement),
    as ``view`` sees it: a part hidden from the viewer counts as hidden, never as its text."""
    content = {
        "review": review.pk,
        "revision": review.revision,
        "version": review.version,
        "csm": review.csm.email,
        "period": review.cycle.period,
        "snapshot": review.snapshot,
        **view.mask(
            {
                "self_assessment": review.self_assessment,
                "manager_assessment": review.manager_assessment,
                "section_ratings": review.section_ratings,
                "suggested_rating": review.suggested_rating,
                "final_rating": review.final_rating,
                "final_rating_reason": review.final_rating_reason,
            },
            placeholder=HIDDEN,
        ),
        "acknowledgement": review.acknowledgement_comment,
        "disputes": [[d.metric, d.comment, d.answer] for d in review.disputes.all()],
        "comments": [[c.author_id, c.body] for c in review.comments.all()],
    }
    canonical = json.dumps(content, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def history_of(review: Review, viewer: User | None, *, admin_site: bool = False) -> list[dict]:
    """Every change of the review as ``viewer`` may see it: who, when, each field's old and new value.

    Each historical record is masked by the access rule at that record's status: a draft that was
    never submitted (the CSM's self-review before submission, the manager's before theirs) shows
    as "hidden until submitted", so a diff never reveals its text nor that it changed; the text
    appears once, at the record where it was submitted. A record whose only changes are hidden
    (a draft save) is left out. Newest first."""
    records = list(review.history.select_related("history_user").order_by("history_date", "history_id"))
    if not records:
        return []
    fields = [f for f in records[0].tracked_fields if f.editable]
    out, previous = [], None
    for record in records:
        view = review_view(viewer, review, status=record.status, admin_site=admin_site)
        hidden = view.hidden_fields
        values = {f.name: HIDDEN if f.name in hidden else getattr(record, f.attname) for f in fields}
        changes, hidden_change = [], False
        if previous is not None:
            before, before_hidden, before_record = previous
            for f in fields:
                if values[f.name] != before[f.name]:
                    changes.append({"field": f.name, "old": before[f.name], "new": values[f.name]})
                elif (f.name in hidden or f.name in before_hidden) and getattr(record, f.attname) != getattr(
                    before_record, f.attname
                ):
                    hidden_change = True
        previous = (values, hidden, record)
        if hidden_change and all(c["field"] == "version" for c in changes):
            continue  # a save of a hidden draft: nothing this viewer may see changed
        out.append(
            {
                "id": record.history_id,
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
                "review": r.pk,
                "version": r.version,
                "status": r.status,
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
