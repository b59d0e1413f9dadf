"""Uploads as jobs with a real Redis and real workers: Redis down when a file is sent to be checked or
imported (the run fails with the reason at once, the page says so, Retry works once Redis is back), and
a worker killed (SIGKILL) in the middle of an import (the page hints, the sweep fails the run, the
message that comes back does nothing, Retry imports the file once)."""

import os
import signal
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from activity.models import Ticket
from datain import import_runs
from datain.models import ImportRun
from tests.celery_worker import redis_server, running_workers
from tests.datain.test_job_states import TICKETS, page, stored_run, upload

pytestmark = [pytest.mark.celery_integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def status_of(run) -> str:
    return ImportRun.objects.values_list("status", flat=True).get(pk=run.pk)


def test_redis_down_during_upload_and_confirm_then_back(client, org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.JOB_QUEUE_TIMEOUT_SECONDS = 0.5  # no long wait: a refused connection fails at once anyway
    client.force_login(org.admin)
    with redis_server(tmp_path) as server:
        settings.CELERY_BROKER_URL = server.url
        checked = stored_run(settings.MEDIA_ROOT, org)  # checked: ready to import
        server.stop()  # Redis is down

        response = upload(client, TICKETS)
        assert response.status_code == 302
        uploaded = ImportRun.objects.exclude(pk=checked.pk).get()
        assert uploaded.status == "failed"
        assert f"127.0.0.1:{server.port}" in uploaded.message_words
        assert "Retry the check" in page(client, uploaded)

        response = client.post(reverse("import-confirm", args=[checked.pk]))
        assert response.status_code == 302
        checked.refresh_from_db()
        assert (checked.status, checked.dry_run) == ("failed", False)
        assert checked.message_words.startswith("The job queue (Redis) could not be reached: ")
        html = page(client, checked)
        assert "Stopped: the job queue (Redis) could not be reached" in html and "Retry the import" in html
        # Retry while Redis is still down: the same answer, no 5xx.
        response = client.post(reverse("import-retry", args=[checked.pk]), follow=True)
        assert response.status_code == 200 and "Stopped: the job queue (Redis)" in response.content.decode()

        server.start()  # Redis is back
        assert client.post(reverse("import-retry", args=[checked.pk])).status_code == 302
        assert client.post(reverse("import-retry", args=[uploaded.pk])).status_code == 302
        assert status_of(checked) == status_of(uploaded) == "queued"
        with running_workers(1, extra_env={"MEDIA_ROOT": settings.MEDIA_ROOT}, flush=False, ping=False):
            assert wait_for(lambda: status_of(checked) == "done" and status_of(uploaded) == "valid")
    assert Ticket.objects.count() == 2
    assert "Import it" in page(client, uploaded)


ROWS = 100_000


def big_file(folder: Path) -> Path:
    path = folder / "imports" / "big.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        out.write(TICKETS.splitlines()[0] + "\n")
        for i in range(ROWS):
            out.write(f"K{i},A-1,2026-07-03T10:00:00Z,,,,,normal,email\n")
    return path


def test_a_worker_killed_mid_import(client, org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    path = big_file(tmp_path)
    run = stored_run(tmp_path, org, stored_file=str(path), rows_read=ROWS)
    env = {"MEDIA_ROOT": str(tmp_path), "JOB_HEARTBEAT_SECONDS": "0", "CELERY_VISIBILITY_TIMEOUT": "3"}
    with running_workers(1, extra_env=env) as (worker,):
        import_runs.import_upload_confirm(run=run)
        claimed = timezone.now()
        # A first batch written, the run showing signs of life: the worker dies.
        assert wait_for(
            lambda: ImportRun.objects.filter(pk=run.pk, status="importing", heartbeat_at__gt=claimed).exists()
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    run.refresh_from_db()
    assert run.status == "importing" and Ticket.objects.count() == 0  # nothing half-written

    client.force_login(org.admin)
    settings.JOB_SILENCE_HINT_SECONDS = 1
    time.sleep(1.5)
    html = page(client, run)
    assert f" of {ROWS:,} rows" in html and "Importing: " in html
    assert "No sign of life from the worker since" in html  # the hint, before the sweep

    settings.JOB_STALE_SECONDS = 1
    assert import_runs.import_runs_sweep() == {"sent_again": 0, "failed": 1}
    run.refresh_from_db()
    assert run.status == "failed" and run.message_words.startswith("The worker stopped while importing")
    assert "Stopped: the worker stopped while importing" in page(client, run)

    # The killed worker's message comes back (acks_late, visibility timeout) to a new worker: it finds
    # the run failed and does nothing.
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    assert broker.hlen("unacked") == 1
    # A worker looks for messages to give back when it starts, then only every ~100 s (kombu): start
    # it once the message is past its visibility timeout (3 s after it was taken).
    ((_, taken_at),) = broker.zrange("unacked_index", 0, -1, withscores=True)
    time.sleep(max(0.0, taken_at + 5 - time.time()))
    with running_workers(1, extra_env=env, flush=False):
        assert wait_for(lambda: broker.hlen("unacked") == 0 and broker.llen("celery") == 0, 150)
        time.sleep(1)
        run.refresh_from_db()
        assert run.status == "failed" and Ticket.objects.count() == 0

        assert client.post(reverse("import-retry", args=[run.pk])).status_code == 302
        assert wait_for(lambda: status_of(run) == "done", 120), ImportRun.objects.values().get(pk=run.pk)
    run.refresh_from_db()
    assert (run.created, run.attempt) == (ROWS, 3)
    assert Ticket.objects.count() == ROWS


def test_a_pool_process_killed_mid_import_is_taken_over(org, settings, tmp_path):
    """The worker's pool process dies in the middle of an import (SIGKILL, as the kernel's OOM killer
    does): its message comes back at once (``reject_on_worker_lost``) to the new pool process, which
    finds the run claimed for that attempt. Silent for JOB_TAKEOVER_SECONDS (3 s here, 60 by default),
    the run is taken over under attempt 3 and imported once, instead of saying "Importing" until the
    sweep fails it (JOB_STALE_SECONDS, 15 minutes)."""
    settings.MEDIA_ROOT = str(tmp_path)
    path = big_file(tmp_path)
    run = stored_run(tmp_path, org, stored_file=str(path), rows_read=ROWS)
    env = {"MEDIA_ROOT": str(tmp_path), "JOB_HEARTBEAT_SECONDS": "0", "JOB_TAKEOVER_SECONDS": "3"}
    with running_workers(1, extra_env=env, pool=["--concurrency=1"]) as (worker,):
        import_runs.import_upload_confirm(run=run)
        claimed = timezone.now()
        assert wait_for(
            lambda: ImportRun.objects.filter(pk=run.pk, status="importing", heartbeat_at__gt=claimed).exists()
        )
        [pool_process] = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        os.kill(int(pool_process), signal.SIGKILL)
        assert wait_for(lambda: status_of(run) != "importing", 120), ImportRun.objects.values().get(pk=run.pk)
        assert worker.poll() is None
    run.refresh_from_db()
    assert (run.status, run.attempt, run.created) == ("done", 3, ROWS), run.message
    assert Ticket.objects.count() == ROWS
