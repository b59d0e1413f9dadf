"""The OpenAPI schema (/api/schema/, Swagger UI at /api/docs/) documents the whole API:
every operation has a summary, a description and a declared tag; every parameter and every field of
every component (request and response, nested objects, list items and allOf/oneOf parts included)
has a description; and generating it emits no warning nor error."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

METHODS = ("get", "put", "patch", "post", "delete", "head", "options", "trace")


def _generate() -> dict:
    GENERATOR_STATS.reset()
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def schema() -> dict:
    return _generate()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _undescribed(node, where: str) -> list[str]:
    """The properties under ``node`` (a JSON schema) without a description, by their path. A bare
    ``$ref`` is described in the component it points to."""
    if not isinstance(node, dict):
        return []
    found = []
    for name, prop in (node.get("properties") or {}).items():
        here = f"{where}.{name}"
        if (
            not (isinstance(prop, dict) and set(prop) == {"$ref"})
            and not str((prop or {}).get("description", "")).strip()
        ):
            found.append(here)
        found += _undescribed(prop, here)
    for key in ("allOf", "oneOf", "anyOf"):
        for i, part in enumerate(node.get(key) or []):
            found += _undescribed(part, f"{where}<{key}[{i}]>")
    found += _undescribed(node.get("items"), f"{where}[]")
    found += _undescribed(node.get("additionalProperties"), f"{where}{{}}")
    return found


def test_generating_the_schema_emits_no_warning_and_it_is_valid(schema):
    fresh = _generate()
    assert not GENERATOR_STATS, "drf-spectacular warned:\n" + "\n".join(
        [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    )
    validate_schema(fresh)


def test_the_management_command_passes_with_fail_on_warn(tmp_path):
    # What CI would run: `manage.py spectacular --validate --fail-on-warn` (SystemExit/CommandError
    # on any warning).
    GENERATOR_STATS.reset()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text(encoding="utf-8").startswith("openapi: 3")


def test_every_operation_has_a_summary_a_description_and_a_declared_tag(schema):
    declared = {t["name"] for t in settings.SPECTACULAR_SETTINGS["TAGS"] if t.get("description")}
    operations = dict(_operations(schema))
    assert len(operations) >= 20, sorted(operations)  # the walk found the API
    missing = [
        f"{name}: {what}"
        for name, op in operations.items()
        for what, bad in (
            ("summary", not str(op.get("summary", "")).strip()),
            ("description", not str(op.get("description", "")).strip()),
            ("tags", not op.get("tags")),
            ("an undeclared tag", bool(set(op.get("tags") or []) - declared)),
        )
        if bad
    ]
    assert not missing, "Operations without (use extend_schema in the app's apis.py):\n" + "\n".join(missing)


VERBS = {
    "list",
    "get",
    "create",
    "transition",
    "open",
    "advance",
    "ingest",
    "download",
    "update",
    "delete",
    "carry",
    "answer",
    "decline",
    "ask",
}


def test_operation_ids_are_verb_noun_and_tags_plain_words(schema):
    """Generated clients name their functions and modules after these: `list_kpi_values` in module
    `kpis`, not `v1_kpis_retrieve` in `kp_is_and_scorecards`."""
    bad_ids, bad_tags = [], []
    for where, operation in _operations(schema):
        words = operation["operationId"].split("_")
        if not re.fullmatch(r"[a-z]+(_[a-z]+)+", operation["operationId"]) or words[0] not in VERBS:
            bad_ids.append(f"{where}: {operation['operationId']}")
        bad_tags += [f"{where}: {t}" for t in operation["tags"] if not re.fullmatch(r"[a-z]+", t)]
    assert bad_ids == [] and bad_tags == []
    by_id = {op["operationId"]: where for where, op in _operations(schema)}
    assert by_id["list_kpi_values"] == "GET /api/v1/kpis/"
    assert by_id["get_scorecard"] == "GET /api/v1/scorecards/{user_id}/"
    assert by_id["transition_review"] == "POST /api/v1/reviews/{id}/transition/"
    assert len(by_id) == len(list(_operations(schema)))  # unique


def test_no_ref_has_siblings_and_nullable_refs_are_wrapped(schema):
    """OpenAPI 3.0 ignores anything beside a `$ref`: a nullable object is `allOf: [$ref]` with
    `nullable: true` (the scorecard's `run`, a metric's `benchmark`)."""
    beside = []

    def walk(node, where):
        if isinstance(node, dict):
            if "$ref" in node and len(node) > 1:
                beside.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(schema, "")
    assert beside == []
    components = schema["components"]["schemas"]
    for component, field in (("Scorecard", "run"), ("ScorecardMetric", "benchmark")):
        prop = components[component]["properties"][field]
        assert prop["nullable"] is True and list(prop["allOf"][0]) == ["$ref"]
        assert field in components[component]["required"]


def _untyped(node, where: str, schemas: dict, seen: set) -> list[str]:
    """The objects under ``node`` that say nothing of what they hold (no properties, and no
    schema for their values), following each component once."""
    if isinstance(node, list):
        return [u for i, n in enumerate(node) for u in _untyped(n, f"{where}[{i}]", schemas, seen)]
    if not isinstance(node, dict):
        return []
    if isinstance(node.get("$ref"), str):
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _untyped(schemas[name], name, schemas, seen)
    found = []
    extra = node.get("additionalProperties")
    if (
        node.get("type") == "object"
        and not node.get("properties")
        and not (isinstance(extra, dict) and extra)
    ):
        found.append(where)
    for key, value in node.items():
        if key != "description":
            found += _untyped(value, f"{where}.{key}", schemas, seen)
    return found


def test_a_reviews_contents_are_typed_to_the_leaf(schema):
    """No free-form object in what a review, a cycle or a scorecard answers: the snapshot (its
    metric rows and breakdowns, OKRs, expected-results model), the suggested rating's detail and
    the sections' texts and ratings are described, so generated clients get types."""
    components = schema["components"]["schemas"]
    roots = ["ReviewOutput", "CycleOutput", "Scorecard"]
    assert (
        _untyped({"allOf": [{"$ref": f"#/components/schemas/{n}"} for n in roots]}, "", components, set())
        == []
    )
    review = components["ReviewOutput"]["properties"]
    assert review["snapshot"]["allOf"] == [{"$ref": "#/components/schemas/ReviewSnapshot"}]
    assert review["suggested_detail"]["nullable"] is True
    assert review["self_ratings"]["additionalProperties"]["type"] == "integer"
    snapshot = components["ReviewSnapshot"]
    # The scorecard's fields, as GET /api/v1/scorecards/ describes them, and what the review adds.
    assert set(snapshot["properties"]) == set(components["Scorecard"]["properties"]) | {
        "okrs",
        "expected_model",
        "taken_at",
    }
    # A snapshot taken before expected results existed has no expected_model: it may be absent.
    assert "expected_model" not in snapshot["required"] and "okrs" in snapshot["required"]


