"""The scorecard's expected lines, the team dashboard's lift columns and the page "How expected
results are computed" in a browser, at 1,366 and 390 px (issue 26): the hand-worked organisation of
tests/kpis/test_expected.py, whose numbers its docstring works out. Nothing makes a page scroll
sideways; the charts draw (an image with its size); screenshots land in var/screenshots/issue26/."""

import os
from pathlib import Path

import pytest

from kpis import services
from tests.browser.test_phone_width import ARGS, CHROMIUM, DESKTOP, PHONE
from tests.kpis.test_expected import Q3, hand  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots" / "issue26"
PASSWORD = "expected-pages-1"


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_expected_lines_and_the_method_page_in_a_browser(live_server, hand):  # noqa: F811
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    services.kpi_run_compute(period=Q3)
    manager = hand["team"].manager
    for user in (hand["ann"], manager):
        user.set_password(PASSWORD)
        user.save()
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    team_url = f"/team/{hand['team'].pk}/?period=2026-Q3"
    seen, problems = {}, []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for email, pages in (
            (
                "ann@example.com",
                [
                    ("scorecard", "/scorecard/?period=2026-Q3"),
                    ("method", "/expected-results/?period=2026-Q3"),
                ],
            ),
            (manager.email, [("team", team_url)]),
        ):
            context = browser.new_context(viewport={"width": DESKTOP, "height": 900})
            page = context.new_page()
            _login(page, base, email)
            for name, url in pages:
                for width in (DESKTOP, PHONE):
                    page.set_viewport_size({"width": width, "height": 900 if width == DESKTOP else 844})
                    assert page.goto(base + url).status == 200, (name, width)
                    page.wait_for_load_state("load")
                    wide = page.evaluate("() => document.documentElement.scrollWidth")
                    if wide > width:
                        problems.append(f"{name} at {width}px: the page is {wide}px wide")
                    if name == "scorecard":
                        seen[(name, width)] = page.inner_text(
                            "#expected-results li[data-outcome=logo_retention]"
                        )
                    elif name == "method":
                        seen[(name, width)] = page.evaluate(
                            """() => [...document.querySelectorAll('.expected-model img.chart-img')]
                                   .map(i => [i.complete && i.naturalWidth > 0, i.getBoundingClientRect().width])"""
                        )
                    else:
                        seen[(name, width)] = page.inner_text("td.lift[data-lift=logo_retention]")
                    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            context.close()
        browser.close()
    assert not problems, "\n".join(problems)
    for width in (DESKTOP, PHONE):
        line = " ".join(seen[("scorecard", width)].split())
        assert line == (
            "Account retention: expected 88.75%, actual 100.00%: +3.32 points, 90 % interval −2.61 to +9.25"
        )
        charts = seen[("method", width)]
        assert len(charts) == 3 and all(drawn for drawn, _ in charts)
        assert all(0 < w <= width for _, w in charts), charts  # a chart never overflows the phone
        assert seen[("team", width)].strip() == "+3.32 (−2.61 to +9.25)"
