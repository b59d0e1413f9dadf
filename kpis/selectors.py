"""Reads of the KPI engine: published values, exports and the explain drill-down."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import CustomerAccount, User
from kpis import lifts_shown
from kpis.engine import drilldown
from kpis.engine.drilldown import Explanation
from kpis.models import KpiRun, KpiValue, RunStatus, SubjectType
from kpis.periods import Period
from kpis.registry import EXPECTED, REGISTRY

EXPORT_COLUMNS = (
    "subject",
    "period",
    "metric",
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "computed_at",
)


def kpi_values(*, user: User, period: Period, level: str = SubjectType.CSM) -> QuerySet[KpiValue]:
    """Published values of a period at one level, as ``user`` may see them."""
    return (
        KpiValue.objects.visible_to(user)
        .filter(period=str(period), subject_type=level)
        .select_related("csm", "team")
        .order_by("subject_key", "metric")
    )


def subject_label(value: KpiValue) -> str:
    # A CSM's value has its CSM, a team's its team (the model's check constraints).
    if value.subject_type == SubjectType.CSM and value.csm is not None:
        return value.csm.email
    if value.subject_type == SubjectType.TEAM and value.team is not None:
        return value.team.name
    return value.segment


def kpi_export_row(v: KpiValue) -> dict[str, Any]:
    """One subject's value of one metric, as it goes out (docs/data-contract.md, "What goes out")."""
    return {
        "subject": subject_label(v),
        "period": v.period,
        "metric": v.metric,
        "value": None if v.value is None else format(v.value, "f"),
        "numerator": None if v.numerator is None else format(v.numerator.normalize(), "f"),
        "denominator": None if v.denominator is None else format(v.denominator.normalize(), "f"),
        "sample_size": v.sample_size,
        "computed_at": v.computed_at.isoformat(),
    }


def kpi_export_rows(*, user: User, period: Period, level: str = SubjectType.CSM) -> Iterator[dict[str, Any]]:
    """One row per subject and metric."""
    for v in kpi_values(user=user, period=period, level=level).iterator(chunk_size=2000):
        yield kpi_export_row(v)


def latest_run(*, period: Period | None = None) -> KpiRun | None:
    qs = KpiRun.objects.all()
    if period is not None:
        qs = qs.filter(period=str(period))
    return qs.order_by("-started_at", "-pk").first()


def latest_published_run(*, period: Period) -> KpiRun | None:
    return (
        KpiRun.objects.filter(period=str(period), status=RunStatus.PUBLISHED).order_by("-finished_at").first()
    )


# --- explain -----------------------------------------------------------------------------------


def explain_as_of(period: Period) -> datetime.date | None:
    """The day a drill-down of ``period`` counts data up to: that of the run whose values are
    published, so that the rows reproduce the stored number (a period in progress is stored to
    date). None for a period counted to its end; today for a period in progress with no run yet."""
    run = latest_published_run(period=period)
    if run is not None:
        return run.as_of if run.as_of < period.end else None
    today = timezone.localdate()
    return today if today < period.end else None


def kpi_explain(*, csm: User, metric: str, period: Period, as_of: datetime.date | None = None) -> Explanation:
    """The rows behind one number of one CSM: the engine's own rows for that CSM (kpis.engine),
    counted to the same day as the published value (``explain_as_of``) unless ``as_of`` is given."""
    if metric not in REGISTRY:
        raise KeyError(metric)
    if as_of is None:
        as_of = explain_as_of(period)
    return drilldown.explain(csm_id=csm.pk, metric=metric, period=period, as_of=as_of)


def account_ids_by_external_id(external_ids: list) -> dict[str, int]:
    """For drill-down links: the ids of the accounts named in an explanation (one query)."""
    names = [e for e in external_ids if isinstance(e, str)]
    return dict(CustomerAccount.objects.filter(external_id__in=names).values_list("external_id", "pk"))


def lift_story(*, csm: User, metric: str, period: Period) -> str:
    """For the drill-down of an expected figure or a lift: how the CSM's lift came about, from the
    published values ("" for any other metric; one query)."""
    if REGISTRY[metric].group != EXPECTED:
        return ""
    outcome = next(o for o in lifts_shown.OUTCOMES if metric.startswith(o + "_"))
    keys = [outcome, *(f"{outcome}_{s}" for s in ("expected", "lift", "lift_low", "lift_high"))]
    values = {
        v.metric: v
        for v in KpiValue.objects.filter(
            csm=csm, subject_type=SubjectType.CSM, period=str(period), metric__in=keys
        )
    }
    return lifts_shown.lift_story(outcome, values) if values else ""
