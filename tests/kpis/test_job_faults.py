"""Job faults with a real Redis and real workers: the same task delivered twice, and a worker killed
(SIGKILL) in the middle of a run then replaced. Never duplicate or half-written values; the failure
is recorded on the run; a complete run replaces it."""

import datetime
import os
import signal
import time

import pytest
import redis
from django.conf import settings

from kpis import services, tasks
from kpis.models import RUN_ABANDONED, KpiRun, KpiValue
from kpis.periods import Period
from kpis.scorecards import run_error_words
from tests.celery_worker import running_workers
from tests.kpis import world

pytestmark = [pytest.mark.celery_integration, pytest.mark.django_db(transaction=True)]
FIELDS = ("subject_key", "metric", "value", "numerator", "denominator", "sample_size", "breakdown")
AS_OF = "2026-11-01"


def wait_for(predicate, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.fixture
def expected(settings):
    settings.TIME_ZONE = "America/New_York"
    world.build()
    run = services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date.fromisoformat(AS_OF))
    values = sorted(KpiValue.objects.values_list(*FIELDS))
    KpiValue.objects.all().delete()
    KpiRun.objects.filter(pk=run.pk).delete()
    return values


def test_the_same_task_delivered_twice(expected):
    with running_workers(2, extra_env={"KPI_LOCK_RETRY_SECONDS": "1", "KPI_FAULT_DELAY_SECONDS": "0.5"}):
        tasks.compute_period.delay("2026-Q3", AS_OF, "beat")
        tasks.compute_period.delay("2026-Q3", AS_OF, "beat")
        assert wait_for(lambda: KpiRun.objects.filter(status="published").count() == 2)
    assert KpiRun.objects.filter(status="running").count() == 0
    assert sorted(KpiValue.objects.values_list(*FIELDS)) == expected
    assert KpiValue.objects.values("run").distinct().count() == 1  # one run's values, no duplicates


def test_a_worker_killed_mid_run_then_replaced(expected):
    env = {
        "KPI_FAULT_DELAY_SECONDS": "2",
        "KPI_RUN_LOCK_SECONDS": "3",
        "KPI_LOCK_RETRY_SECONDS": "1",
        "CELERY_VISIBILITY_TIMEOUT": "5",
    }
    with running_workers(1, extra_env=env) as (worker,):
        tasks.compute_period.delay("2026-Q3", AS_OF, "beat")
        assert wait_for(lambda: KpiRun.objects.filter(status="running").exists(), 60)
        time.sleep(1)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    killed = KpiRun.objects.get()
    assert killed.status == "running" and KpiValue.objects.count() == 0  # nothing half-written
    # A worker looks for messages to give back when it starts, then only every ~100 s (kombu): start
    # the new one once the message is past its visibility timeout (5 s after it was taken).
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    ((_, taken_at),) = broker.zrange("unacked_index", 0, -1, withscores=True)
    time.sleep(max(0.0, taken_at + 6 - time.time()))
    with running_workers(1, extra_env={**env, "KPI_FAULT_DELAY_SECONDS": "0"}, flush=False):
        # The unacknowledged message comes back; the stale lock has expired; a new run completes.
        assert wait_for(lambda: KpiRun.objects.filter(status="published").exists(), 300), list(
            KpiRun.objects.values_list("status", "error")
        )
    killed.refresh_from_db()
    # Stored as the product's code, read in the reader's words.
    assert killed.status == "failed" and killed.error == RUN_ABANDONED
    assert "lock expired" in run_error_words(killed.error)
    assert sorted(KpiValue.objects.values_list(*FIELDS)) == expected
