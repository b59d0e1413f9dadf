from celery import shared_task

from reviews import exports


@shared_task(name="reviews.export_cycle", acks_late=True)
def export_cycle(export_id: int) -> str:
    """Build the zip of a cycle's review PDFs (thin: the service does the work)."""
    return exports.cycle_export_build(export_id=export_id).status
