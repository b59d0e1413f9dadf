"""HR exports: a whole cycle's PDFs as a zip (built by Celery chunk tasks, progress on the page),
with the cycle summary PDF."""

from __future__ import annotations

import datetime
import logging
import shutil
import zipfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import languages
from accounts.models import User
from core import jobs
from core.said import Said, said
from reviews.access import require_hr
from reviews.models import CHUNK_FAILED, PDFS_MISSING, WORKERS_STOPPED, CycleExport, Review, ReviewCycle
from reviews.output.pdf import review_filename, review_pdf
from reviews.output.summary import cycle_summary_pdf, summary_filename


def chunk_failed() -> Said:
    return said(CHUNK_FAILED)


log = logging.getLogger(__name__)
# Reviews per task: small enough that no worker is left alone with a long last chunk (10 PDFs, ~3 s).
CHUNK = 10


def cycle_export_start(*, user: User, cycle: ReviewCycle) -> CycleExport:
    """Queue the zip of a cycle: chunks of PDFs rendered by any number of workers, then one zip step.

    When the queue cannot be reached the export is failed at once with the reason (the page offers
    Retry)."""
    require_hr(user, _("HR exports review PDFs."))
    export = CycleExport.objects.create(
        cycle=cycle,
        created_by=user,
        total=cycle.reviews.count(),
        attempt=1,
        sends=1,
        queued_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue(export))
    return export


def cycle_export_retry(*, user: User, export: CycleExport) -> CycleExport:
    """Queue a failed export again. The PDFs it had rendered are kept and not rendered twice."""
    require_hr(user, _("HR exports review PDFs."))
    updated = CycleExport.objects.filter(pk=export.pk, status="failed").update(
        status="queued",
        attempt=F("attempt") + 1,
        sends=1,
        queued_at=timezone.now(),
        heartbeat_at=None,
        finished_at=None,
        error="",
        error_params={},
    )
    if not updated:
        raise ValueError(_("Only a failed export can be retried."))
    export.refresh_from_db()
    transaction.on_commit(lambda: _enqueue(export))
    return export


def _enqueue(export: CycleExport) -> None:
    """Send the export's current attempt; when the queue cannot be reached it fails with the reason."""
    try:
        jobs.send("reviews.export_cycle", [export.pk, export.attempt])
    except jobs.QueueUnreachable as exc:
        CycleExport.objects.filter(pk=export.pk, status="queued", attempt=export.attempt).update(
            status="failed", error=exc.reason.key, error_params=exc.reason.params, finished_at=timezone.now()
        )


def _folder(export: CycleExport) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "exports" / f"cycle-{export.cycle_id}-export-{export.pk}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _running(export_id: int, attempt: int | None):
    """The export, if a worker on this attempt may still work on it (running, and this attempt)."""
    current = CycleExport.objects.filter(pk=export_id, status="running")
    return current if attempt is None else current.filter(attempt=attempt)


def export_review_ids(*, export_id: int, attempt: int | None = None) -> list[list[int]] | None:
    """Claim the export (queued, for this attempt) and split its reviews into chunks (the fan-out of the
    Celery task). None when the message is not for the export's current attempt, or finds it claimed,
    finished or failed: nothing is done (core/jobs.py)."""
    export = CycleExport.objects.get(pk=export_id)
    ids = list(
        Review.objects.filter(cycle_id=export.cycle_id).order_by("csm__email").values_list("pk", flat=True)
    )
    claim = CycleExport.objects.filter(pk=export.pk, status="queued")
    if attempt is not None:
        claim = claim.filter(attempt=attempt)
    # PDFs an earlier attempt rendered stay and count (they are not rendered again).
    done = len(list(_folder(export).glob("*.pdf")))
    if not claim.update(status="running", total=len(ids), done=done, heartbeat_at=timezone.now()):
        log.info(
            "Export %s: a message for attempt %s found it %s: nothing done", export_id, attempt, export.status
        )
        return None
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def zip_names(cycle_id: int) -> dict[int, str]:
    """Each review's file name in the zip (``2026-Q3 Camila Souza.pdf``), the same whichever worker
    asks (one query): two CSMs with one name get " (2)", " (3)" in the order of their reviews."""
    names: dict[int, str] = {}
    seen: dict[str, int] = {}
    for review in (
        Review.objects.filter(cycle_id=cycle_id)
        .select_related("cycle", "csm")
        .only("pk", "cycle__period", "csm__name")
        .order_by("pk")
    ):
        if review.csm.name:
            name = review_filename(review)
        else:  # named by its number, in its CSM's language like its content
            with languages.reading_as(review.csm):
                name = review_filename(review)
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
        if seen[name.lower()] > 1:
            name = f"{name[:-4]} ({seen[name.lower()]}).pdf"
        names[review.pk] = name
    return names


