"""POST /api/v1/ingest/<kind>/: a JSON list of rows, the same validator as files."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.requests import api_person
from core.openapi import NOT_SIGNED_IN, ErrorDetail
from datain import reading, services
from datain.kinds import KINDS
from datain.models import ImportSource
from datain.sources.base import SourceCode
from datain.sources.mapping import check_mapping, shipped_mapping_text
from datain.sources.readers import SOURCES, SourceNotUsable, check_source
from datain.validation import Column, RowError, schema_of


class IsOps(permissions.BasePermission):
    message = gettext_lazy("Only CS ops / admin accounts and integration tokens may load data.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in (Role.ADMIN, Role.SERVICE))


ERROR = inline_serializer(
    "IngestError",
    {
        "row": serializers.IntegerField(
            help_text="The row's position in the list sent, from 1 (with ?source=, the source's "
            "record); 0 for a problem with the request as a whole (e.g. too many rows)."
        ),
        "column": serializers.CharField(
            help_text="The column (field) at fault, as in the kind's CSV header; empty when the whole row is."
        ),
        "value": serializers.CharField(help_text="The value as it was sent; empty when missing."),
        "code": serializers.CharField(
            help_text="A stable code for the problem, e.g. required, invalid_date, unknown_reference "
            "(every code: docs/data-contract.md)."
        ),
        "message": serializers.CharField(
            help_text="The problem in a sentence for a person, in the caller's language (Accept-Language: "
            "en, es, pt-br, zh-hans, tr); read `code` to act on it in a program."
        ),
    },
    many=True,
    help_text=f"The problems found, at most {services.MAX_ERRORS_KEPT} (error_count counts them all); "
    "empty when the load is valid.",
)
SUMMARY = inline_serializer(
    "IngestSummary",
    {
        "kind": serializers.CharField(help_text="The kind loaded (the path's KIND)."),
        "dry_run": serializers.BooleanField(help_text="True when nothing was to be written (?dry_run=1)."),
        "rows": serializers.IntegerField(help_text="How many rows were read."),
        "created": serializers.IntegerField(
            help_text="Rows that created a record (with dry_run: would create one); 0 when the load is invalid."
        ),
        "updated": serializers.IntegerField(
            help_text="Rows that changed a stored record (with dry_run: would change one); 0 when the load "
            "is invalid."
        ),
        "unchanged": serializers.IntegerField(
            help_text="Rows identical to what is stored already; 0 when the load is invalid."
        ),
        "error_count": serializers.IntegerField(
            help_text="How many problems were found in all: any makes the load write nothing."
        ),
        "errors": ERROR,
        "skipped": serializers.IntegerField(
            help_text="With ?source= or ?mapping=: the source's records that have no place in KIND, "
            "skipped (0 otherwise)."
        ),
        "notes": serializers.ListField(
            child=serializers.CharField(),
            help_text="With ?source= or ?mapping=: sentences about the load, e.g. which records were "
            "skipped and why.",
        ),
        "follow_ups": inline_serializer(
            "IngestFollowUp",
            {
                "notice": serializers.CharField(
                    help_text="What happens next, in a sentence in the caller's language (Accept-Language), "
                    "e.g. when the KPIs will be recomputed."
                ),
                "code": serializers.CharField(
                    help_text="A stable code for the notice, e.g. kpis.refresh_scheduled, "
                    "kpis.refresh_nothing_changed, kpis.refresh_not_scheduled; empty when it has none."
                ),
                "periods": serializers.ListField(
                    child=serializers.CharField(),
                    help_text="The periods recomputed, e.g. 2026-07, 2026-08, 2026-Q3.",
                ),
                "due_at": serializers.DateTimeField(
                    allow_null=True, help_text="About when (ISO 8601); null when not scheduled."
                ),
            },
            many=True,
            help_text="What the load sets off once written (the recompute of the KPI periods its rows "
            "touch); empty for a dry run or an invalid load.",
        ),
    },
)


def _cell(column: Column, kind: str) -> serializers.Field:
    """A column of a kind as a field of its row's schema: what its parser takes (its JSON schema,
    datain.validation.described), whether the key must be there and whether it may be null."""
    schema = schema_of(column.parse)
    what = schema.pop("description")
    must = (
        "May be left out or null."
        if column.optional_column
        else "Required."
        if column.required
        else "Always sent; null (or empty) when unknown."
    )
    field_class = extend_schema_field(schema)(type("Cell", (serializers.Field,), {}))
    return field_class(
        required=not column.optional_column,
        allow_null=not column.required,
        help_text=f"{kind}.{column.name}: {what} {must}",
    )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def row_serializer(name: str) -> serializers.Serializer:
    """The schema of one row of a kind, read from the kind's columns (datain.kinds): its keys are the
    columns of the kind's CSV file, each typed by its parser."""
    kind = KINDS[name]
    return inline_serializer(
        f"{_camel(name)}Row",
        {c.name: _cell(c, name) for c in kind.columns},
        many=True,
        max_length=reading.API_MAX_ROWS,
    )


class IngestSourceBody(serializers.Serializer):
    """The body of a load with ?source= or a mapping: another system's JSON (described by the
    extension below, as any object)."""


class IngestSourceBodySchema(OpenApiSerializerExtension):
    target_class = IngestSourceBody

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "additionalProperties": True,
            "description": "With ?source=: that system's own API answer (e.g. {tickets, metric_sets}); "
            'with a custom mapping: {"mapping": <the YAML as an object or text>, "rows": [...]}.',
        }


