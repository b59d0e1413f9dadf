"""Each kind's rows are typed in the API's schema: one operation per kind (`ingest_tickets` at
POST /api/v1/ingest/tickets/), its body a list of `TicketsRow`, read from the kind's definition: its
columns are the row's keys, the keys a JSON row must hold are `required`, a column that may be empty
is nullable, and each cell is typed by its column's parser. A row the schema refuses is one the
server refuses too, and the rows the ingest tests send conform."""

import copy
import io

import jsonschema
import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from activity.models import Ticket
from datain.kinds import KINDS, kind_for


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _json_schema(node, components: dict):
    """An OpenAPI 3.0 schema as plain JSON Schema: `$ref` inlined, `nullable` as a null type."""
    if isinstance(node, list):
        return [_json_schema(n, components) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[-1]], components)
    out = {k: _json_schema(v, components) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def _row_schema(schema: dict, name: str) -> dict:
    components = schema["components"]["schemas"]
    body = schema["paths"][f"/api/v1/ingest/{name}/"]["post"]["requestBody"]["content"]["application/json"]
    rows = _json_schema(body["schema"], components)["oneOf"][0]
    assert rows["type"] == "array"
    return rows["items"]


def test_one_operation_per_kind_named_after_it(schema):
    ingest = {
        path: item["post"]["operationId"] for path, item in schema["paths"].items() if "/ingest/" in path
    }
    assert ingest == {f"/api/v1/ingest/{name}/": f"ingest_{name}" for name in KINDS}


@pytest.mark.parametrize("name", list(KINDS))
def test_a_kinds_row_is_read_from_its_columns(schema, name):
    kind = kind_for(name)
    row = schema["components"]["schemas"][f"{name.title().replace('_', '')}Row"]
    assert list(row["properties"]) == list(kind.column_names)
    assert sorted(row["required"]) == sorted(kind.required_columns)
    nullable = {k for k, p in row["properties"].items() if p.get("nullable")}
    assert nullable == {c.name for c in kind.columns if not c.required}


def test_the_cells_are_typed_by_their_parsers(schema):
    tickets = schema["components"]["schemas"]["TicketsRow"]["properties"]
    assert (tickets["opened_at"]["type"], tickets["opened_at"]["format"]) == ("string", "date-time")
    contacts = tickets["customer_contacts"]
    assert (contacts["type"], contacts["minimum"], contacts["nullable"]) == ("integer", 1, True)
    assert tickets["channel"]["maxLength"] == 50
    surveys = schema["components"]["schemas"]["SurveysRow"]
    assert "comment" not in surveys["required"]  # the one column a row may leave out
    assert (surveys["properties"]["score"]["minimum"], surveys["properties"]["score"]["maximum"]) == (
        -32768,
        32767,
    )
    revenue = schema["components"]["schemas"]["RevenueRow"]["properties"]
    assert (revenue["mrr_delta"]["type"], revenue["mrr_delta"]["format"]) == ("string", "decimal")
    assert revenue["date"]["format"] == "date"
    health = schema["components"]["schemas"]["HealthRow"]["properties"]["score"]
    assert (health["minimum"], health["maximum"]) == (0, 100)
    people = schema["components"]["schemas"]["PeopleRow"]["properties"]
    assert people["email"]["format"] == "email"


TICKET = {
    "external_id": "T1",
    "account_external_id": "A-1",
    "opened_at": "2026-07-03T10:00:00Z",
    "first_response_at": "2026-07-03T11:00:00Z",
    "resolved_at": "2026-07-03T12:00:00Z",
    "customer_contacts": 2,
    "escalated_at": None,
    "priority": "normal",
    "channel": "email",
}


@pytest.fixture
def ops(org) -> APIClient:
    """An integration's token, as `manage.py create_api_token` prints it."""
    call_command("create_api_token", email="crm-sync@example.com", name="CRM sync", stdout=io.StringIO())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user__email='crm-sync@example.com').key}")
    return api


def test_a_row_the_schema_takes_loads(schema, ops):
    jsonschema.validate(TICKET, _row_schema(schema, "tickets"))
    response = ops.post("/api/v1/ingest/tickets/", [TICKET], format="json")
    assert response.status_code == 200, response.json()["errors"]
    assert (response.json()["created"], Ticket.objects.get().customer_contacts) == (1, 2)


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("customer_contacts", "two", "invalid_integer"),
        ("customer_contacts", 0, "out_of_range"),
        ("priority", "urgentest", "invalid_choice"),
        ("opened_at", None, "required"),
        ("channel", "x" * 51, "too_long"),
    ],
)
def test_a_row_the_schema_refuses_the_server_refuses(schema, ops, column, value, code):
    row = dict(copy.deepcopy(TICKET), **{column: value})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(row, _row_schema(schema, "tickets"))
    response = ops.post("/api/v1/ingest/tickets/", [row], format="json")
    assert response.status_code == 400
    assert [(e["column"], e["code"]) for e in response.json()["errors"]] == [(column, code)]
    assert Ticket.objects.count() == 0


def test_a_row_without_a_required_key_is_refused_by_both(schema, ops):
    row = {k: v for k, v in TICKET.items() if k != "channel"}  # a key left out, not null
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(row, _row_schema(schema, "tickets"))
    response = ops.post("/api/v1/ingest/tickets/", [row], format="json")
    assert [(e["column"], e["code"]) for e in response.json()["errors"]] == [("channel", "missing_column")]


def test_an_unknown_kind_still_answers_404(ops):
    response = ops.post("/api/v1/ingest/invoices/", [], format="json")
    assert response.status_code == 404
    assert "invoices" in response.json()["detail"]
