"""Celery tasks of the review exports: thin, idempotent, acks_late.

Each message carries the export and the attempt it was sent for; a message of another attempt, or
for an export no longer queued or running, does nothing (core/jobs.py). ``attempt`` is optional
for messages sent before it existed.
"""

from celery import chord, shared_task

from reviews.output import exports


@shared_task(name="reviews.export_cycle", acks_late=True)
def export_cycle(export_id: int, attempt: int | None = None) -> str:
    """Fan the cycle's PDFs out in chunks to any worker; the last step zips them."""
    chunks = exports.export_review_ids(export_id=export_id, attempt=attempt)
    if chunks is None:
        return "not for this attempt: nothing done"
    if not chunks:
        return exports.export_zip(export_id=export_id, attempt=attempt).status
    # The summary PDF first, so that a free worker makes it while the other starts on the PDFs.
    header = [export_summary.si(export_id, attempt)] + [
        export_chunk.si(export_id, ids, attempt) for ids in chunks
    ]
    chord(header)(export_zip.si(export_id, attempt).on_error(export_failed.si(export_id, attempt)))
    return f"{len(chunks)} chunks queued"


@shared_task(
    name="reviews.export_chunk", acks_late=True, autoretry_for=(OSError,), retry_backoff=5, max_retries=3
)
def export_chunk(export_id: int, review_ids: list[int], attempt: int | None = None) -> int:
    return exports.export_render_chunk(export_id=export_id, review_ids=review_ids, attempt=attempt)


@shared_task(name="reviews.export_summary", acks_late=True)
def export_summary(export_id: int, attempt: int | None = None) -> bool:
    return exports.export_render_summary(export_id=export_id, attempt=attempt)


@shared_task(name="reviews.export_zip", acks_late=True)
def export_zip(export_id: int, attempt: int | None = None) -> str:
    return exports.export_zip(export_id=export_id, attempt=attempt).status


@shared_task(name="reviews.export_failed")
def export_failed(export_id: int, attempt: int | None = None) -> None:
    exports.export_fail(export_id=export_id, error=exports.chunk_failed(), attempt=attempt)


@shared_task(name="reviews.sweep_exports")
def sweep_exports() -> dict[str, int]:
    """Celery beat: exports no worker picked up are sent again, silent ones are marked failed."""
    return exports.cycle_exports_sweep()
