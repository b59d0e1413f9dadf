"""HR exports: a whole cycle's PDFs as a zip (built by a Celery task, progress on the page), and
the calibration chart."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pygal
from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from kpis import charts
from reviews.models import CycleExport, Review, ReviewCycle
from reviews.pdf import review_pdf


def cycle_export_start(*, user: User, cycle: ReviewCycle) -> CycleExport:
    if user.role not in (Role.HR, Role.ADMIN):
        raise PermissionDenied("HR exports review PDFs.")
    export = CycleExport.objects.create(cycle=cycle, created_by=user, total=cycle.reviews.count())
    transaction.on_commit(lambda: current_app.send_task("reviews.export_cycle", args=[export.pk]))
    return export


def cycle_export_build(*, export_id: int) -> CycleExport:
    """Render every review of the cycle into one zip. Progress is saved after each PDF."""
    export = CycleExport.objects.select_related("cycle").get(pk=export_id)
    if export.status == "done":
        return export  # delivered twice: the zip is there already
    folder = Path(settings.MEDIA_ROOT) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"reviews-{export.cycle.period}-{export.pk}.zip"
    reviews = Review.objects.filter(cycle=export.cycle).select_related(
        "cycle__template", "csm__team", "reviewer"
    )
    CycleExport.objects.filter(pk=export.pk).update(status="running", total=reviews.count(), done=0)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
            for n, review in enumerate(reviews.order_by("csm__email").iterator(chunk_size=50), start=1):
                archive.writestr(f"{review.cycle.period}-{review.csm.email}.pdf", review_pdf(review))
                CycleExport.objects.filter(pk=export.pk).update(done=n)
    except Exception as exc:  # recorded for HR to see, then raised for the worker's log
        CycleExport.objects.filter(pk=export.pk).update(status="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    CycleExport.objects.filter(pk=export.pk).update(status="done", path=str(path), finished_at=timezone.now())
    export.refresh_from_db()
    return export


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
        x_title="KPI percentile in team (weighted metrics)",
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
