"""In a real browser (Debian's Chromium, Playwright) on the demo organisation: a manager asks two
colleagues for input on a review, both answer from their request page, the manager writes the review
with their input beside the numbers and submits it, the CSM reads it with the input, and the PDF
shows it. The new pages are walked at 1366 and 390 px wide as manager, contributor and CSM.

Screenshots land in var/screenshots/ (input-*.png) for a person to look at; the PDF's first pages
with the input as input-pdf-*.png (pdftoppm)."""

import io
import os
import shutil
import subprocess

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role, User
from reviews.models import InputRequest, Review, ReviewStatus
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.demo_snapshot import demo_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
COLLEAGUES = [("ada.exec@example.com", "Ada Exec"), ("sam.eng@example.com", "Sam Engineer")]
ANSWERS = [
    "Ran the renewal QBR with me and kept the champion close.",
    "Escalated the outage early and clearly.",
]


@pytest.fixture
def demo(db):
    demo_database(timezone.localdate())
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    SHOTS.mkdir(parents=True, exist_ok=True)
    for email, name in COLLEAGUES:
        user = User.objects.create_user(email, "demo1234", name=name, role=Role.CONTRIBUTOR)
        assert user.pk


def login(browser, base, email, width=1366):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_manager_asks_two_colleagues_both_answer_the_csm_reads_it_and_the_pdf_shows_it(live_server, demo):
    from playwright.sync_api import expect, sync_playwright

    review = (
        # A review nobody was asked about yet (the demo asks colleagues on some of them).
        Review.objects.filter(status=ReviewStatus.MANAGER_REVIEW, cycle__status="open", input_requests=None)
        .select_related("csm", "reviewer", "cycle")
        .order_by("pk")
        .first()
    )
    base = live_server.url
    url = f"{base}/reviews/{review.pk}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # The manager asks both, by email, from the review page.
        _, manager = login(browser, base, review.reviewer.email)
        manager.goto(url)
        expect(manager.locator("#input")).to_contain_text("Input from colleagues")
        for email, name in COLLEAGUES:
            manager.fill("#input-add input[name=email]", email)
            manager.click("#input-add button")
            expect(manager.locator("#step-messages")).to_contain_text(f"{name} is asked for input")
        manager.locator("#input").scroll_into_view_if_needed()
        manager.screenshot(path=str(SHOTS / "input-1-manager-asked-1366.png"))
        # Each colleague answers from their request page (their home leads there).
        for (email, _name), answer in zip(COLLEAGUES, ANSWERS, strict=True):
            for width in (390, 1366):  # looked at on a phone first, answered on a laptop
                ctx, page = login(browser, base, email, width=width)
                expect(page.locator("h1")).to_contain_text("Input you were asked for")
                page.screenshot(path=str(SHOTS / f"input-2-contributor-list-{width}.png"), full_page=True)
                page.click("#waiting a")
                expect(page.locator("h1")).to_contain_text(review.csm.get_full_name())
                if width == 390:
                    page.screenshot(path=str(SHOTS / "input-3-contributor-form-390.png"), full_page=True)
                    ctx.close()
                    continue
                page.fill("textarea[name=answer_strengths]", answer)
                page.select_option("select[name=rating]", "4")
                page.screenshot(path=str(SHOTS / "input-3-contributor-form-1366.png"), full_page=True)
                page.click("#input-form button[type=submit]")
                expect(page.locator(".page-messages")).to_contain_text("Thank you: your input is saved.")
                expect(page.locator("#input-status")).to_have_text("Answered")
                ctx.close()
        # The manager writes with the input beside the numbers, then submits.
        manager.goto(url)
        for name in (n for _e, n in COLLEAGUES):
            expect(manager.locator("#input")).to_contain_text(name)
        for answer in ANSWERS:
            expect(manager.locator("#input")).to_contain_text(answer)
        manager.fill("textarea[name=section_collaboration]", "Sales and support both praise the QBRs.")
        review.refresh_from_db()
        rounded = review.suggested_detail.get("rounded") or 3
        manager.select_option("select[name=final_rating]", str(rounded))
        manager.locator("#input").scroll_into_view_if_needed()
        manager.screenshot(path=str(SHOTS / "input-4-manager-writing-1366.png"))
        manager.click("#reviewbar button[data-step=submit]")
        expect(manager.locator("#confirm-step")).to_be_visible()
        manager.click("#confirm-go")
        expect(manager.locator("#reviewbar")).to_contain_text("Submitted", timeout=10000)
        # The CSM reads it, with the colleagues' names (the demo cycle's input is named).
        for width in (1366, 390):
            ctx, csm = login(browser, base, review.csm.email, width=width)
            csm.goto(url)
            expect(csm.locator("#input")).to_contain_text(ANSWERS[0])
            expect(csm.locator("#input")).to_contain_text("Frozen when the review was submitted.")
            expect(csm.locator("#input")).not_to_contain_text("Who was asked")
            csm.locator("#input").scroll_into_view_if_needed()
            csm.screenshot(path=str(SHOTS / f"input-5-csm-reads-{width}.png"))
            if width == 1366:
                pdf = csm.request.get(f"{base}/reviews/{review.pk}/pdf/")
                assert pdf.status == 200
                data = pdf.body()
            ctx.close()
        # The manager's page at a phone's width.
        ctx, small = login(browser, base, review.reviewer.email, width=390)
        small.goto(url)
        small.locator("#input").scroll_into_view_if_needed()
        small.screenshot(path=str(SHOTS / "input-6-manager-390.png"))
        browser.close()
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert sorted(a["author"] for a in review.colleague_input["answers"]) == sorted(n for _e, n in COLLEAGUES)
    assert InputRequest.objects.filter(review=review, status="answered").count() == 2
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())
    assert "Input from colleagues" in text
    for answer in ANSWERS:
        assert answer in text
    (SHOTS / "input-review.pdf").write_bytes(data)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(SHOTS / "input-review.pdf"), str(SHOTS / "input-pdf")],
            check=True,
        )
