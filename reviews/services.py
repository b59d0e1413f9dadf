"""Review writes: cycles, the frozen snapshot, the workflow, ratings, disputes, comments.

The workflow is enforced here, for the web, the API and the admin alike:
draft -> self_review -> manager_review -> submitted -> acknowledged -> finalized (and an audited
reopen by HR that issues a new revision). Every save names the version it was made on; a save over a
newer version is refused (``ReviewConflict``) and changes nothing.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import Role, User
from core import dates
from core import text as limits
from kpis.periods import Period, PeriodError
from kpis.registry import LOWER, REGISTRY, same_quantity_pairs
from kpis.scorecards import Peers, period_peers, scorecard
from okrs.selectors import okr_score_of, okr_scores_of
from reviews import participants, signals, workflow
from reviews.access import review_view
from reviews.models import (
    DEFAULT_KPI_WEIGHTS,
    DEFAULT_SCALE,
    DEFAULT_SECTIONS,
    UNRESOLVED_FLAGS,
    Comment,
    CycleExclusion,
    CycleStatus,
    Dispute,
    FlagState,
    Review,
    ReviewCycle,
    ReviewStatus,
    ReviewTemplate,
    check_due_dates,
    default_min_samples,
)
from reviews.wording import OKR_SCORE, metric_name


class ReviewConflict(Exception):
    """Someone saved the review after the version this save was made on."""

    def __init__(self, review: Review) -> None:
        last = review.history.select_related("history_user").first()
        who = last.history_user.get_full_name() if last and last.history_user else "someone else"
        when = dates.moment(review.updated_at)
        super().__init__(
            f"{who} saved this review at {when}, after you opened it. Nothing was overwritten and nothing "
            "moved: your text is kept on the page, next to theirs where both changed."
        )
        self.current_version = review.version


def change_reason(text: str) -> str:
    """A history record's reason: django-simple-history keeps 100 characters; the full text stays in
    the record's own fields."""
    text = " ".join(text.split())
    return text if len(text) <= 100 else text[:99] + "…"


def _json(data) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


# --- templates and cycles ----------------------------------------------------------------------


def template_default() -> ReviewTemplate:
    template, _ = ReviewTemplate.objects.get_or_create(
        name="Quarterly CSM review",
        defaults={
            "sections": DEFAULT_SECTIONS,
            "rating_scale": DEFAULT_SCALE,
            "kpi_weights": DEFAULT_KPI_WEIGHTS,
            "min_samples": default_min_samples(),
        },
    )
    return template


def template_validate(*, sections, rating_scale, kpi_weights) -> None:
    errors = {}
    if not sections or not all(isinstance(s, dict) and s.get("key") and s.get("title") for s in sections):
        errors["sections"] = "Every section needs a key and a title."
    values = [s.get("value") for s in rating_scale] if isinstance(rating_scale, list) else []
    if len(values) < 2 or not all(isinstance(v, int) for v in values) or values != sorted(set(values)):
        errors["rating_scale"] = "The scale is at least two increasing whole numbers, each with a label."
    for key, spec in (kpi_weights or {}).items():
        metric = REGISTRY.get(key)
        if metric is None or not metric.scored:
            errors["kpi_weights"] = f"{key} is not a scored metric (see the metric definitions)."
            break
        try:
            w, f, t, s = (Decimal(str(spec[k])) for k in ("weight", "floor", "target", "stretch"))
        except (KeyError, ArithmeticError, ValueError):
            errors["kpi_weights"] = f"{key} needs a weight, a floor, a target and a stretch value."
            break
        ordered = f < t < s if metric.direction != LOWER else f > t > s
        if w <= 0 or not ordered:
            errors["kpi_weights"] = (
                f"{key}: the weight must be above 0 and floor, target and stretch must go in the metric's "
                f"better direction ({metric.direction})."
            )
            break
    if errors:
        raise ValidationError(errors)


def template_warnings(*, kpi_weights) -> list[str]:
    """What a valid template may still get wrong, said when it is saved: two weighted metrics that
    are the same quantity (``Metric.same_quantity_as``) count it twice in the suggested rating."""
    weighted = [key for key in (kpi_weights or {}) if key in REGISTRY]
    return [
        (
            f"{first.name} and {second.name} are the same quantity ({second.same_quantity_how}): weighing "
            f"both counts it twice in the suggested rating. Keep one of them."
        )
        for first, second in same_quantity_pairs(weighted)
    ]


def _require_hr(user: User, message: str = "HR runs review cycles.") -> None:
    if user.role not in (Role.HR, Role.ADMIN):
        raise PermissionDenied(message)


