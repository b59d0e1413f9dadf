"""While an import holds its transaction open (all-or-nothing: one long transaction), the rest of
the application keeps writing: a login, an OKR check-in, a review save, a small API ingest and the
record of a refused read all go through, and none of them waits for a lock for more than a second
(``lock_timeout`` on this connection turns such a wait into an error)."""

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import AccessDenial
from activity.models import Ticket
from datain import services as activity_services
from kpis import services as kpi_services
from kpis.periods import Period
from okrs import services as okr_services
from okrs.models import CheckIn
from reviews.cycles import services as cycle_services
from reviews.models import Review
from reviews.writing import services as review_services
from tests import factories
from tests.kpis import world

Q3 = "2026-Q3"


def ticket(ext: str, account: str) -> dict:
    return {
        "external_id": ext,
        "account_external_id": account,
        "opened_at": "2026-07-03T10:00:00Z",
        "priority": "normal",
        "first_response_at": "2026-07-03T11:00:00Z",
        "resolved_at": "2026-07-04T10:00:00Z",
        "customer_contacts": 1,
        "escalated_at": None,
        "channel": "email",
    }


@pytest.mark.django_db(transaction=True)
def test_other_writes_go_through_while_an_import_holds_its_transaction(settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    hr = factories.HrFactory(email="hr@example.com")
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=datetime.date(2026, 11, 1))
    cycle = cycle_services.cycle_create(
        user=hr,
        period=Q3,
        self_review_due=datetime.date(2026, 10, 10),
        manager_review_due=datetime.date(2026, 10, 20),
    )
    cycle_services.cycle_open(user=hr, cycle=cycle)
    review = Review.objects.get(cycle=cycle, csm=w["bob"])
    objective = okr_services.objective_create(user=w["ann"], period=Q3, title="Grow", csm=w["ann"])
    kr = okr_services.key_result_create(
        user=w["ann"],
        objective=objective,
        title="n",
        kind="numeric",
        baseline=0,
        target=10,
        direction="increase",
    )
    call_command("create_api_token", email="crm-sync@example.com", name="CRM sync", stdout=io.StringIO())
    token = Token.objects.get(user__email="crm-sync@example.com")

    holding, release, failed = threading.Event(), threading.Event(), []

    def long_import():
        try:
            with transaction.atomic():
                items = [ticket(f"BULK-{i}", f"X{1 + i % 7}") for i in range(3000)]
                result = activity_services.import_json(kind="tickets", items=items)
                assert result.error_count == 0, result.errors[:3]
                holding.set()
                assert release.wait(60)
        except Exception as exc:  # reported by the main thread
            failed.append(exc)
            holding.set()
        finally:
            connection.close()

    importer = threading.Thread(target=long_import)
    importer.start()
    try:
        assert holding.wait(60) and not failed, failed
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")
        # A login (session, last_login, the login throttle's records).
        client = Client()
        response = client.post(
            reverse("login"), {"username": "ann@example.com", "password": factories.DEFAULT_PASSWORD}
        )
        assert response.status_code == 302, response.content[:500]
        # An OKR check-in.
        okr_services.check_in_create(user=w["ann"], key_result=kr, value="4", confidence=7)
        # A review save by the reviewer.
        review = review_services.review_send_to_csm(
            user=w["team_a"].manager, review=review, version=review.version
        )
        review_services.review_save_self(
            user=w["bob"], review=review, version=review.version, sections={"outcomes": "Kept X3."}
        )
        # A small API ingest into the table the import is writing.
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = api.post("/api/v1/ingest/tickets/", [ticket("API-1", "X7")], format="json")
        assert response.status_code == 200, response.content[:500]
        # The record of a refused read: ann asks for cat's scorecard.
        assert client.get(reverse("scorecard", args=[w["cat"].pk])).status_code == 404
        # Everything above is committed and visible while the import is still open.
        assert CheckIn.objects.filter(key_result=kr).count() == 1
        assert Review.objects.get(pk=review.pk).self_assessment["outcomes"] == "Kept X3."
        assert Ticket.objects.filter(external_id="API-1").exists()
        assert not Ticket.objects.filter(external_id__startswith="BULK-").exists()  # not committed yet
        assert AccessDenial.objects.filter(user=w["ann"], what="scorecard").count() == 1
    finally:
        release.set()
        importer.join(60)
    assert not failed, failed
    assert Ticket.objects.filter(external_id__startswith="BULK-").count() == 3000
