"""In a real browser: CS ops loads tickets of last month and this month, is told when the KPIs will be
recomputed, then asks for a recompute on the KPI runs page (a wrong period first).

Screenshots land in var/screenshots/ for a person to look at."""

import datetime
import os

import pytest
from celery import Task
from django.utils import timezone

from datain import import_runs
from kpis import refresh, tasks
from kpis.periods import Period
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.celery_worker import redis_available

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inline(monkeypatch):
    """The file's check and write run in the server's thread; the KPI runs are only recorded."""
    redis_available()

    def enqueue(task_name, run):
        import_runs.import_run_execute(run_id=run.pk, dry_run=task_name.endswith("validate"))

    monkeypatch.setattr(import_runs, "_enqueue", enqueue)
    # On the task class, not the task object: the live server's thread may resolve the shared task
    # through another Celery app than this thread (whatever ran before in this process).
    sent = []
    send = Task.apply_async

    def apply_async(task, args=None, kwargs=None, **options):
        if task.name != tasks.compute_period.name:
            return send(task, args, kwargs, **options)
        sent.append(tuple(args))
        return None

    monkeypatch.setattr(Task, "apply_async", apply_async)
    client = refresh._redis()
    for key in client.scan_iter("kpis:*"):
        client.delete(key)
    yield sent
    for key in client.scan_iter("kpis:*"):
        client.delete(key)


def test_ops_loads_tickets_sees_when_the_kpis_refresh_and_asks_for_a_recompute(
    live_server, org, inline, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    today = timezone.localdate()
    month = Period.containing(today, "month")
    earlier = month.previous().start + datetime.timedelta(days=9)
    csv_file = tmp_path / "tickets.csv"
    csv_file.write_text(
        "external_id,account_external_id,opened_at,first_response_at,resolved_at,customer_contacts,"
        "escalated_at,priority,channel\n"
        f"T1,A-1,{earlier.isoformat()}T10:00:00Z,,,,,normal,email\n"
        f"T2,A-2,{today.isoformat()}T00:30:00Z,,,,,high,chat\n"
    )
    touched, _ = refresh.touched_periods(earlier, today, today)
    names = refresh.join(refresh.label(p) for p in touched)
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "admin@example.com")
        page.fill("#id_password", "demo1234")
        page.click("button[type=submit]")

        page.goto(f"{live_server.url}/imports/")
        page.select_option("#id_kind", "tickets")
        page.set_input_files("#id_file", str(csv_file))
        page.click("text=Check the file")
        page.click("text=Import it")
        expect(page.locator("#kpi-refresh")).to_contain_text(
            f"The KPIs of {names} will be recomputed in about a minute"
        )
        page.screenshot(path=str(SHOTS / "fresh-1-upload-after-import.png"), full_page=True)

        page.click("#kpi-refresh a")  # KPI runs
        expect(page.locator("#recompute-waiting")).to_contain_text("scheduled after an import, due around")
        page.fill("#id_period", "9999-Q4")
        page.click("#recompute input[type=submit]")
        expect(page.locator("#recompute-errors")).to_contain_text("is outside the years this product holds")
        page.screenshot(path=str(SHOTS / "fresh-2-kpi-runs-invalid-period.png"), full_page=True)

        quarter = str(Period.containing(today, "quarter").previous())
        page.fill("#id_period", quarter)
        page.click("#recompute input[type=submit]")
        expect(page.locator("ul.messagelist")).to_contain_text("is queued")
        expect(page.locator("#recompute-waiting")).to_contain_text("recompute asked by admin@example.com")
        page.screenshot(path=str(SHOTS / "fresh-3-kpi-runs-recompute-queued.png"), full_page=True)
        browser.close()
    assert inline == [(str(p), None, "import") for p in touched] + [(quarter, None, "recompute")]
