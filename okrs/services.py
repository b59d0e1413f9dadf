"""OKR writes: objectives, key results, check-ins, roll-out, metric updates, closing a quarter.

Every write checks who may make it and that the quarter is open, and raises ``ValidationError``
with the field and a sentence a person can act on.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Segment, Team, User
from core.numbers import parse_decimal
from kpis.models import KpiRun, KpiValue, RunStatus
from kpis.periods import Period, PeriodError
from kpis.registry import HIGHER, LOWER, REGISTRY
from okrs import selectors
from okrs.models import (
    CheckIn,
    Commitment,
    Direction,
    KeyResult,
    KeyResultValue,
    KrKind,
    Objective,
    OkrQuarter,
)

MAX_WEIGHT = Decimal(100)


def can_edit(user: User, objective: Objective) -> bool:
    """A CSM edits their own OKRs; a manager their teams' and their CSMs'; admins all; HR reads."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.MANAGER:
        team = objective.team if objective.team_id else (objective.csm.team if objective.csm else None)
        return team is not None and team.manager_id == user.pk
    if user.role == Role.CSM:
        return objective.csm_id == user.pk
    return False


def _check_quarter(period: str) -> Period:
    try:
        p = Period.parse(period)
    except PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    if not p.is_quarter:
        raise ValidationError(
            {
                "period": _("OKRs are quarterly: use a quarter such as %(year)s-Q1, not %(period)s.")
                % {"year": p.year, "period": period}
            }
        )
    if selectors.quarter_closed(str(p)):
        raise ValidationError(
            {"period": _("%(quarter)s is closed: its OKRs can no longer change.") % {"quarter": p}}
        )
    return p


def _decimal(value, field: str, column: str | None = None, model=None) -> Decimal | None:
    """A number typed into ``field``, checked against the column that stores it (core.numbers)."""
    target = (model or KeyResult)._meta.get_field(column or field)
    assert isinstance(target, models.DecimalField)  # every number of an OKR is stored as a Decimal
    return parse_decimal(value, name=field, field=target)


@transaction.atomic
def objective_create(
    *,
    user: User,
    period: str,
    title: str,
    csm: User | None = None,
    team: Team | None = None,
    description: str = "",
    commitment: str = Commitment.COMMITTED,
    parent: Objective | None = None,
) -> Objective:
    p = _check_quarter(period)
    if (csm is None) == (team is None):
        raise ValidationError({"owner": _("An objective belongs to one CSM or one team.")})
    if csm is not None and csm.role != Role.CSM:
        raise ValidationError({"owner": _("%(person)s is not a CSM.") % {"person": csm}})
    if not title.strip():
        raise ValidationError({"title": _("A title is required.")})
    if commitment not in Commitment.values:
        raise ValidationError(
            {"commitment": _("must be one of %(choices)s") % {"choices": ", ".join(Commitment.values)}}
        )
    if parent is not None and not Objective.objects.visible_to(user).filter(pk=parent.pk).exists():
        raise ValidationError({"parent": _("No such objective.")})
    if parent is not None and parent.period != str(p):
        raise ValidationError(
            {
                "parent": _("An objective of %(quarter)s cannot be aligned to one of %(other)s.")
                % {"quarter": p, "other": parent.period}
            }
        )
    objective = Objective(
        csm=csm,
        team=team,
        period=str(p),
        title=title.strip(),
        description=description,
        commitment=commitment,
        parent=parent,
        created_by=user,
    )
    if not can_edit(user, objective):
        raise PermissionDenied(_("You may not set OKRs for this owner."))
    objective.save()
    return objective


def _plan_of(kr: KeyResult, *, objective: Objective, owner) -> KeyResult:
    """A new key result of ``objective`` with ``kr``'s plan (what it measures and aims at), no progress."""
    return KeyResult(
        objective=objective,
        title=kr.title,
        kind=kr.kind,
        metric=kr.metric,
        baseline=kr.baseline,
        target=kr.target,
        unit=kr.unit,
        direction=kr.direction,
        weight=kr.weight,
        owner=owner,
        position=kr.position,
    )


def _current_metric_value(kr: KeyResult) -> tuple[Decimal | None, KpiRun | None]:
    objective = kr.objective
    key = f"csm:{objective.csm_id}" if objective.csm_id else f"team:{objective.team_id}"
    value = (
        KpiValue.objects.filter(subject_key=key, metric=kr.metric, period=objective.period)
        .select_related("run")
        .first()
    )
    return (value.value, value.run) if value else (None, None)


