"""Rate limits of API tokens (accounts/throttling.py): API_TOKEN_RATE requests a token, then 429 with
Retry-After; each token counted on its own, sessions not limited; a Redis outage lets requests through
(the cache reads as empty) instead of refusing them."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import tokens
from accounts.throttling import TokenRateThrottle
from config.cache import ResilientRedisCache


@pytest.fixture
def clock(monkeypatch, settings):
    settings.API_TOKEN_RATE = "3/min"
    cache.clear()
    now = [1_000_000.0]
    monkeypatch.setattr(TokenRateThrottle, "timer", staticmethod(lambda: now[0]))
    return now


def _api(key: str | None = None) -> APIClient:
    api = APIClient()
    if key:
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_a_read_token_gets_its_rate_then_429_with_retry_after(org, clock):
    _, key = tokens.issue(person=org.hr, name="BI")
    _, other = tokens.issue(person=org.csm_a, name="Sheet")
    api = _api(key)
    assert [api.get("/api/v1/todos/").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/api/v1/todos/")
    assert refused.status_code == 429
    # Three requests at the same instant, 3 a minute: the next one is free 60 seconds later.
    assert refused["Retry-After"] == "60"
    assert refused.json() == {"detail": "Request was throttled. Expected available in 60 seconds."}
    # Another token is counted on its own; the person's browser session is not limited.
    assert _api(other).get("/api/v1/todos/").status_code == 200
    session = APIClient()
    session.force_login(org.hr)
    assert [session.get("/api/v1/todos/").status_code for _ in range(5)] == [200] * 5
    # 59 seconds on, still refused (Retry-After 1); a minute on, the first three have aged out.
    clock[0] += 59
    late = api.get("/api/v1/todos/")
    assert (late.status_code, late["Retry-After"]) == (429, "1")
    clock[0] += 1.5
    assert api.get("/api/v1/todos/").status_code == 200


def test_an_integration_token_is_limited_too(org, clock):
    call_command("create_api_token", email="crm-sync@example.com", name="CRM sync", stdout=io.StringIO())
    key = Token.objects.get(user__email="crm-sync@example.com").key
    api = _api(key)
    codes = [api.post("/api/v1/ingest/tickets/?dry_run=1", [], format="json").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_redis_outage_lets_token_requests_through(org, clock, monkeypatch):
    clock  # noqa: B018 - 3 a minute
    down = ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    monkeypatch.setattr(TokenRateThrottle, "cache", down)
    _, key = tokens.issue(person=org.hr, name="BI")
    api = _api(key)
    assert [api.get("/api/v1/todos/").status_code for _ in range(5)] == [200] * 5


@pytest.mark.parametrize("rate", ["lots", "0/min", "600/fortnight", "600"])
def test_an_unreadable_rate_stops_the_start_with_a_sentence(rate):
    env = {**os.environ, "API_TOKEN_RATE": rate, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        check=False,
    )
    assert done.returncode != 0
    assert f"API_TOKEN_RATE='{rate}': write it as a number of requests a period, e.g. 600/min" in done.stderr
