"""In a real browser (Debian's Chromium, headless, Playwright), as HR on the demo organisation: create
the next quarter's cycle (confirming what is missing), leave a CSM out with a reason, open it, change a
reviewer and send a reminder from the cycle page; then run the current cycle's calibration session
(started early with a reason), adjust a rating with a reason, and export the cycle's zip through real
Celery workers and download it.

Screenshots land in var/screenshots/hr-*.png for a person to look at."""

import io
import os
import zipfile
from pathlib import Path

import pytest
from django.utils import timezone

from kpis.periods import Period, period_label
from reviews.models import Review, ReviewCycle
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.celery_worker import running_workers
from tests.demo_snapshot import demo_database

pytestmark = [pytest.mark.browser, pytest.mark.celery_integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    demo_database(today)  # seed_demo --accounts 60, seeded once per session
    return Period.containing(today)


def test_hr_runs_a_cycle_from_creation_to_the_zip(live_server, demo, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    SHOTS.mkdir(parents=True, exist_ok=True)
    nxt = demo.next()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "hr@example.com")
        page.fill("#id_password", "demo1234")
        page.click("button[type=submit]")

        # 1. The form offers the next quarter without a cycle (the demo has this quarter's and the last).
        page.goto(f"{live_server.url}/cycles/")
        expect(page.locator("#period")).to_have_value(str(nxt))
        page.screenshot(path=str(SHOTS / "hr-1-cycles.png"), full_page=True)
        page.click("#create-cycle")
        expect(page.locator("h1")).to_contain_text(f"Cycle {period_label(nxt)} · Draft")

        # 2. It has not started: opening needs the confirmation, which states what will be missing.
        expect(page.locator("#open-cycle .banner")).to_contain_text(f"{period_label(nxt)} has not started")
        left_out = page.locator("#participants tbody tr").first
        name = left_out.locator("td").first.inner_text()
        left_out.locator("input[name=reason]").fill("Parental leave the whole quarter")
        left_out.locator("button").click()
        expect(page.locator(".messages")).to_contain_text("is left out of the cycle")
        expect(page.locator("#participants")).to_contain_text("Parental leave the whole quarter")
        page.screenshot(path=str(SHOTS / "hr-2-draft-cycle.png"), full_page=True)
        page.check("#confirm-open")
        page.click("#open-button")
        expect(page.locator(".messages")).to_contain_text("reviews created")
        cycle = ReviewCycle.objects.get(period=str(nxt))
        assert cycle.status == "open" and cycle.opened_despite == "not_started"
        assert not cycle.reviews.filter(csm__name=name).exists()

        # 3. Every review listed; a reviewer changed (to HR) and a reminder sent from the page.
        rows = page.locator("#review-table tbody tr")
        expect(rows).to_have_count(cycle.reviews.count())
        first = rows.first
        first.locator("select[name=reviewer]").select_option(label="Hana Roth (HR)")
        first.locator("form.reassign button").click()
        expect(page.locator(".messages")).to_contain_text("is now reviewed by Hana Roth")
        page.locator("#review-table tbody tr").first.locator("text=Remind").click()
        expect(page.locator(".messages")).to_contain_text("Reminder sent to Hana Roth")
        page.screenshot(path=str(SHOTS / "hr-3-open-cycle.png"), full_page=True)

        # 4. The current cycle: calibration starts early only with a reason; a rating is adjusted.
        current = ReviewCycle.objects.get(period=str(demo))
        page.goto(f"{live_server.url}/cycles/{current.pk}/")
        page.fill("#override", "Compensation committee meets before the last reviews are due")
        page.click("text=Start calibration anyway")
        expect(page.locator("h1")).to_contain_text(f"Calibration · {period_label(demo)}")
        target = (
            current.reviews.filter(status__in=["submitted", "acknowledged"])
            .select_related("csm")
            .order_by("csm__name")
            .first()
        )
        row = page.locator(f"#csm-{target.csm_id}")
        new = 5 if (target.rating or 3) < 5 else 4
        row.locator("select[name=rating]").select_option(str(new))
        row.locator("input[name=reason]").fill("Carried the Northwind escalation for the whole team")
        row.locator("button:has-text('Adjust')").click()
        expect(page.locator(".messages")).to_contain_text("rating is adjusted")
        expect(page.locator(f"#csm-{target.csm_id}")).to_contain_text("Carried the Northwind escalation")
        expect(page.locator("#ninebox")).to_contain_text(target.csm.name)
        page.screenshot(path=str(SHOTS / "hr-4-calibration.png"), full_page=True)
        assert Review.objects.get(pk=target.pk).calibrated_rating == new

        # 5. The zip of every PDF, rendered in chunks by two workers, then downloaded.
        with running_workers(2, extra_env={"MEDIA_ROOT": str(tmp_path)}):
            page.goto(f"{live_server.url}/cycles/{current.pk}/")
            page.click("#export-zip")
            expect(page.locator("#download-zip")).to_be_visible(timeout=180_000)
        page.screenshot(path=str(SHOTS / "hr-5-export-done.png"), full_page=True)
        with page.expect_download() as info:
            page.click("#download-zip")
        download = info.value
        assert download.suggested_filename == f"{demo} reviews.zip"
        names = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())).namelist()
        browser.close()
    assert f"{demo} {target.csm.name}.pdf" in names and f"{demo} summary of the cycle.pdf" in names
    assert len(names) == current.reviews.count() + 1
