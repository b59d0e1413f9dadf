"""Every role's main pages, the Django admin and the API docs in Debian's Chromium with the
Content-Security-Policy enforced: no violation (``securitypolicyviolation`` events, console errors),
every chart drawn, the score bars sized, Swagger UI and the admin working. Screenshots at 1,366 and
390 px land in var/screenshots/csp/ for a person to look at."""

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_pages_a11y import ARGS, CHROMIUM, _login, demo  # noqa: F401 -- demo is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots" / "csp"
WIDTHS = (1366, 390)
# Registered before any page script runs (Playwright's init script is not subject to the policy).
LISTEN = """window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(
  e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + (e.sourceFile || '') + ':' + e.lineNumber));"""
BROKEN_IMAGES = """() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
  .map(i => (i.alt || i.src).slice(0, 80))"""
UNSIZED_BARS = """() => [...document.querySelectorAll('[data-width]')]
  .filter(e => e.style.width !== Math.max(0, Math.min(100, parseFloat(e.dataset.width))) + '%').length"""


def pages_of_every_role():
    from accounts.models import CustomerAccount, Team, User
    from datain.models import ImportRun
    from reviews.models import Review, ReviewCycle

    camila = User.objects.get(email="csm@example.com")
    atlas = Team.objects.get(name="Atlas")
    review = Review.objects.filter(csm=camila).order_by("-pk").first()
    closed = ReviewCycle.objects.filter(status="closed").order_by("-pk").first()
    current = ReviewCycle.objects.exclude(pk=closed.pk).order_by("-pk").first()
    account = CustomerAccount.objects.visible_to(camila).order_by("pk").first()
    csm = ["/", "/scorecard/", f"/scorecard/{camila.pk}/explain/nrr/", "/okrs/", "/reviews/"]
    csm += [f"/reviews/{review.pk}/", f"/reviews/{review.pk}/history/", "/notifications/"]
    csm += ["/notifications/preferences/", f"/accounts/{account.pk}/"]
    imports = [f"/imports/{run.pk}/" for run in ImportRun.objects.order_by("-pk")[:1]]
    return {
        "csm@example.com": csm,
        "manager@example.com": [
            "/",
            "/team/",
            f"/team/{atlas.pk}/",
            f"/scorecard/{camila.pk}/",
            f"/okrs/team/{atlas.pk}/",
            "/reviews/",
            f"/reviews/{review.pk}/",
        ],
        "hr@example.com": [
            "/",
            "/cycles/",
            f"/cycles/{current.pk}/",
            f"/cycles/{closed.pk}/",
            f"/cycles/{closed.pk}/calibration/",
            "/reviews/",
            f"/okrs/team/{atlas.pk}/",
        ],
        "admin@example.com": [
            "/",
            "/imports/",
            "/imports/sources/",
            *imports,
            "/admin/",
            "/admin/kpis/kpirun/",
            "/admin/accounts/user/",
            f"/admin/accounts/user/{camila.pk}/change/",
            "/admin/accounts/user/add/",
            "/api/docs/",
        ],
    }


def test_every_role_s_pages_work_under_the_content_security_policy(live_server, demo):  # noqa: F811
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    pages = pages_of_every_role()
    problems, walked, charts = [], 0, 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for email, urls in pages.items():
            context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
            context.add_init_script(LISTEN)
            page = context.new_page()
            console = []
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)  # noqa: B023
            _login(page, base, email)
            for url in urls:
                for width in WIDTHS:
                    console.clear()
                    page.set_viewport_size({"width": width, "height": 900})
                    response = page.goto(base + url)
                    where = f"{email} {url} at {width}px"
                    if response.status != 200:
                        problems.append(f"{where}: answered {response.status}")
                        continue
                    assert "Content-Security-Policy" in response.headers or (
                        "content-security-policy" in response.headers
                    ), where
                    if url == "/api/docs/":  # Swagger UI draws the operations from the schema
                        page.wait_for_selector(".opblock", timeout=15000)
                        page.locator(".opblock-summary").first.click()
                        page.wait_for_selector(".opblock-body", timeout=5000)
                    page.wait_for_load_state("networkidle")
                    problems += [f"{where}: {v}" for v in page.evaluate("() => window.__violations")]
                    problems += [f"{where}: console error {text}" for text in console]
                    problems += [f"{where}: chart not drawn {alt}" for alt in page.evaluate(BROKEN_IMAGES)]
                    if unsized := page.evaluate(UNSIZED_BARS):
                        problems.append(f"{where}: {unsized} score bars without their width")
                    charts += page.locator("img.chart-img").count()
                    name = re.sub(r"[^a-z0-9]+", "-", f"{email.split('@')[0]}{url}").strip("-")
                    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
                    walked += 1
            context.close()
        browser.close()
    (SHOTS / "problems.txt").write_text("\n".join(problems))
    assert not problems, "\n".join(problems)
    assert walked == 2 * sum(len(u) for u in pages.values())
    assert charts > 20  # sparklines, the bridge, the health mix, the home page's charts