@transaction.atomic
def cycle_create(
    *,
    user: User,
    period: str,
    self_review_due: datetime.date,
    manager_review_due: datetime.date,
    template: ReviewTemplate | None = None,
) -> ReviewCycle:
    _require_hr(user)
    try:
        p = Period.parse(period)
    except PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    if not p.is_quarter:
        raise ValidationError({"period": "Reviews are quarterly: choose a quarter such as 2026-Q3."})
    if ReviewCycle.objects.filter(period=str(p)).exists():
        raise ValidationError({"period": f"There is already a cycle for {p}."})
    check_due_dates(str(p), self_review_due, manager_review_due)
    template = template or template_default()
    template_validate(
        sections=template.sections, rating_scale=template.rating_scale, kpi_weights=template.kpi_weights
    )
    cycle = ReviewCycle.objects.create(
        period=str(p),
        template=template,
        self_review_due=self_review_due,
        manager_review_due=manager_review_due,
        created_by=user,
    )
    # New hires are left out by default, each with the reason; HR may include them before opening.
    for csm_id, reason in participants.new_hires(period=p).items():
        exclusion = CycleExclusion(cycle=cycle, csm_id=csm_id, reason=reason, excluded_by=user)
        exclusion._history_user = user
        exclusion.save()
    return cycle


def cycle_open(*, user: User, cycle: ReviewCycle, confirm: bool = False) -> int:
    """Open the cycle: one review per CSM taking part (``reviews.participants``), reviewer = the CSM's
    manager, with the frozen snapshot. A quarter that has not started or has no published KPI run opens
    only with ``confirm`` (HR read what will be missing; the cycle keeps it). Idempotent: a CSM who has
    a review already keeps it. Returns the number created."""
    _require_hr(user)
    if cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
        raise ValidationError({"status": f"A cycle in {cycle.get_status_display()} cannot be opened."})
    warnings = participants.opening_warnings(cycle) if cycle.status == CycleStatus.DRAFT else []
    if warnings and not confirm:
        raise ValidationError({"confirm": warnings})
    created = []
    csms = (
        User.objects.filter(role=Role.CSM, is_active=True)
        .exclude(pk__in=cycle.exclusions.values("csm_id"))
        .select_related("team__manager")
        .order_by("pk")
    )
    has_review = set(cycle.reviews.values_list("csm_id", flat=True))
    csms = [csm for csm in csms if csm.pk not in has_review]
    # Read once for every review, not once per CSM: the period's peers and everyone's OKRs.
    peers = period_peers(Period.parse(cycle.period))
    okrs = okr_scores_of(csm_ids=[csm.pk for csm in csms], period=cycle.period)
    # The reviewer rule once per manager and team (a manager sees a CSM through their team), not per CSM.
    allowed: dict[tuple[int, int | None], bool] = {}
    for csm in csms:
        with transaction.atomic():
            manager = csm.team.manager if csm.team else None
            # The team's manager, when the reviewer rule allows them (else HR assigns one on the cycle page).
            if manager is not None and (manager.pk, csm.team_id) not in allowed:
                allowed[manager.pk, csm.team_id] = reviewer_refusal(csm=csm, reviewer=manager) is None
            reviewer = manager if manager is not None and allowed[manager.pk, csm.team_id] else None
            review = Review(cycle=cycle, csm=csm, reviewer=reviewer)
            _set_snapshot(review, peers=peers, okrs=okrs[csm.pk])
            review._history_user = user
            review.save()
            created.append(review)
    with transaction.atomic():
        if cycle.status == CycleStatus.DRAFT:
            cycle.status = CycleStatus.OPEN
            cycle.opened_despite = " ".join(warnings)
            cycle._history_user = user
            cycle.save()
        if created:
            signals.cycle_opened.send(sender=ReviewCycle, cycle=cycle, reviews=created, by=user)
    return len(created)


def reviewer_refusal(*, csm: User, reviewer: User | None) -> str | None:
    """Who may review a CSM, for a cycle that opens and for a change of reviewer alike: never the
    CSM, always an active person who may see the CSM (their team's manager, HR or an admin).
    Returns why ``reviewer`` may not, or None."""
    if reviewer is None:
        return "Choose a reviewer."
    if reviewer.pk == csm.pk:
        return f"{csm} cannot review themselves."
    if not User.objects.visible_to(reviewer).filter(pk=csm.pk).exists():
        return (
            f"{reviewer} may not see {csm}: the reviewer is the CSM's team manager, HR or an admin "
            "(an active account)."
        )
    return None


def reviewer_change_check(*, review: Review, reviewer: User | None) -> None:
    """A review's reviewer may change until the review is finalized, to someone the rule allows."""
    if review.status == ReviewStatus.FINALIZED:
        raise ValidationError(
            {"reviewer": "A finalized review is read-only: reopen it to change its reviewer."}
        )
    refusal = reviewer_refusal(csm=review.csm, reviewer=reviewer)
    if refusal:
        raise ValidationError({"reviewer": refusal})


