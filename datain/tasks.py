"""Celery tasks of data loading: thin, they load the run by id and call the service.

A message carries the run and the attempt it was sent for; a message of another attempt, or for a run
no longer queued, does nothing (core/jobs.py). ``attempt`` is optional for messages sent before it
existed.
"""

from celery import shared_task

from core import jobs
from datain import import_runs
from datain.sources.sync import sync_all

TAKEOVER_LOOKS = 30


def _execute(task, run_id: int, dry_run: bool, attempt: int | None) -> str:
    try:
        return import_runs.import_run_execute(run_id=run_id, dry_run=dry_run, attempt=attempt)
    except jobs.StillAlive as alive:
        # Claimed for this attempt by a worker that showed a sign of life lately: look again later
        # (taken over once it is silent for JOB_TAKEOVER_SECONDS). A run whose worker keeps showing signs
        # of life is its worker's: after that many looks (about the JOB_STALE_SECONDS of the sweep) the
        # message gives up.
        raise task.retry(countdown=alive.retry_in, max_retries=TAKEOVER_LOOKS) from None


@shared_task(name="activity.import_validate", acks_late=True, bind=True)
def import_validate(self, run_id: int, attempt: int | None = None) -> str:
    """Check an uploaded file (a dry run) and record every error."""
    return _execute(self, run_id, True, attempt)


@shared_task(name="activity.import_commit", acks_late=True, bind=True)
def import_commit(self, run_id: int, attempt: int | None = None) -> str:
    """Write a checked file. Delivered twice, the second message finds the run claimed or done (or
    takes over a run whose worker died)."""
    return _execute(self, run_id, False, attempt)


@shared_task(name="activity.sweep_imports")
def sweep_imports() -> dict[str, int]:
    """Celery beat: uploads no worker picked up are sent again, silent ones are marked failed."""
    return import_runs.import_runs_sweep()


@shared_task(name="activity.sources_sync", acks_late=True)
def sources_sync() -> list[str]:
    """Nightly, before the KPIs: every configured connector pulls what changed since its cursor.
    Delivered twice, the second finds the cursors moved and loads nothing new (upserts)."""
    return [f"{run.source}: {run.status}" for run in sync_all(trigger="beat")]
