"""In a real browser, at a desktop and a phone width: the check of an upload lists every error of the
file in one pass, by row, and a file with thousands of errors shows the first 1,000 with
the total. Screenshots land in var/screenshots/ for a person to look at."""

import os

import pytest

from datain import import_runs
from tests.browser.test_job_pages import log_in
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.datain.test_data_in import EXPECTED_ONE_PASS, ONE_PASS, TICKETS_HEADER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The right edge of the furthest box of the report (the status card, the tables' boxes, the headings).
REPORT_RIGHT = (
    "Math.max(...[...document.querySelectorAll('main .card, main .scroll, main h1, main h2, main p')]"
    ".map(e => e.getBoundingClientRect().right))"
)


def test_the_check_lists_every_error_by_row_at_both_widths(live_server, org, settings, tmp_path, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setattr(
        import_runs,
        "_enqueue",
        lambda task, run: import_runs.import_run_execute(run_id=run.pk, dry_run=task.endswith("validate")),
    )
    one_pass = tmp_path / "tickets.csv"
    one_pass.write_text(ONE_PASS)
    many = tmp_path / "many.csv"
    many.write_text(
        TICKETS_HEADER + "".join(f"T{n},X-{n},2026-07-03T10:00:00Z,,,,,low,\n" for n in range(1500))
    )
    assert os.path.exists(CHROMIUM)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, height in ((1366, 900), (390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height})
            log_in(page, live_server.url, "admin@example.com")
            page.goto(f"{live_server.url}/imports/")
            page.select_option("#id_kind", "tickets")
            page.set_input_files("#id_file", str(one_pass))
            page.click("text=Check the file")
            expect(page.locator(".errorlist").first).to_contain_text("9 errors: nothing was written")
            rows = page.locator("table.import-errors tbody tr")
            expect(rows).to_have_count(9)
            shown = [
                (
                    int(rows.nth(i).locator("td").nth(0).inner_text()),
                    rows.nth(i).locator("td").nth(3).inner_text(),
                )
                for i in range(9)
            ]
            assert shown == [(row, message) for row, _c, _v, message in EXPECTED_ONE_PASS]
            # The report never runs off the page sideways: a wide table scrolls inside its box.
            assert page.evaluate(REPORT_RIGHT) <= width
            page.screenshot(path=str(SHOTS / f"upload-errors-{width}.png"), full_page=True)

            page.goto(f"{live_server.url}/imports/")
            page.select_option("#id_kind", "tickets")
            page.set_input_files("#id_file", str(many))
            page.click("text=Check the file")
            expect(page.locator("h2", has_text="Errors")).to_contain_text("first 1000 of 1500")
            expect(page.locator("table.import-errors tbody tr")).to_have_count(1000)
            assert page.evaluate(REPORT_RIGHT) <= width
            page.screenshot(path=str(SHOTS / f"upload-errors-many-{width}.png"))
            page.close()
        browser.close()
