"""The pages people open every day, in Debian's Chromium (Playwright), as each role, at 1,366 and
1,920 px wide: axe-core finds no serious or critical violation, every control is reached with the
Tab key, nothing overflows the window sideways (the team dashboard scrolls inside its box), and a
full-page screenshot of each lands in var/screenshots/a11y/ for a person to look at."""

import os
from pathlib import Path

import pytest
from django.utils import timezone

from kpis.periods import Period
from tests.demo_snapshot import demo_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots" / "a11y"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.11.0.min.js"
WIDTHS = (1366, 1920)
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

# Every visible control of <main> and the header, in document order (closed <details> hide theirs).
FOCUSABLE_JS = """() => {
  const sel = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea, summary, [tabindex]:not([tabindex="-1"])';
  const out = [];
  document.querySelectorAll(sel).forEach((el, i) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;
    if (getComputedStyle(el).visibility === 'hidden') return;
    // inside a closed <details> (its own summary excepted): hidden until opened
    const start = el.tagName === 'SUMMARY' ? el.parentElement.parentElement : el;
    if (start && start.closest('details:not([open])')) return;
    el.dataset.kbd = String(i);
    out.push(String(i));
  });
  return out;
}"""


@pytest.fixture
def demo(db):
    today = timezone.localdate()
    current = Period.containing(today)
    # seed_demo --accounts 60, then compute_kpis of this quarter and the last: seeded once
    demo_database(today, kpis=(str(current), str(current.previous())))
    return current


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _keyboard_reaches_everything(page) -> list[str]:
    wanted = page.evaluate(FOCUSABLE_JS)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.mouse.click(1, 1)
    reached = set()
    for _ in range(3 * len(wanted) + 30):  # scrollable boxes and charts are tab stops too
        page.keyboard.press("Tab")
        key = page.evaluate("() => document.activeElement && document.activeElement.dataset.kbd || ''")
        if key:
            reached.add(key)
        if reached >= set(wanted):
            break
    missed = [k for k in wanted if k not in reached]
    return [
        page.evaluate(f"() => document.querySelector('[data-kbd=\"{k}\"]').outerHTML.slice(0, 120)")
        for k in missed
    ]


def test_every_day_pages_are_accessible_and_fit(live_server, demo):
    from playwright.sync_api import sync_playwright

    from reviews.models import Review

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    review = Review.objects.filter(csm__email="csm@example.com").order_by("-pk").first()
    from accounts.models import Team, User

    camila = User.objects.get(email="csm@example.com")
    atlas = Team.objects.get(name="Atlas")
    pages = {
        "csm@example.com": [
            ("csm-home", "/"),
            ("csm-scorecard", "/scorecard/"),
            ("csm-okrs", "/okrs/"),
            ("csm-review", f"/reviews/{review.pk}/"),
            # Drill-downs of the quarter in progress and of the last closed one, with their totals.
            ("csm-nrr-now", f"/scorecard/{camila.pk}/explain/nrr/?period={demo}"),
            (
                "csm-adoption-before",
                f"/scorecard/{camila.pk}/explain/adoption_change/?period={demo.previous()}",
            ),
            ("csm-expected-method", f"/expected-results/?period={demo}"),
            ("csm-logo-expected", f"/scorecard/{camila.pk}/explain/logo_retention_expected/?period={demo}"),
        ],
        "manager@example.com": [
            ("manager-home", "/"),
            ("team-dashboard", f"/team/{atlas.pk}/"),
            ("team-dashboard-smb", f"/team/{atlas.pk}/?segment=smb&sort=-nrr"),
            ("manager-scorecard", f"/scorecard/{camila.pk}/"),
            ("team-okrs", f"/okrs/team/{atlas.pk}/"),
        ],
        "hr@example.com": [("hr-team-okrs", f"/okrs/team/{atlas.pk}/")],
    }
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for email, urls in pages.items():
            # axe-core is injected as an inline script, which the pages' CSP refuses (on purpose);
            # tests/browser/test_csp.py walks the pages with the policy enforced.
            context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, bypass_csp=True)
            page = context.new_page()
            _login(page, base, email)
            for name, url in urls:
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    response = page.goto(base + url)
                    assert response.status == 200, (name, url, response.status)
                    overflow = page.evaluate(
                        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    if overflow > 0:
                        problems.append(
                            f"{name} at {width}px: the page is {overflow}px wider than the window"
                        )
                    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
                for v in _axe(page):
                    problems.append(f"{name}: axe {v['impact']} {v['id']} {v['nodes']}")
                for html in _keyboard_reaches_everything(page):
                    problems.append(f"{name}: not reached with Tab: {html}")
            context.close()
        browser.close()
    (SHOTS / "problems.txt").write_text("\n".join(problems))
    assert not problems, "\n".join(problems)
    assert len(list(SHOTS.glob("*.png"))) >= 2 * sum(len(u) for u in pages.values())
