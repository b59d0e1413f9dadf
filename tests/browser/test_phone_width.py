"""Every role's main pages on a phone (issue 24): at 390 px wide nothing makes the page scroll
sideways (document.documentElement.scrollWidth <= 390; wide tables scroll inside themselves), and
the team dashboard shows that it scrolls: a shadow on the edge with more columns (the wrapper's
more-right / more-left) and a "scroll for more columns" note, gone at the end of the table. A
screenshot of each page at 390 and 1,366 px lands in var/screenshots/issue24/."""

import os
from pathlib import Path

import pytest
from django.utils import timezone

from kpis.periods import Period
from tests.demo_snapshot import demo_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots" / "issue24"
PHONE, DESKTOP = 390, 1366
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def demo(db):
    today = timezone.localdate()
    current = Period.containing(today)
    demo_database(today, kpis=(str(current),))  # seed_demo --accounts 60, compute_kpis: seeded once
    return current


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _pages():
    from accounts.models import CustomerAccount, Team, User
    from reviews.models import Review, ReviewCycle

    camila = User.objects.get(email="csm@example.com")
    atlas = Team.objects.get(name="Atlas")
    own = Review.objects.filter(csm=camila).order_by("-pk").first()
    reviewed = Review.objects.filter(reviewer__email="manager@example.com").order_by("-pk").first()
    cycle = ReviewCycle.objects.order_by("-pk").first()
    account = CustomerAccount.objects.visible_to(camila).order_by("pk").first()
    return {
        "csm@example.com": [
            ("csm-home", "/"),
            ("csm-scorecard", "/scorecard/"),
            ("csm-explain", f"/scorecard/{camila.pk}/explain/nrr/"),
            ("csm-okrs", "/okrs/"),
            ("csm-review", f"/reviews/{own.pk}/"),
            ("csm-account", f"/accounts/{account.pk}/"),
            ("csm-notifications", "/notifications/"),
        ],
        "manager@example.com": [
            ("manager-home", "/"),
            ("team-dashboard", f"/team/{atlas.pk}/"),
            ("manager-scorecard", f"/scorecard/{camila.pk}/"),
            ("manager-reviews", "/reviews/"),
            ("manager-review", f"/reviews/{reviewed.pk}/"),
            ("team-okrs", f"/okrs/team/{atlas.pk}/"),
        ],
        "hr@example.com": [
            ("hr-home", "/"),
            ("hr-cycles", "/cycles/"),
            ("hr-cycle", f"/cycles/{cycle.pk}/"),
            ("hr-teams", "/team/"),
            ("hr-review", f"/reviews/{own.pk}/"),
        ],
        "admin@example.com": [
            ("admin-home", "/"),
            ("admin-imports", "/imports/"),
            ("admin-sources", "/imports/sources/"),
            ("admin-preferences", "/notifications/preferences/"),
        ],
    }


