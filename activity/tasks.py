"""Celery tasks of data loading: thin, they load the run by id and call the service."""

from celery import shared_task

from activity import services
from activity.sources.sync import sync_all


@shared_task(name="activity.import_validate", acks_late=True)
def import_validate(run_id: int) -> str:
    """Check an uploaded file (a dry run) and record every error."""
    return services.import_run_execute(run_id=run_id, dry_run=True)


@shared_task(name="activity.import_commit", acks_late=True)
def import_commit(run_id: int) -> str:
    """Write a checked file. Delivered twice, the second run finds every row unchanged."""
    return services.import_run_execute(run_id=run_id, dry_run=False)


@shared_task(name="activity.sources_sync", acks_late=True)
def sources_sync() -> list[str]:
    """Nightly, before the KPIs: every configured connector pulls what changed since its cursor.
    Delivered twice, the second finds the cursors moved and loads nothing new (upserts)."""
    return [f"{run.source}: {run.status}" for run in sync_all(trigger="beat")]
