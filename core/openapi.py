"""What every API's OpenAPI description shares (drf-spectacular): the bodies of its refusals and the
responses that carry them. Descriptions only: no view answers through these serializers."""

import json

from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import serializers


class ErrorDetail(serializers.Serializer):
    """A refusal of the request as a whole: not signed in (401), not allowed (403), or an object that
    does not exist or that the caller may not see (404: both get the same answer)."""

    detail = serializers.CharField(help_text="Why the request was refused, in a sentence.")


class FieldErrors(serializers.Serializer):
    """A request refused by validation (400), nothing written. Every other key is the name of a field
    of the body (or of a query parameter) with the list of sentences about it, e.g.
    `{"period": ["2026-Q5 is not a period ..."]}`."""

    detail = serializers.CharField(
        required=False,
        help_text="Only when the request could not be read at all (e.g. malformed JSON, or a NUL "
        "character in a query parameter).",
    )
    non_field_errors = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Problems with the body as a whole (e.g. a list sent where an object is expected).",
    )


NOT_SIGNED_IN = OpenApiResponse(
    ErrorDetail, description="No valid session or token (`Authorization: Token <key>`)."
)
SERVICE_REFUSED = OpenApiResponse(
    ErrorDetail,
    description="An integration token (role service) calling anything but the ingest endpoint.",
)
NOT_FOUND = OpenApiResponse(
    ErrorDetail, description="No such object, or one the caller may not see (the same answer for both)."
)
INVALID = OpenApiResponse(FieldErrors, description="Field errors: nothing was written.")
# Every API view but the ingest endpoint: a person's session or token (accounts.permissions.PeopleOnly).
PEOPLE = {401: NOT_SIGNED_IN, 403: SERVICE_REFUSED}


# A decimal sent or answered as a string, so that nothing is lost to floating point: "1234.50", "-3".
DECIMAL_STRING = {"type": "string", "format": "decimal", "pattern": r"^-?\d+(?:\.\d+)?$"}


@extend_schema_field(DECIMAL_STRING)
class DecimalText(serializers.CharField):
    """A number given as a decimal string (e.g. "12.5"); the service reads and checks it. Documented
    as `format: decimal` with its pattern, so that a generated client types it as a decimal string."""


# Response components and the properties a response may leave out (every other one is `required`,
# responses_complete): JSON the server froze in an earlier shape, e.g. a review's snapshot taken
# before expected results existed. Filled by ``json_shape``.
MAY_BE_ABSENT: dict[str, frozenset[str]] = {}


def json_shape(name: str, fields: dict, *, may_be_absent: tuple[str, ...] = (), **kwargs):
    """The OpenAPI description of JSON a view sends as it was stored (a JSONField, a dict built by a
    service): ``inline_serializer`` under the component ``name``, whose ``may_be_absent``
    properties a response may leave out. Descriptions only: no view answers through it."""
    unknown = set(may_be_absent) - set(fields)
    if unknown:
        raise ValueError(f"{name}: no such fields {sorted(unknown)}")
    MAY_BE_ABSENT[name] = frozenset(may_be_absent)
    return inline_serializer(name, dict(fields), **kwargs)  # a copy: the class takes its fields out


def stored_json(shape, **kwargs) -> serializers.JSONField:
    """A read-only field that answers JSON as it was stored (a JSONField), documented as ``shape``:
    a ``json_shape`` or a JSON schema. Nothing of the value is converted on the way out."""
    field_class = extend_schema_field(shape)(type("StoredJson", (serializers.JSONField,), {}))
    return field_class(read_only=True, **kwargs)


def without_request_defaults(result, generator, request, public):
    """drf-spectacular postprocessing hook: an optional field of a request body is documented
    without a JSON-schema `default` (said in its description instead). Generators such as
    openapi-typescript make a property with a default non-optional, so a client had to send
    every optional field (a review transition's comment, reason, confirm_open_flags)."""
    schemas = result.get("components", {}).get("schemas", {})
    for item in result.get("paths", {}).values():
        for operation in item.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            for content in (body or {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                component = schemas.get(ref.rsplit("/", 1)[-1]) if ref else None
                for prop in (component or {}).get("properties", {}).values():
                    if "default" in prop:
                        value = prop.pop("default")
                        shown = json.dumps(value) if not isinstance(value, str) or value else '""'
                        prop["description"] = (
                            f"{prop.get('description', '').rstrip()} Left out: {shown}.".strip()
                        )
    return result


def _refs(node) -> set[str]:
    """The component names a schema node points to (``$ref``), not following them."""
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for k, v in node.items() if k != "$ref"))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _reached(start: set[str], schemas: dict) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            todo += _refs(schemas[name])
    return seen


def responses_complete(result, generator, request, public):
    """drf-spectacular postprocessing hook: the truth of what a response holds.

    - A component that only responses use (never a request body) lists every property as
      `required`: a serializer's output holds all its fields, null or not, so typed clients need not
      test them for "undefined" (a review's `status`, `version`, `reviewer`; a page's `next`);
      but those that ``json_shape`` says a response may leave out.
    - `FieldErrors` (a 400) is a map of field name to its list of messages, besides `detail`."""
    schemas = result.get("components", {}).get("schemas", {})
    sent, answered = set(), set()
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            sent |= _refs(operation.get("requestBody", {}))
            answered |= _refs(operation.get("responses", {}))
    for name in _reached(answered, schemas) - _reached(sent, schemas):
        component = schemas[name]
        if name != "FieldErrors" and component.get("properties"):
            required = sorted(set(component["properties"]) - MAY_BE_ABSENT.get(name, frozenset()))
            if required:
                component["required"] = required
            else:
                component.pop("required", None)
    if "FieldErrors" in schemas:
        schemas["FieldErrors"]["additionalProperties"] = {
            "type": "array",
            "items": {"type": "string"},
            "description": "A field of the body (or a query parameter) and the sentences about it.",
        }
    return result