@transaction.atomic
def key_result_create(
    *,
    user: User,
    objective: Objective,
    title: str,
    kind: str,
    metric: str = "",
    baseline=None,
    target=None,
    unit: str = "",
    direction: str = Direction.INCREASE,
    weight=1,
    owner: User | None = None,
) -> KeyResult:
    _check_quarter(objective.period)
    if not can_edit(user, objective):
        raise PermissionDenied(_("You may not change this objective."))
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("A title is required.")
    if kind not in KrKind.values:
        errors["kind"] = _("must be one of %(choices)s") % {"choices": ", ".join(KrKind.values)}
    w = _decimal(weight, "weight")
    if w is None or w <= 0:
        errors["weight"] = _("A weight must be a number above 0 (the key results' weights are relative).")
    elif w > MAX_WEIGHT:
        errors["weight"] = _(
            "A weight above %(most)s makes no sense: use relative weights such as 1, 2, 3."
        ) % {"most": MAX_WEIGHT}
    b, t = _decimal(baseline, "baseline"), _decimal(target, "target")
    if kind == KrKind.METRIC:
        m = REGISTRY.get(metric)
        if m is None:
            errors["metric"] = _("%(metric)r is not a metric key (see the metric definitions).") % {
                "metric": metric
            }
        elif not m.scored:
            errors["metric"] = _("%(metric)s is tracked, never scored: it cannot be a key result.") % {
                "metric": metric
            }
        elif m.direction not in (HIGHER, LOWER):
            errors["metric"] = _("%(metric)s has no better direction: it cannot be a key result.") % {
                "metric": metric
            }
        else:
            direction = Direction.INCREASE if m.direction == HIGHER else Direction.DECREASE
            unit = unit or str(m.unit_label)
    if kind in (KrKind.METRIC, KrKind.NUMERIC):
        if b is None:
            errors["baseline"] = _("A baseline (start value) is required.")
        if t is None:
            errors["target"] = _("A target is required.")
        if b is not None and t is not None:
            if t == b:
                errors["target"] = _("The target equals the baseline: there is nothing to progress towards.")
            elif direction == Direction.INCREASE and t < b:
                errors["target"] = _("For an increase, the target must be above the baseline.")
            elif direction == Direction.DECREASE and t > b:
                errors["target"] = _("For a decrease, the target must be below the baseline.")
        if direction not in Direction.values:
            errors["direction"] = _("must be one of %(choices)s") % {"choices": ", ".join(Direction.values)}
    if errors:
        raise ValidationError(errors)
    assert w is not None  # refused above when missing
    kr = KeyResult(
        objective=objective,
        title=title.strip(),
        kind=kind,
        metric=metric if kind == KrKind.METRIC else "",
        baseline=b if kind != KrKind.MILESTONE else None,
        target=t if kind != KrKind.MILESTONE else None,
        unit=unit,
        direction=direction,
        weight=w,
        owner=owner or objective.csm or (objective.team.manager if objective.team else None),
        position=objective.key_results.count(),
    )
    if kind == KrKind.NUMERIC:
        kr.current = b
    if kind == KrKind.METRIC:
        kr.current, kr.current_run = _current_metric_value(kr)
        if kr.current_run:
            kr.current_at = kr.current_run.finished_at
    kr.save()
    return kr


@transaction.atomic
def check_in_create(
    *,
    user: User,
    key_result: KeyResult,
    confidence,
    value=None,
    done: bool | None = None,
    note: str = "",
    date: datetime.date | None = None,
) -> CheckIn:
    objective = key_result.objective
    if selectors.quarter_closed(objective.period):
        raise ValidationError(
            {"key_result": _("%(quarter)s is closed: no more check-ins.") % {"quarter": objective.period}}
        )
    if not can_edit(user, objective):
        raise PermissionDenied(_("You may not check in on this key result."))
    errors: dict[str, str] = {}
    try:
        c = int(confidence)
    except (TypeError, ValueError):
        c = None
    if c is None or not 0 <= c <= 10 or str(confidence).strip() not in (str(c), f"{c}.0"):
        errors["confidence"] = _("Confidence is a whole number from 0 (no chance) to 10 (certain).")
    v = None
    if key_result.kind == KrKind.NUMERIC:
        v = _decimal(value, "value", model=CheckIn)
        if v is None:
            errors["value"] = _("A numeric key result needs the current value.")
    elif key_result.kind == KrKind.MILESTONE:
        if done is None:
            errors["done"] = _("Say whether the milestone is done.")
    elif value not in (None, ""):
        errors["value"] = _(
            "A KPI-linked key result takes its value from the nightly run, not from a check-in."
        )
    today = timezone.localdate()
    if date is not None:
        quarter = Period.parse(objective.period)
        if not (quarter.start <= date < quarter.end and date <= today):
            errors["date"] = _(
                "A check-in is dated within %(quarter)s and not after today (%(today)s); %(date)s is neither."
            ) % {"quarter": quarter, "today": today, "date": date}
    if errors:
        raise ValidationError(errors)
    assert c is not None  # refused above when missing
    day = date or today
    check_in = CheckIn.objects.create(
        key_result=key_result, date=day, value=v, done=done, confidence=c, note=note, author=user
    )
    if key_result.kind == KrKind.NUMERIC:
        key_result.current, key_result.current_at = v, timezone.now()
    elif key_result.kind == KrKind.MILESTONE:
        key_result.done, key_result.current_at = bool(done), timezone.now()
    key_result.save(update_fields=["current", "done", "current_at"])
    return check_in


