"""The upload page's imports as jobs (core/jobs.py): storing the file, queueing its check and its
write, the worker's side of both, Retry, and the sweep of the runs that went quiet. The load itself is
``datain.services``."""

from __future__ import annotations

import datetime
import logging
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import jobs
from core.said import Said, said
from datain import services
from datain import words as w
from datain.kinds import KINDS
from datain.models import ImportRun, ImportSource, ImportStatus

log = logging.getLogger(__name__)


def _progress_key(run_id: int) -> str:
    return f"import-progress:{run_id}"


def import_progress(*, run_id: int) -> dict[str, int]:
    return cache.get(_progress_key(run_id)) or {}


def import_upload_create(
    *, user: User, kind: str, upload: IO[bytes], filename: str, source_format: str = "", mapping: str = ""
) -> ImportRun:
    """Store an uploaded file and queue its check (a dry run); the page follows its progress.

    When the queue cannot be reached the run is failed at once with the reason (the page offers Retry).
    """
    if kind not in KINDS:
        raise services.UnknownKind(kind)
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    with path.open("wb") as out:
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            out.write(chunk)
    run = ImportRun.objects.create(
        kind=kind,
        source=ImportSource.UPLOAD,
        status=ImportStatus.QUEUED,
        dry_run=True,
        created_by=user,
        filename=filename[:255],
        stored_file=str(path),
        source_format=source_format,
        mapping=mapping,
        attempt=1,
        sends=1,
        queued_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue(_task_for(run), run))
    return run


def import_upload_confirm(*, run: ImportRun) -> ImportRun:
    """Queue the write of a file whose check passed. Refused unless the check passed."""
    updated = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.VALID).update(
        status=ImportStatus.QUEUED, dry_run=False, **_queued_now()
    )
    if not updated:
        raise ValueError(_("Only a checked file without errors can be imported."))
    run.refresh_from_db()
    transaction.on_commit(lambda: _enqueue(_task_for(run), run))
    return run


def import_run_can_retry(run: ImportRun) -> bool:
    return (
        run.status == ImportStatus.FAILED
        and run.source == ImportSource.UPLOAD
        and bool(run.stored_file)
        and Path(run.stored_file).exists()
    )


def import_run_retry(*, run: ImportRun) -> ImportRun:
    """Queue again the step of an upload that failed: its check, or its import (all or nothing, so an
    import that stopped half way wrote nothing, and one that did write finds its rows unchanged)."""
    if run.status == ImportStatus.FAILED and not import_run_can_retry(run):
        raise ValueError(_("The uploaded file is gone: upload it again."))
    updated = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.FAILED).update(
        status=ImportStatus.QUEUED, **_queued_now()
    )
    if not updated:
        raise ValueError(_("Only a failed import can be retried."))
    run.refresh_from_db()
    transaction.on_commit(lambda: _enqueue(_task_for(run), run))
    return run


def _queued_now() -> dict[str, Any]:
    """The fields of a step someone just asked for: a new attempt, sent once, no outcome yet."""
    return {
        "attempt": F("attempt") + 1,
        "sends": 1,
        "queued_at": timezone.now(),
        "heartbeat_at": None,
        "finished_at": None,
        "message": "",
        "message_params": {},
    }


def _task_for(run: ImportRun) -> str:
    return "activity.import_validate" if run.dry_run else "activity.import_commit"


def _enqueue(task_name: str, run: ImportRun) -> None:
    """Send the run's current attempt; when the queue cannot be reached, the run fails with the reason."""
    try:
        task_id = jobs.send(task_name, [run.pk, run.attempt])
    except jobs.QueueUnreachable as exc:
        ImportRun.objects.filter(pk=run.pk, status=ImportStatus.QUEUED, attempt=run.attempt).update(
            status=ImportStatus.FAILED,
            message=exc.reason.key,
            message_params=exc.reason.params,
            finished_at=timezone.now(),
        )
        return
    ImportRun.objects.filter(pk=run.pk).update(task_id=task_id)


class _NoLongerOurs(Exception):
    """The run was failed (or sent again) while this worker was still at it: its work is rolled back."""


def _fail(run_id: int, status: str, message: Said) -> bool:
    """Mark a run failed if it is still in ``status``; a database that cannot be reached is logged."""
    try:
        return bool(
            ImportRun.objects.filter(pk=run_id, status=status).update(
                status=ImportStatus.FAILED,
                message=message.key,
                message_params=message.params,
                finished_at=timezone.now(),
            )
        )
    except DatabaseError:
        log.exception("Import run %s could not be marked failed: %s", run_id, message)
        return False