@transaction.atomic
def review_set_reviewer(*, user: User, review: Review, reviewer: User | None, version: int | None) -> Review:
    """HR (or an admin) gives the review to another reviewer: a new version, kept in the history."""
    review = _lock(review)
    _require_hr(user)
    _same_version(review, version)
    reviewer_change_check(review=review, reviewer=reviewer)
    if reviewer.pk == review.reviewer_id:
        return review
    before = review.reviewer
    review.reviewer = reviewer
    review._change_reason = change_reason(f"Reviewer changed by {user}: {before or '—'} → {reviewer}")
    return _save(review, user)


def _cycle_moved(cycle: ReviewCycle, user: User, status: CycleStatus) -> ReviewCycle:
    cycle.status = status
    cycle._history_user = user
    cycle.save()
    return cycle


@transaction.atomic
def cycle_start_calibration(*, user: User, cycle: ReviewCycle, override_reason: str = "") -> ReviewCycle:
    """open -> calibration: when every review of the cycle is submitted, or earlier with
    ``override_reason`` (kept on the cycle and in its history)."""
    _require_hr(user)
    if cycle.status != CycleStatus.OPEN:
        raise ValidationError({"status": gettext("Calibration starts from an open cycle.")})
    early = cycle.reviews.filter(
        status__in=[ReviewStatus.DRAFT, ReviewStatus.SELF_REVIEW, ReviewStatus.MANAGER_REVIEW]
    ).count()
    reason = _text(override_reason, "override_reason").strip()
    if early and not reason:
        raise ValidationError(
            {
                "override_reason": gettext(
                    "%(early)d of %(all)d reviews are not submitted yet: calibration starts when every "
                    "review is submitted, or now with a reason."
                )
                % {"early": early, "all": cycle.reviews.count()}
            }
        )
    cycle.calibration_override_reason = reason if early else ""
    if early:
        cycle._change_reason = change_reason(
            f"Calibration started with {early} reviews unsubmitted: {reason}"
        )
    return _cycle_moved(cycle, user, CycleStatus.CALIBRATION)


@transaction.atomic
def cycle_close(*, user: User, cycle: ReviewCycle) -> ReviewCycle:
    """calibration -> closed, once every review is finalized."""
    _require_hr(user)
    if cycle.status != CycleStatus.CALIBRATION:
        raise ValidationError({"status": gettext("Only a cycle in calibration closes.")})
    left = cycle.reviews.exclude(status=ReviewStatus.FINALIZED).count()
    if left:
        raise ValidationError(
            {
                "status": ngettext(
                    "%(left)d review is not finalized yet: the cycle cannot close.",
                    "%(left)d reviews are not finalized yet: the cycle cannot close.",
                    left,
                )
                % {"left": left}
            }
        )
    return _cycle_moved(cycle, user, CycleStatus.CLOSED)


def cycle_advance(*, user: User, cycle: ReviewCycle, override_reason: str = "") -> ReviewCycle:
    """The next step of an open or calibrating cycle (the API's ``advance``): start calibration or
    close. Pages and code name the step they mean instead."""
    _require_hr(user)
    if cycle.status == CycleStatus.OPEN:
        return cycle_start_calibration(user=user, cycle=cycle, override_reason=override_reason)
    if cycle.status == CycleStatus.CALIBRATION:
        return cycle_close(user=user, cycle=cycle)
    raise ValidationError({"status": f"A {cycle.get_status_display()} cycle has no next step."})


# --- snapshot and suggested rating ---------------------------------------------------------------


def snapshot_build(*, csm: User, period: str, peers: Peers | None = None, okrs: tuple | None = None) -> dict:
    """Every KPI and service metric of the quarter with its comparisons, the run it came from, and
    the quarter's OKRs with their scores: what the review is judged on, frozen. ``peers`` and
    ``okrs`` (the CSM's item of ``okr_scores_of``): read once for a whole cycle by its caller."""
    card = scorecard(csm=csm, period=Period.parse(period), peers=peers).as_dict()
    score, objectives = okrs if okrs is not None else okr_score_of(csm=csm, period=period)
    card["okrs"] = {
        "score": score,
        "objectives": [
            {
                "title": o.objective.title,
                "commitment": o.objective.commitment,
                "expected": o.objective.expected_score,
                "score": o.score,
                "key_results": [
                    {
                        "title": k.kr.title,
                        "kind": k.kr.kind,
                        "baseline": k.kr.baseline,
                        "target": k.kr.target,
                        "current": k.kr.current,
                        "done": k.kr.done,
                        "progress": k.progress,
                    }
                    for k in o.key_results
                ],
            }
            for o in objectives
        ],
    }
    card["taken_at"] = timezone.now()
    return _json(card)


