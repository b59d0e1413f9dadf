"""An outside walk, in a real browser (Debian's Chromium, Playwright) on the demo
organisation:

- a CSM submits their self-review and then reads the self-ratings they gave;
- HR starts the current cycle's calibration early (with a reason) and adjusts a rating in the session;
  the 9-box places submitted reviews only: one still in manager review, with a draft rating, is listed
  as "not placed: not submitted yet";
- the adjusted review's page shows the rating that counts, the manager's beside it, and who changed
  it, when and why: as HR, as the manager and as the CSM;
- the manager's view of the session, and the CSM's scorecard with each sample in its own unit.

Each page is looked at 1,366 and 390 px wide; screenshots land in var/screenshots/calibration-journey/."""

import os
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kpis.periods import period_label
from reviews.models import Review, ReviewCycle, ReviewStatus
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.demo_snapshot import demo_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUT = SHOTS / "calibration-journey"
WIDTHS = (1366, 390)
REASON = "Carried the Northwind escalation for the whole team"


@pytest.fixture
def demo(db):
    demo_database(timezone.localdate())  # seed_demo --accounts 60, seeded once per session
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    OUT.mkdir(parents=True, exist_ok=True)


def login(browser, base, email):
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return context, page


def shoot(page, name, locator=None):
    """The page at each width, full length (and the part that matters scrolled into view)."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        if locator is not None:
            page.locator(locator).scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / f"{name}-{width}.png"))
        else:
            page.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def test_calibrate_then_every_reader_sees_the_rating_that_counts(live_server, demo):
    from playwright.sync_api import expect, sync_playwright

    base = live_server.url
    cycle = ReviewCycle.objects.get(status="open")
    in_self_review = (
        cycle.reviews.filter(status=ReviewStatus.SELF_REVIEW).select_related("csm").order_by("pk").first()
    )
    draft = (  # a manager's draft rating that the 9-box must not place
        cycle.reviews.filter(status=ReviewStatus.MANAGER_REVIEW, final_rating__isnull=False)
        .select_related("csm")
        .order_by("pk")
        .first()
    )
    target = (
        cycle.reviews.filter(status=ReviewStatus.SUBMITTED, final_rating__isnull=False)
        .select_related("csm", "reviewer")
        .order_by("pk")
        .first()
    )
    assert in_self_review and draft and target
    labels = {int(s["value"]): s["label"] for s in cycle.template.rating_scale}
    before = target.final_rating
    new = 5 if before < 5 else 4
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        # 1. A CSM submits their self-review; their own self-ratings stay on the page afterwards.
        csm_context, csm = login(browser, base, in_self_review.csm.email)
        csm.goto(f"{base}/reviews/{in_self_review.pk}/")
        csm.select_option("select[name=selfrating_outcomes]", "4")
        csm.select_option("select[name=selfrating_okrs]", "2")
        csm.click("#reviewbar button[data-step=submit_self]")
        expect(csm.locator("#confirm-step")).to_be_visible()
        csm.click("#confirm-go")
        expect(csm.locator("#step-messages")).to_contain_text("Self-review submitted")
        expect(csm.locator("#section-outcomes .self-rating")).to_have_text(
            f"Your self-rating: 4 · {labels[4]}"
        )
        expect(csm.locator("#section-okrs .self-rating")).to_have_text(f"Your self-rating: 2 · {labels[2]}")
        shoot(csm, "1-csm-self-ratings-after-submit", "#section-outcomes")
        csm_context.close()

        # 2. HR starts calibration early and adjusts a submitted review's rating, with the reason.
        hr_context, hr = login(browser, base, "hr@example.com")
        hr.goto(f"{base}/cycles/{cycle.pk}/")
        hr.fill("#override", "Compensation committee meets before the last reviews are due")
        hr.click("text=Start calibration anyway")
        expect(hr.locator("h1")).to_contain_text(f"Calibration · {period_label(cycle.period)}")
        row = hr.locator(f"#csm-{target.csm_id}")
        row.locator("select[name=rating]").select_option(str(new))
        row.locator("input[name=reason]").fill(REASON)
        row.locator("button:has-text('Adjust')").click()
        expect(hr.locator(".messages")).to_contain_text("rating is adjusted")

        # 3. The 9-box: the submitted review is placed; the draft is listed as not submitted yet.
        box = hr.locator("#ninebox")
        expect(box.locator(".ninebox")).to_contain_text(target.csm.name)
        expect(box.locator(".ninebox")).not_to_contain_text(draft.csm.name)
        not_submitted = box.locator("p.unplaced", has_text="Not placed: not submitted yet")
        expect(not_submitted).to_contain_text(draft.csm.name)
        expect(hr.locator(f"#csm-{draft.csm_id}")).to_contain_text("draft: not submitted yet")
        shoot(hr, "2-hr-calibration-nine-box", "#ninebox")

        # 4. The review page as HR: the rating that counts, the manager's beside it, who, when, why.
        adjusted = Review.objects.select_related("calibrated_by").get(pk=target.pk)
        assert (adjusted.calibrated_rating, adjusted.final_rating) == (new, before)

        def sees_the_calibration(page, name, reader):
            # The day in the reader's own time zone (the pages speak in it), else the organisation's.
            zone = ZoneInfo(reader.time_zone) if reader.time_zone else timezone.get_default_timezone()
            when = timezone.localtime(adjusted.calibrated_at, zone).strftime("%-d %b %Y")
            page.goto(f"{base}/reviews/{target.pk}/")
            overall = page.locator("#overall")
            expect(overall.locator(".rating-counts")).to_contain_text(f"{new} · {labels[new]}")
            expect(overall.locator(".rating-counts")).to_contain_text("after calibration")
            expect(overall.locator(".rating-manager")).to_contain_text(
                f"The manager's rating: {before} · {labels[before]}"
            )
            note = overall.locator("#calibration-note")
            expect(note).to_contain_text(
                f"Adjusted from {before} to {new} in the calibration session by Hana Roth on {when}"
            )
            expect(note).to_contain_text(f"Why: {REASON}")
            shoot(page, name, "#overall")

        sees_the_calibration(hr, "3-hr-review-after-calibration", adjusted.calibrated_by)
        hr_context.close()

        # 5. ... as the manager who wrote it, and as the CSM (who was told of the change).
        for who, name in (
            (target.reviewer, "4-manager-review-after-calibration"),
            (target.csm, "5-csm-review-after-calibration"),
        ):
            context, page = login(browser, base, who.email)
            sees_the_calibration(page, name, who)
            if who == target.reviewer:  # the manager's session: the same 9-box, their reviews only
                page.goto(f"{base}/cycles/{cycle.pk}/calibration/")
                expect(page.locator("#ninebox .ninebox")).to_contain_text(target.csm.name)
                shoot(page, "6-manager-calibration", "#ninebox")
            else:  # the CSM's scorecard: each sample in its own unit
                page.goto(f"{base}/scorecard/")
                expect(page.locator("#metric-touchpoints td.nowrap")).to_contain_text("touchpoints")
                expect(page.locator("#metric-nrr td.nowrap")).to_contain_text("accounts")
                shoot(page, "7-csm-scorecard-samples", "#metric-touchpoints")
            context.close()
        browser.close()
    assert len(list(OUT.glob("*.png"))) >= 7 * len(WIDTHS)
