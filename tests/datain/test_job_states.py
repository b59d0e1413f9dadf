"""An upload as a job (core/jobs.py): the queue unreachable, Retry, the sweep of runs that went
quiet, messages that come late or twice, signs of life, and what the page says in each state."""

import datetime
import json
import threading
from pathlib import Path

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from activity.models import Ticket
from core import jobs
from datain import import_runs, services, tasks
from datain.models import ImportRun
from tests.celery_worker import redis_available, unreachable_broker
from tests.datain.test_upload_and_api import TICKETS, upload


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def queue_down(settings):
    """Redis (the job queue) is down; a down queue answers at once, a hung one within the timeout."""
    with unreachable_broker() as url:
        settings.CELERY_BROKER_URL = url
        settings.JOB_QUEUE_TIMEOUT_SECONDS = 0.5
        yield url.removeprefix("redis://").removesuffix("/0")


@pytest.fixture
def sent(monkeypatch):
    """Messages handed to the queue, recorded instead of sent."""
    messages = []

    def send(name, args):
        messages.append((name, args))
        return f"task-{len(messages)}"

    monkeypatch.setattr(jobs, "send", send)
    return messages


def stored_run(media, org, **fields) -> ImportRun:
    """An uploaded file of two valid tickets and its run (by default: checked, ready to import)."""
    path = Path(media) / "imports" / f"run-{ImportRun.objects.count()}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TICKETS)
    values = {
        "kind": "tickets",
        "source": "upload",
        "status": "valid",
        "dry_run": True,
        "created_by": org.admin,
        "filename": "tickets.csv",
        "stored_file": str(path),
        "rows_read": 2,
        "attempt": 1,
        "sends": 1,
        "queued_at": timezone.now(),
        **fields,
    }
    return ImportRun.objects.create(**values)


