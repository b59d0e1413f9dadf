"""Trust: login throttling, deactivated users, CSRF, refused-access audit, deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AccessDenial
from tests.factories import DEFAULT_PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def test_login_is_throttled_after_five_failures(org):
    client = Client()
    statuses = [
        client.post(reverse("login"), {"username": "csm.a@example.com", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks the email out from this address
    response = client.post(reverse("login"), {"username": "csm.a@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another person from the same address is not locked out.
    response = client.post(reverse("login"), {"username": "csm.b@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302


def test_a_deactivated_users_session_stops_at_once(client, org):
    client.force_login(org.csm_a)
    assert client.get(reverse("home")).status_code == 200
    org.csm_a.is_active = False
    org.csm_a.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_forms_and_session_api_writes_need_csrf(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.csm_a)
    assert client.post(reverse("okrs-mine"), {"title": "x", "commitment": "committed"}).status_code == 403
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(org.csm_a)
    response = api.post("/api/v1/objectives/", {"period": "2026-Q3", "title": "x"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_refused_reads_of_someone_elses_scorecard_are_recorded(client, org):
    client.force_login(org.csm_a)
    assert client.get(reverse("scorecard", args=[org.csm_b.pk])).status_code == 404
    assert (
        client.get(reverse("scorecard", args=[999999])).status_code == 404
    )  # no such person: nothing to record
    api = APIClient()
    api.force_authenticate(org.csm_a)
    assert api.get(f"/api/v1/scorecards/{org.csm_b.pk}/").status_code == 404
    rows = list(AccessDenial.objects.order_by("pk").values_list("user__email", "what", "object_id"))
    assert rows == [("csm.a@example.com", "scorecard", str(org.csm_b.pk))] * 2
    assert client.get(reverse("scorecard", args=[org.csm_a.pk])).status_code == 200
    assert AccessDenial.objects.count() == 2


def test_password_validation():
    with pytest.raises(ValidationError):
        validate_password("demo")
    with pytest.raises(ValidationError):
        validate_password("12345678")


def test_check_deploy_passes_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="k" * 20 + "-a-long-random-secret-for-the-deploy-check-9f8e7d6c5b4a",
        DJANGO_ALLOWED_HOSTS="csm.example.com",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/csm",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_a_username_too_long_for_the_attempt_record_is_a_wrong_login_and_still_locks_out(org, url):
    """django-axes keeps 255 characters of the username: a longer one made saving the attempt fail (500)."""
    client = Client()
    username = "a" * 300 + "@example.com"
    responses = [client.post(url, {"username": username, "password": "wrong"}) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert "correct email and password" in responses[0].content.decode()
    # Another address from the same client is not locked out.
    response = client.post(reverse("login"), {"username": "csm.b@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
