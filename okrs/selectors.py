"""OKR reads: progress, scores, colour bands, status; the pages' data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, Team, User
from kpis import charts
from kpis.periods import Period
from okrs.models import CheckIn, Commitment, KeyResult, KrKind, Objective, OkrQuarter

STALE_AFTER_DAYS = 14
CENT = Decimal("0.01")


def quarter_closed(period: str) -> bool:
    return OkrQuarter.objects.filter(period=period, closed_at__isnull=False).exists()


def kr_progress(kr: KeyResult) -> Decimal:
    """0.0-1.0: interpolated from baseline to target (either direction) and clamped; milestone done = 1."""
    if kr.frozen_progress is not None:
        return kr.frozen_progress
    if kr.kind == KrKind.MILESTONE:
        return Decimal(1) if kr.done else Decimal(0)
    if kr.current is None or kr.baseline is None or kr.target is None or kr.target == kr.baseline:
        return Decimal(0)
    raw = (kr.current - kr.baseline) / (kr.target - kr.baseline)
    return min(Decimal(1), max(Decimal(0), raw)).quantize(CENT, ROUND_HALF_UP)


def objective_score(objective: Objective, key_results: list[KeyResult] | None = None) -> Decimal | None:
    """Weighted mean of the key results' progress; the final score once adjusted after closing."""
    if objective.final_score is not None:
        return objective.final_score
    if objective.frozen_score is not None:
        return objective.frozen_score
    krs = key_results if key_results is not None else list(objective.key_results.all())
    total = sum((kr.weight for kr in krs), Decimal(0))
    if not krs or total <= 0:
        return None
    return (sum((kr.weight * kr_progress(kr) for kr in krs), Decimal(0)) / total).quantize(
        CENT, ROUND_HALF_UP
    )


def band(score: Decimal | None) -> str:
    """0.0-0.3 red, 0.4-0.6 yellow, 0.7-1.0 green (scores between are rounded to one decimal first)."""
    if score is None:
        return ""
    s = score.quantize(Decimal("0.1"), ROUND_HALF_UP)
    if s >= Decimal("0.7"):
        return "green"
    if s >= Decimal("0.4"):
        return "yellow"
    return "red"


@dataclass
class KrStatus:
    code: str  # on_track, at_risk, off_track, stale, done
    label: str
    expected: Decimal
    confidence: int | None
    last_activity: datetime.date | None


STATUS_LABELS = {
    "on_track": gettext_lazy("On track"),
    "at_risk": gettext_lazy("At risk"),
    "off_track": gettext_lazy("Off track"),
    "stale": gettext_lazy("Stale: no check-in or fresh value for 14 days"),
    "done": gettext_lazy("Done"),
    "closed": gettext_lazy("Quarter closed"),
}


def kr_status(
    kr: KeyResult, check_ins: list[CheckIn] | None = None, today: datetime.date | None = None
) -> KrStatus:
    """Progress against the elapsed fraction of the quarter (0.7 of it for aspirational objectives)
    and the latest confidence; 14 days without a check-in or a fresh metric value is stale, never green."""
    today = today or timezone.localdate()
    period = Period.parse(kr.objective.period)
    span = (period.end - period.start).days
    elapsed = Decimal(max(0, min(span, (today - period.start).days))) / Decimal(span)
    factor = Decimal("0.7") if kr.objective.commitment == Commitment.ASPIRATIONAL else Decimal(1)
    expected = (elapsed * factor).quantize(CENT)
    cis = check_ins if check_ins is not None else list(kr.check_ins.all())
    latest = max(cis, key=lambda c: (c.date, c.pk)) if cis else None
    confidence = latest.confidence if latest else None
    fresh_value = timezone.localdate(kr.current_at) if kr.kind == KrKind.METRIC and kr.current_at else None
    activity = [d for d in (latest.date if latest else None, fresh_value) if d]
    last = max(activity) if activity else timezone.localdate(kr.objective.created_at)
    progress = kr_progress(kr)

    def status(code: str) -> KrStatus:
        return KrStatus(code, str(STATUS_LABELS[code]), expected, confidence, last)

    if kr.frozen_progress is not None:
        return status("closed")
    if progress >= 1:
        return status("done")
    stale = (min(today, period.end) - last).days > STALE_AFTER_DAYS and today >= period.start
    if progress < expected - Decimal("0.3") or (confidence is not None and confidence <= 3):
        return status("off_track")
    if stale:
        return status("stale")
    if progress >= expected - Decimal("0.1") and (confidence is None or confidence >= 6):
        return status("on_track")
    return status("at_risk")