def ago(**delta) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def hhmm(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def page(client, run) -> str:
    response = client.get(reverse("import-detail", args=[run.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- The queue cannot be reached -------------------------------------------------------------


def test_upload_with_the_queue_down_fails_the_run_with_the_reason(
    client, org, media, queue_down, django_capture_on_commit_callbacks
):
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, TICKETS)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("import-detail", args=[run.pk])
    assert run.status == "failed" and run.finished_at is not None
    assert run.message_words.startswith("The job queue (Redis) could not be reached: ")
    assert queue_down in run.message_words and run.message_words.endswith("Try again in a moment.")
    html = page(client, run)
    assert "Stopped: the job queue (Redis) could not be reached: " in html
    assert "Retry the check" in html and reverse("import-retry", args=[run.pk]) in html
    assert Path(run.stored_file).exists()  # kept for the retry


def test_confirm_with_the_queue_down_fails_the_run_with_the_reason(
    client, org, media, queue_down, django_capture_on_commit_callbacks
):
    run = stored_run(media, org)
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import-confirm", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.dry_run, run.attempt) == ("failed", False, 2)
    assert run.message_words.startswith("The job queue (Redis) could not be reached: ")
    html = page(client, run)
    assert "Retry the import" in html and "Import it" not in html
    assert client.get(reverse("import-status", args=[run.pk])).json()["status"] == "failed"


# --- Retry -----------------------------------------------------------------------------------


def test_retry_queues_the_failed_step_again_from_the_stored_file(
    client, org, media, sent, django_capture_on_commit_callbacks
):
    run = stored_run(media, org, status="failed", dry_run=False, attempt=3, sends=2, message="Boom.")
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import-retry", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.dry_run, run.attempt, run.sends, run.message) == ("queued", False, 4, 1, "")
    assert run.finished_at is None and run.task_id == "task-1"
    assert sent == [("activity.import_commit", [run.pk, 4])]
    # A second Retry of a run that is no longer failed: refused, said, nothing sent.
    response = client.post(reverse("import-retry", args=[run.pk]), follow=True)
    assert response.status_code == 200
    assert "Only a failed import can be retried." in response.content.decode()
    assert len(sent) == 1
    # The worker takes the new attempt: the import is written once.
    assert tasks.import_commit(run.pk, 4) == "done"
    assert Ticket.objects.count() == 2


def test_retry_without_the_file_says_to_upload_again(client, org, media, sent):
    run = stored_run(media, org, status="failed")
    Path(run.stored_file).unlink()
    client.force_login(org.admin)
    html = page(client, run)
    assert "Retry the check" not in html and "The uploaded file is gone: upload it again to retry." in html
    response = client.post(reverse("import-retry", args=[run.pk]), follow=True)
    assert "The uploaded file is gone: upload it again." in response.content.decode()
    assert ImportRun.objects.get().status == "failed" and sent == []


@pytest.mark.parametrize("who", ["csm_a", "manager_a", "hr"])
def test_retry_is_for_ops_only(client, org, media, sent, who):
    run = stored_run(media, org, status="failed")
    client.force_login(getattr(org, who))
    assert client.post(reverse("import-retry", args=[run.pk])).status_code == 403
    assert ImportRun.objects.get().status == "failed" and sent == []


def test_retry_answers_post_only_and_checks_csrf(org, media, sent):
    from django.test import Client

    run = stored_run(media, org, status="failed")
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.admin)
    assert client.get(reverse("import-retry", args=[run.pk])).status_code == 405
    assert client.post(reverse("import-retry", args=[run.pk])).status_code == 403  # no CSRF token
    assert ImportRun.objects.get().status == "failed" and sent == []


# --- The sweep -------------------------------------------------------------------------------


def test_sweep_sends_again_a_queued_run_whose_message_was_lost(org, media, settings):
    """Real Redis: the message is lost (deleted from the queue); the sweep sends a new one, with a new
    attempt; the lost one, should it come back, does nothing."""
    redis_available()
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    run = stored_run(media, org, status="queued")
    import_runs._enqueue("activity.import_validate", run)
    assert broker.llen("celery") == 1
    broker.delete("celery")  # lost
    ImportRun.objects.filter(pk=run.pk).update(queued_at=ago(minutes=16))
    assert import_runs.import_runs_sweep() == {"sent_again": 1, "failed": 0}
    run.refresh_from_db()
    assert (run.status, run.attempt, run.sends) == ("queued", 2, 2)
    (message,) = [json.loads(m) for m in broker.lrange("celery", 0, -1)]
    assert message["headers"]["task"] == "activity.import_validate"
    assert message["headers"]["argsrepr"] == repr([run.pk, 2])
    assert import_runs.import_runs_sweep() == {"sent_again": 0, "failed": 0}  # not stale again yet
    assert tasks.import_validate(run.pk, 1) == "queued"  # the lost message, back late: nothing
    assert tasks.import_validate(run.pk, 2) == "valid"
    broker.flushdb()


def test_sweep_fails_a_run_no_worker_took_after_the_last_send(org, media, sent, settings):
    settings.JOB_MAX_SENDS = 3
    run = stored_run(media, org, status="queued", sends=3, attempt=3, queued_at=ago(minutes=46))
    assert import_runs.import_runs_sweep() == {"sent_again": 0, "failed": 1}
    run.refresh_from_db()
    assert run.status == "failed" and sent == []
    assert run.message_words == (
        f"No worker picked this up: it was sent 3 times since {hhmm(run.queued_at)}. "
        "The workers may be down. Retry when they are back."
    )


def test_sweep_leaves_runs_that_are_not_stale(org, media, sent):
    stored_run(media, org, status="queued", queued_at=ago(minutes=14))
    stored_run(media, org, status="importing", dry_run=False, heartbeat_at=ago(minutes=14))
    stored_run(media, org, status="validating", heartbeat_at=ago(seconds=5))
    stored_run(media, org, status="failed", heartbeat_at=ago(days=2))
    stored_run(media, org, status="done", heartbeat_at=ago(days=2))
    assert import_runs.import_runs_sweep() == {"sent_again": 0, "failed": 0}
    assert sent == []


def test_sweep_fails_a_running_run_silent_past_the_timeout(client, org, media, sent):
    silent_since = ago(minutes=16)
    run = stored_run(media, org, status="importing", dry_run=False, heartbeat_at=silent_since)
    check = stored_run(media, org, status="validating", heartbeat_at=silent_since)
    assert import_runs.import_runs_sweep() == {"sent_again": 0, "failed": 2}
    run.refresh_from_db()
    check.refresh_from_db()
    assert run.status == "failed" and run.message_words == (
        f"The worker stopped while importing (no sign of life since {hhmm(silent_since)}). "
        "Nothing was written: the import is all-or-nothing. Retry."
    )
    assert check.status == "failed" and check.message_words == (
        f"The worker stopped while checking the file (no sign of life since {hhmm(silent_since)}). "
        "Nothing was written. Retry."
    )
    client.force_login(org.admin)
    html = page(client, run)
    assert f"Stopped: the worker stopped while importing (no sign of life since {hhmm(silent_since)})" in html
    assert "Retry the import" in html
    assert "Retry the check" in page(client, check)


def test_the_sweep_task_runs_the_sweep(org, media, sent):
    stored_run(media, org, status="importing", dry_run=False, heartbeat_at=ago(hours=1))
    assert tasks.sweep_imports() == {"sent_again": 0, "failed": 1}


# --- Messages that come late or twice --------------------------------------------------------


def test_a_redelivered_message_for_a_failed_run_does_nothing(org, media, sent):
    """A worker died mid-import; the sweep failed the run; the message comes back (acks_late): the run
    stays failed, nothing is written, until someone presses Retry."""
    run = stored_run(media, org, status="importing", dry_run=False, attempt=1, heartbeat_at=ago(minutes=20))
    import_runs.import_runs_sweep()
    assert tasks.import_commit(run.pk, 1) == "failed"
    assert tasks.import_commit(run.pk) == "failed"  # a message from before attempts: the same
    run.refresh_from_db()
    assert run.status == "failed" and Ticket.objects.count() == 0
    import_runs.import_run_retry(run=run)
    assert tasks.import_commit(run.pk, 1) == "queued"  # the old attempt's message, again: nothing
    assert Ticket.objects.count() == 0
    assert tasks.import_commit(run.pk, 2) == "done" and Ticket.objects.count() == 2
    assert tasks.import_commit(run.pk, 2) == "done"  # delivered twice: nothing more


def test_a_late_check_message_does_not_undo_a_confirmation(org, media, sent):
    run = stored_run(media, org)
    import_runs.import_upload_confirm(run=run)
    assert tasks.import_validate(run.pk, 1) == "queued"  # the check's message, redelivered
    run.refresh_from_db()
    assert (run.status, run.dry_run) == ("queued", False)


def test_an_error_in_the_worker_fails_the_run_and_keeps_the_file(org, media, sent, monkeypatch):
    run = stored_run(media, org, status="queued", dry_run=False)

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "import_csv", broken)
    with pytest.raises(RuntimeError):
        tasks.import_commit(run.pk, 1)
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.message_words == (
        "The worker failed while importing: disk on fire. Nothing was written: the import is all-or-nothing."
    )
    assert Path(run.stored_file).exists() and import_runs.import_run_can_retry(run)


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_finishes_after_its_run_was_failed_rolls_back(org, media, monkeypatch):
    """The sweep gave up on a slow worker (the page says: nothing was written); the worker then reaches
    the end: it rolls its rows back rather than turn the failed run into a done one."""
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    run = stored_run(media, org, status="queued", dry_run=False)
    failed = []

    def sweep_meanwhile():
        ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=ago(hours=1))
        failed.append(import_runs.import_runs_sweep())
        connection.close()

    real_progress = services.import_csv

    def import_csv(**kwargs):
        progress = kwargs["progress"]

        def slow(rows, read):
            progress(rows, read)
            if rows == 1:  # another process (the sweep), on another connection, meanwhile
                thread = threading.Thread(target=sweep_meanwhile)
                thread.start()
                thread.join()

        return real_progress(**{**kwargs, "progress": slow})

    monkeypatch.setattr(services, "import_csv", import_csv)
    assert tasks.import_commit(run.pk, 1) == "failed"
    assert failed == [{"sent_again": 0, "failed": 1}]
    run.refresh_from_db()
    assert run.status == "failed" and "The worker stopped while importing" in run.message_words
    assert Ticket.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_running_import_shows_signs_of_life_outside_its_transaction(org, media, monkeypatch, settings):
    settings.JOB_HEARTBEAT_SECONDS = 0
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    run = stored_run(media, org, status="queued", dry_run=False)
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=None)
    seen = []

    def look():
        seen.append(ImportRun.objects.values_list("status", "heartbeat_at").get(pk=run.pk))
        connection.close()

    real = services.import_csv

    def import_csv(**kwargs):
        progress = kwargs["progress"]

        def watched(rows, read):
            progress(rows, read)
            thread = threading.Thread(target=look)  # another connection: the page, the sweep
            thread.start()
            thread.join()

        return real(**{**kwargs, "progress": watched})

    monkeypatch.setattr(services, "import_csv", import_csv)
    claimed = timezone.now()
    assert tasks.import_commit(run.pk, 1) == "done"
    assert len(seen) >= 2 and all(status == "importing" for status, _ in seen)
    beats = [at for _, at in seen]
    assert all(at is not None and at >= claimed for at in beats) and beats == sorted(beats)
    assert Ticket.objects.count() == 2


