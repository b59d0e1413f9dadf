"""Redis down at 02:00 and back later: when the scheduler and a worker are back, the missed nightly
run happens (beat's persistent schedule knows the last run; the crontab entry is overdue)."""

import datetime
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery.beat import PersistentScheduler
from django.utils import timezone

from config.celery import app
from kpis.models import KpiRun
from tests.celery_worker import ROOT, database_url_for_processes
from tests.kpis import world

pytestmark = [pytest.mark.celery_integration, pytest.mark.django_db(transaction=True)]
PORT = 6395


def redis_server(tmp: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            shutil.which("redis-server"),
            "--port",
            str(PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            redis.Redis(port=PORT).ping()
            return proc
        except redis.exceptions.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("redis-server did not start")


def test_the_missed_nightly_run_happens_when_redis_is_back(tmp_path, settings):
    assert shutil.which("redis-server"), "redis-server is needed: `make test` installs it"
    settings.TIME_ZONE = "UTC"
    world.build()
    schedule = tmp_path / "beat-schedule"
    # The last nightly run was the day before yesterday: today's (and yesterday's) 02:00 were missed.
    scheduler = PersistentScheduler(app=app, schedule_filename=str(schedule), lazy=False)
    scheduler.schedule["kpis-nightly"].last_run_at = timezone.now() - datetime.timedelta(days=2)
    scheduler.sync()
    scheduler.close()
    url = f"redis://127.0.0.1:{PORT}/0"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": url,
        "DATABASE_URL": database_url_for_processes(),
        "TIME_ZONE": "UTC",
    }
    # Redis is down: beat starts and keeps trying to reach the broker.
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-s", str(schedule), "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "-n",
            "outage@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    server = None
    try:
        time.sleep(4)
        assert KpiRun.objects.count() == 0
        server = redis_server(tmp_path)  # Redis is back
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and KpiRun.objects.filter(status="published").count() < 4:
            time.sleep(0.5)
        assert KpiRun.objects.filter(status="published").count() == 4, list(
            KpiRun.objects.values_list("period", "status")
        )
        assert set(KpiRun.objects.values_list("trigger", flat=True)) == {"beat"}
    finally:
        for proc in (beat, worker, server):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
