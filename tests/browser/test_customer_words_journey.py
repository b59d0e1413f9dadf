"""In a real browser on the demo organisation: a colleague leaves a note on a CSM, the manager writes
the CSM's review with two customer quotes as evidence and submits it, the CSM reads it, and the PDF
shows the quotes (drawn with pdftoppm for a person to look at).

Screenshots land in var/screenshots/ (words-*.png)."""

import datetime
import io
import os
import shutil
import subprocess

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.selectors import book_of
from activity.models import SurveyResponse
from kpis.periods import Period
from reviews.models import Review, ReviewStatus
from tests.browser.test_manager_journey import ARGS, CHROMIUM, SHOTS
from tests.demo_snapshot import demo_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
QUOTES = ["Our renewal went through without a hitch thanks to Jordan's prep.", "Support answers got faster."]


@pytest.fixture
def demo(db):
    demo_database(timezone.localdate())
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SHOTS.mkdir(parents=True, exist_ok=True)


def login(browser, base, email, width=1366):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_the_manager_quotes_two_customers_and_the_pdf_shows_them(live_server, demo):
    from playwright.sync_api import expect, sync_playwright

    review = (
        Review.objects.filter(status=ReviewStatus.MANAGER_REVIEW, cycle__status="open")
        .select_related("csm", "reviewer", "cycle")
        .order_by("pk")
        .first()
    )
    quarter = Period.parse(review.cycle.period)
    account = book_of(csm=review.csm, day=timezone.localdate()).order_by("name").first()
    day = max(quarter.start, timezone.localdate() - datetime.timedelta(days=3))
    for i, (kind, score, text) in enumerate([("nps", 10, QUOTES[0]), ("csat", 4, QUOTES[1])]):
        SurveyResponse.objects.create(
            external_id=f"journey-{i}",
            account=account,
            responded_at=timezone.make_aware(datetime.datetime(day.year, day.month, day.day, 9 + i)),
            kind=kind,
            score=score,
            comment=text,
        )
    peer = review.csm.team.members.exclude(pk=review.csm_id).filter(role="csm").order_by("pk").first()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # A teammate leaves a note, shown to the CSM.
        context, page = login(browser, live_server.url, peer.email)
        page.goto(f"{live_server.url}/feedback/?csm={review.csm_id}")
        page.check("input[name=kind][value=praise]")
        page.fill("textarea[name=body]", "Took my escalation at midnight and closed it by morning.")
        page.check("input[name=shared_with_csm]")
        page.click("#write-note button[type=submit]")
        expect(page.locator("#notes")).to_contain_text("Took my escalation at midnight")
        page.screenshot(path=str(SHOTS / "words-1-peer-note-1366.png"), full_page=True)
        context.close()
        # The manager writes the review with two customer quotes and submits it.
        context, page = login(browser, live_server.url, review.reviewer.email)
        page.goto(f"{live_server.url}/reviews/{review.pk}/")
        words = page.locator("#customer-words")
        expect(words).to_contain_text(QUOTES[0])
        for text in QUOTES:
            item = words.locator("li", has_text=text)
            item.locator("select").select_option("customer_experience")
        page.fill("textarea[name=section_customer_experience]", "Customers say it in their own words.")
        for key in ["outcomes", "customer_experience", "okrs", "product_expertise", "collaboration"]:
            page.select_option(f"select[name=rating_{key}]", "3")
        page.select_option("select[name=final_rating]", "3")
        page.fill("textarea[name=final_rating_reason]", "Solid quarter, as the customers say.")
        page.click("#save-button")  # saved in place (the page's autosave); read again to see the quotes
        expect(page.locator("#autosave-state")).to_have_attribute("data-state", "saved")
        page.reload()
        expect(page.locator("#section-customer_experience")).to_contain_text(QUOTES[1])
        page.screenshot(path=str(SHOTS / "words-2-manager-quotes-1366.png"), full_page=True)
        page.click("#reviewbar button[data-step=submit]")
        page.click("#confirm-go")
        expect(page.locator("#step-messages")).to_contain_text("Review submitted")
        pdf = page.request.get(f"{live_server.url}/reviews/{review.pk}/pdf/").body()
        context.close()
        # The CSM reads it on a phone: the quotes, the shared note.
        context, page = login(browser, live_server.url, review.csm.email, width=390)
        page.goto(f"{live_server.url}/reviews/{review.pk}/")
        expect(page.locator("#section-customer_experience")).to_contain_text(QUOTES[0])
        expect(page.locator("#feedback-notes")).to_contain_text("Took my escalation at midnight")
        page.locator("#section-customer_experience").screenshot(path=str(SHOTS / "words-3-csm-reads-390.png"))
        page.goto(f"{live_server.url}/feedback/")
        page.screenshot(path=str(SHOTS / "words-4-csm-feedback-390.png"), full_page=True)
        context.close()
        browser.close()
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert [q["comment"] for q in review.manager_quotes["customer_experience"]] == QUOTES
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert QUOTES[0] in text and QUOTES[1] in text and "CSAT 4/5" in text
    path = SHOTS / "words-review.pdf"
    path.write_bytes(pdf)
    assert shutil.which("pdftoppm"), "poppler-utils is needed: `make test` installs it with apt-get."
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(SHOTS / "words-pdf")], check=True)