def test_every_roles_pages_fit_a_phone_and_the_dashboard_shows_it_scrolls(live_server, demo):
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    pages = _pages()
    problems, cue = [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for email, urls in pages.items():
            context = browser.new_context(viewport={"width": PHONE, "height": 844})
            page = context.new_page()
            _login(page, base, email)
            for name, url in urls:
                for width in (PHONE, DESKTOP):
                    page.set_viewport_size({"width": width, "height": 844 if width == PHONE else 900})
                    response = page.goto(base + url)
                    assert response.status == 200, (name, url, response.status)
                    page.wait_for_load_state("load")
                    wide = page.evaluate("() => document.documentElement.scrollWidth")
                    if wide > width:
                        problems.append(f"{name} at {width}px: the page is {wide}px wide")
                    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
                    if name == "team-dashboard" and width == PHONE:
                        cue["start"] = page.evaluate(
                            """() => {
                              const wrap = document.querySelector('.tablebox-wrap');
                              const box = wrap.querySelector('.tablebox');
                              const note = document.querySelector('.scroll-note');
                              return {wrap: wrap.className, scrolls: box.scrollWidth > box.clientWidth,
                                      overflow: getComputedStyle(box).overflowX,
                                      shade: getComputedStyle(wrap, '::after').opacity,
                                      note: note.offsetHeight > 0 ? note.textContent : ''};
                            }"""
                        )
                        page.evaluate(
                            "() => { const b = document.querySelector('.tablebox'); b.scrollLeft = b.scrollWidth; }"
                        )
                        page.wait_for_function(
                            "() => !document.querySelector('.tablebox-wrap').classList.contains('more-right')"
                        )
                        cue["end"] = page.evaluate("() => document.querySelector('.tablebox-wrap').className")
            context.close()
        browser.close()
    assert not problems, "\n".join(problems)
    assert cue["start"]["scrolls"] and cue["start"]["overflow"] == "auto"
    assert "more-right" in cue["start"]["wrap"] and "more-left" not in cue["start"]["wrap"]
    assert cue["start"]["shade"] == "1"  # the shadow on the right edge shows
    assert "scroll it sideways for more columns" in cue["start"]["note"]
    assert "more-left" in cue["end"] and "more-right" not in cue["end"]
    assert len(list(SHOTS.glob("*.png"))) >= 2 * sum(len(u) for u in pages.values())


def test_the_bridge_and_the_per_manager_headings_read_on_a_phone(live_server, demo):
    """On a phone the NRR bridge is a table of its steps (the chart's labels would be a few pixels
    high), on a desktop the chart; HR's per-manager table in Chinese keeps each heading on one line
    ("绩效评估", not one character per line), and her preferences' kinds keep room to read."""
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from reviews.models import ReviewCycle

    base, cycle = live_server.url, ReviewCycle.objects.order_by("-pk").first()
    bridge, lines = {}, {}
    shown = """() => { const t = document.querySelector('[data-bridge-table]');
        const c = document.querySelector('.bridge-chart');
        return {table: t.offsetHeight > 0, chart: c.offsetHeight > 0,
                rows: [...t.querySelectorAll('tr')].map(r => r.innerText.replace(/\\s+/g, ' ').trim())}; }"""
    heading_lines = """() => [...document.querySelectorAll('#per-manager th')].filter(th => th.textContent.trim())
        .map(th => { const r = document.createRange(); r.selectNodeContents(th);
                     return [th.textContent.trim(), r.getClientRects().length]; })"""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": PHONE, "height": 844})
        page = context.new_page()
        _login(page, base, "csm@example.com")
        for width in (PHONE, DESKTOP):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{base}/scorecard/")
            bridge[width] = page.evaluate(shown)
        context.close()
        context = browser.new_context(
            viewport={"width": PHONE, "height": 844}, extra_http_headers={"Accept-Language": "zh-hans"}
        )
        page = context.new_page()
        _login(page, base, "hr@example.com")
        for width in (PHONE, DESKTOP):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{base}/cycles/{cycle.pk}/")
            lines[width] = page.evaluate(heading_lines)
        # Her preferences: each kind's name keeps room to read ("评估周期开启" on one line, not two
        # characters a line beside headings kept whole).
        page.set_viewport_size({"width": PHONE, "height": 900})
        page.goto(f"{base}/notifications/preferences/")
        kind_lines = page.evaluate(
            """() => [...document.querySelectorAll('table.prefs tbody td:first-child')].map(td => {
                 const r = document.createRange(); r.selectNodeContents(td);
                 return [td.textContent.trim(), r.getClientRects().length]; })"""
        )
        context.close()
        browser.close()
    assert kind_lines[0] == ["评估周期开启", 1], kind_lines
    assert max(n for _k, n in kind_lines) <= 3, kind_lines
    assert (bridge[PHONE]["table"], bridge[PHONE]["chart"]) == (True, False)
    assert (bridge[DESKTOP]["table"], bridge[DESKTOP]["chart"]) == (False, True)
    rows = bridge[PHONE]["rows"]
    assert rows[0].startswith("Starting MRR $") and rows[-1].startswith("Ending MRR $"), rows
    assert [h for h, _n in lines[PHONE]] == ["经理", "绩效评估", "已提交", "已定稿", "已逾期"]
    assert all(n == 1 for _h, n in lines[PHONE] + lines[DESKTOP]), lines