def export_render_chunk(*, export_id: int, review_ids: list[int], attempt: int | None = None) -> int:
    """Render some reviews' PDFs into the export's folder; progress is counted after each one, and is
    the export's sign of life. Idempotent: a PDF already there (a task delivered twice) is not counted
    again. Stops when the export is no longer running for this attempt (failed, or sent again). Each
    PDF is what the person who started the export may read of the review (``reviews.access``): drafts
    they may not see are not in the zip; each is written in its CSM's language (accounts.languages)."""
    export = CycleExport.objects.select_related("created_by").get(pk=export_id)
    folder = _folder(export)
    reviews = Review.objects.filter(pk__in=review_ids).select_related(
        "cycle__template", "csm__team", "reviewer"
    )
    names = zip_names(export.cycle_id)
    rendered = 0
    for review in reviews:
        if not _running(export_id, attempt).exists():
            log.info("Export %s is no longer running for attempt %s: chunk stopped", export_id, attempt)
            break
        target = folder / names[review.pk]
        if target.exists():
            continue
        partial = target.with_suffix(".part")
        with languages.reading_as(review.csm):  # each PDF in its CSM's language
            partial.write_bytes(review_pdf(review, viewer=export.created_by))
        partial.rename(target)  # a half-written PDF never has the final name
        CycleExport.objects.filter(pk=export.pk).update(done=F("done") + 1, heartbeat_at=timezone.now())
        rendered += 1
    return rendered


def _summary_path(export: CycleExport) -> Path:
    """Where a worker leaves the cycle summary PDF while the chunks render (not a review's PDF)."""
    return _folder(export) / "summary" / "summary.pdf"


def export_render_summary(*, export_id: int, attempt: int | None = None) -> bool:
    """Render the cycle summary PDF beside the chunks (any worker), for the zip step to put in."""
    export = CycleExport.objects.select_related("cycle", "created_by").get(pk=export_id)
    if not _running(export_id, attempt).exists():
        return False
    target = _summary_path(export)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with languages.reading_as(export.created_by):  # the summary in the language of who asked for it
        partial.write_bytes(cycle_summary_pdf(export.cycle, viewer=export.created_by))
    partial.rename(target)
    return True


