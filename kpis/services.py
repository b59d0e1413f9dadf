"""Runs of the KPI engine: start (the lock), compute, publish (docs/architecture.md, "The nightly job").

A run is published only when complete: the period's values are replaced and the run marked
published in one transaction, so a reader sees the previous run or this one, never half of it.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Role, User
from kpis.engine import lifts
from kpis.engine.components import Components, PerCsm, combine, decode, encode, merge
from kpis.engine.formulas import derive
from kpis.engine.parts import LONGEST_FIRST, PARTS, Inputs
from kpis.models import (
    PARTS_MISSING,
    RUN_ABANDONED,
    ExpectedFit,
    KpiRun,
    KpiValue,
    RunPart,
    RunStatus,
    SubjectType,
)
from kpis.periods import Period
from kpis.registry import ALL_KEYS
from kpis.signals import run_failed, run_published


class RunInProgress(Exception):
    """Another run of the same period holds the lock."""


class RunAbandoned(Exception):
    """The run lost its lock (it expired and another run took over); it must not publish."""


def _lock_seconds() -> int:
    return int(getattr(settings, "KPI_RUN_LOCK_SECONDS", 3600))


def kpi_run_start(*, period: Period, as_of: datetime.date | None = None, trigger: str = "command") -> KpiRun:
    """Take the period's lock by creating its running run. The database refuses a second one.

    A running run silent for longer than ``KPI_RUN_LOCK_SECONDS`` (a killed worker) is marked
    failed first, so its lock expires.
    """
    now = timezone.now()
    expired = now - datetime.timedelta(seconds=_lock_seconds())
    abandoned = list(
        KpiRun.objects.filter(period=str(period), status=RunStatus.RUNNING, heartbeat_at__lt=expired)
    )
    KpiRun.objects.filter(pk__in=[r.pk for r in abandoned], status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, finished_at=now, error=RUN_ABANDONED
    )
    for run in abandoned:
        run.refresh_from_db()
        if run.status == RunStatus.FAILED:
            run_failed.send(sender=KpiRun, run=run)
    try:
        with transaction.atomic():
            return KpiRun.objects.create(
                period=str(period),
                as_of=as_of or timezone.localdate(),
                trigger=trigger,
                heartbeat_at=now,
            )
    except IntegrityError as exc:
        running = KpiRun.objects.filter(period=str(period), status=RunStatus.RUNNING).first()
        since = f" since {timezone.localtime(running.started_at):%Y-%m-%d %H:%M}" if running else ""
        raise RunInProgress(f"Another run of {period} is in progress{since}.") from exc


def kpi_run_heartbeat(*, run: KpiRun) -> None:
    KpiRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())


def kpi_run_fail(*, run: KpiRun, error: str) -> None:
    failed = KpiRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, finished_at=timezone.now(), error=error[:5000]
    )
    if failed:
        run.refresh_from_db()
        run_failed.send(sender=KpiRun, run=run)


def _inputs(run: KpiRun) -> Inputs:
    period = Period.parse(run.period)
    as_of = run.as_of if run.as_of < period.end else None
    return Inputs(period=period, as_of=as_of, run_id=run.pk)


def kpi_part_compute(*, run: KpiRun, name: str, inputs: Inputs | None = None) -> dict:
    """Compute one part of a run: the components of every CSM at once (docs/metrics.md)."""
    kpi_run_heartbeat(run=run)
    return PARTS[name](inputs or _inputs(run))


def kpi_part_store(*, run: KpiRun, name: str) -> None:
    """Fan-out: compute one part and keep it for the publishing step (idempotent per part)."""
    part = kpi_part_compute(run=run, name=name)
    RunPart.objects.update_or_create(run=run, name=name, defaults={"payload": encode(part)})


VALUE_COLUMNS = (
    "subject_type",
    "subject_key",
    "csm_id",
    "team_id",
    "segment",
    "metric",
    "period",
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "breakdown",
    "run_id",
    "computed_at",
)


def _subject_rows(run: KpiRun, components: PerCsm, computed_at) -> Iterator[tuple]:
    """The rows of every subject (each CSM, team and segment), in the order of VALUE_COLUMNS: an
    iterator, so that the database stores the first rows while the next are derived. The CSMs and
    the run's expected-results fits are read here, before the first row is asked for (no query can
    run during the COPY)."""
    csms = list(User.objects.filter(role=Role.CSM).order_by("pk").values_list("pk", "team_id", "segment"))
    fits = {f.outcome: (f.status, f.reason, f.reason_params) for f in ExpectedFit.objects.filter(run=run)}
    return _derived_rows(run, components, csms, connection.ops.adapt_datetimefield_value(computed_at), fits)


def _derived_rows(
    run: KpiRun,
    components: PerCsm,
    csms: list[tuple],
    at: Any,
    fits: lifts.Fits | None = None,
) -> Iterator[tuple]:
    """Each CSM's values, then each team's and segment's from their members' pooled components.
    The lifts of each kind of subject are shrunk together (``lifts.shrink_subjects``)."""

    def rows(subject_type, key, values, csm=None, team=None, segment=""):
        for metric in ALL_KEYS:
            v = values[metric]
            yield (
                subject_type,
                key,
                csm,
                team,
                segment,
                metric,
                run.period,
                v.value,
                v.numerator,
                v.denominator,
                v.sample_size,
                json.dumps(v.breakdown) if v.breakdown else "{}",
                run.pk,
                at,
            )

    teams: dict[int, list] = {}
    segments: dict[str, list] = {}
    people = []
    for csm, team, segment in csms:
        comps = components.get(csm) or Components()
        people.append((csm, derive(comps)))
        if team:
            teams.setdefault(team, []).append(comps)
        if segment:
            segments.setdefault(segment, []).append(comps)
    by_team = [(team, derive(combine(members))) for team, members in sorted(teams.items())]
    by_segment = [(segment, derive(combine(members))) for segment, members in sorted(segments.items())]
    reasons = lifts.withheld_reasons(Period.parse(run.period), run.is_to_date, fits or {})
    for level in (people, by_team, by_segment):
        lifts.shrink_subjects([values for _, values in level], reasons)
    for csm, values in people:
        yield from rows(SubjectType.CSM, f"csm:{csm}", values, csm=csm)
    for team, values in by_team:
        yield from rows(SubjectType.TEAM, f"team:{team}", values, team=team)
    for segment, values in by_segment:
        yield from rows(SubjectType.SEGMENT, f"segment:{segment}", values, segment=segment)


def _insert_values(rows: Iterable[tuple]) -> Counter:
    """Write the rows in one COPY: no model instances.
    Returns the number of rows per subject type."""
    table = connection.ops.quote_name(KpiValue._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in VALUE_COLUMNS)
    written: Counter = Counter()

    def counted():
        for row in rows:
            written[row[0]] += 1
            yield row

    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in counted():
            copy.write_row(row)
    return written


def kpi_run_publish(*, run: KpiRun, components: PerCsm) -> KpiRun:
    """Replace the period's values with the run's and mark it published, in one transaction (the
    unique key (subject, metric, period) still holds; readers see the old values until the commit)."""
    now = timezone.now()
    with transaction.atomic():
        locked = KpiRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.RUNNING:
            raise RunAbandoned(
                f"Run {run.pk} of {run.period} is {locked.status}: it lost its lock and does not publish."
            )
        # The run replaces the period's values as a whole (subjects that no longer exist leave the
        # published set); readers see the previous values until the transaction commits.
        KpiValue.objects.filter(period=run.period).delete()
        written = _insert_values(_subject_rows(run, components, now))
        RunPart.objects.filter(run=run).delete()
        locked.status = RunStatus.PUBLISHED
        locked.finished_at = now
        locked.csm_count = written[SubjectType.CSM] // len(ALL_KEYS)
        locked.value_count = sum(written.values())
        locked.query_count = run.query_count
        locked.save()
        transaction.on_commit(lambda: run_published.send(sender=KpiRun, run=locked))
    run.refresh_from_db()
    return run


def kpi_run_compute(
    *,
    period: Period,
    as_of: datetime.date | None = None,
    trigger: str = "command",
    progress: Callable[[str], None] | None = None,
) -> KpiRun:
    """Compute and publish one period in this process (the command, and the default task)."""
    run = kpi_run_start(period=period, as_of=as_of, trigger=trigger)
    return kpi_run_execute(run=run, progress=progress)


class _QueryCounter:
    """Counts the queries of a run (kept on the run: it must not grow with the organisation)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        with self._lock:
            self.count += 1
        return execute(sql, params, many, context)


