"""The KPI runs page (Django admin) and its recompute form: who may use it, what it answers to
invalid periods, what it sends, and what is on its way."""

import datetime

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from kpis import refresh, tasks
from kpis.models import KpiRun
from tests import factories
from tests.celery_worker import redis_available

pytestmark = pytest.mark.django_db
LIST = "/admin/kpis/kpirun/"
RECOMPUTE = "/admin/kpis/kpirun/recompute/"


@pytest.fixture
def clean_redis():
    redis_available()
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    for key in client.scan_iter("kpis:*"):
        client.delete(key)
    yield client
    for key in client.scan_iter("kpis:*"):
        client.delete(key)


@pytest.fixture
def sent(monkeypatch):
    """compute_period.delay captured."""
    calls = []
    monkeypatch.setattr(tasks.compute_period, "delay", lambda *args, **kwargs: calls.append(args))
    return calls


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("kpis.forms.timezone.localdate", lambda: datetime.date(2026, 8, 20))


def test_reverse_names():
    assert reverse("admin:kpis_kpirun_recompute") == RECOMPUTE
    assert reverse("admin:kpis_kpirun_changelist") == LIST


def test_ops_sees_the_form_and_a_recompute_is_queued(client, org, clean_redis, sent, today):
    client.force_login(org.admin)
    page = client.get(LIST).content.decode()
    assert f'<form method="post" action="{RECOMPUTE}"' in page
    # Suggestions by their code (what the field takes), each with its label.
    assert (
        '<option value="2026-Q3">Q3 2026</option>' in page
        and '<option value="2025-09">September 2025</option>' in page
    )
    response = client.post(RECOMPUTE, {"period": " 2026-Q2 "}, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert sent == [("2026-Q2", None, "recompute")]
    page = response.content.decode()
    assert "A recompute of Q2 2026 is queued" in page
    # Until a worker starts it, the page shows it on its way.
    assert "<strong>Q2 2026</strong> (<code>2026-Q2</code>): recompute asked by admin@example.com at" in page
    KpiRun.objects.create(period="2026-Q2", as_of=datetime.date(2026, 8, 20), trigger="recompute")
    assert "recompute asked by" not in client.get(LIST).content.decode()


def test_the_page_shows_the_refreshes_scheduled_after_an_import(client, org, clean_redis, monkeypatch, today):
    monkeypatch.setattr(tasks.compute_period, "apply_async", lambda *a, **k: None)
    monkeypatch.setattr(refresh, "_now", lambda: 1_786_000_000.0)  # 2026-08-06 07:06:40 UTC: due 07:07:40
    refresh.schedule([refresh.Period.parse("2026-08")])
    client.force_login(org.admin)
    page = client.get(LIST).content.decode()
    assert (
        "<strong>August 2026</strong> (<code>2026-08</code>): after an import, due since 07:07: waiting for a worker"
        in page
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("abc", "“abc” is not a period: write 2026-Q3 for a quarter or 2026-09 for a month."),
        ("2026-13", "“2026-13” is not a period: write 2026-Q3 for a quarter or 2026-09 for a month."),
        ("2026-Q5", "“2026-Q5” is not a period: write 2026-Q3 for a quarter or 2026-09 for a month."),
        ("0000-Q1", "0000-Q1 is outside the years this product holds (2000 to 2100)."),
        ("0000-01", "0000-01 is outside the years this product holds (2000 to 2100)."),
        ("9999-Q4", "9999-Q4 is outside the years this product holds (2000 to 2100)."),
        ("9999-12", "9999-12 is outside the years this product holds (2000 to 2100)."),
        ("2099-Q4", "2099-Q4 has not started yet: pick a period up to 2026-Q3."),
        ("2026-Q4", "2026-Q4 has not started yet: pick a period up to 2026-Q3."),
        ("2026-09", "2026-09 has not started yet: pick a period up to 2026-08."),
        ("", "This field is required."),
        ("2026-Q3" * 3, "Ensure this value has at most 16 characters (it has 21)."),
    ],
)
def test_invalid_periods_give_a_form_error(client, org, clean_redis, sent, today, text, error):
    client.force_login(org.admin)
    response = client.post(RECOMPUTE, {"period": text})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<ul class="errorlist" id="recompute-errors"><li>{error}</li></ul>' in page.replace("&quot;", '"')
    assert sent == []


def test_the_current_period_is_accepted(client, org, clean_redis, sent, today):
    client.force_login(org.admin)
    assert client.post(RECOMPUTE, {"period": "2026-08"}).status_code == 302
    assert client.post(RECOMPUTE, {"period": "2026-Q3"}).status_code == 302
    assert client.post(RECOMPUTE, {"period": "2000-01"}).status_code == 302
    assert sent == [
        ("2026-08", None, "recompute"),
        ("2026-Q3", None, "recompute"),
        ("2000-01", None, "recompute"),
    ]


@pytest.mark.parametrize("who", ["csm_a", "manager_a", "hr"])
def test_other_roles_are_refused(client, org, sent, who):
    client.force_login(getattr(org, who))
    assert client.post(RECOMPUTE, {"period": "2026-Q3"}).status_code == 403
    assert client.get(RECOMPUTE).status_code == 403
    assert client.get(LIST).status_code == 302  # the admin sends them to its login page
    assert sent == []


def test_staff_without_the_view_permission_is_refused(client, org, sent):
    ops = factories.UserFactory(email="ops@example.com", role="admin", segment="", is_staff=True)
    client.force_login(ops)
    assert client.get(LIST).status_code == 403
    assert client.post(RECOMPUTE, {"period": "2026-Q3"}).status_code == 403
    assert sent == []


def test_anonymous_is_sent_to_the_login_page(client, sent):
    response = client.post(RECOMPUTE, {"period": "2026-Q3"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert sent == []


def test_the_form_needs_its_csrf_token(org, sent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.admin)
    assert client.post(RECOMPUTE, {"period": "2026-Q3"}).status_code == 403
    assert sent == []


def test_a_get_of_the_recompute_address_goes_back_to_the_list(client, org):
    client.force_login(org.admin)
    response = client.get(RECOMPUTE + "?status=failed")
    assert (response.status_code, response["Location"]) == (302, LIST + "?status=failed")


def test_a_broker_down_is_said_not_a_500(client, org, monkeypatch, settings, today):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.compute_period, "delay", refuse)
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # and the debounce keys cannot be read (the discard port)
    client.force_login(org.admin)
    response = client.post(RECOMPUTE, {"period": "2026-Q3"}, follow=True)
    assert response.status_code == 200
    assert "The recompute of Q3 2026 could not be queued: the task queue cannot be reached." in (
        response.content.decode()
    )
