"""A cycle's zip export as a job (core/jobs.py): the queue unreachable, Retry, the sweep, messages
that come late, and what the cycle page says in each state."""

import datetime
import time
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import jobs
from kpis import services as kpi_services
from kpis.periods import Period
from reviews import tasks
from reviews.cycles import services
from reviews.models import CycleExport
from reviews.output import exports
from tests import factories
from tests.celery_worker import redis_server, running_workers, unreachable_broker
from tests.kpis import world

D = datetime.date


@pytest.fixture
def queue_down(settings):
    """Redis (the job queue) is down; a down queue answers at once, a hung one within the timeout."""
    with unreachable_broker() as url:
        settings.CELERY_BROKER_URL = url
        settings.JOB_QUEUE_TIMEOUT_SECONDS = 0.5
        yield url.removeprefix("redis://").removesuffix("/0")


@pytest.fixture
def sent(monkeypatch):
    messages = []

    def send(name, args):
        messages.append((name, args))
        return f"task-{len(messages)}"

    monkeypatch.setattr(jobs, "send", send)
    return messages


@pytest.fixture
def cycle(db, settings, tmp_path):
    """A cycle of 2026-Q3 with nobody in it: enough for the export's states and the page."""
    settings.MEDIA_ROOT = str(tmp_path)
    hr = factories.HrFactory(email="hr@example.com")
    return services.cycle_create(
        user=hr, period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )


@pytest.fixture
def opened(db, settings, tmp_path):
    """A cycle of 2026-Q3 with four reviews: PDFs to render."""
    settings.TIME_ZONE = "America/New_York"
    settings.MEDIA_ROOT = str(tmp_path)
    world.build()
    hr = factories.HrFactory(email="hr@example.com")
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=D(2026, 11, 1))
    cycle = services.cycle_create(
        user=hr, period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )
    services.cycle_open(user=hr, cycle=cycle)
    return cycle


def an_export(cycle, **fields) -> CycleExport:
    values = {"total": 4, "attempt": 1, "sends": 1, "queued_at": timezone.now(), **fields}
    return CycleExport.objects.create(cycle=cycle, created_by=cycle.created_by, **values)