def _metric_rating(value: Decimal, spec: dict, low: int, high: int) -> Decimal:
    """floor -> bottom of the scale, target -> middle, stretch -> top, linear between, clamped."""
    f, t, s = (Decimal(str(spec[k])) for k in ("floor", "target", "stretch"))
    mid = (Decimal(low) + Decimal(high)) / 2
    if (value - t) * (s - t) >= 0:  # at or beyond the target, towards the stretch
        part = min(Decimal(1), (value - t) / (s - t))
        return mid + part * (Decimal(high) - mid)
    part = min(Decimal(1), (t - value) / (t - f))
    return mid - part * (mid - Decimal(low))


def _q(x: Decimal, places: str = "0.01") -> str:
    return str(x.quantize(Decimal(places), ROUND_HALF_UP))


def suggested_rating(*, template: ReviewTemplate, snapshot: dict) -> tuple[Decimal | None, dict]:
    """The weighted mean of each weighted metric's rating and the OKR rating.

    A metric with no data, or whose sample is below the template's minimum for it (docs/metrics.md,
    "Small samples"), is left out and the others are re-weighted. The detail holds everything the
    explanation shows: per part its name, weight, floor / target / stretch, value, sample, the rating
    it earns (its points), its share of the weight left and its contribution to the mean; per
    metric left out why; the weights before and after."""
    scale = template.scale_values
    low, high = min(scale), max(scale)
    rows = {m["metric"]: m for m in snapshot.get("metrics", [])}
    minimums = template.min_samples or {}
    parts, left_out = [], []
    for key, spec in template.kpi_weights.items():
        row = rows.get(key) or {}
        raw, sample = row.get("value"), int(row.get("sample_size") or 0)
        minimum = minimums.get(key)
        item = {
            "metric": key,
            "name": metric_name(key),
            "weight": str(spec["weight"]),
            "floor": str(spec["floor"]),
            "target": str(spec["target"]),
            "stretch": str(spec["stretch"]),
            "value": None if raw is None else str(raw),
            "sample": sample,
            "min_sample": int(minimum) if minimum else None,
        }
        if raw is None:
            left_out.append({**item, "reason": "no_data"})
        elif minimum and sample < int(minimum):
            left_out.append({**item, "reason": "few_data"})
        else:
            parts.append({**item, "rating": _q(_metric_rating(Decimal(str(raw)), spec, low, high))})
    okr = (snapshot.get("okrs") or {}).get("score")
    if template.okr_weight > 0:
        item = {"metric": OKR_SCORE, "name": metric_name(OKR_SCORE), "weight": str(template.okr_weight)}
        if okr is None:
            left_out.append({**item, "value": None, "reason": "no_data"})
        else:
            rating = Decimal(low) + Decimal(str(okr)) * (Decimal(high) - Decimal(low))
            parts.append({**item, "value": str(okr), "rating": _q(rating)})
    total = sum(Decimal(p["weight"]) for p in parts)
    detail = {
        "version": 2,
        "scale": [low, high],
        "parts": parts,
        "left_out": left_out,
        "missing": [m["metric"] for m in left_out],
        "weight_total": str(total + sum(Decimal(m["weight"]) for m in left_out)),
        "weight_used": str(total),
    }
    if not total:
        return None, detail
    for p in parts:
        p["share"] = _q(Decimal(p["weight"]) / total * 100, "0.1")
        p["contribution"] = _q(Decimal(p["weight"]) * Decimal(p["rating"]) / total)
    mean = sum(Decimal(p["weight"]) * Decimal(p["rating"]) for p in parts) / total
    detail["rounded"] = int(mean.quantize(Decimal(1), ROUND_HALF_UP))
    return mean.quantize(Decimal("0.01"), ROUND_HALF_UP), detail


def _set_snapshot(review: Review, peers: Peers | None = None, okrs: tuple | None = None) -> None:
    review.snapshot = snapshot_build(csm=review.csm, period=review.cycle.period, peers=peers, okrs=okrs)
    review.snapshot_at = timezone.now()
    review.suggested_rating, review.suggested_detail = suggested_rating(
        template=review.cycle.template, snapshot=review.snapshot
    )


