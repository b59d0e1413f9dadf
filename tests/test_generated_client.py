"""What an integrator does first: generate a Python client from the served schema with
openapi-python-client (offline: the schema is a file, no post-hook needs a network or a formatter),
import every module it wrote, and use it the way docs/api.md shows, through HTTP as the client
sends it (httpx, answered by the application): load a ticket with an integration token, walk every
page of a quarter's KPI values with HR's read-only token, check in as a CSM sending only the
required fields, get a stale review transition's 409 parsed, and see a read token's write refused
(403)."""

from __future__ import annotations

import datetime
import importlib
import io
import json
import pkgutil
import subprocess
import sys

import httpx
import pytest
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


def _token_client(key: str):
    return _module("client").AuthenticatedClient(
        base_url="http://testserver",
        token=key,
        prefix="Token",
        httpx_args={"transport": DjangoTransport(Client())},
    )


def _session_client(person):
    """A person in their browser session (the pages' login): the generated client without a token."""
    browser = Client()
    browser.force_login(person)
    return _module("client").Client(
        base_url="http://testserver", httpx_args={"transport": DjangoTransport(browser)}
    )


def test_an_integration_through_the_generated_client(client_package, org):
    # 1. An integration's token loads a ticket (ingest_tickets: a list of typed rows).
    call_command("create_api_token", email="crm-sync@example.com", name="CRM sync", stdout=io.StringIO())
    service = _token_client(Token.objects.get(user__email="crm-sync@example.com").key)
    ticket = _module("models.tickets_row").TicketsRow(
        external_id="T-1",
        account_external_id=org.account_a.external_id,
        opened_at=datetime.datetime(2026, 8, 3, 9, 30, tzinfo=datetime.UTC),
        first_response_at=datetime.datetime(2026, 8, 3, 10, 0, tzinfo=datetime.UTC),
        resolved_at=None,
        customer_contacts=None,
        escalated_at=None,
        priority=_module("models.priority_enum").PriorityEnum.HIGH,
        channel="email",
    )
    loaded = _module("api.ingest.ingest_tickets").sync_detailed(client=service, body=[ticket])
    assert loaded.status_code == 200, loaded.content
    assert (loaded.parsed.rows, loaded.parsed.created, loaded.parsed.error_count) == (1, 1, 0)
    stored = Ticket.objects.get()
    assert (stored.account, stored.priority, stored.first_response_at - stored.opened_at) == (
        org.account_a,
        "high",
        datetime.timedelta(minutes=30),
    )

    # 2. HR's read-only token walks every page of the quarter's KPI values (40 a page).
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    hr = _token_client(tokens.issue(person=org.hr, name="BI")[1])
    csms = 3  # HR sees every CSM: csm_a, csm_a2, csm_b
    assert User.objects.filter(role="csm").count() == csms
    pages, rows, offset = [], [], 0
    while True:
        page = _module("api.kpis.list_kpi_values").sync(client=hr, period="2026-Q3", limit=40, offset=offset)
        pages.append(len(page.results))
        rows += page.results
        if not page.next_:
            break
        offset += 40
    assert len(rows) == page.count == len(REGISTRY) * csms  # every metric of each CSM
    assert pages == [40] * (len(rows) // 40) + ([len(rows) % 40] if len(rows) % 40 else [])
    assert {r.subject for r in rows} == {"csm.a@example.com", "csm.a2@example.com", "csm.b@example.com"}
    first_response = next(
        r for r in rows if r.subject == "csm.a@example.com" and r.metric == "first_response_hours"
    )
    assert (first_response.value, first_response.sample_size) == ("0.50", 1)  # the ticket loaded in 1.

    # 3. A CSM checks in sending only the required fields (a key result linked to a KPI).
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
    csm = _session_client(org.csm_a)
    body = _module("models.check_in_input").CheckInInput(key_result=kr.pk, confidence=7)
    assert body.to_dict() == {"key_result": kr.pk, "confidence": 7}  # nothing else is sent
    checked = _module("api.okrs.create_check_in").sync_detailed(client=csm, body=body)
    assert checked.status_code == 201, checked.content
    assert (checked.parsed.key_result, checked.parsed.confidence) == (kr.pk, 7)
    assert CheckIn.objects.get().confidence == 7

    # 4. A review transition made on a stale version: a 409 the client parses, nothing changed.
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 5),
        manager_review_due=datetime.date(2026, 10, 9),
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle)
    review = cycle.reviews.get(csm=org.csm_a)
    manager = _session_client(org.manager_a)
    read = _module("api.reviews.get_review").sync(client=manager, id=review.pk)
    transition = _module("api.reviews.transition_review")
    step = _module("models.review_transition").ReviewTransition
    send = _module("models.review_action_enum").ReviewActionEnum.SEND_TO_CSM
    moved = transition.sync_detailed(
        client=manager, id=review.pk, body=step(action=send, version=read.version)
    )
    assert moved.status_code == 200, moved.content
    assert (moved.parsed.status, moved.parsed.version) == ("self_review", read.version + 1)
    stale = transition.sync_detailed(
        client=manager, id=review.pk, body=step(action=send, version=read.version)
    )
    assert stale.status_code == 409
    conflict = stale.parsed
    assert type(conflict).__name__ == "ReviewConflict" and conflict.version == read.version + 1
    assert "Manager A" in conflict.detail
    review.refresh_from_db()
    assert (review.status, review.version) == ("self_review", read.version + 1)

    # 5. The read token reads the review it may see, and cannot write: a parsed 403.
    assert _module("api.reviews.get_review").sync(client=hr, id=review.pk).version == read.version + 1
    refused = transition.sync_detailed(
        client=hr, id=review.pk, body=step(action=send, version=read.version + 1)
    )
    assert (refused.status_code, refused.parsed.detail) == (403, tokens.READ_ONLY)
    review.refresh_from_db()
    assert review.version == read.version + 1