def ago(**delta) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def hhmm(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def cycle_page(client, cycle) -> str:
    response = client.get(reverse("cycle-detail", args=[cycle.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db(transaction=True)  # as in real life: the message is sent during the request
def test_export_start_with_the_queue_down_fails_with_the_reason(client, cycle, queue_down):
    client.force_login(cycle.created_by)
    response = client.post(reverse("cycle-action", args=[cycle.pk, "export"]))
    assert response.status_code == 302
    export = CycleExport.objects.get()
    assert export.status == "failed" and export.finished_at is not None
    assert export.error_words.startswith("The job queue (Redis) could not be reached: ")
    assert export.error_words.endswith("Try again in a moment.")
    html = cycle_page(client, cycle)
    assert "The export has started" not in html
    assert html.lower().count("the job queue (redis) could not be reached") == 2  # message and card
    assert "Stopped: the job queue (Redis) could not be reached: " in html
    assert "Retry the export" in html and reverse("cycle-export-retry", args=[cycle.pk, export.pk]) in html
    status = client.get(reverse("cycle-export", args=[cycle.pk, export.pk])).json()
    assert status["status"] == "failed" and status["on_its_way"] is False


def test_retry_queues_a_failed_export_again(client, cycle, sent, django_capture_on_commit_callbacks):
    export = an_export(cycle, status="failed", error="Boom.", finished_at=timezone.now(), sends=3)
    client.force_login(cycle.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cycle-export-retry", args=[cycle.pk, export.pk]))
    assert response.status_code == 302
    export.refresh_from_db()
    assert (export.status, export.attempt, export.sends, export.error_words, export.finished_at) == (
        "queued",
        2,
        1,
        "",
        None,
    )
    assert sent == [("reviews.export_cycle", [export.pk, 2])]
    html = cycle_page(client, cycle)
    assert (
        "The export was queued again" in html
        and f"Waiting for a worker since {hhmm(export.queued_at)}" in html
    )
    response = client.post(reverse("cycle-export-retry", args=[cycle.pk, export.pk]), follow=True)
    assert "Only a failed export can be retried." in response.content.decode() and len(sent) == 1


@pytest.mark.parametrize("role", ["csm", "manager"])
def test_retry_is_for_hr_only(client, cycle, sent, role):
    export = an_export(cycle, status="failed")
    user = factories.CsmFactory() if role == "csm" else factories.ManagerFactory()
    client.force_login(user)
    assert client.post(reverse("cycle-export-retry", args=[cycle.pk, export.pk])).status_code == 404
    assert CycleExport.objects.get().status == "failed" and sent == []


def test_retry_answers_post_only_and_checks_csrf(cycle, sent):
    export = an_export(cycle, status="failed")
    client = Client(enforce_csrf_checks=True)
    client.force_login(cycle.created_by)
    url = reverse("cycle-export-retry", args=[cycle.pk, export.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert CycleExport.objects.get().status == "failed" and sent == []


def test_sweep_sends_again_a_lost_export_then_gives_up(cycle, sent, settings):
    settings.JOB_MAX_SENDS = 2
    export = an_export(cycle, queued_at=ago(minutes=16))
    assert exports.cycle_exports_sweep() == {"sent_again": 1, "failed": 0}
    export.refresh_from_db()
    assert (export.status, export.attempt, export.sends) == ("queued", 2, 2)
    assert sent == [("reviews.export_cycle", [export.pk, 2])]
    assert exports.cycle_exports_sweep() == {"sent_again": 0, "failed": 0}  # the new send is fresh
    CycleExport.objects.filter(pk=export.pk).update(queued_at=ago(minutes=31))
    assert tasks.sweep_exports() == {"sent_again": 0, "failed": 1}
    export.refresh_from_db()
    assert export.status == "failed" and export.error_words == (
        f"No worker picked this up: it was sent 2 times since {hhmm(export.queued_at)}. "
        "The workers may be down. Retry when they are back."
    )


def test_sweep_fails_a_running_export_silent_past_the_timeout(client, cycle, sent):
    silent_since = ago(minutes=20)
    export = an_export(cycle, status="running", done=1, heartbeat_at=silent_since)
    fresh_cycle_export = an_export(cycle, status="running", done=1, heartbeat_at=ago(minutes=1))
    assert exports.cycle_exports_sweep() == {"sent_again": 0, "failed": 1}
    export.refresh_from_db()
    assert export.status == "failed" and export.error_words == (
        f"The workers stopped making the PDFs (no sign of life since {hhmm(silent_since)}): 1 of 4 were "
        "made. Retry: the ones made are kept."
    )
    assert CycleExport.objects.get(pk=fresh_cycle_export.pk).status == "running"


def test_late_messages_of_a_failed_export_do_nothing_and_retry_keeps_its_pdfs(opened, sent):
    """A worker died; the sweep failed the export; its messages come back (acks_late): the export
    cycle task, a chunk and the zip all leave it failed. Retry then finishes it, reusing the PDFs."""
    export = exports.cycle_export_start(user=opened.created_by, cycle=opened)
    ids = exports.export_review_ids(export_id=export.pk, attempt=1)
    assert ids and sum(len(c) for c in ids) == 4
    assert exports.export_render_chunk(export_id=export.pk, review_ids=ids[0][:2], attempt=1) == 2
    CycleExport.objects.filter(pk=export.pk).update(heartbeat_at=ago(hours=1))
    assert exports.cycle_exports_sweep()["failed"] == 1

    assert tasks.export_cycle(export.pk, 1) == "not for this attempt: nothing done"
    assert tasks.export_chunk(export.pk, ids[0], 1) == 0
    assert tasks.export_zip(export.pk, 1) == "failed"
    export.refresh_from_db()
    assert (export.status, export.done, export.path) == ("failed", 2, "")
    folder = Path(exports._folder(export))
    assert len(list(folder.glob("*.pdf"))) == 2 and not list(folder.parent.glob("*.zip"))

    exports.cycle_export_retry(user=opened.created_by, export=export)
    assert tasks.export_chunk(export.pk, ids[0], 1) == 0  # the old attempt's chunk, again: nothing
    chunks = exports.export_review_ids(export_id=export.pk, attempt=2)
    export.refresh_from_db()
    assert (export.status, export.done) == ("running", 2)  # the two PDFs made before count
    for chunk in chunks:
        exports.export_render_chunk(export_id=export.pk, review_ids=chunk, attempt=2)
    assert exports.export_zip(export_id=export.pk, attempt=2).status == "done"
    export.refresh_from_db()
    assert (export.done, export.total) == (4, 4) and Path(export.path).exists()
    assert exports.export_review_ids(export_id=export.pk, attempt=2) is None  # delivered twice


def test_the_cycle_page_says_what_the_export_is_doing(client, cycle, settings):
    settings.JOB_PICKUP_HINT_SECONDS = 60
    settings.JOB_SILENCE_HINT_SECONDS = 120
    client.force_login(cycle.created_by)

    def card(**fields):
        CycleExport.objects.all().delete()
        export = an_export(cycle, **fields)
        html = cycle_page(client, cycle)
        return export, html[html.index('id="export"') :]

    export, html = card(queued_at=ago(seconds=5))
    assert f"Waiting for a worker since {hhmm(export.queued_at)}." in html
    assert "No worker has picked this up yet" not in html
    export, html = card(queued_at=ago(minutes=3))
    assert "No worker has picked this up yet; if this lasts, the workers may be down." in html
    status = client.get(reverse("cycle-export", args=[cycle.pk, export.pk])).json()
    assert status["hint"] == "No worker has picked this up yet; if this lasts, the workers may be down."
    _, html = card(status="running", done=2, heartbeat_at=ago(seconds=5))
    assert "Making the PDFs: 2 of 4." in html and "No sign of life" not in html
    export, html = card(status="running", done=2, heartbeat_at=ago(minutes=4))
    assert f"No sign of life from the worker since {hhmm(export.heartbeat_at)}." in html
    _, html = card(status="running", done=4, heartbeat_at=ago(seconds=5))
    assert "Zipping the 4 PDFs." in html
    export, html = card(status="done", done=4, finished_at=timezone.now(), path="/nowhere.zip")
    assert f"Ready: 4 PDFs, made at {hhmm(export.finished_at)}." in html and "Download the zip" in html
    assert "Retry the export" not in html
    _, html = card(status="failed", error="The workers stopped making the PDFs (...).")
    assert "Stopped: the workers stopped making the PDFs (...)." in html and "Retry the export" in html


@pytest.mark.celery_integration
@pytest.mark.django_db(transaction=True)
def test_redis_down_when_an_export_starts_then_back(client, opened, settings, tmp_path):
    """A real Redis, stopped: the export fails at once with the reason and the page says so; Redis
    back, Retry sends it and a real worker makes the zip."""
    settings.JOB_QUEUE_TIMEOUT_SECONDS = 0.5
    client.force_login(opened.created_by)
    with redis_server(tmp_path) as server:
        settings.CELERY_BROKER_URL = server.url
        server.stop()  # Redis is down
        response = client.post(reverse("cycle-action", args=[opened.pk, "export"]))
        assert response.status_code == 302
        export = CycleExport.objects.get()
        assert export.status == "failed" and f"127.0.0.1:{server.port}" in export.error_words
        html = cycle_page(client, opened)
        assert "Stopped: the job queue (Redis) could not be reached" in html and "Retry the export" in html

        server.start()  # Redis is back
        assert client.post(reverse("cycle-export-retry", args=[opened.pk, export.pk])).status_code == 302
        export.refresh_from_db()
        assert (export.status, export.attempt) == ("queued", 2)
        with running_workers(1, extra_env={"MEDIA_ROOT": settings.MEDIA_ROOT}, flush=False, ping=False):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and export.status not in ("done", "failed"):
                time.sleep(0.5)
                export.refresh_from_db()
    assert (export.status, export.done, export.total) == ("done", 4, 4), export.error
    assert len(zipfile.ZipFile(export.path).namelist()) == 5  # the four reviews and the cycle summary
    assert "Download the zip" in cycle_page(client, opened)


def test_the_summary_made_beside_the_chunks_is_the_one_zipped(opened, sent, monkeypatch):
    """A worker makes the cycle summary while others make the reviews' PDFs; the zip step takes it
    as it is instead of making it again."""
    export = an_export(opened, status="running")
    made = []
    monkeypatch.setattr(
        exports, "cycle_summary_pdf", lambda cycle, viewer: made.append(cycle.pk) or b"%PDF summary"
    )
    assert exports.export_render_summary(export_id=export.pk, attempt=1) is True
    for chunk in [[r.pk] for r in opened.reviews.all()]:
        exports.export_render_chunk(export_id=export.pk, review_ids=chunk, attempt=1)
    done = exports.export_zip(export_id=export.pk, attempt=1)
    assert done.status == "done" and made == [opened.pk]  # made once, by the summary task
    with zipfile.ZipFile(done.path) as archive:
        assert archive.read("2026-Q3 summary of the cycle.pdf") == b"%PDF summary"
        assert len(archive.namelist()) == 5
    # A message for another attempt makes nothing.
    assert exports.export_render_summary(export_id=export.pk, attempt=2) is False
