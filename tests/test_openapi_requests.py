"""Request schemas say what a client must and may send, so that generated types are right: optional
fields are optional (no JSON-schema `default`, which openapi-typescript turns into a required
property), whole numbers are integers, decimals are decimal strings with their format."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from okrs import services as okr_services
from okrs.models import CheckIn

DECIMAL = {"type": "string", "format": "decimal", "pattern": r"^-?\d+(?:\.\d+)?$"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _body(schema: dict, method: str, path: str) -> dict:
    ref = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _types(component: dict) -> dict:
    return {
        name: {k: v for k, v in prop.items() if k in ("type", "format", "pattern", "minimum", "maximum")}
        for name, prop in component["properties"].items()
    }


def test_a_review_transition_requires_only_the_action_and_the_version(schema):
    body = _body(schema, "post", "/api/v1/reviews/{id}/transition/")
    assert sorted(body["required"]) == ["action", "version"]
    assert _types(body) == {
        "action": {},  # the enum, by reference
        "version": {"type": "integer"},
        "comment": {"type": "string"},
        "reason": {"type": "string"},
        "confirm_open_flags": {"type": "boolean"},
    }
    assert [name for name, prop in body["properties"].items() if "default" in prop] == []
    # What is left out is said in words.
    assert body["properties"]["confirm_open_flags"]["description"].endswith("Left out: false.")


def test_a_check_in_confidence_is_an_integer_and_its_value_a_decimal_string(schema):
    body = _body(schema, "post", "/api/v1/check-ins/")
    assert sorted(body["required"]) == ["confidence", "key_result"]
    types = _types(body)
    assert types["confidence"] == {"type": "integer", "minimum": 0, "maximum": 10}
    assert types["value"] == DECIMAL
    assert types["key_result"] == {"type": "integer"}


def test_a_key_result_numbers_are_decimal_strings_and_optional(schema):
    body = _body(schema, "post", "/api/v1/key-results/")
    assert sorted(body["required"]) == ["kind", "objective", "title"]
    types = _types(body)
    assert types["baseline"] == types["target"] == types["weight"] == DECIMAL


def _objects(schema: dict, node: dict) -> list[dict]:
    """The object schemas a request body is made of: its component, or each part of a oneOf (an
    ingest body: a list of the kind's rows, or another system's JSON), a list's items."""
    if "$ref" in node:
        return _objects(schema, schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]])
    if "oneOf" in node:
        return [o for part in node["oneOf"] for o in _objects(schema, part)]
    if node.get("type") == "array":
        return _objects(schema, node["items"])
    return [node]


def test_no_request_body_documents_a_default(schema):
    found, checked = [], set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            checked.add((method, path))
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            for component in _objects(schema, body):
                found += [
                    f"{method} {path}: {name}"
                    for name, prop in (component.get("properties") or {}).items()
                    if "default" in prop
                ]
    assert found == []
    assert len(checked) >= 7 + 12  # every write with a body was looked at, each kind's ingest too


@pytest.fixture
def key_result(org):
    objective = okr_services.objective_create(user=org.csm_a, period="2026-Q4", title="Grow", csm=org.csm_a)
    return okr_services.key_result_create(
        user=org.csm_a, objective=objective, title="n", kind="numeric", baseline=0, target=5
    )


@pytest.mark.parametrize("confidence", [11, -1, 7.5, "seven", True])
def test_a_confidence_that_is_not_a_whole_number_from_0_to_10_is_refused(org, key_result, confidence):
    api = APIClient()
    api.force_authenticate(org.csm_a)
    body = {"key_result": key_result.pk, "confidence": confidence, "value": "2"}
    response = api.post("/api/v1/check-ins/", body)
    assert response.status_code == 400
    assert response.json() == {
        "confidence": ["Confidence is a whole number from 0 (no chance) to 10 (certain)."]
    }
    assert not CheckIn.objects.exists()


def test_a_check_in_takes_its_confidence_as_an_integer(org, key_result):
    api = APIClient()
    api.force_authenticate(org.csm_a)
    response = api.post("/api/v1/check-ins/", {"key_result": key_result.pk, "confidence": 7, "value": 2})
    assert response.status_code == 201, response.content
    assert CheckIn.objects.get().confidence == 7