# --- What the page says ----------------------------------------------------------------------


def test_the_page_says_what_is_happening_in_words(client, org, media, settings):
    settings.JOB_PICKUP_HINT_SECONDS = 60
    settings.JOB_SILENCE_HINT_SECONDS = 120
    client.force_login(org.admin)
    status = lambda run: client.get(reverse("import-status", args=[run.pk])).json()  # noqa: E731

    queued = stored_run(media, org, status="queued")
    html = page(client, queued)
    assert f"Waiting for a worker since {hhmm(queued.queued_at)} to check the file." in html
    assert "No worker has picked this up yet" not in html
    assert status(queued)["hint"] == "" and status(queued)["finished"] is False

    waiting = stored_run(media, org, status="queued", dry_run=False, queued_at=ago(minutes=2))
    html = page(client, waiting)
    assert f"Waiting for a worker since {hhmm(waiting.queued_at)} to import it." in html
    assert "No worker has picked this up yet; if this lasts, the workers may be down." in html
    assert (
        status(waiting)["hint"] == "No worker has picked this up yet; if this lasts, the workers may be down."
    )

    checking = stored_run(media, org, status="validating", heartbeat_at=ago(seconds=3))
    cache.set(import_runs._progress_key(checking.pk), {"rows": 120000, "bytes": 29, "total": 100}, 60)
    assert "Checking: 120,000 rows read (29%)" in page(client, checking)
    assert status(checking)["percent"] == 29

    importing = stored_run(
        media, org, status="importing", dry_run=False, rows_read=416101, heartbeat_at=ago(seconds=3)
    )
    cache.set(import_runs._progress_key(importing.pk), {"rows": 120000, "bytes": 30, "total": 100}, 60)
    html = page(client, importing)
    assert "Importing: 120,000 of 416,101 rows" in html and "No sign of life" not in html
    assert status(importing)["phrase"] == "Importing: 120,000 of 416,101 rows"

    silent = stored_run(media, org, status="importing", dry_run=False, heartbeat_at=ago(minutes=5))
    html = page(client, silent)
    assert f"No sign of life from the worker since {hhmm(silent.heartbeat_at)}. If it stopped" in html
    assert "Retry" not in html

    stopped = stored_run(media, org, status="failed", dry_run=False, message="The worker stopped while x.")
    html = page(client, stopped)
    assert "Stopped: the worker stopped while x." in html and "Retry the import" in html
    assert status(stopped)["finished"] is True


