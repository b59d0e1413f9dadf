"""People's read-only API tokens: a token reads exactly what its person's session reads, every write
answers 403, the key is stored as a digest only, it expires, it can be revoked, its last use is
recorded at most once a minute; created with create_api_token --scope read or on the preferences page."""

import datetime
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import ApiToken
from kpis import services as kpi_services
from kpis.periods import Period
from okrs import services as okr_services
from okrs.models import Objective


def _token_of(person, name="BI") -> str:
    out = io.StringIO()
    call_command("create_api_token", email=person.email.upper(), scope="read", name=name, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def _api(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


@pytest.fixture
def kpis(org):
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))


# The status each role's session answers, worked out from who sees whom: a CSM themselves, a manager
# their team (Team A: CSM A and CSM A2), HR and CS ops everyone; someone else's CSM answers 404.
MATRIX = {
    "csm_a": {"kpis": 200, "scorecard_a": 200, "scorecard_b": 404, "todos": 200},
    "manager_a": {"kpis": 200, "scorecard_a": 200, "scorecard_b": 404, "todos": 200},
    "hr": {"kpis": 200, "scorecard_a": 200, "scorecard_b": 200, "todos": 200},
    "admin": {"kpis": 200, "scorecard_a": 200, "scorecard_b": 200, "todos": 200},
}


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_a_read_token_reads_what_its_persons_session_reads(org, kpis, role):
    person = getattr(org, role)
    urls = {
        "kpis": "/api/v1/kpis/?period=2026-Q3&limit=500",
        "scorecard_a": f"/api/v1/scorecards/{org.csm_a.pk}/?period=2026-Q3",
        "scorecard_b": f"/api/v1/scorecards/{org.csm_b.pk}/?period=2026-Q3",
        "todos": "/api/v1/todos/",
    }
    token, session = _api(_token_of(person)), APIClient()
    session.force_login(person)
    for what, url in urls.items():
        by_token, by_session = token.get(url), session.get(url)
        assert (what, by_token.status_code) == (what, MATRIX[role][what]), by_token.content
        assert by_token.json() == by_session.json(), what
    # The KPI rows are the person's: a CSM's own, their team's for a manager, everyone's for HR.
    subjects = {row["subject"] for row in token.get(urls["kpis"]).json()["results"]}
    a, a2, b = "csm.a@example.com", "csm.a2@example.com", "csm.b@example.com"
    expected = {"csm_a": {a}, "manager_a": {a, a2}}.get(role, {a, a2, b})
    assert subjects == expected


def test_every_write_with_a_read_token_answers_403_and_writes_nothing(org):
    objective = okr_services.objective_create(user=org.admin, period="2026-Q4", title="Grow", csm=org.csm_a)
    api = _api(_token_of(org.admin))
    for method, url, body in (
        ("post", "/api/v1/objectives/", {"period": "2026-Q4", "title": "More", "csm": org.csm_a.pk}),
        ("put", f"/api/v1/objectives/{objective.pk}/", {"title": "Changed"}),
        ("patch", f"/api/v1/objectives/{objective.pk}/", {"title": "Changed"}),
        ("delete", f"/api/v1/objectives/{objective.pk}/", None),
        ("post", "/api/v1/ingest/tickets/", []),  # CS ops may load data with their session, not this
        ("post", "/api/v1/cycles/", {"period": "2026-Q3"}),
    ):
        response = getattr(api, method)(url, body)
        assert response.status_code == 403, (method, url)
        assert response.json() == {"detail": tokens.READ_ONLY}
    assert list(Objective.objects.values_list("title", flat=True)) == ["Grow"]
    assert api.get(f"/api/v1/objectives/{objective.pk}/").status_code == 200  # reading still works


def test_the_key_is_stored_as_its_digest_only(org):
    key = _token_of(org.hr)
    assert key.startswith("csmr_") and len(key) > 40
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.hint == key[:9]
    stored = [str(v) for v in ApiToken.objects.values_list().get()]
    assert not any(key in value or value in key for value in stored if len(value) > 9)


def test_a_token_expires_after_api_token_days(org, settings):
    settings.API_TOKEN_DAYS = 30
    key = _token_of(org.hr)
    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == datetime.timedelta(days=30)
    assert _api(key).get("/api/v1/todos/").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = _api(key).get("/api/v1/todos/")
    assert response.status_code == 401
    assert "This token expired on" in response.json()["detail"]
    assert "create a new one on your preferences page" in response.json()["detail"]