def snapshot_diff(old: dict, new: dict) -> list[dict]:
    """What changed between two snapshots: metric values and the OKR score."""
    before = {m["metric"]: m["value"] for m in old.get("metrics", [])}
    changes = []
    for m in new.get("metrics", []):
        if before.get(m["metric"]) != m["value"]:
            changes.append(
                {
                    "metric": m["metric"],
                    "name": m["name"],
                    "before": before.get(m["metric"]),
                    "after": m["value"],
                }
            )
    old_okr, new_okr = (old.get("okrs") or {}).get("score"), (new.get("okrs") or {}).get("score")
    if old_okr != new_okr:
        changes.append(
            {"metric": OKR_SCORE, "name": metric_name(OKR_SCORE), "before": old_okr, "after": new_okr}
        )
    return changes


# --- the workflow ------------------------------------------------------------------------------


def _lock(review: Review) -> Review:
    """The review read afresh, its row locked until the transaction ends. Who may act is checked on
    it first, then the version (``_same_version``): a step the caller may not take is a 403 whatever
    the version they send, never a 409 that would tell them the review moved."""
    return (
        # Lock the review row only: the reviewer may be null (an outer join PostgreSQL cannot lock).
        Review.objects.select_for_update(of=("self",))
        .select_related("cycle__template", "csm", "reviewer")
        .get(pk=review.pk)
    )


def _same_version(locked: Review, version: int | None) -> None:
    """The stale-save guard, on the locked row: the change was made on the version it holds."""
    if int_version(version) != locked.version:
        raise ReviewConflict(locked)


def int_version(version) -> int:
    """The version a change was made on: required (the stale-save guard), a whole number."""
    if isinstance(version, bool):
        version = None
    try:
        return int(str(version).strip()) if version is not None else _missing_version()
    except ValueError:
        raise ValidationError(
            {"version": "The version of the review you edited is not a whole number."}
        ) from None


def _missing_version():
    raise ValidationError(
        {"version": "The version of the review you edited is missing: reload the page and try again."}
    )


def _save(review: Review, user: User) -> Review:
    review.version += 1
    review._history_user = user
    review.save()
    return review


def _moved(review: Review, user: User, action: str) -> Review:
    """A transition: saved as a new version and announced inside its transaction, so what a receiver
    writes (a notification) stands or falls with it; receivers that reach outside the database (mail,
    chat) wait for the commit themselves."""
    _save(review, user)
    signals.review_transitioned.send(
        sender=Review, review=review, user=user, by=user, action=action, status=review.status
    )
    return review


def _begin(action: str, user: User, review: Review, version: int | None) -> tuple[Review, workflow.Step]:
    """The guards every step shares (``reviews.workflow``), in their order: lock the row, who may take
    the step (403), the version (409), the state (400)."""
    step = workflow.STEP[action]
    review = _lock(review)
    workflow.check(step, user, review)
    _same_version(review, version)
    workflow.check_state(step, review)
    return review, step


def _end(review: Review, user: User, step: workflow.Step) -> Review:
    review.status = step.target
    return _moved(review, user, step.action)


def _is_reviewer(user: User, review: Review) -> bool:
    return review_view(user, review).is_reviewer


def _refuse(message: str):
    raise ValidationError({"status": message})


@transaction.atomic
def review_refresh_snapshot(*, user: User, review: Review, version: int | None) -> list[dict]:
    """Before submission the reviewer (or HR) may take a new snapshot; returns what changed."""
    review = _lock(review)
    if not (_is_reviewer(user, review) or user.role == Role.HR):
        raise PermissionDenied("Only the reviewer or HR refreshes the numbers.")
    _same_version(review, version)
    if review.reached(ReviewStatus.SUBMITTED):
        _refuse("A submitted review keeps the numbers it was submitted with.")
    old = review.snapshot
    _set_snapshot(review)
    changes = snapshot_diff(old, review.snapshot)
    _save(review, user)
    return changes


@transaction.atomic
def review_send_to_csm(*, user: User, review: Review, version: int | None) -> Review:
    review, step = _begin("send_to_csm", user, review, version)
    return _end(review, user, step)


def _text(value, field: str) -> str:
    """Free text from a person: any characters but NUL (which no database stores)."""
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError({field: "contains a NUL character."})
    return text


def _clean_sections(review: Review, sections: dict) -> dict:
    keys = {s["key"] for s in review.cycle.template.sections}
    unknown = set(sections) - keys
    if unknown:
        word = ngettext("Unknown section: %(keys)s.", "Unknown sections: %(keys)s.", len(unknown))
        raise ValidationError({"sections": word % {"keys": ", ".join(sorted(unknown))}})
    # Each section's text within its limit (core/text.py; JSON keeps no field validator).
    return {
        k: limits.check(_text(v, f"section_{k}"), limits.SECTION, f"section_{k}") for k, v in sections.items()
    }


def _ratings(review: Review, ratings: dict | None, prefix: str) -> dict:
    """Section ratings as posted (a section's key -> a value of the scale, or empty for none)."""
    if not ratings:
        return {}
    _clean_sections(review, {k: "" for k in ratings})
    return {k: _check_rating(review, v, f"{prefix}{k}") for k, v in ratings.items()}