def import_run_execute(*, run_id: int, dry_run: bool, attempt: int | None = None) -> str:
    """Run the check or the write of a stored upload, publishing progress, recording the outcome.

    The worker first claims the run: it must be queued for this step and, when the message says so, for
    this attempt. Any other message (delivered twice, replaced by the sweep's new send, or redelivered
    after its worker died while the run was marked failed meanwhile) does nothing and answers the
    run's status (core/jobs.py), unless it finds the run claimed for its own attempt by a worker that
    died: it takes the run over (``jobs.take_over``). While it runs, the run shows signs of life (``heartbeat_at``); the
    load and its outcome commit together, and only if the run is still this worker's then.
    """
    running = ImportStatus.VALIDATING if dry_run else ImportStatus.IMPORTING
    claim = ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED, dry_run=dry_run)
    if attempt is not None:
        claim = claim.filter(attempt=attempt)
    claimed = bool(claim.update(status=running, heartbeat_at=timezone.now()))
    if not claimed:
        # Its message came back to a run claimed for this attempt: its worker died (taken over once
        # silent for JOB_TAKEOVER_SECONDS; jobs.StillAlive before that, for the task to ask again).
        claimed = (
            jobs.take_over(
                ImportRun.objects.filter(dry_run=dry_run), pk=run_id, attempt=attempt, running=[running]
            )
            is not None
        )
    if not claimed:
        run = ImportRun.objects.filter(pk=run_id).only("status", "attempt").first()
        log.info(
            "Import run %s: a message for attempt %s found it %s (attempt %s): nothing done",
            run_id,
            attempt,
            run.status if run else "deleted",
            run.attempt if run else None,
        )
        return run.status if run else "gone"
    run = ImportRun.objects.get(pk=run_id)
    path = Path(run.stored_file)
    if not path.exists():
        _fail(run.pk, running, said(w.FILE_GONE))
        return ImportStatus.FAILED
    step = "checking the file" if dry_run else "importing"
    total = path.stat().st_size

    with jobs.Heartbeat(ImportRun, run.pk) as beat:

        def progress(rows: int, read: int) -> None:
            cache.set(_progress_key(run.pk), {"rows": rows, "bytes": read, "total": total}, 3600)
            beat()

        try:
            with transaction.atomic():
                with path.open("rb") as binary:
                    result = services.import_csv(
                        kind=run.kind,
                        binary=binary,
                        dry_run=dry_run,
                        progress=progress,
                        source_format=run.source_format,
                        mapping=run.mapping,
                    )
                current = ImportRun.objects.select_for_update().only("status", "attempt").get(pk=run.pk)
                if (current.status, current.attempt) != (running, run.attempt):
                    raise _NoLongerOurs(current.status)
                services.import_run_record(result=result, source=run.source, run=run)
        except _NoLongerOurs as gone:
            log.warning(
                "Import run %s was marked %s while this worker was %s: its work is rolled back",
                run.pk,
                gone,
                step,
            )
            return str(gone)
        except Exception as exc:
            failed = w.WORKER_FAILED_CHECKING if dry_run else w.WORKER_FAILED_IMPORTING
            _fail(run.pk, running, said(failed, error=str(exc)[:2000]))
            raise
    cache.set(_progress_key(run.pk), {"rows": result.rows_read, "bytes": total, "total": total}, 3600)
    if run.status in (ImportStatus.DONE, ImportStatus.INVALID):
        path.unlink(missing_ok=True)
    return run.status


def import_runs_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Runs on their way that went quiet (Celery beat; ``core.jobs.sweep``): queued and not picked
    up, sent again, then failed; checking or importing without a sign of life, failed (a worker that
    died took its transaction with it: nothing was written)."""

    def silence(run: ImportRun) -> tuple[str, dict[str, Any]]:
        importing = run.status == ImportStatus.IMPORTING
        return (w.WORKER_STOPPED_IMPORTING if importing else w.WORKER_STOPPED_CHECKING), {}

    return jobs.sweep(
        ImportRun.objects.all(),
        queued=ImportStatus.QUEUED,
        running=[ImportStatus.VALIDATING, ImportStatus.IMPORTING],
        failed=ImportStatus.FAILED,
        created_field="started_at",
        message_field="message",
        resend=lambda run: _enqueue(_task_for(run), run),
        silence=silence,
        now=now,
    )