def test_the_beat_schedule_sweeps_imports_and_exports():
    import reviews.tasks  # noqa: F401 - registers the export sweep
    from config.celery import app

    for entry, task in (
        ("jobs-sweep-imports", "activity.sweep_imports"),
        ("jobs-sweep-exports", "reviews.sweep_exports"),
    ):
        assert app.conf.beat_schedule[entry]["task"] == task and task in app.tasks
        assert app.conf.beat_schedule[entry]["schedule"] == 300  # JOB_SWEEP_SECONDS


def test_the_clock_of_a_job_speaks_in_words(settings):
    settings.TIME_ZONE = "Europe/Madrid"
    now = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
    with timezone.override("Europe/Madrid"):
        assert jobs.clock(datetime.datetime(2026, 11, 30, 9, 5, tzinfo=datetime.UTC), now) == "10:05"
        assert (
            jobs.clock(datetime.datetime(2026, 11, 28, 13, 5, tzinfo=datetime.UTC), now)
            == "28 Nov 2026, 14:05 CET"
        )
        assert jobs.clock(None, now) == "—"


# --- A message that comes back to a run its dead worker claimed ------------------------------


def test_a_message_back_to_a_run_claimed_by_a_silent_worker_takes_it_over(org, media, sent, settings):
    """A pool process died mid-import (the kernel's OOM killer): its message comes back at once, for
    the same attempt, and finds the run "importing". Silent for JOB_TAKEOVER_SECONDS (60): the run is
    taken over under attempt 2 and imported."""
    settings.JOB_TAKEOVER_SECONDS = 60
    run = stored_run(media, org, status="importing", dry_run=False, attempt=1, heartbeat_at=ago(seconds=61))
    assert tasks.import_commit(run.pk, 1) == "done"
    run.refresh_from_db()
    assert (run.status, run.attempt, run.created) == ("done", 2, 2)
    assert Ticket.objects.count() == 2
    # The dead worker's message, delivered yet again: nothing more.
    assert tasks.import_commit(run.pk, 1) == "done" and Ticket.objects.count() == 2


