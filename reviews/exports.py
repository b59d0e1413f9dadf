"""HR exports: a whole cycle's PDFs as a zip (built by a Celery task, progress on the page), and
the calibration chart."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pygal
from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, User
from kpis import charts
from reviews.models import CycleExport, Review, ReviewCycle
from reviews.pdf import review_pdf

CHUNK = 20


def cycle_export_start(*, user: User, cycle: ReviewCycle) -> CycleExport:
    """Queue the zip of a cycle: chunks of PDFs rendered by any number of workers, then one zip step."""
    if user.role not in (Role.HR, Role.ADMIN):
        raise PermissionDenied("HR exports review PDFs.")
    export = CycleExport.objects.create(cycle=cycle, created_by=user, total=cycle.reviews.count())
    transaction.on_commit(lambda: current_app.send_task("reviews.export_cycle", args=[export.pk]))
    return export


def _folder(export: CycleExport) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "exports" / f"cycle-{export.cycle_id}-export-{export.pk}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_review_ids(*, export_id: int) -> list[list[int]]:
    """Mark the export running and split its reviews into chunks (the fan-out of the Celery task)."""
    export = CycleExport.objects.get(pk=export_id)
    ids = list(
        Review.objects.filter(cycle_id=export.cycle_id).order_by("csm__email").values_list("pk", flat=True)
    )
    CycleExport.objects.filter(pk=export.pk).update(status="running", total=len(ids), done=0)
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def export_render_chunk(*, export_id: int, review_ids: list[int]) -> int:
    """Render some reviews' PDFs into the export's folder; progress is counted after each one.
    Idempotent: a PDF already there (a task delivered twice) is not counted again. Each PDF is what
    the person who started the export may read of the review (``reviews.access``): drafts they may
    not see are not in the zip."""
    export = CycleExport.objects.select_related("created_by").get(pk=export_id)
    folder = _folder(export)
    reviews = Review.objects.filter(pk__in=review_ids).select_related(
        "cycle__template", "csm__team", "reviewer"
    )
    for review in reviews:
        target = folder / f"{review.cycle.period}-{review.csm.email}.pdf"
        if target.exists():
            continue
        partial = target.with_suffix(".part")
        partial.write_bytes(review_pdf(review, viewer=export.created_by))
        partial.rename(target)  # a half-written PDF never has the final name
        CycleExport.objects.filter(pk=export.pk).update(done=F("done") + 1)
    return len(review_ids)


def export_zip(*, export_id: int) -> CycleExport:
    """Put the rendered PDFs into one zip and publish it; refuses when a PDF is missing."""
    export = CycleExport.objects.select_related("cycle").get(pk=export_id)
    folder = _folder(export)
    files = sorted(folder.glob("*.pdf"))
    if len(files) != export.total:
        CycleExport.objects.filter(pk=export.pk).update(
            status="failed", error=f"{len(files)} of {export.total} PDFs were rendered."
        )
        raise RuntimeError(f"export {export.pk}: {len(files)} of {export.total} PDFs")
    path = folder.parent / f"reviews-{export.cycle.period}-{export.pk}.zip"
    partial = path.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for f in files:
            archive.write(f, arcname=f.name)
    partial.rename(path)
    shutil.rmtree(folder)
    CycleExport.objects.filter(pk=export.pk).update(
        status="done", done=export.total, path=str(path), finished_at=timezone.now()
    )
    export.refresh_from_db()
    return export


def export_fail(*, export_id: int, error: str) -> None:
    CycleExport.objects.filter(pk=export_id).update(status="failed", error=error[:2000])


def cycle_export_build(*, export_id: int) -> CycleExport:
    """The whole export in this process (tests, the command line): every chunk, then the zip."""
    export = CycleExport.objects.get(pk=export_id)
    if export.status == "done":
        return export  # delivered twice: the zip is there already
    for chunk in export_review_ids(export_id=export_id):
        export_render_chunk(export_id=export_id, review_ids=chunk)
    return export_zip(export_id=export_id)


def calibration_chart(data: dict):
    """Final rating against KPI percentile, one series per manager: lenient or harsh reviewers stand out."""
    chart = pygal.XY(
        style=charts._style(charts.BRAND, charts.GOOD, charts.POOR, charts.AVERAGE, charts.MUTED),
        js=[],
        width=640,
        height=320,
        explicit_size=True,
        stroke=False,
        range=(min(data["scale"]) - 0.5, max(data["scale"]) + 0.5),
        xrange=(0, 100),
        x_title="KPI percentile in segment (weighted metrics)",
        y_title="Final rating",
        legend_at_bottom=True,
        dots_size=5,
    )
    by_manager: dict[str, list] = {}
    for p in data["points"]:
        if p["percentile"] is not None:
            by_manager.setdefault(str(p["manager"]), []).append((float(p["percentile"]), p["rating"]))
    for manager, points in sorted(by_manager.items()):
        chart.add(manager, points)
    return charts._svg(chart)
