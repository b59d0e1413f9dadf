"""What an integrator does first: generate a Python client from the served schema with
openapi-python-client (offline: the schema is a file, no post-hook needs a network or a formatter),
import every module it wrote, and walk the pages of a quarter's KPI values with it (HR's read-only
token), checking that writing with that token is refused."""

from __future__ import annotations

import datetime
import importlib
import json
import pkgutil
import subprocess
import sys

import httpx
import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from accounts import tokens
from kpis import services as kpi_services
from kpis.periods import Period

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
