"""In a real browser (Debian's Chromium, Playwright) on the demo organisation:

- a CSM types in every section and submits at once: the submitted review holds the text;
- a manager edits one review in two tabs: the second save shows the comparison in place and, with a
  merge, loses nothing;
- a flag is raised, answered, resolved, and the review acknowledged.

Screenshots land in var/screenshots/ (review-*.png) for a person to look at."""

import os

import pytest
from django.utils import timezone

from reviews.models import Dispute, Review, ReviewStatus
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.demo_snapshot import demo_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECTIONS = ["outcomes", "customer_experience", "okrs", "product_expertise", "collaboration"]


@pytest.fixture
def demo(db):
    demo_database(timezone.localdate())  # seed_demo --accounts 60, seeded once per session
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    SHOTS.mkdir(parents=True, exist_ok=True)


def current(status):
    return (
        Review.objects.filter(status=status, cycle__status="open")
        .select_related("csm", "reviewer")
        .order_by("pk")
        .first()
    )


def login(browser, base, email):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_csm_types_every_section_and_submits_at_once(live_server, demo):
    from playwright.sync_api import expect, sync_playwright

    review = current(ReviewStatus.SELF_REVIEW)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        _, page = login(browser, live_server.url, review.csm.email)
        page.goto(f"{live_server.url}/reviews/{review.pk}/")
        expect(page.locator("#reviewbar")).to_contain_text("writes and submits the self-review")
        for key in SECTIONS:  # typed, and submitted at once: no autosave in between
            page.fill(f"textarea[name=section_{key}]", f"Typed just now in {key}.")
        page.select_option("select[name=selfrating_okrs]", "")
        page.screenshot(path=str(SHOTS / "review-1-csm-typing.png"), full_page=False)
        page.click("#reviewbar button[data-step=submit_self]")
        dialog = page.locator("#confirm-step")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#still-empty")).to_contain_text("OKRs of the quarter · your rating")
        page.screenshot(path=str(SHOTS / "review-2-csm-confirm-submit.png"))
        page.click("#confirm-go")
        expect(page.locator("#step-messages")).to_contain_text(
            f"Self-review submitted; {review.reviewer.get_full_name()} will be notified."
        )
        page.screenshot(path=str(SHOTS / "review-3-csm-submitted.png"), full_page=True)
        browser.close()
    review.refresh_from_db()
    assert review.status == ReviewStatus.MANAGER_REVIEW
    assert review.self_assessment == {k: f"Typed just now in {k}." for k in SECTIONS}
    assert review.self_ratings["okrs"] is None  # set back to "—" on the page: cleared


def test_manager_in_two_tabs_sees_the_comparison_in_place_and_loses_nothing(live_server, demo):
    from playwright.sync_api import expect, sync_playwright

    review = current(ReviewStatus.MANAGER_REVIEW)
    url = f"{live_server.url}/reviews/{review.pk}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context, one = login(browser, live_server.url, review.reviewer.email)
        one.goto(url)
        two = context.new_page()
        two.goto(url)
        one.fill("textarea[name=section_outcomes]", "Tab one: retention held.")
        one.click("#save-button")
        expect(one.locator("#autosave-state")).to_have_attribute("data-state", "saved")
        two.fill("textarea[name=section_outcomes]", "Tab two: two expansions.")
        two.click("#save-button")
        box = two.locator(".conflict[data-field=section_outcomes]")
        expect(box).to_be_visible()
        expect(box).to_contain_text("Outcomes: retention and growth of the book")
        expect(box.locator(".mine")).to_contain_text("Tab two: two expansions.")
        expect(box.locator(".theirs")).to_contain_text("Tab one: retention held.")
        expect(two.locator("#autosave-state")).to_have_attribute("data-state", "conflict")
        two.locator("#section-outcomes").scroll_into_view_if_needed()
        two.screenshot(path=str(SHOTS / "review-4-manager-conflict-in-place.png"))
        box.locator("[data-resolve=merge]").click()
        expect(two.locator("#autosave-state")).to_have_attribute("data-state", "saved", timeout=10000)
        two.screenshot(path=str(SHOTS / "review-5-manager-conflict-merged.png"))
        browser.close()
    review.refresh_from_db()
    text = review.manager_assessment["outcomes"]
    assert "Tab one: retention held." in text and "Tab two: two expansions." in text


def test_flag_answer_resolve_acknowledge(live_server, demo):
    from playwright.sync_api import expect, sync_playwright

    review = Review.objects.select_related("csm", "reviewer").get(
        csm__email="csm@example.com", cycle__status="open"
    )
    assert review.status == ReviewStatus.SUBMITTED
    url = f"{live_server.url}/reviews/{review.pk}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        _, csm = login(browser, live_server.url, "csm@example.com")
        csm.goto(url)
        csm.screenshot(path=str(SHOTS / "review-6-csm-submitted-review.png"), full_page=True)
        csm.select_option("#flag-metric", "nrr")
        csm.fill("#flag-form input[name=comment]", "X-12's downgrade was a billing error.")
        csm.click("#flag-button")
        expect(csm.locator("#step-messages")).to_contain_text("MRR retention (NRR) is flagged")
        flag = Dispute.objects.filter(review=review, metric="nrr").latest("pk")

        _, manager = login(browser, live_server.url, review.reviewer.email)
        manager.goto(f"{live_server.url}/reviews/")
        expect(manager.locator("body")).to_contain_text("open flag")
        manager.screenshot(path=str(SHOTS / "review-7-manager-list-open-flags.png"), full_page=True)
        manager.goto(url)
        manager.fill(f"#flag-{flag.pk} input[name=answer]", "Checked with billing: corrected next quarter.")
        manager.click(f"#flag-{flag.pk} button")
        expect(manager.locator(f"#flag-{flag.pk}")).to_contain_text("Answered")
        manager.screenshot(path=str(SHOTS / "review-8-manager-answered.png"), full_page=True)

        csm.goto(url)
        for other in Dispute.objects.filter(review=review, state="answered"):
            csm.click(f"#flag-{other.pk} button:has-text('Resolve')")
        expect(csm.locator(f"#flag-{flag.pk}")).to_contain_text("Resolved")
        csm.fill("#acknowledge-form textarea[name=comment]", "Thanks: fair summary.")
        csm.click("#acknowledge-form button[data-step=acknowledge]")
        expect(csm.locator("#confirm-step")).to_be_visible()
        csm.screenshot(path=str(SHOTS / "review-9-csm-confirm-acknowledge.png"))
        csm.click("#confirm-go")
        expect(csm.locator("#step-messages")).to_contain_text("Review acknowledged")
        csm.screenshot(path=str(SHOTS / "review-10-csm-acknowledged.png"), full_page=True)
        csm.goto(f"{url}history/")
        expect(csm.locator("ol.timeline")).to_contain_text("Flag on MRR retention (NRR) resolved")
        csm.screenshot(path=str(SHOTS / "review-11-csm-history.png"), full_page=True)
        browser.close()
    review.refresh_from_db()
    assert review.status == ReviewStatus.ACKNOWLEDGED and review.open_flags_at_acknowledgement == 0
    assert Dispute.objects.get(pk=flag.pk).state == "resolved"
