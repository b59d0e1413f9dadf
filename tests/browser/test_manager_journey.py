"""In a real browser (Debian's Chromium, headless, driven by Playwright): the demo manager logs in,
opens a CSM's scorecard, drills into NRR and downloads the rows behind it as CSV.

Screenshots land in var/screenshots/ for a person to look at."""

import csv
import io
import os
from pathlib import Path

import pytest
from django.utils import timezone

from kpis.periods import Period
from tests.demo_snapshot import demo_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def demo(db):
    today = timezone.localdate()
    period = Period.containing(today).previous()
    # seed_demo --accounts 60, then compute_kpis of the last quarter and the one before: seeded once
    demo_database(today, kpis=(str(period), str(period.previous())))
    return period


def test_manager_opens_a_scorecard_drills_into_nrr_and_downloads_csv(live_server, demo):
    from playwright.sync_api import expect, sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "manager@example.com")
        page.fill("#id_password", "demo1234")
        page.click("button[type=submit]")
        expect(page.locator("h2").first).to_contain_text("Waiting for you")  # the to-dos come first
        expect(page.locator("h2", has_text="Team Atlas at a glance")).to_be_visible()
        page.screenshot(path=str(SHOTS / "1-manager-home.png"), full_page=True)

        page.click("text=Camila Souza")
        expect(page.locator("h1")).to_contain_text("Scorecard of Camila Souza")
        page.select_option("#period", str(demo))
        page.wait_for_url(f"**period={demo}**")
        expect(page.locator("#metric-nrr")).to_be_visible()
        page.screenshot(path=str(SHOTS / "2-scorecard.png"), full_page=True)

        page.click("#metric-nrr .value a")
        expect(page.locator("h1")).to_contain_text("MRR retention (NRR)")
        rows_on_page = page.locator("#explain tbody tr").count()
        page.screenshot(path=str(SHOTS / "3-nrr-drill-down.png"), full_page=True)

        with page.expect_download() as info:
            page.click("#csv")
        content = Path(info.value.path()).read_text(encoding="utf-8")
        browser.close()
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["account", "account name", "starting MRR", "ending MRR", "change", "still paying"]
    assert len(rows) - 1 == rows_on_page >= 1