def okr_rollout(*, user: User, source: Objective, segment: str = "") -> tuple[int, int]:
    """Give every CSM of the source's team (or of one segment of it) the team objective's key
    results, as an objective aligned to it. Idempotent: a CSM who has it already is skipped.
    Returns (created, already there)."""
    if source.team_id is None:
        raise ValidationError({"source": _("Roll out a team objective.")})
    if segment and segment not in Segment.values:
        raise ValidationError(
            {"segment": _("must be one of %(choices)s") % {"choices": ", ".join(Segment.values)}}
        )
    _check_quarter(source.period)
    if not can_edit(user, source):
        raise PermissionDenied(_("Only the team's manager rolls out its objectives."))
    members = User.objects.filter(team_id=source.team_id, role=Role.CSM)
    if segment:
        members = members.filter(segment=segment)
    created = existing = 0
    templates = list(source.key_results.all())
    for csm in members.order_by("pk"):
        with transaction.atomic():
            objective, made = Objective.objects.get_or_create(
                csm=csm,
                rollout_source=source,
                defaults={
                    "period": source.period,
                    "title": source.title,
                    "description": source.description,
                    "commitment": source.commitment,
                    "parent": source,
                    "created_by": user,
                },
            )
            if not made:
                existing += 1
                continue
            created += 1
            for kr in templates:
                copy = _plan_of(kr, objective=objective, owner=csm)
                copy.current = kr.baseline if kr.kind == KrKind.NUMERIC else None
                if kr.kind == KrKind.METRIC:
                    copy.current, copy.current_run = _current_metric_value(copy)
                    copy.current_at = copy.current_run.finished_at if copy.current_run else None
                copy.save()
    return created, existing


def key_results_update_from_run(*, run: KpiRun) -> int:
    """After a published run of a quarter: every metric-linked key result of that quarter takes its
    new value, with history (the run it came from). Two queries plus the writes."""
    if run.status != RunStatus.PUBLISHED or not Period.parse(run.period).is_quarter:
        return 0
    if selectors.quarter_closed(run.period):
        return 0
    krs = list(
        KeyResult.objects.filter(kind=KrKind.METRIC, objective__period=run.period).select_related("objective")
    )
    if not krs:
        return 0
    keys = {
        f"csm:{kr.objective.csm_id}" if kr.objective.csm_id else f"team:{kr.objective.team_id}" for kr in krs
    }
    values = {
        (v.subject_key, v.metric): v.value
        for v in KpiValue.objects.filter(
            period=run.period, subject_key__in=keys, metric__in={kr.metric for kr in krs}
        )
    }
    now = timezone.now()
    with transaction.atomic():
        for kr in krs:
            key = f"csm:{kr.objective.csm_id}" if kr.objective.csm_id else f"team:{kr.objective.team_id}"
            kr.current = values.get((key, kr.metric))
            kr.current_run, kr.current_at = run, now
        KeyResult.objects.bulk_update(krs, ["current", "current_run", "current_at"])
        KeyResultValue.objects.bulk_create(
            [KeyResultValue(key_result=kr, run=run, value=kr.current) for kr in krs], ignore_conflicts=True
        )
    return len(krs)


