"""POST /api/v1/ingest/<kind>/: a JSON list of rows, the same validator as files."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from activity import services
from activity.kinds import KINDS
from activity.models import ImportSource
from activity.sources.base import SourceCode
from activity.sources.mapping import check_mapping, shipped_mapping_text
from activity.sources.readers import SOURCES, SourceNotUsable, check_source
from activity.validation import RowError


class IsOps(permissions.BasePermission):
    message = "Only CS ops / admin accounts and integration tokens may load data."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in (Role.ADMIN, Role.SERVICE))


ERROR = inline_serializer(
    "IngestError",
    {
        "row": serializers.IntegerField(),
        "column": serializers.CharField(),
        "value": serializers.CharField(),
        "code": serializers.CharField(),
        "message": serializers.CharField(),
    },
    many=True,
)
SUMMARY = inline_serializer(
    "IngestSummary",
    {
        "kind": serializers.CharField(),
        "dry_run": serializers.BooleanField(),
        "rows": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "error_count": serializers.IntegerField(),
        "errors": ERROR,
        "skipped": serializers.IntegerField(help_text="records of another system's format skipped"),
        "notes": serializers.ListField(
            child=serializers.CharField(), help_text="e.g. records of another system's format skipped"
        ),
        "follow_ups": inline_serializer(
            "IngestFollowUp",
            {
                "notice": serializers.CharField(help_text="e.g. when the KPIs will be recomputed"),
                "periods": serializers.ListField(
                    child=serializers.CharField(), help_text="e.g. 2026-07, 2026-08, 2026-Q3"
                ),
                "due_at": serializers.DateTimeField(allow_null=True),
            },
            many=True,
        ),
    },
)


class IngestApi(APIView):
    permission_classes = [IsOps]

    @extend_schema(
        summary="Load rows of one kind (all or nothing)",
        description="A JSON list (at most 10,000) of objects with the columns of KIND (the same as its CSV file). "
        "Any invalid row: 400 with every error, nothing written. `?dry_run=1` validates only. "
        "A load that writes schedules a recompute of the KPI periods its rows touch, about a minute "
        "later (`follow_ups` says which and when).",
        request={
            "application/json": {
                "oneOf": [
                    {
                        "type": "array",
                        "maxItems": services.API_MAX_ROWS,
                        "items": {"type": "object", "additionalProperties": True},
                    },
                    {
                        "type": "object",
                        "additionalProperties": True,
                        "description": "With ?source=: that system's API answer (e.g. {tickets, metric_sets}).",
                    },
                ]
            }
        },
        parameters=[
            OpenApiParameter(
                "source",
                str,
                enum=list(SOURCES),
                description="The body is that system's own API JSON (e.g. a Zendesk tickets page with "
                "metric_sets), mapped onto KIND; errors name the source's record and field.",
            ),
            OpenApiParameter(
                "mapping",
                str,
                description="Read the body through this shipped mapping file (e.g. pendo-usage). A custom "
                'mapping comes in the body instead: {"mapping": <the YAML as an object or text>, "rows": [...]}.',
            ),
            OpenApiParameter("dry_run", bool, description="Validate only; write nothing."),
        ],
        responses={
            200: SUMMARY,
            400: SUMMARY,
            404: OpenApiResponse(description="Unknown kind"),
        },
    )
    def post(self, request: Request, kind: str) -> Response:
        if kind not in KINDS:
            raise NotFound(f"Unknown kind {kind!r}: one of {', '.join(KINDS)}.")
        dry_run = request.query_params.get("dry_run") in ("1", "true", "yes")
        source = request.query_params.get("source", "")
        items, mapping = request.data, request.query_params.get("mapping", "")
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
            result=result, source=ImportSource.API, user=request.user, source_format=source
        )
        return Response(
            result.summary(), status=status.HTTP_200_OK if result.ok else status.HTTP_400_BAD_REQUEST
        )
