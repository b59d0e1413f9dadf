"""Celery tasks of the review exports: thin, idempotent, acks_late."""

from celery import chord, shared_task

from reviews import exports


@shared_task(name="reviews.export_cycle", acks_late=True)
def export_cycle(export_id: int) -> str:
    """Fan the cycle's PDFs out in chunks to any worker; the last step zips them."""
    chunks = exports.export_review_ids(export_id=export_id)
    if not chunks:
        return exports.export_zip(export_id=export_id).status
    chord(export_chunk.si(export_id, ids) for ids in chunks)(
        export_zip.si(export_id).on_error(export_failed.si(export_id))
    )
    return f"{len(chunks)} chunks queued"


@shared_task(
    name="reviews.export_chunk", acks_late=True, autoretry_for=(OSError,), retry_backoff=5, max_retries=3
)
def export_chunk(export_id: int, review_ids: list[int]) -> int:
    return exports.export_render_chunk(export_id=export_id, review_ids=review_ids)


@shared_task(name="reviews.export_zip", acks_late=True)
def export_zip(export_id: int) -> str:
    return exports.export_zip(export_id=export_id).status


@shared_task(name="reviews.export_failed")
def export_failed(export_id: int) -> None:
    exports.export_fail(export_id=export_id, error="A chunk of PDFs failed; see the worker's log.")