@transaction.atomic
def okr_quarter_close(*, user: User, period: str) -> OkrQuarter:
    """Freeze every score of the quarter (HR or admin). Closing twice is refused."""
    if user.role not in (Role.HR, Role.ADMIN):
        raise PermissionDenied(_("HR closes a quarter's OKRs."))
    p = _check_quarter(period)
    quarter, _created = OkrQuarter.objects.select_for_update().get_or_create(period=str(p))
    objectives = list(Objective.objects.filter(period=str(p)).prefetch_related("key_results"))
    for objective in objectives:
        krs = list(objective.key_results.all())
        for kr in krs:
            kr.frozen_progress = selectors.kr_progress(kr)
        KeyResult.objects.bulk_update(krs, ["frozen_progress"])
        objective.frozen_score = selectors.objective_score(objective, krs)
    Objective.objects.bulk_update(objectives, ["frozen_score"])
    quarter.closed_at, quarter.closed_by = timezone.now(), user
    quarter.save()
    return quarter


class CarryValues(models.TextChoices):
    RESET = "reset", _("Start the key results again from their baseline")
    KEEP = "keep", _("Keep the key results' current values")


@transaction.atomic
def objective_carry_over(*, user: User, objective: Objective, values: str) -> Objective:
    """An objective not finished when its quarter closed goes on in the next quarter: a new objective
    (same owner, title, description, commitment) with a copy of each key result, linked to the
    original (``carried_from``). ``values``: ``reset`` starts each key result again (a numeric one at
    its baseline, a milestone not done), ``keep`` keeps where it got to (a numeric one's current
    value, a milestone's done); a KPI-linked one always takes its value from the new quarter's run.
    Aligned to the carried-over copy of the original's parent when there is one. Refused, writing
    nothing: an open quarter, a finished objective (score 1.0), a second carry-over, a closed next
    quarter, someone who may not edit the objective."""
    objective = (
        Objective.objects.select_for_update(of=("self",))
        .select_related("csm__team", "team", "parent")
        .get(pk=objective.pk)
    )
    if not can_edit(user, objective):
        raise PermissionDenied(_("You may not carry this objective over."))
    if values not in CarryValues.values:
        raise ValidationError(
            {"values": _("Choose whether the key results start again or keep their values.")}
        )
    if not selectors.quarter_closed(objective.period):
        raise ValidationError({"objective": _("An objective is carried over once its quarter is closed.")})
    score = selectors.objective_score(objective)
    if score is not None and score >= 1:
        raise ValidationError(
            {"objective": _("This objective is finished (score 1.0): nothing to carry over.")}
        )
    existing = Objective.objects.filter(carried_from=objective).first()
    if existing is not None:
        raise ValidationError(
            {
                "objective": _("Already carried over into %(quarter)s as “%(title)s”.")
                % {"quarter": existing.period, "title": existing.title}
            }
        )
    target = Period.parse(objective.period).next()
    _check_quarter(str(target))
    parent = (
        Objective.objects.filter(carried_from_id=objective.parent_id).first() if objective.parent_id else None
    )
    copy = Objective.objects.create(
        csm=objective.csm,
        team=objective.team,
        period=str(target),
        title=objective.title,
        description=objective.description,
        commitment=objective.commitment,
        parent=parent,
        carried_from=objective,
        created_by=user,
    )
    keep = values == CarryValues.KEEP
    for kr in objective.key_results.all():
        new = _plan_of(kr, objective=copy, owner=kr.owner)
        if kr.kind == KrKind.NUMERIC:
            new.current = kr.current if keep else kr.baseline
        elif kr.kind == KrKind.MILESTONE:
            new.done = kr.done if keep else False
        else:
            new.current, new.current_run = _current_metric_value(new)
            new.current_at = new.current_run.finished_at if new.current_run else None
        if new.current is not None or new.done:
            new.current_at = new.current_at or timezone.now()
        new.save()
    return copy


@transaction.atomic
def objective_adjust_final(*, user: User, objective: Objective, score, reason: str) -> Objective:
    """After closing: a final score may differ from the frozen one, with a reason. Both are kept."""
    if not selectors.quarter_closed(objective.period):
        raise ValidationError({"final_score": _("A final score is set after the quarter is closed.")})
    if user.role not in (Role.HR, Role.ADMIN) and not (
        user.role == Role.MANAGER and can_edit(user, objective)
    ):
        raise PermissionDenied(_("The manager or HR adjusts a final score."))
    s = _decimal(score, "final_score", model=Objective)
    if s is None or not Decimal(0) <= s <= Decimal(1):
        raise ValidationError({"final_score": _("A score is between 0.0 and 1.0.")})
    if s != objective.frozen_score and not reason.strip():
        raise ValidationError(
            {"final_score_reason": _("Say why the final score differs from the computed one.")}
        )
    objective.final_score, objective.final_score_reason = s, reason.strip()
    objective.save(update_fields=["final_score", "final_score_reason"])
    return objective