def objectives_for(*, viewer: User | None, period: str) -> QuerySet[Objective]:
    """Objectives of a quarter with what the pages need; scoped to ``viewer`` (None: internal use)."""
    base = Objective.objects.all() if viewer is None else Objective.objects.visible_to(viewer)
    return (
        base.filter(period=period)
        .select_related("csm", "team", "parent", "carried_from", "carried_into")
        .prefetch_related(
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.select_related("owner", "objective").prefetch_related(
                    Prefetch("check_ins", queryset=CheckIn.objects.select_related("author"))
                ),
            )
        )
    )


@dataclass
class KrView:
    kr: KeyResult
    progress: Decimal
    status: KrStatus
    latest: CheckIn | None
    check_ins: list[CheckIn] = field(default_factory=list)  # oldest first: the history

    def history_chart(self):
        """The check-ins as a small chart: the value of a numeric key result, else the confidence."""
        labels = [c.date for c in self.check_ins]  # the chart writes them as dates people read
        if self.kr.kind == KrKind.NUMERIC and any(c.value is not None for c in self.check_ins):
            values, what = [c.value for c in self.check_ins], _("Value")
        else:
            values, what = [Decimal(c.confidence) for c in self.check_ins], _("Confidence (0-10)")
        title = _("%(what)s at each check-in of “%(kr)s”") % {"what": what, "kr": self.kr.title}
        return charts.trend(labels, values, title=title, width=360, height=160)


@dataclass
class ObjectiveView:
    objective: Objective
    score: Decimal | None
    band: str
    key_results: list[KrView]
    children: list[ObjectiveView]


def objective_view(objective: Objective, today: datetime.date | None = None) -> ObjectiveView:
    krs = list(objective.key_results.all())
    views = []
    for kr in krs:
        cis = list(kr.check_ins.all())
        latest = max(cis, key=lambda c: (c.date, c.pk)) if cis else None
        history = sorted(cis, key=lambda c: (c.date, c.pk))
        views.append(KrView(kr, kr_progress(kr), kr_status(kr, cis, today), latest, history))
    score = objective_score(objective, krs)
    return ObjectiveView(objective, score, band(score), views, [])


def my_okrs(*, user: User, period: str) -> list[ObjectiveView]:
    return [objective_view(o) for o in objectives_for(viewer=user, period=period).filter(csm=user)]


def team_okrs(*, viewer: User, team: Team, period: str) -> dict:
    """The team's objectives with the CSM objectives aligned to them (the alignment tree), and each CSM's scores."""
    objectives = list(objectives_for(viewer=viewer, period=period).filter(team=team)) + list(
        objectives_for(viewer=viewer, period=period).filter(csm__team=team)
    )
    views = {o.pk: objective_view(o) for o in objectives}
    roots = []
    for o in objectives:
        if o.parent_id in views:
            views[o.parent_id].children.append(views[o.pk])
        elif o.team_id:
            roots.append(views[o.pk])
    unaligned = [views[o.pk] for o in objectives if o.csm_id and o.parent_id not in views]
    members = list(User.objects.filter(team=team, role=Role.CSM).order_by("name", "email"))
    by_csm: dict[int, list[ObjectiveView]] = {m.pk: [] for m in members}
    for o in objectives:
        if o.csm_id in by_csm:
            by_csm[o.csm_id].append(views[o.pk])
    scores = []
    for m in members:
        own = [v.score for v in by_csm[m.pk] if v.score is not None]
        mean = (sum(own, Decimal(0)) / len(own)).quantize(CENT) if own else None
        scores.append({"csm": m, "objectives": by_csm[m.pk], "score": mean, "band": band(mean)})
    return {"roots": roots, "unaligned": unaligned, "scores": scores}


def okr_score_of(*, csm: User, period: str) -> tuple[Decimal | None, list[ObjectiveView]]:
    """A CSM's OKR score for a quarter (mean of their objectives' scores), for the review snapshot."""
    return okr_scores_of(csm_ids=[csm.pk], period=period)[csm.pk]


def okr_scores_of(
    *, csm_ids: list[int], period: str
) -> dict[int, tuple[Decimal | None, list[ObjectiveView]]]:
    """``okr_score_of`` for many CSMs at once (opening a review cycle): the same queries for all."""
    views: dict[int, list[ObjectiveView]] = {pk: [] for pk in csm_ids}
    for objective in objectives_for(viewer=None, period=period).filter(csm_id__in=csm_ids):
        if objective.csm_id is not None:  # always (filtered on it); narrows the type
            views[objective.csm_id].append(objective_view(objective))
    out = {}
    for pk, own in views.items():
        scores = [v.score for v in own if v.score is not None]
        out[pk] = ((sum(scores, Decimal(0)) / len(scores)).quantize(CENT) if scores else None), own
    return out
