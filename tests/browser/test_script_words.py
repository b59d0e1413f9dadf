"""The scripts speak the reader's language (Django's JavaScript catalog): a CSM who chose Spanish checks
in on a key result and the row says "✔ guardado", from a tiny catalog of the test's own. One page load."""

import os

import pytest
from django.test import Client

from notifications.models import PersonSettings
from okrs import services as okr_services
from okrs.models import KrKind
from tests.browser.test_manager_journey import ARGS, CHROMIUM
from tests.i18n.catalog import tiny_catalog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Q = "2026-Q4"


def test_a_check_in_says_saved_in_the_persons_language(live_server, org, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    objective = okr_services.objective_create(user=org.csm_a, period=Q, title="Grow the book", csm=org.csm_a)
    okr_services.key_result_create(
        user=org.csm_a, objective=objective, title="Launch the playbook", kind=KrKind.MILESTONE
    )
    PersonSettings.objects.create(person=org.csm_a, language="es")
    client = Client()
    client.force_login(org.csm_a)
    with tiny_catalog(tmp_path, {}, js={"es": {"saved": "guardado"}}), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/okrs/?period={Q}")
        form = page.locator("form.checkin").first
        form.locator("select[name=done]").select_option("yes")
        form.locator("input[name=confidence]").fill("8")
        form.locator("button[type=submit]").click()
        expect(page.locator("[data-errors][role=status]")).to_have_text("✔ guardado")
        browser.close()
