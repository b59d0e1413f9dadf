"""In a real browser: CS ops uploads a file while Redis (the job queue) is down and is told so with a
Retry button, presses it once Redis is back and sees the run wait for a worker; an import whose worker
stopped is shown stopped, with Retry; HR sees a cycle export that could not start.

Screenshots land in var/screenshots/ for a person to look at."""

import datetime
import os

import pytest
from django.db import connections
from django.utils import timezone

from datain import import_runs
from datain.models import ImportRun
from reviews.cycles import services as cycle_services
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.celery_worker import redis_available, unreachable_broker
from tests.datain.test_job_states import stored_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, url, email):
    page.goto(f"{url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "demo1234")
    page.click("button[type=submit]")


def test_ops_and_hr_see_what_happened_to_their_jobs(live_server, org, settings, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    redis_available()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.JOB_QUEUE_TIMEOUT_SECONDS = 0.5
    settings.JOB_PICKUP_HINT_SECONDS = 1
    good_broker = settings.CELERY_BROKER_URL
    csv_file = tmp_path / "tickets.csv"
    csv_file.write_text(
        "external_id,account_external_id,opened_at,first_response_at,resolved_at,customer_contacts,"
        "escalated_at,priority,channel\nT1,A-1,2026-07-03T10:00:00Z,,,,,normal,email\n"
    )
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        log_in(page, live_server.url, "admin@example.com")

        # Redis is down: the upload answers at once, the run says why, with Retry.
        with unreachable_broker() as down:
            settings.CELERY_BROKER_URL = down
            page.goto(f"{live_server.url}/imports/")
            page.select_option("#id_kind", "tickets")
            page.set_input_files("#id_file", str(csv_file))
            page.click("text=Check the file")
            expect(page.locator("#status-text")).to_contain_text(
                "Stopped: the job queue (Redis) could not be reached"
            )
            expect(page.locator("button", has_text="Retry the check")).to_be_visible()
            page.screenshot(path=str(SHOTS / "jobs-1-import-failed-to-enqueue.png"), full_page=True)

        # Redis is back, no worker yet: Retry queues it; the page says it waits, then hints.
        settings.CELERY_BROKER_URL = good_broker
        page.click("text=Retry the check")
        expect(page.locator("#status-text")).to_contain_text("Waiting for a worker since")
        expect(page.locator("#status-hint")).to_contain_text(
            "No worker has picked this up yet; if this lasts, the workers may be down."
        )
        page.screenshot(path=str(SHOTS / "jobs-2-import-waiting-for-a-worker.png"), full_page=True)
        waiting = ImportRun.objects.get()
        assert (waiting.status, waiting.attempt) == ("queued", 2)

        # A worker stopped in the middle of an import: the sweep marks it, the page says so.
        silent_since = timezone.now() - datetime.timedelta(minutes=20)
        stale = stored_run(
            settings.MEDIA_ROOT,
            org,
            status="importing",
            dry_run=False,
            rows_read=416101,
            filename="tickets-october.csv",
            heartbeat_at=silent_since,
        )
        assert import_runs.import_runs_sweep()["failed"] == 1
        page.goto(f"{live_server.url}/imports/{stale.pk}/")
        expect(page.locator("#status-text")).to_contain_text(
            "Stopped: the worker stopped while importing (no sign of life since "
        )
        expect(page.locator("#status-text")).to_contain_text(
            "Nothing was written: the import is all-or-nothing."
        )
        expect(page.locator("button", has_text="Retry the import")).to_be_visible()
        page.screenshot(path=str(SHOTS / "jobs-3-import-stale.png"), full_page=True)

        # HR starts a cycle export while Redis is down.
        cycle = cycle_services.cycle_create(
            user=org.hr,
            period="2026-Q3",
            self_review_due=datetime.date(2026, 10, 10),
            manager_review_due=datetime.date(2026, 10, 20),
        )
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        hr = context.new_page()
        log_in(hr, live_server.url, "hr@example.com")
        with unreachable_broker() as down:
            settings.CELERY_BROKER_URL = down
            hr.goto(f"{live_server.url}/cycles/{cycle.pk}/")
            hr.click("text=Export every PDF (zip)")
            expect(hr.locator("#export-text")).to_contain_text(
                "Stopped: the job queue (Redis) could not be reached"
            )
            expect(hr.locator("button", has_text="Retry the export")).to_be_visible()
            hr.screenshot(path=str(SHOTS / "jobs-4-export-failed-to-enqueue.png"), full_page=True)
        settings.CELERY_BROKER_URL = good_broker
        browser.close()
        # The queries above ran in Playwright's context, on connections of their own: close them.
        connections.close_all()