def test_a_message_back_to_a_run_with_a_recent_sign_of_life_looks_again_later(org, media, sent, settings):
    """Claimed for this attempt and alive 20 s ago: the message is put back to look again when the run
    would have been silent for JOB_TAKEOVER_SECONDS (41 s later), at most half of it (30 s) away."""
    settings.JOB_TAKEOVER_SECONDS = 60
    run = stored_run(media, org, status="importing", dry_run=False, attempt=1, heartbeat_at=ago(seconds=20))
    with pytest.raises(jobs.StillAlive) as alive:
        import_runs.import_run_execute(run_id=run.pk, dry_run=False, attempt=1)
    assert alive.value.retry_in == 30
    with pytest.raises(Retry):  # the task: its message goes back to the queue
        tasks.import_commit(run.pk, 1)
    run.refresh_from_db()
    assert (run.status, run.attempt) == ("importing", 1) and Ticket.objects.count() == 0
    # A message of another attempt, or for a check, never takes an import over.
    assert tasks.import_commit(run.pk, 2) == "importing"
    assert tasks.import_validate(run.pk, 1) == "importing"
    # 45 s later (the run silent for 65 s): taken over.
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=ago(seconds=65))
    assert tasks.import_commit(run.pk, 1) == "done" and Ticket.objects.count() == 2


def test_a_checked_file_s_counts_are_grouped_by_thousands(client, org, media):
    run = stored_run(
        media, org, rows_read=400_000, created=399_000, updated=1_000, finished_at=timezone.now()
    )
    client.force_login(org.admin)
    html = page(client, run)
    assert '<td class="num">400,000</td><td class="num">399,000</td><td class="num">1,000</td>' in html


def test_the_counts_headings_stand_over_their_numbers(client, media, org):
    """The counts are right-aligned numbers: their headings were left-aligned, a column away."""
    run = stored_run(media, org, finished_at=timezone.now(), created=2)
    client.force_login(org.admin)
    counts = page(client, run).split('<div class="scroll"><table>', 1)[1].split("</table>", 1)[0]
    headings = counts.split("</tr>", 1)[0]
    assert headings.count("<th") == 5 and headings.count('<th class="num">') == 5