def test_a_revoked_token_an_unknown_one_and_a_deactivated_persons_answer_401(org):
    key = _token_of(org.hr)
    assert tokens.revoke(person=org.csm_a, token_id=ApiToken.objects.get().pk) is False  # not theirs
    assert _api(key).get("/api/v1/todos/").status_code == 200
    assert tokens.revoke(person=org.hr, token_id=ApiToken.objects.get().pk) is True
    assert _api(key).get("/api/v1/todos/").status_code == 401
    assert _api(key[:-1] + ("A" if key[-1] != "A" else "B")).get("/api/v1/todos/").status_code == 401
    other = _token_of(org.manager_a)
    org.manager_a.is_active = False
    org.manager_a.save()
    assert _api(other).get("/api/v1/todos/").status_code == 401


def test_the_last_use_is_written_at_most_once_a_minute(org, django_assert_num_queries):
    key = _token_of(org.hr)
    assert ApiToken.objects.get().last_used_at is None
    _api(key).get("/api/v1/todos/")
    first = ApiToken.objects.get().last_used_at
    assert first is not None and timezone.now() - first < datetime.timedelta(seconds=30)
    # 30 s ago: not written again.
    half = timezone.now() - datetime.timedelta(seconds=30)
    ApiToken.objects.update(last_used_at=half)
    _api(key).get("/api/v1/todos/")
    assert ApiToken.objects.get().last_used_at == half
    # Two minutes ago: written.
    old = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.update(last_used_at=old)
    _api(key).get("/api/v1/todos/")
    assert ApiToken.objects.get().last_used_at > half


def test_the_command_makes_read_tokens_for_people_only(org):
    out = io.StringIO()
    call_command("create_api_token", email="hr@example.com", scope="read", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert "read-only token of" in lines[0] and "shown this once" in lines[0]
    assert ApiToken.objects.get().name == "Command line"
    call_command("create_api_token", email="crm-sync@example.com", name="CRM", stdout=io.StringIO())
    with pytest.raises(CommandError, match="is an integration: it loads data and reads nothing"):
        call_command("create_api_token", email="crm-sync@example.com", scope="read", stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"No person has the email nobody@example\.com"):
        call_command("create_api_token", email="nobody@example.com", scope="read", stdout=io.StringIO())
    assert ApiToken.objects.count() == 1
    # Without --scope read, a person's address is still refused, with the way out.
    with pytest.raises(CommandError, match="give the person a read-only token with --scope read"):
        call_command("create_api_token", email="hr@example.com", stdout=io.StringIO())


def _csrf(client: Client, url: str) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def test_the_preferences_page_creates_a_token_shown_once_and_revokes_it_after_asking(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.manager_a)
    page = reverse("notification-preferences")
    assert "You have no API token." in client.get(page).content.decode()
    # Without the CSRF token: refused, nothing created.
    assert client.post(reverse("api-token-create"), {"name": "Sheet"}).status_code == 403
    assert not ApiToken.objects.exists()
    csrf = _csrf(client, page)
    # A blank name: the form says so, nothing created.
    bad = client.post(reverse("api-token-create"), {"name": "  ", "csrfmiddlewaretoken": csrf})
    assert bad.status_code == 400 and "This field is required." in bad.content.decode()
    assert not ApiToken.objects.exists()
    created = client.post(reverse("api-token-create"), {"name": "Team sheet", "csrfmiddlewaretoken": csrf})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    html = created.content.decode()
    key = html.split('<code class="token-key">')[1].split("</code>")[0]
    assert hashlib.sha256(key.encode()).hexdigest() == token.digest
    assert "copy it now, it is not shown again" in html
    assert _api(key).get("/api/v1/todos/").status_code == 200
    again = client.get(page).content.decode()
    assert key not in again and "Team sheet" in again and token.hint in again
    # Revoking asks first; a GET changes nothing.
    revoke = reverse("api-token-revoke", args=[token.pk])
    confirm = client.get(revoke).content.decode()
    assert "Revoke the token “Team sheet”?" in confirm
    assert ApiToken.objects.exists()
    assert client.post(revoke).status_code == 403  # no CSRF token
    done = client.post(revoke, {"csrfmiddlewaretoken": csrf})
    assert done.status_code == 302 and not ApiToken.objects.exists()
    assert _api(key).get("/api/v1/todos/").status_code == 401


def test_nobody_revokes_someone_elses_token(org):
    _token_of(org.hr)
    client = Client()
    client.force_login(org.csm_a)
    url = reverse("api-token-revoke", args=[ApiToken.objects.get().pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert ApiToken.objects.count() == 1
