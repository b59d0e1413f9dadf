"""What an integrator does first: generate a Python client from the served schema with
openapi-python-client (offline: the schema is a file, no post-hook needs a network or a formatter),
import every module it wrote, and use it the way docs/api.md shows, through HTTP as the client
sends it (httpx, answered by the application): load a ticket with an integration token, walk every
page of a quarter's KPI values with HR's read-only token, check in as a CSM sending only the
required fields, get a stale review transition's 409 parsed, and see a read token's write refused
(403)."""

from __future__ import annotations

import datetime
import functools
import importlib
import io
import json
import pkgutil
import re
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from accounts import tokens
from accounts.models import User
from activity.models import Ticket
from kpis import services as kpi_services
from kpis.periods import Period
from kpis.registry import REGISTRY
from okrs import services as okr_services
from okrs.models import CheckIn
from reviews.cycles import services as cycle_services

pytestmark = pytest.mark.client_generation
PACKAGE = "csm_api_client"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory):
    """The generated package, importable; removed from sys.path and sys.modules afterwards."""
    where = tmp_path_factory.mktemp("client")
    (where / "schema.json").write_text(
        json.dumps(SchemaGenerator().get_schema(request=None, public=True)), encoding="utf-8"
    )
    # No post-hooks: the generator would run ruff from PATH, which a test must not depend on.
    (where / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(where / "schema.json"),
            "--output-path",
            str(where / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(where / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_every_generated_module_imports(client_package):
    modules = list(pkgutil.walk_packages(client_package.__path__, PACKAGE + "."))
    assert len(modules) > 40, [m.name for m in modules]  # operations and models were generated
    failed = {}
    for module in modules:
        try:
            importlib.import_module(module.name)
        except Exception as exc:  # every failure is listed, not only the first
            failed[module.name] = repr(exc)
    assert failed == {}


class DjangoTransport(httpx.BaseTransport):
    """httpx answered by Django's test client: the application in this process, on the test's
    database, as a real client would reach it (headers, cookies and body as sent)."""

    def __init__(self, django_client: Client):
        self.django = django_client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        response = self.django.generic(
            request.method,
            request.url.raw_path.decode("ascii"),
            data=request.read(),
            content_type=headers.pop("content-type", ""),
            headers=headers,
        )
        return httpx.Response(response.status_code, headers=dict(response.items()), content=response.content)


def test_the_generated_client_walks_the_pages_of_kpi_values(client_package, org, client):
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    client.force_login(org.hr)
    # HR's read-only token, as a BI tool of theirs would hold it.
    _, key = tokens.issue(person=org.hr, name="BI")
    api = importlib.import_module(f"{PACKAGE}.client").AuthenticatedClient(
        base_url="http://testserver",
        token=key,
        prefix="Token",
        httpx_args={"transport": DjangoTransport(Client())},
    )
    list_kpis = importlib.import_module(f"{PACKAGE}.api.kpis.list_kpi_values")
    expected = client.get("/api/v1/kpis/?period=2026-Q3&limit=500").json()
    pages, rows, offset = 0, [], 0
    while True:
        page = list_kpis.sync(client=api, period="2026-Q3", limit=40, offset=offset)
        pages += 1
        assert page.count == expected["count"]
        rows += [row.to_dict() for row in page.results]
        if not page.next_:
            break
        offset += 40
    assert pages == -(-expected["count"] // 40) and pages >= 2
    assert rows == expected["results"]
    # A write through the generated client with the read token: a parsed 403.
    create = importlib.import_module(f"{PACKAGE}.api.okrs.create_objective")
    body = importlib.import_module(f"{PACKAGE}.models.objective_input").ObjectiveInput(
        period="2026-Q4", title="x"
    )
    refused = create.sync_detailed(client=api, body=body)
    assert refused.status_code == 403
    assert refused.parsed.detail == tokens.READ_ONLY


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def docs_block(marker: str, language: str) -> str:
    """The fenced block of docs/api.md right after the comment naming ``marker``."""
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {re.escape(marker)}[^>]*-->\n```{language}\n(.*?)\n```", text, re.S)
    assert found, f"docs/api.md has no {language} block marked {marker!r}"
    return found.group(1)


@pytest.fixture
def docs_snippet(client_package, tmp_path, monkeypatch):
    """The Python snippet of docs/api.md as a module, its clients answered by the application: a
    token's through a fresh test client, a session's through one that enforces CSRF as a browser
    meets it."""
    (tmp_path / "api_snippet.py").write_text(
        docs_block("tests/test_generated_client.py", "python"), encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    snippet = importlib.import_module("api_snippet")
    monkeypatch.setattr(
        snippet,
        "AuthenticatedClient",
        functools.partial(snippet.AuthenticatedClient, httpx_args={"transport": DjangoTransport(Client())}),
    )
    monkeypatch.setattr(
        snippet,
        "Client",
        functools.partial(
            snippet.Client, httpx_args={"transport": DjangoTransport(Client(enforce_csrf_checks=True))}
        ),
    )
    yield snippet
    del sys.modules["api_snippet"]


def _session_of(person) -> str:
    browser = Client()
    browser.force_login(person)
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_integration_of_the_api_guide_through_the_generated_client(docs_snippet, org):
    """docs/api.md's Python snippet, run as it is."""
    # 1. An integration's token loads a ticket.
    call_command("create_api_token", email="crm-sync@example.com", name="CRM sync", stdout=io.StringIO())
    integration = Token.objects.get(user__email="crm-sync@example.com").key
    assert docs_snippet.load_ticket(integration, org.account_a.external_id) == 1
    stored = Ticket.objects.get()
    assert (stored.account, stored.priority, stored.first_response_at - stored.opened_at) == (
        org.account_a,
        "high",
        datetime.timedelta(minutes=30),
    )
    with pytest.raises(ValueError, match="no account has this external_id"):
        docs_snippet.load_ticket(integration, "NO-SUCH")

    # 2. HR's read-only token walks every page of the quarter's KPI values (40 a page here).
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    read_key = tokens.issue(person=org.hr, name="BI")[1]
    rows = docs_snippet.kpi_values(read_key, "2026-Q3", limit=40)
    csms = User.objects.filter(role="csm").count()
    assert csms == 3  # HR sees every CSM: csm_a, csm_a2, csm_b
    assert len(rows) == len(REGISTRY) * csms > 2 * 40  # every metric of each CSM, over 3 pages
    assert len({(r.subject, r.metric) for r in rows}) == len(rows)  # no row twice
    first_response = next(
        r for r in rows if r.subject == org.csm_a.email and r.metric == "first_response_hours"
    )
    assert (first_response.value, first_response.sample_size) == ("0.50", 1)  # the ticket loaded in 1.

    # 3. A CSM checks in from their session, sending only the required fields.
    objective = okr_services.objective_create(user=org.csm_a, period="2026-Q4", title="Grow", csm=org.csm_a)
    kr = okr_services.key_result_create(
        user=org.csm_a,
        objective=objective,
        title="NRR",
        kind="metric",
        metric="nrr",
        baseline=100,
        target=110,
    )
    csrf = secrets.token_hex(16)
    csm = docs_snippet.in_session(_session_of(org.csm_a), csrf)
    made = docs_snippet.check_in(csm, kr.pk, 7)
    assert CheckIn.objects.get(pk=made).confidence == 7
    # Without the CSRF header the session's write is refused (403), as in a browser.
    forged = docs_snippet.in_session(_session_of(org.csm_a), csrf).with_headers({"X-CSRFToken": "0" * 32})
    body = _module("models.check_in_input").CheckInInput(key_result=kr.pk, confidence=5)
    refused = _module("api.okrs.create_check_in").sync_detailed(client=forged, body=body)
    assert refused.status_code == 403 and "CSRF" in refused.parsed.detail
    assert CheckIn.objects.count() == 1

    # 4. A review transition on a stale version: a 409 the client parses, nothing changed.
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 5),
        manager_review_due=datetime.date(2026, 10, 9),
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle)
    review = cycle.reviews.get(csm=org.csm_a)
    manager = docs_snippet.in_session(_session_of(org.manager_a), csrf)
    read = _module("api.reviews.get_review").sync(client=manager, id=review.pk)
    assert docs_snippet.send_to_csm(manager, review.pk, read.version) == read.version + 1
    with pytest.raises(RuntimeError, match=rf"Manager A.* Read it again \(version {read.version + 1}\)\."):
        docs_snippet.send_to_csm(manager, review.pk, read.version)
    review.refresh_from_db()
    assert (review.status, review.version) == ("self_review", read.version + 1)

    # 5. The read token reads the review, and cannot write: a parsed 403.
    hr = docs_snippet.AuthenticatedClient(base_url=docs_snippet.BASE, token=read_key, prefix="Token")
    assert _module("api.reviews.get_review").sync(client=hr, id=review.pk).version == read.version + 1
    step = _module("models.review_transition").ReviewTransition(
        action=_module("models.review_action_enum").ReviewActionEnum.SEND_TO_CSM, version=read.version + 1
    )
    refused = _module("api.reviews.transition_review").sync_detailed(client=hr, id=review.pk, body=step)
    assert (refused.status_code, refused.parsed.detail) == (403, tokens.READ_ONLY)
    review.refresh_from_db()
    assert review.version == read.version + 1
