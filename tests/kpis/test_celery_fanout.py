"""With a real Redis and two real worker processes: the fanned-out run publishes exactly the values
of the single-process command, and the nightly task goes through the broker."""

import datetime
import time

import pytest

from kpis import services, tasks
from kpis.models import KpiRun, KpiValue
from kpis.periods import Period
from tests.celery_worker import running_workers
from tests.kpis import world

pytestmark = [pytest.mark.celery_integration, pytest.mark.django_db(transaction=True)]
Q3 = Period.parse("2026-Q3")
FIELDS = ("subject_key", "metric", "value", "numerator", "denominator", "sample_size", "breakdown")


def wait_for(predicate, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_fan_out_on_two_workers_equals_the_command(settings):
    settings.TIME_ZONE = "America/New_York"
    world.build()
    single = services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 11, 1))
    expected = sorted(KpiValue.objects.values_list(*FIELDS))
    with running_workers(2):
        tasks.compute_period.delay("2026-Q3", "2026-11-01", "test", True)
        assert wait_for(lambda: KpiRun.objects.filter(status="published").exclude(pk=single.pk).exists()), (
            list(KpiRun.objects.values_list("status", "error"))
        )
    fanned = KpiRun.objects.filter(status="published").exclude(pk=single.pk).get()
    assert sorted(KpiValue.objects.values_list(*FIELDS)) == expected
    assert set(KpiValue.objects.values_list("run_id", flat=True)) == {fanned.pk}
    assert not fanned.parts.exists()


def test_nightly_task_through_the_broker(settings):
    settings.TIME_ZONE = "America/New_York"
    world.build()
    with running_workers(1):
        result = tasks.compute_nightly.delay()
        periods = result.get(timeout=60)
        assert len(periods) == 4
        assert wait_for(lambda: KpiRun.objects.filter(status="published").count() == 4), list(
            KpiRun.objects.values_list("period", "status", "error")
        )
    assert sorted(KpiRun.objects.values_list("trigger", flat=True)) == ["beat"] * 4
