"""The calibration page of a cycle in calibration, in a real browser at 1,366 and 390 px: the funnel
plot draws as an image (the strict Content-Security-Policy refuses inline styles, so the chart is an
<img> of its own SVG) with its words as the alternative text and its table; the 9-box switches to
the lift; nothing overflows the window sideways. Screenshots in var/screenshots/calibration-funnel/."""

import datetime
import os

import pytest

from reviews.cycles import services as cycle_services
from reviews.models import Review
from tests import factories
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.reviews.test_expected_in_reviews import Q2, book, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUT = SHOTS / "calibration-funnel"
WIDTHS = (1366, 390)


@pytest.fixture
def in_calibration(db):
    manager = factories.ManagerFactory(email="lead@example.com", name="Morgan Reyes")
    team = factories.TeamFactory(name="Team Atlas", manager=manager)
    names = ["Ana Lima", "Bruno Costa", "Chen Wei", "Dara Okafor", "Elif Kaya", "Farid Haddad"]
    # (accounts kept, accounts at the start, expected still paying, lift, low, high)
    books = [
        ("36", "40", "37", "-1.50", "-5.00", "2.00"),
        ("27", "30", "27.4", "0.80", "-3.00", "4.50"),
        ("12", "12", "12", None, None, None),  # expected to lose none: not on the plot, said why
        ("96", "120", "108.6", "-7.20", "-10.10", "-4.30"),
        ("25", "25", "22.8", "4.10", "1.00", "7.20"),
        ("55", "60", "54.2", "1.00", "-2.00", "4.00"),
    ]
    csms = []
    for name, (kept, n, exp, lift, low, high) in zip(names, books, strict=True):
        csm = factories.CsmFactory(email=f"{name.split()[0].lower()}@example.com", name=name, team=team)
        account = factories.CustomerAccountFactory(
            external_id=f"X-{name[:2]}", signed_on=datetime.date(2024, 1, 1)
        )
        factories.AssignmentFactory(account=account, csm=csm, start_date=datetime.date(2024, 1, 1))
        csms.append((csm, book(kept, n, exp, lift=lift, low=low, high=high, nrr_lift=lift)))
    publish(Q2, dict(csms), fitted_on=["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"])
    hr = factories.HrFactory(email="hr@example.com", name="Harriet Ross")
    cycle = cycle_services.cycle_create(
        user=hr,
        period=Q2,
        self_review_due=datetime.date(2026, 7, 10),
        manager_review_due=datetime.date(2026, 7, 20),
    )
    cycle_services.cycle_open(user=hr, cycle=cycle, confirm=True)
    for i, r in enumerate(Review.objects.filter(cycle=cycle).order_by("csm__name")):
        r.status, r.final_rating = "submitted", (3, 4, 3, 2, 5, 3)[i]
        r.save()
    cycle_services.cycle_start_calibration(user=hr, cycle=cycle)
    return cycle


def test_the_calibration_page_shows_the_funnel_at_both_widths(live_server, in_calibration):
    from playwright.sync_api import expect, sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    OUT.mkdir(parents=True, exist_ok=True)
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "hr@example.com")
        page.fill("#id_password", "demo1234")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/cycles/{in_calibration.pk}/calibration/")
        chart = page.locator("#funnel img.chart-img")
        expect(chart).to_be_visible()
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")  # the SVG drew
        assert "Funnel plot of accounts lost against expected: 5 books" in chart.get_attribute("alt")
        expect(page.locator("#funnel table tbody tr")).to_have_count(5)
        expect(page.locator("#funnel")).to_contain_text("Chen Wei")  # expected to lose none: said why
        page.select_option("#axis", "nrr_lift")
        page.click("#ninebox button")
        expect(page.locator("#ninebox h2")).to_contain_text("Lift in NRR")
        # Dara Okafor: rated 2 (below the middle), lift -7.20, interval -10.10 to -4.30 (below expected);
        # Elif Kaya: rated 5, interval 1.00 to 7.20 (above expected); Chen Wei: no lift, not placed.
        cells = page.locator("#ninebox .cell")
        expect(cells.nth(6)).to_contain_text("Dara Okafor")
        expect(cells.nth(2)).to_contain_text("Elif Kaya")
        expect(page.locator("#ninebox .unplaced")).to_contain_text("Chen Wei")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the page is {overflow}px wider than the window at {width}px"
            box = chart.bounding_box()
            assert box and box["width"] <= width
            page.screenshot(path=str(OUT / f"calibration-{width}.png"), full_page=True)
            page.locator("#funnel").scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / f"funnel-{width}.png"))
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