def export_zip(*, export_id: int, attempt: int | None = None) -> CycleExport:
    """Put the rendered PDFs into one zip and publish it; refuses when a PDF is missing. An export
    failed (or sent again) meanwhile keeps its state: the zip is thrown away."""
    export = CycleExport.objects.select_related("cycle__template", "created_by").get(pk=export_id)
    if not _running(export_id, attempt).update(heartbeat_at=timezone.now()):
        log.info("Export %s is no longer running for attempt %s: no zip", export_id, attempt)
        return export
    folder = _folder(export)
    files = sorted(folder.glob("*.pdf"))
    if len(files) != export.total:
        _running(export_id, attempt).update(
            status="failed",
            error=PDFS_MISSING,
            error_params={"made": len(files), "total": export.total},
            finished_at=timezone.now(),
        )
        raise RuntimeError(f"export {export.pk}: {len(files)} of {export.total} PDFs")
    path = folder.parent / f"reviews-{export.cycle.period}-{export.pk}.zip"
    partial = path.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for f in files:
            archive.write(f, arcname=f.name)
        # HR's summary of the cycle (as the person who exports it), beside the reviews: made by a
        # worker beside the chunks (export_render_summary), or here when it is not there.
        export.cycle.refresh_from_db()
        summary = _summary_path(export)
        data = (
            summary.read_bytes()
            if summary.exists()
            else cycle_summary_pdf(export.cycle, viewer=export.created_by)
        )
        with languages.reading_as(export.created_by):  # named in the language of who asked for it
            archive.writestr(summary_filename(export.cycle), data)
    with transaction.atomic():
        if not _running(export_id, attempt).select_for_update().exists():
            partial.unlink(missing_ok=True)
            log.warning("Export %s was failed while its zip was made: the zip is thrown away", export_id)
            export.refresh_from_db()
            return export
        partial.rename(path)
        CycleExport.objects.filter(pk=export.pk).update(
            status="done",
            done=export.total,
            path=str(path),
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
    shutil.rmtree(folder)
    export.refresh_from_db()
    return export


def export_fail(*, export_id: int, error: Said, attempt: int | None = None) -> None:
    """Mark the export failed, unless it is no longer running for this attempt."""
    _running(export_id, attempt).update(
        status="failed", error=error.key, error_params=error.params, finished_at=timezone.now()
    )


def cycle_export_build(*, export_id: int) -> CycleExport:
    """The whole export in this process (tests, the command line): every chunk, then the zip."""
    export = CycleExport.objects.get(pk=export_id)
    chunks = export_review_ids(export_id=export_id, attempt=export.attempt)
    if chunks is None:
        return export  # delivered twice, or not queued: nothing to do
    for chunk in chunks:
        export_render_chunk(export_id=export_id, review_ids=chunk, attempt=export.attempt)
    return export_zip(export_id=export_id, attempt=export.attempt)


def export_state(export: CycleExport) -> dict:
    """What the cycle page says of an export, in words, and a hint when it looks stuck."""
    now = timezone.now()
    phrase, hint = export.status, ""
    if export.status == "queued":
        since = export.queued_at or export.created_at
        phrase = _("Waiting for a worker since %(at)s.") % {"at": jobs.clock(since, now)}
        hint = jobs.waiting_hint(since, now)
    elif export.status == "running":
        if export.total and export.done >= export.total:
            phrase = ngettext("Zipping the PDF.", "Zipping the %(count)d PDFs.", export.total) % {
                "count": export.total
            }
        else:
            phrase = _("Making the PDFs: %(done)d of %(total)d.") % {
                "done": export.done,
                "total": export.total,
            }
        hint = jobs.silence_hint(export.heartbeat_at, now)
    elif export.status == "done":
        phrase = ngettext(
            "Ready: %(count)d PDF, made at %(at)s.", "Ready: %(count)d PDFs, made at %(at)s.", export.total
        ) % {"count": export.total, "at": jobs.clock(export.finished_at, now)}
    elif export.status == "failed":
        error = export.error_words
        why = error[:1].lower() + error[1:] if error else _("the export failed.")
        phrase = _("Stopped: %(why)s") % {"why": why}
    return {
        "status": export.status,
        "phrase": phrase,
        "hint": hint,
        "done": export.done,
        "total": export.total,
        "error": export.error_words,
        "percent": round(100 * export.done / export.total) if export.total else 0,
        "on_its_way": export.status in ("queued", "running"),
        "can_retry": export.status == "failed",
    }


def cycle_exports_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Exports that went quiet (Celery beat; ``core.jobs.sweep``): queued and not picked up, sent
    again, then failed; running without a sign of life (a PDF, the zip), failed."""
    return jobs.sweep(
        CycleExport.objects.all(),
        queued="queued",
        running=["running"],
        failed="failed",
        created_field="created_at",
        message_field="error",
        resend=_enqueue,
        silence=lambda export: (WORKERS_STOPPED, {"done": export.done, "total": export.total}),
        now=now,
    )