def _parts_compute(
    *, run: KpiRun, inputs: Inputs, counter: _QueryCounter, progress: Callable[[str], None] | None
) -> dict[str, PerCsm]:
    """Every part of a run. With KPI_PART_THREADS > 1 the parts run side by side, each thread on its
    own database connection (the database does most of the work), longest parts first."""
    threads = settings.KPI_PART_THREADS

    def one(name: str) -> PerCsm:
        try:
            with connection.execute_wrapper(counter):
                return kpi_part_compute(run=run, name=name, inputs=inputs)
        finally:
            if threads > 1:
                connection.close()  # this thread's own connection

    if threads <= 1:
        parts = {}
        for name in PARTS:
            parts[name] = one(name)
            if progress:
                progress(name)
        return parts
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kpi-part") as pool:
        futures = {pool.submit(one, name): name for name in LONGEST_FIRST}
        parts = {}
        for future in as_completed(futures):
            parts[futures[future]] = future.result()
            if progress:
                progress(futures[future])
    return parts


def kpi_run_execute(*, run: KpiRun, progress: Callable[[str], None] | None = None) -> KpiRun:
    try:
        inputs = _inputs(run)
        counter = _QueryCounter()
        parts = _parts_compute(run=run, inputs=inputs, counter=counter, progress=progress)
        run.query_count = counter.count
        return kpi_run_publish(run=run, components=merge(parts[name] for name in PARTS))
    except RunAbandoned:
        raise
    except Exception as exc:
        # Recorded on the run, then raised again: the caller (command or task) decides what next.
        kpi_run_fail(run=run, error=f"{type(exc).__name__}: {exc}")
        raise


def kpi_run_publish_parts(*, run: KpiRun) -> KpiRun:
    """Fan-out, final step: merge the stored parts and publish. Refuses when a part is missing."""
    stored = {p.name: decode(p.payload) for p in RunPart.objects.filter(run=run)}
    missing = [name for name in PARTS if name not in stored]
    if missing:
        kpi_run_fail(run=run, error=PARTS_MISSING + ",".join(missing))
        raise RuntimeError(f"Run {run.pk}: parts missing: {', '.join(missing)}")
    return kpi_run_publish(run=run, components=merge(stored[name] for name in PARTS))


def nightly_periods(today: datetime.date) -> list[tuple[Period, datetime.date | None]]:
    """The current month and quarter to date, and the previous month and quarter again (late data)."""
    month = Period.containing(today, "month")
    quarter = Period.containing(today, "quarter")
    return [(month, today), (quarter, today), (month.previous(), None), (quarter.previous(), None)]


def published_runs(periods: Iterable[str]) -> dict[str, KpiRun]:
    out = {}
    for run in KpiRun.objects.filter(period__in=list(periods), status=RunStatus.PUBLISHED).order_by(
        "finished_at"
    ):
        out[run.period] = run
    return out
