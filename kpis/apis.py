"""GET /api/v1/kpis/?period=2026-Q3[&level=csm|team|segment][&metric=nrr]: the export, as JSON."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import get_visible_or_404
from accounts.models import Role, User
from accounts.pagination import Pages
from kpis import scorecards, selectors
from kpis.models import SubjectType
from kpis.periods import Period, PeriodError
from kpis.registry import REGISTRY


class KpiExportApi(APIView):
    class OutputSerializer(serializers.Serializer):
        subject = serializers.CharField(help_text="The CSM's email, the team's name or the segment.")
        period = serializers.CharField()
        metric = serializers.CharField()
        value = serializers.DecimalField(
            max_digits=20, decimal_places=2, allow_null=True, coerce_to_string=True
        )
        numerator = serializers.CharField(allow_null=True)
        denominator = serializers.CharField(allow_null=True)
        sample_size = serializers.IntegerField()
        computed_at = serializers.DateTimeField()

    @extend_schema(
        summary="Published KPI values of a period",
        parameters=[
            OpenApiParameter("period", str, required=True, description="2026-Q3 or 2026-09"),
            OpenApiParameter("level", str, enum=[c.value for c in SubjectType], description="default csm"),
            OpenApiParameter("metric", str, description="only this metric key"),
            OpenApiParameter("limit", int, description="rows per page (default 50, at most 500)"),
            OpenApiParameter("offset", int, description="rows to skip"),
        ],
        responses={
            200: inline_serializer(
                "KpiValuePage",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": OutputSerializer(many=True),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        try:
            period = Period.parse(request.query_params.get("period", ""))
        except PeriodError as exc:
            raise ValidationError({"period": [str(exc)]}) from exc
        level = request.query_params.get("level", SubjectType.CSM)
        if level not in SubjectType.values:
            raise ValidationError({"level": [f"must be one of {', '.join(SubjectType.values)}"]})
        metric = request.query_params.get("metric")
        if metric and metric not in REGISTRY:
            raise ValidationError({"metric": [f"unknown metric key {metric!r}"]})
        if selectors.latest_published_run(period=period) is None:
            raise NotFound(f"No published run for {period} yet.")
        values = selectors.kpi_values(user=request.user, period=period, level=level)
        if metric:
            values = values.filter(metric=metric)
        paginator = Pages()
        page = paginator.paginate_queryset(values, request, view=self)
        return paginator.get_paginated_response([selectors.kpi_export_row(v) for v in page])


class ScorecardApi(APIView):
    """What the scorecard page shows, for one CSM the caller may see (404 otherwise)."""

    @extend_schema(
        summary="A CSM's scorecard",
        parameters=[
            OpenApiParameter("period", str, description="2026-Q3 or 2026-09; default: current quarter")
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, user_id: int) -> Response:
        try:
            csm = get_visible_or_404(
                request=request,
                visible=User.objects.visible_to(request.user).filter(role=Role.CSM),
                pk=user_id,
                what="scorecard",
            )
        except Http404 as exc:
            raise NotFound("No such CSM.") from exc
        text = request.query_params.get("period")
        try:
            period = Period.parse(text) if text else scorecards.default_period()
        except PeriodError as exc:
            raise ValidationError({"period": [str(exc)]}) from exc
        data = scorecards.scorecard(csm=csm, period=period).as_dict()
        # Decimals as strings (money stays exact), dates in ISO 8601.
        return Response(json.loads(json.dumps(data, cls=DjangoJSONEncoder)))
