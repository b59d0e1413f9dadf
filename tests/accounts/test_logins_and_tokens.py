"""Logins, sessions and tokens: emails in any letter case, unique whatever their case, a reactivated
person does not get their old session back, an integration token loads data and reads nothing."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role, User
from activity.models import Ticket
from tests import factories


def test_login_with_the_email_in_capitals(client, org):
    response = client.post(
        reverse("login"), {"username": "  CSM.A@Example.COM ", "password": factories.DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_emails_are_unique_whatever_their_case(org):
    user = User.objects.create_user("New.Person@Example.com", "pw-123456789", role=Role.HR)
    assert user.email == "new.person@example.com"
    with pytest.raises(Exception):  # noqa: B017 - the database refuses it (IntegrityError)
        User.objects.create_user("NEW.PERSON@example.com", "pw-123456789", role=Role.HR)


def test_a_reactivated_person_does_not_get_their_old_session_back(client, org):
    client.force_login(org.csm_a)
    assert client.get(reverse("home")).status_code == 200
    org.csm_a.is_active = False
    org.csm_a.save()
    org.csm_a.is_active = True
    org.csm_a.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    # Logging in again works.
    client.force_login(User.objects.get(pk=org.csm_a.pk))
    assert client.get(reverse("home")).status_code == 200


def test_an_integration_token_loads_data_and_reads_nothing_about_people(org):
    call_command("create_api_token", email="crm-sync@example.com", name="CRM", stdout=io.StringIO())
    service = User.objects.get(email="crm-sync@example.com")
    assert service.role == Role.SERVICE and not service.has_usable_password()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=service).key}")
    row = {
        "external_id": "T1",
        "account_external_id": "A-1",
        "opened_at": "2026-07-03T10:00:00Z",
        "first_response_at": None,
        "resolved_at": None,
        "customer_contacts": None,
        "escalated_at": None,
        "priority": "normal",
        "channel": "email",
    }
    response = api.post("/api/v1/ingest/tickets/", [row], format="json")
    assert response.status_code == 200, response.content
    assert Ticket.objects.count() == 1
    for url in (
        "/api/v1/reviews/",
        "/api/v1/cycles/",
        "/api/v1/objectives/",
        "/api/v1/key-results/",
        "/api/v1/check-ins/",
        "/api/v1/kpis/?period=2026-Q3",
        f"/api/v1/scorecards/{org.csm_a.pk}/",
    ):
        assert api.get(url).status_code == 403, url
    # A person's address is refused for a token.
    with pytest.raises(Exception, match="integration tokens belong to service accounts"):
        call_command("create_api_token", email="hr@example.com", stdout=io.StringIO())