@transaction.atomic
def review_save_self(
    *, user: User, review: Review, version: int | None, sections: dict, ratings: dict | None = None
) -> Review:
    """The CSM's self-review (texts and, when the template asks for it, a rating per section).
    A save that changes nothing keeps the version."""
    review = _lock(review)
    if user.pk != review.csm_id:
        raise PermissionDenied("Only the CSM writes their self-review.")
    _same_version(review, version)
    if review.status != ReviewStatus.SELF_REVIEW:
        _refuse("The self-review can be written while the review is in self-review.")
    texts = {**review.self_assessment, **_clean_sections(review, sections)}
    rated = review.self_ratings
    if ratings and review.cycle.template.self_rating:
        rated = {**review.self_ratings, **_ratings(review, ratings, "selfrating_")}
    if texts == review.self_assessment and rated == review.self_ratings:
        return review
    review.self_assessment, review.self_ratings = texts, rated
    return _save(review, user)


def empty_parts(review: Review, *, self_part: bool) -> list[str]:
    """The sections (and ratings) still empty in the CSM's self-review or in the manager's part,
    by the names a person reads: what the confirmation before submitting lists."""
    template = review.cycle.template
    texts = review.self_assessment if self_part else review.manager_assessment
    ratings = review.self_ratings if self_part else review.section_ratings
    rated = template.self_rating if self_part else True
    out = []
    for s in template.sections:
        if not str(texts.get(s["key"]) or "").strip():
            out.append(s["title"])
        if rated and ratings.get(s["key"]) in (None, ""):
            out.append(f"{s['title']} · rating")
    if not self_part and review.final_rating is None:
        out.append("Overall rating")
    return out


@transaction.atomic
def review_submit_self(*, user: User, review: Review, version: int | None) -> Review:
    review, step = _begin("submit_self", user, review, version)
    if not any(str(v or "").strip() for v in review.self_assessment.values()):
        raise ValidationError(
            {"self_assessment": "The self-review is empty: write at least one section before submitting it."}
        )
    review.self_submitted_at = timezone.now()
    return _end(review, user, step)


def _check_rating(review: Review, value, field: str) -> int | None:
    if value in (None, ""):
        return None
    scale = review.cycle.template.scale_values
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = None
    if rating not in scale or str(value).strip() != str(rating):
        raise ValidationError({field: f"A rating is one of {', '.join(map(str, scale))}."})
    return rating


@transaction.atomic
def review_save_manager(
    *,
    user: User,
    review: Review,
    version: int | None,
    sections: dict | None = None,
    section_ratings: dict | None = None,
    final_rating=None,
    final_rating_reason: str | None = None,
) -> Review:
    """The manager's draft: hidden from the CSM until submitted. Saved any time before submission."""
    review = _lock(review)
    if not _is_reviewer(user, review):
        raise PermissionDenied("Only the reviewer writes the manager's part.")
    _same_version(review, version)
    if review.reached(ReviewStatus.SUBMITTED):
        _refuse("A submitted review can no longer be edited.")
    before = (
        review.manager_assessment,
        review.section_ratings,
        review.final_rating,
        review.final_rating_reason,
    )
    if sections:
        review.manager_assessment = {**review.manager_assessment, **_clean_sections(review, sections)}
    if section_ratings:
        review.section_ratings = {**review.section_ratings, **_ratings(review, section_ratings, "rating_")}
    if final_rating is not None:
        review.final_rating = _check_rating(review, final_rating, "final_rating")
    if final_rating_reason is not None:
        review.final_rating_reason = _text(final_rating_reason, "final_rating_reason").strip()
    after = (
        review.manager_assessment,
        review.section_ratings,
        review.final_rating,
        review.final_rating_reason,
    )
    if after == before:
        return review  # nothing changed: the version stays
    return _save(review, user)


@transaction.atomic
def review_submit(*, user: User, review: Review, version: int | None) -> Review:
    review, step = _begin("submit", user, review, version)
    errors = {}
    if review.final_rating is None:
        errors["final_rating"] = "Give the overall rating before submitting."
    suggested = review.suggested_detail.get("rounded")
    if (
        review.final_rating is not None
        and suggested is not None
        and review.final_rating != suggested
        and not review.final_rating_reason
    ):
        errors["final_rating_reason"] = (
            f"The rating ({review.final_rating}) differs from the suggested one ({suggested}): say why."
        )
    if errors:
        raise ValidationError(errors)
    review.submitted_at = timezone.now()
    return _end(review, user, step)


def unresolved_flags(review: Review) -> int:
    return review.disputes.filter(state__in=UNRESOLVED_FLAGS).count()


