"""Celery tasks of the KPI engine: thin, idempotent, acks_late; they take period strings or ids."""

from __future__ import annotations

import datetime
import logging

from celery import chord, shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from kpis import pagecache, refresh, services
from kpis.engine.parts import PARTS
from kpis.models import KpiRun
from kpis.periods import Period

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError,)


@shared_task(name="kpis.compute_nightly", acks_late=True)
def compute_nightly() -> list[str]:
    """02:00: the current month and quarter to date, the previous month and quarter again."""
    today = timezone.localdate()
    queued = []
    for period, as_of in services.nightly_periods(today):
        compute_period.delay(str(period), as_of.isoformat() if as_of else None, "beat")
        queued.append(str(period))
    return queued


@shared_task(
    name="kpis.compute_period",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def compute_period(
    self,
    period: str,
    as_of: str | None = None,
    trigger: str = "task",
    fanout: bool = False,
    debounced: bool = False,
) -> str:
    """Compute one period. A run of the same period in progress: wait and try again later.

    ``debounced``: a refresh after an import (kpis.refresh). It first claims the period's deadline;
    a later import moved it: the task sends itself again for then and stops here. No ``as_of``: the
    day the run starts (to date for a current period, whole for a closed one, as the nightly job).
    """
    if debounced:
        wait = refresh.claim(Period.parse(period))
        if wait:
            compute_period.apply_async(
                args=(period, as_of, trigger, fanout), kwargs={"debounced": True}, countdown=wait
            )
            return f"{period}: waits {wait:.0f} s more (a later import)"
    day = datetime.date.fromisoformat(as_of) if as_of else None
    try:
        run = services.kpi_run_start(period=Period.parse(period), as_of=day, trigger=trigger)
    except services.RunInProgress as exc:
        # Claimed already: the retry computes without waiting for a deadline again.
        again = {**(self.request.kwargs or {}), "debounced": False} if debounced else None
        raise self.retry(
            exc=exc, countdown=settings.KPI_LOCK_RETRY_SECONDS, max_retries=30, kwargs=again
        ) from exc
    if fanout:
        chord(compute_part.si(run.pk, name) for name in PARTS)(publish_parts.si(run.pk))
        return f"run {run.pk}: fanned out"
    services.kpi_run_execute(run=run)
    return f"run {run.pk}: published"


@shared_task(
    name="kpis.compute_part",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=10,
    max_retries=5,
)
def compute_part(run_id: int, name: str) -> str:
    run = KpiRun.objects.get(pk=run_id)
    services.kpi_part_store(run=run, name=name)
    return name


@shared_task(
    name="kpis.publish_parts", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=10, max_retries=5
)
def publish_parts(run_id: int) -> str:
    run = KpiRun.objects.get(pk=run_id)
    services.kpi_run_publish_parts(run=run)
    return f"run {run_id}: published"


@shared_task(name="kpis.warm_pages", acks_late=True, ignore_result=True)
def warm_pages(version: str) -> str:
    """Render the KPI pages again after a publication (kpis.pagecache), unless a newer one came."""
    if pagecache.version() != version:
        return "stale"
    rendered = pagecache.warm(version=version, periods=pagecache.periods_to_warm())
    return f"{rendered} fragments"