SOURCE_BODY = IngestSourceBody()
INGEST_WHO = (
    "**Who**: an integration token (role service, `manage.py create_api_token`) or a CS ops / admin "
    "account; every other role gets 403. The only endpoints an integration token may call."
)
INGEST_ERRORS = (
    "**Errors**: 400 with the summary and its `errors` (nothing written), or with `detail` for a body "
    "that is not JSON; 401 without credentials; 403 for other roles."
)
INGEST_PARAMETERS = [
    OpenApiParameter(
        "source",
        str,
        enum=list(SOURCES),
        description="The body is that system's own API JSON (e.g. a Zendesk tickets page with "
        "metric_sets), mapped onto the kind; errors name the source's record and field.",
    ),
    OpenApiParameter(
        "mapping",
        str,
        description="Read the body through this shipped mapping file (e.g. pendo-usage). A custom "
        'mapping comes in the body instead: {"mapping": <the YAML as an object or text>, "rows": [...]}.',
    ),
    OpenApiParameter(
        "dry_run",
        bool,
        description="`1`, `true` or `yes`: validate and count only; write nothing.",
    ),
]
INGEST_RESPONSES = {
    200: OpenApiResponse(SUMMARY, description="Loaded (or, with dry_run, valid): the counts."),
    400: OpenApiResponse(
        PolymorphicProxySerializer(
            component_name="IngestRefusal",
            serializers=[SUMMARY, ErrorDetail],
            resource_type_field_name=None,
        ),
        description="Invalid: the summary with every error, nothing written; or, for a body that "
        "is not JSON at all, the reason (`detail`).",
    ),
    401: NOT_SIGNED_IN,
    403: OpenApiResponse(ErrorDetail, description="A role other than CS ops / admin or service."),
}


class IngestApi(APIView):
    """POST /api/v1/ingest/<kind>/. Each kind has its own path and operation in the schema
    (``ingest_view``: ``ingest_tickets``, its body a list of ``TicketsRow``); this catch-all answers
    an unknown kind's 404."""

    permission_classes = [IsOps]

    @extend_schema(exclude=True)
    def post(self, request: Request, kind: str) -> Response:
        if kind not in KINDS:
            raise NotFound(
                _("Unknown kind %(kind)s: one of %(kinds)s.")
                % {"kind": repr(kind), "kinds": ", ".join(KINDS)}
            )
        dry_run = request.query_params.get("dry_run") in ("1", "true", "yes")
        source = request.query_params.get("source", "")
        items: Any = request.data  # JSON: a list of rows, or an object holding them
        mapping = request.query_params.get("mapping", "")
        if isinstance(items, dict) and "mapping" in items and not source and not mapping:
            items, mapping = items.get("rows"), items["mapping"]  # a custom mapping with its rows
        try:
            if mapping:
                if isinstance(mapping, str) and "\n" not in mapping and ":" not in mapping:
                    mapping = shipped_mapping_text(mapping)
                check_mapping(kind=kind, text=mapping)
                source = "mapping"
            elif source:
                check_source(kind=kind, source=source)
        except SourceNotUsable as exc:
            refused = services.ImportResult(kind=kind, dry_run=dry_run)
            column = "mapping" if mapping else "source"
            refused.add_errors(
                [
                    RowError(0, column, "", SourceCode.UNSUPPORTED, p)
                    for p in getattr(exc, "problems", [str(exc)])
                ]
            )
            return Response(refused.summary(), status=status.HTTP_400_BAD_REQUEST)
        result = services.import_json(
            kind=kind, items=items, dry_run=dry_run, source_format=source, mapping=mapping
        )
        services.import_run_record(
            result=result, source=ImportSource.API, user=api_person(request), source_format=source
        )
        return Response(
            result.summary(), status=status.HTTP_200_OK if result.ok else status.HTTP_400_BAD_REQUEST
        )


def ingest_view(name: str):
    """The view of one kind: IngestApi with that kind's operation in the schema."""

    @extend_schema(
        operation_id=f"ingest_{name}",
        tags=["ingest"],
        summary=f"Load {name} rows (all or nothing)",
        description=f"A JSON list (at most {reading.API_MAX_ROWS:,}) of {name} rows: objects with the "
        f"columns of the kind's CSV file `{name}` (docs/data-contract.md), each typed below. Any "
        "invalid row: 400 with every error and nothing written. `?dry_run=1` validates only. A load "
        "that writes schedules a recompute of the KPI periods its rows touch, about a minute later "
        "(`follow_ups` says which and when). With `?source=` the body is another system's own JSON, "
        "with `?mapping=` it is read through a mapping file; a source or mapping that cannot give "
        f"this kind answers 400 with one error (row 0, code `unsupported`).\n\n{INGEST_WHO}\n\n"
        f"{INGEST_ERRORS}",
        request={
            "application/json": PolymorphicProxySerializer(
                component_name=f"Ingest{_camel(name)}Body",
                serializers=[row_serializer(name), SOURCE_BODY],
                resource_type_field_name=None,
                many=False,
            )
        },
        parameters=INGEST_PARAMETERS,
        responses=INGEST_RESPONSES,
    )
    def post(self, request: Request, kind: str) -> Response:
        return IngestApi.post(self, request, kind)

    return type(f"Ingest{_camel(name)}Api", (IngestApi,), {"post": post})
