"""The cycle export through a real Redis and two real worker processes: chunks fan out, the zip follows."""

import datetime
import time
import zipfile

import pytest

from kpis import services as kpi_services
from kpis.periods import Period
from reviews.cycles import services
from reviews.models import CycleExport
from reviews.output import exports
from tests import factories
from tests.celery_worker import running_workers
from tests.kpis import world

pytestmark = [pytest.mark.celery_integration, pytest.mark.django_db(transaction=True)]


def test_zip_of_a_cycle_built_by_two_workers(settings, tmp_path, monkeypatch):
    settings.TIME_ZONE = "America/New_York"
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(exports, "CHUNK", 1)  # one task per review: the work really spreads
    world.build()
    hr = factories.HrFactory(email="hr@example.com")
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    cycle = services.cycle_create(
        user=hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 10),
        manager_review_due=datetime.date(2026, 10, 20),
    )
    services.cycle_open(user=hr, cycle=cycle)
    with running_workers(2, extra_env={"MEDIA_ROOT": str(tmp_path)}):
        export = exports.cycle_export_start(user=hr, cycle=cycle)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            export.refresh_from_db()
            if export.status in ("done", "failed"):
                break
            time.sleep(0.5)
    assert (export.status, export.done, export.total) == ("done", 4, 4), export.error
    names = zipfile.ZipFile(export.path).namelist()
    assert len(names) == 5 and "2026-Q3 summary of the cycle.pdf" in names  # 4 reviews and HR's summary
    assert CycleExport.objects.count() == 1