def test_the_walk_finds_an_untyped_object():
    node = {
        "properties": {
            "free": {"type": "object", "additionalProperties": {}},
            "map": {"type": "object", "additionalProperties": {"type": "string"}},
            "deep": {"type": "array", "items": {"type": "object"}},
        }
    }
    assert _untyped(node, "X", {}, set()) == ["X.properties.free", "X.properties.deep.items"]


def test_every_parameter_has_a_description(schema):
    missing = [
        f"{name}: {p['in']} {p['name']}"
        for name, op in _operations(schema)
        for p in op.get("parameters", [])
        if not str(p.get("description", "")).strip()
    ]
    assert not missing, "Parameters without a description (OpenApiParameter):\n" + "\n".join(missing)


def test_every_field_of_every_component_has_a_description(schema):
    components = schema["components"]["schemas"]
    assert {"ReviewOutput", "ObjectiveOutput", "IngestSummary", "Scorecard"} <= set(components)
    missing = [where for name, component in components.items() for where in _undescribed(component, name)]
    # Schemas written inline in an operation (request bodies, responses) too.
    for name, op in _operations(schema):
        bodies = [op.get("requestBody") or {}, *op.get("responses", {}).values()]
        for body in bodies:
            for media, content in (body.get("content") or {}).items():
                missing += _undescribed(content.get("schema"), f"{name} {media}")
    assert not missing, (
        "Fields without a description (help_text= on the serializer field, extra_kwargs for a "
        "ModelSerializer's):\n" + "\n".join(missing)
    )


def test_the_walk_finds_an_undescribed_field():
    nested = {
        "properties": {
            "ok": {"type": "string", "description": "fine"},
            "ref": {"$ref": "#/components/schemas/Other"},
            "items": {"type": "array", "items": {"properties": {"deep": {"type": "integer"}}}},
            "wrapped": {"allOf": [{"$ref": "#/components/schemas/Other"}], "nullable": True},
        }
    }
    assert _undescribed(nested, "X") == ["X.items", "X.items[].deep", "X.wrapped"]