@transaction.atomic
def review_acknowledge(
    *, user: User, review: Review, version: int | None, comment: str = "", confirm_open_flags: bool = False
) -> Review:
    """The CSM acknowledges (which is not agreeing), with an optional comment. With flags not yet
    resolved the CSM confirms it (``confirm_open_flags``), and the acknowledgement keeps how many."""
    review, step = _begin("acknowledge", user, review, version)
    open_flags = unresolved_flags(review)
    if open_flags and not confirm_open_flags:
        raise ValidationError(
            {
                "open_flags": ngettext(
                    "%(n)d flagged number not resolved yet: confirm that you acknowledge with it open "
                    "(the acknowledgement says so), or resolve it first.",
                    "%(n)d flagged numbers not resolved yet: confirm that you acknowledge with them open "
                    "(the acknowledgement says so), or resolve them first.",
                    open_flags,
                )
                % {"n": open_flags}
            }
        )
    review.acknowledged_at = timezone.now()
    review.acknowledgement_comment = _text(comment, "comment").strip()
    review.open_flags_at_acknowledgement = open_flags
    return _end(review, user, step)


@transaction.atomic
def review_finalize(*, user: User, review: Review, version: int | None) -> Review:
    review, step = _begin("finalize", user, review, version)
    review.finalized_at, review.finalized_by = timezone.now(), user
    return _end(review, user, step)


@transaction.atomic
def review_reopen(*, user: User, review: Review, version: int | None, reason: str) -> Review:
    """HR reopens a finalized review: a new revision, back to manager review; the history keeps why."""
    review, step = _begin("reopen", user, review, version)
    if not _text(reason, "reason").strip():
        raise ValidationError({"reason": "Say why the review is reopened."})
    review.revision += 1
    review.submitted_at = review.acknowledged_at = review.finalized_at = None
    review.finalized_by = None
    review._change_reason = change_reason(f"Reopened by {user}: {reason.strip()}")
    return _end(review, user, step)


# The service of each step of ``reviews.workflow.STEPS`` (a test checks they are the same steps).
TRANSITIONS = {
    "send_to_csm": review_send_to_csm,
    "submit_self": review_submit_self,
    "submit": review_submit,
    "acknowledge": review_acknowledge,
    "finalize": review_finalize,
    "reopen": review_reopen,
}


IRREVERSIBLE = workflow.IRREVERSIBLE


@dataclass(frozen=True)
class ReviewContent:
    """What a person's page holds of the part they write: section texts, section ratings (the
    manager's, or the CSM's self-rating), and for the manager the overall rating and its reason.
    Only what was on the page is given; None: not on the page."""

    sections: dict = field(default_factory=dict)
    ratings: dict = field(default_factory=dict)
    final_rating: str | None = None
    final_rating_reason: str | None = None

    def is_empty(self) -> bool:
        return (
            not (self.sections or self.ratings)
            and self.final_rating is None
            and self.final_rating_reason is None
        )


def review_save_content(*, user: User, review: Review, version: int | None, content: ReviewContent) -> Review:
    """Save ``content`` as the part ``user`` writes now (the self-review or the manager's)."""
    view = review_view(user, review)
    if view.can_write_self:
        return review_save_self(
            user=user, review=review, version=version, sections=content.sections, ratings=content.ratings
        )
    if view.can_write_manager:
        return review_save_manager(
            user=user,
            review=review,
            version=version,
            sections=content.sections,
            section_ratings=content.ratings,
            final_rating=content.final_rating,
            final_rating_reason=content.final_rating_reason,
        )
    raise PermissionDenied("This review is not yours to edit now.")


@dataclass
class StepOutcome:
    review: Review
    saved: bool  # the content on the page was saved (a new version)
    moved: bool  # the transition happened
    errors: dict = field(default_factory=dict)  # why it did not move (the content is saved all the same)


def review_save_and_step(
    *,
    user: User,
    review: Review,
    version: int | None,
    action: str,
    content: ReviewContent | None = None,
    **kwargs,
) -> StepOutcome:
    """A button that moves the review on: what is on the screen is saved with the version it was made
    on, then the transition runs on the saved version, in one transaction (the row stays locked
    between them). A newer version refuses both (``ReviewConflict``: nothing saved, nothing moved).
    A transition refused by its rules (say, no overall rating yet) leaves the content saved and
    the review where it was; the outcome says why."""
    step = TRANSITIONS[action]
    with transaction.atomic():
        saved = False
        if content is not None and not content.is_empty():
            before = int_version(version)
            review = review_save_content(user=user, review=review, version=version, content=content)
            saved, version = review.version != before, review.version
        try:
            with transaction.atomic():
                review = step(user=user, review=review, version=version, **kwargs)
        except ValidationError as exc:
            if not saved:
                raise
            return StepOutcome(review=review, saved=True, moved=False, errors=exc.message_dict)
    return StepOutcome(review=review, saved=saved, moved=True)


# --- disputes and comments ---------------------------------------------------------------------


def _announce(signal, dispute: Dispute, user: User) -> None:
    transaction.on_commit(lambda: signal.send(sender=Dispute, flag=dispute, review=dispute.review, user=user))


def _flag_save(dispute: Dispute, user: User) -> Dispute:
    dispute._history_user = user
    dispute.save()
    return dispute


@transaction.atomic
def dispute_raise(*, user: User, review: Review, metric: str, comment: str) -> Dispute:
    if user.pk != review.csm_id:
        raise PermissionDenied("Only the CSM flags a number of their review.")
    if review.status != ReviewStatus.SUBMITTED:
        _refuse("Numbers are flagged after the review is submitted and before it is acknowledged.")
    if metric not in REGISTRY and metric != OKR_SCORE:
        raise ValidationError({"metric": "This is not a number of this review."})
    if not _text(comment, "comment").strip():
        raise ValidationError({"comment": "Say what is wrong with the number."})
    dispute = _flag_save(Dispute(review=review, metric=metric, comment=comment.strip(), raised_by=user), user)
    signals.dispute_raised.send(sender=Dispute, dispute=dispute, by=user)
    _announce(signals.flag_raised, dispute, user)
    return dispute


def _flag_locked(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update(of=("self",)).select_related("review").get(pk=dispute.pk)


@transaction.atomic
def dispute_answer(*, user: User, dispute: Dispute, answer: str) -> Dispute:
    """The reviewer answers an open flag (or answers again before the CSM resolves it)."""
    dispute = _flag_locked(dispute)
    if not _is_reviewer(user, dispute.review):
        raise PermissionDenied("The reviewer answers a flagged number.")
    if dispute.review.status == ReviewStatus.FINALIZED:
        _refuse("A finalized review is read-only.")
    if not dispute.is_unresolved:
        _refuse(f"This flag is {dispute.get_state_display().lower()}: it takes no answer.")
    if not _text(answer, "answer").strip():
        raise ValidationError({"answer": "An answer cannot be empty."})
    dispute.answer, dispute.answered_by, dispute.answered_at = answer.strip(), user, timezone.now()
    dispute.state = FlagState.ANSWERED
    _flag_save(dispute, user)
    signals.dispute_answered.send(sender=Dispute, dispute=dispute, by=user)
    _announce(signals.flag_answered, dispute, user)
    return dispute


def _flag_close(*, user: User, dispute: Dispute, state: str, allowed: tuple, signal) -> Dispute:
    dispute = _flag_locked(dispute)
    if user.pk != dispute.review.csm_id:
        raise PermissionDenied("The CSM who flagged the number closes the flag.")
    if dispute.review.status == ReviewStatus.FINALIZED:
        _refuse("A finalized review is read-only.")
    if dispute.state not in allowed:
        _refuse(
            "Only an answered flag is resolved (withdraw it while it waits for an answer)."
            if state == FlagState.RESOLVED
            else "Only an open or answered flag is withdrawn."
        )
    dispute.state, dispute.closed_at = state, timezone.now()
    _flag_save(dispute, user)
    _announce(signal, dispute, user)
    return dispute


@transaction.atomic
def dispute_resolve(*, user: User, dispute: Dispute) -> Dispute:
    """The CSM accepts the answer: the flag is resolved."""
    return _flag_close(
        user=user,
        dispute=dispute,
        state=FlagState.RESOLVED,
        allowed=(FlagState.ANSWERED,),
        signal=signals.flag_resolved,
    )


@transaction.atomic
def dispute_withdraw(*, user: User, dispute: Dispute) -> Dispute:
    """The CSM takes the flag back, answered or not."""
    return _flag_close(
        user=user,
        dispute=dispute,
        state=FlagState.WITHDRAWN,
        allowed=UNRESOLVED_FLAGS,
        signal=signals.flag_withdrawn,
    )


def comment_add(*, user: User, review: Review, body: str) -> Comment:
    if review.status == ReviewStatus.FINALIZED:
        _refuse("A finalized review is read-only.")
    view = review_view(user, review)
    if user.pk == review.csm_id and not view.can_read:
        raise PermissionDenied("The review is not shared with you yet.")
    if not view.can_comment:
        raise PermissionDenied("Only the CSM, the reviewer and HR comment on a review.")
    if not _text(body, "body").strip():
        raise ValidationError({"body": "A comment cannot be empty."})
    return Comment.objects.create(review=review, author=user, body=body.strip())
