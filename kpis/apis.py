"""GET /api/v1/kpis/?period=2026-Q3[&level=csm|team|segment][&metric=nrr]: the export, as JSON."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import get_visible_or_404
from accounts.models import Role, User
from accounts.requests import api_person
from core.openapi import INVALID, NOT_FOUND, PEOPLE, DecimalText, ErrorDetail, json_shape, stored_json
from core.pagination import Pages
from kpis import scorecards, selectors
from kpis.engine import formulas, reasons
from kpis.models import SubjectType
from kpis.periods import Period, PeriodError
from kpis.registry import REGISTRY

# Periods as the API reads them (kpis.periods): a quarter of the fiscal year or a calendar month.
PERIOD_TEXT = "A quarter (2026-Q3, of the fiscal year) or a calendar month (2026-09)"
DECIMAL_TEXT = "a decimal number as a string (exact)"


@extend_schema_serializer(component_name="KpiValue")
class KpiValueSerializer(serializers.Serializer):
    """One published value of one metric for one subject (docs/data-contract.md, "What goes out")."""

    subject = serializers.CharField(help_text="The CSM's email, the team's name or the segment.")
    period = serializers.CharField(help_text="The period of the value, as asked (2026-Q3 or 2026-09).")
    metric = serializers.CharField(help_text="The metric's key (docs/metrics.md), e.g. nrr.")
    value = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        allow_null=True,
        coerce_to_string=True,
        help_text="The value, 2 decimals, in the metric's unit; null when there is no data.",
    )
    numerator = DecimalText(
        allow_null=True, help_text=f"What the value was computed from: {DECIMAL_TEXT}; null when none."
    )
    denominator = DecimalText(
        allow_null=True, help_text=f"What the numerator was divided by: {DECIMAL_TEXT}; null when none."
    )
    sample_size = serializers.IntegerField(
        help_text="How many responses, tickets, onboardings or accounts the value rests on."
    )
    computed_at = serializers.DateTimeField(help_text="When the run computed the value (ISO 8601).")


class KpiExportApi(APIView):
    @extend_schema(
        operation_id="list_kpi_values",
        tags=["kpis"],
        summary="Published KPI values of a period",
        description="The values of the period's latest published KPI run, one row per subject and metric, "
        "in a stable order (by subject, then metric), as the caller may see them: a CSM their own values, a manager "
        "their teams' CSMs and the teams, HR and CS ops / admin everything (segment rows included). A "
        "level the caller sees nothing of gives an empty list. The same rows as `manage.py export_kpis`.\n\n"
        "**Who**: any person (CSM, manager, HR, CS ops / admin); not an integration token (403).\n\n"
        "**Errors**: 400 for an unknown period, level or metric key; 404 when the period has no "
        "published run yet.",
        parameters=[
            OpenApiParameter(
                "period", str, required=True, description=f"{PERIOD_TEXT}: the values of that period."
            ),
            OpenApiParameter(
                "level",
                str,
                enum=[c.value for c in SubjectType],
                description="Whose values: each CSM's (default `csm`), each team's or each segment's.",
            ),
            OpenApiParameter(
                "metric",
                str,
                enum=list(REGISTRY),
                description="Only this metric (its key, docs/metrics.md); default every metric.",
            ),
            OpenApiParameter("limit", int, description=Pages.limit_query_description),
            OpenApiParameter("offset", int, description=Pages.offset_query_description),
        ],
        responses={
            200: inline_serializer(
                "KpiValuePage",
                {
                    "count": serializers.IntegerField(
                        help_text="How many rows the whole list has (the same on every page)."
                    ),
                    "next": serializers.URLField(
                        allow_null=True, help_text="The URL of the next page; null on the last page."
                    ),
                    "previous": serializers.URLField(
                        allow_null=True, help_text="The URL of the previous page; null on the first page."
                    ),
                    "results": KpiValueSerializer(many=True, help_text="The rows of this page."),
                },
            ),
            400: INVALID,
            404: OpenApiResponse(ErrorDetail, description="The period has no published run yet."),
            **PEOPLE,
        },
    )
    def get(self, request: Request) -> Response:
        try:
            period = Period.parse(request.query_params.get("period", ""))
        except PeriodError as exc:
            raise ValidationError({"period": [str(exc)]}) from exc
        level = request.query_params.get("level", SubjectType.CSM)
        if level not in SubjectType.values:
            raise ValidationError(
                {"level": [_("must be one of %(choices)s") % {"choices": ", ".join(SubjectType.values)}]}
            )
        metric = request.query_params.get("metric")
        if metric and metric not in REGISTRY:
            raise ValidationError({"metric": [_("unknown metric key %(metric)r") % {"metric": metric}]})
        if selectors.latest_published_run(period=period) is None:
            raise NotFound(_("No published run for %(period)s yet.") % {"period": period})
        values = selectors.kpi_values(user=api_person(request), period=period, level=level)
        if metric:
            values = values.filter(metric=metric)
        paginator = Pages()
        page = paginator.paginate_queryset(values, request, view=self)
        return paginator.get_paginated_response([selectors.kpi_export_row(v) for v in page or []])


# The values of the scorecard's coded fields (their enum names: SPECTACULAR_SETTINGS).
METRIC_UNITS = sorted({m.unit for m in REGISTRY.values()})
METRIC_DIRECTIONS = sorted({m.direction for m in REGISTRY.values()})
CHANGES = ["better", "worse", "same"]
BRIDGE_KINDS = list(scorecards.BRIDGE_ORDER)
LIFT_REASONS = list(reasons.KEYS)


# The scorecard's JSON, described for the OpenAPI schema only: the view answers
# ``scorecards.Scorecard.as_dict()`` (decimals as strings, dates in ISO 8601).
def _decimal(text: str) -> serializers.CharField:
    return DecimalText(allow_null=True, help_text=f"{text}: {DECIMAL_TEXT}; null when none.")


def _count(text: str) -> serializers.IntegerField:
    return serializers.IntegerField(help_text=text)


# The kinds counted in the breakdown of referrals and of touchpoints (the engine's components,
# without their prefix: kpis.engine.formulas._kinds).
REFERRAL_KINDS = [c.value.removeprefix("referrals_") for c in formulas.REFERRAL_KINDS]
TOUCHPOINT_KINDS = [c.value.removeprefix("touchpoints_") for c in formulas.TOUCHPOINT_KINDS]


# What a value's breakdown may hold, by metric: each key only where its metric writes it (the
# engine: kpis/engine/formulas.py and lifts.py), so every one may be absent; the keys of the MRR
# movements and of the kinds counted are read from the engine's components.
BREAKDOWN = json_shape(
    "MetricBreakdown",
    {
        **{
            kind: DecimalText(
                help_text=f"portfolio_growth: the MRR of the {kind} movements over the period: "
                f"{DECIMAL_TEXT}, negative for losses."
            )
            for kind in scorecards.BRIDGE_ORDER
        },
        **{kind: _count(f"referrals: how many of kind {kind}.") for kind in REFERRAL_KINDS},
        **{kind: _count(f"touchpoints: how many of kind {kind}.") for kind in TOUCHPOINT_KINDS},
        "raw_lift": DecimalText(help_text=f"A lift: its value before shrinking ({DECIMAL_TEXT})."),
        "standard_error": DecimalText(help_text=f"A lift: the raw lift's standard error ({DECIMAL_TEXT})."),
        "weight": DecimalText(
            help_text=f"A lift: the weight of the raw lift in the shrunk one ({DECIMAL_TEXT})."
        ),
        "between_variance": DecimalText(
            help_text=f"A lift: the variance between the subjects shrunk together ({DECIMAL_TEXT})."
        ),
        "subjects_shrunk_together": _count("A lift: how many subjects were shrunk together."),
        "reason": serializers.ChoiceField(
            choices=LIFT_REASONS,
            help_text="An expected result or a lift without a number: why (its key; docs/metrics.md, "
            '"Expected results and lift").',
        ),
        "reason_params": stored_json(
            {
                "type": "object",
                "additionalProperties": {
                    "oneOf": [{"type": "number"}, {"type": "string"}],
                    "description": "A number (a count, a share, a slope) or a quarter (2026-Q2).",
                },
            },
            help_text="The numbers of the reason, by name (e.g. n and min of few_history_quarters).",
        ),
    },
    may_be_absent=(
        *scorecards.BRIDGE_ORDER,
        *REFERRAL_KINDS,
        *TOUCHPOINT_KINDS,
        "raw_lift",
        "standard_error",
        "weight",
        "between_variance",
        "subjects_shrunk_together",
        "reason",
        "reason_params",
    ),
    help_text="The parts of the value, by metric: the MRR movements of portfolio_growth, the kinds "
    "of referrals and touchpoints, how a lift was shrunk, or why an expected result or a lift has no "
    "number; empty when none.",
)

SCORECARD_METRIC = inline_serializer(
    "ScorecardMetric",
    {
        "metric": serializers.CharField(help_text="The metric's key (docs/metrics.md), e.g. nrr."),
        "name": serializers.CharField(help_text="The metric's name, in the language asked for."),
        "unit": serializers.ChoiceField(
            choices=METRIC_UNITS,
            help_text="What the value counts: money (MRR), percent, pp (percentage points), count, days, "
            "hours, score or ratio.",
        ),
        "direction": serializers.ChoiceField(
            choices=METRIC_DIRECTIONS,
            help_text="Which way is better: higher, lower, or neutral (context only).",
        ),
        "scored": serializers.BooleanField(
            help_text="False for a metric tracked only: never scored in a review nor a key result."
        ),
        "value": _decimal("The CSM's value for the period"),
        "numerator": _decimal("What the value was computed from"),
        "denominator": _decimal("What the numerator was divided by"),
        "sample_size": serializers.IntegerField(
            help_text="How many responses, tickets, onboardings or accounts the value rests on."
        ),
        "breakdown": BREAKDOWN,
        "previous": _decimal("The value of the period before"),
        "change": _decimal("value minus previous"),
        "change_is": serializers.ChoiceField(
            choices=CHANGES,
            allow_null=True,
            help_text="The change read in the metric's direction; null when there is no change to read "
            "(no data, a neutral metric, or too few data on either side).",
        ),
        "few_data": serializers.BooleanField(
            help_text="The value rests on fewer than min_sample: shown, never coloured nor ranked."
        ),
        "min_sample": serializers.IntegerField(
            help_text="The smallest sample a value is compared on (0: any sample)."
        ),
        "team_median": _decimal("The median of the CSM's team (values with few data left out)"),
        "team_percentile": _decimal(
            "Percent of the team (the CSM included) doing worse, ties counted half: 100 is the best"
        ),
        "segment_median": _decimal("The median of the CSMs of the same segment"),
        "segment_percentile": _decimal("Percent of the segment doing worse, ties counted half"),
        "benchmark": inline_serializer(
            "ScorecardBenchmark",
            {
                "value": serializers.CharField(help_text="The benchmark's value, in the metric's unit."),
                "source": serializers.CharField(help_text="Where the benchmark comes from, as cited."),
            },
            allow_null=True,
            help_text="An outside benchmark for the metric; null when it has none.",
        ),
        "trend": inline_serializer(
            "ScorecardTrendPoint",
            {
                "period": serializers.CharField(help_text="A period, oldest first."),
                "value": _decimal("The CSM's value then"),
            },
            many=True,
            help_text="The CSM's values of the last 8 quarters (12 months for a month), this period last.",
        ),
        "how_computed": serializers.CharField(help_text="How the metric is computed, in words."),
    },
    many=True,
    help_text="Every metric of docs/metrics.md, in its order, each with its comparisons.",
)
# The scorecard's fields: the scorecard's answer, and the snapshot a review freezes of it
# (reviews/apis.py adds what the snapshot holds besides).
SCORECARD_FIELDS = {
    "csm": inline_serializer(
        "ScorecardCsm",
        {
            "id": serializers.IntegerField(help_text="The CSM's id (the path's user_id)."),
            "email": serializers.EmailField(help_text="The CSM's email."),
            "name": serializers.CharField(help_text="The CSM's name."),
        },
        help_text="Whose scorecard it is.",
    ),
    "period": serializers.CharField(help_text="The period shown (2026-Q3 or 2026-09)."),
    "run": inline_serializer(
        "ScorecardRun",
        {
            "id": serializers.IntegerField(help_text="The KPI run's id."),
            "as_of": serializers.DateField(help_text="The day the run counted data up to."),
            "finished_at": serializers.DateTimeField(
                allow_null=True, help_text="When the run finished (ISO 8601)."
            ),
        },
        allow_null=True,
        help_text="The published run the numbers come from; null when the period has none.",
    ),
    "warning": serializers.CharField(
        allow_null=True,
        help_text="Why the numbers may be missing or old (no run yet, the last run failed, the last "
        "refresh is more than 36 hours old); null when they are fresh.",
    ),
    "metrics": SCORECARD_METRIC,
    "nrr_bridge": inline_serializer(
        "ScorecardBridgeStep",
        {
            "kind": serializers.ChoiceField(
                choices=BRIDGE_KINDS,
                help_text="The MRR movement: expansion, upgrade, renewal (uplift), reactivation, "
                "downgrade, contraction or churn.",
            ),
            "mrr_delta": serializers.CharField(
                help_text=f"Its MRR change over the period: {DECIMAL_TEXT}, negative for losses."
            ),
        },
        many=True,
        help_text="From starting to ending MRR of the CSM's cohort, the movements in order; empty "
        "without data.",
    ),
    "health_mix": inline_serializer(
        "ScorecardHealthMonth",
        {
            "period": serializers.CharField(help_text="A month of the quarter (2026-07)."),
            "good": _decimal("Percent of the CSM's accounts in good health that month"),
            "average": _decimal("Percent in average health"),
            "poor": _decimal("Percent in poor health"),
        },
        many=True,
        help_text="For a quarter, each of its months up to today; empty for a month.",
    ),
}
SCORECARD = inline_serializer("Scorecard", dict(SCORECARD_FIELDS))  # a copy: the class takes its fields out


class ScorecardApi(APIView):
    """What the scorecard page shows, for one CSM the caller may see (404 otherwise)."""

    @extend_schema(
        operation_id="get_scorecard",
        tags=["kpis"],
        summary="A CSM's scorecard",
        description="What the scorecard page shows for one CSM and period, from published KPI runs: "
        "every metric with its previous value, change, team and segment medians and percentiles, "
        "benchmark, trend and how it is computed; the NRR bridge; the health mix by month.\n\n"
        "**Who**: a CSM their own, a manager the CSMs of the teams they manage, HR and CS ops / admin "
        "any CSM; not an integration token (403).\n\n"
        "**Errors**: 400 for a period that is not one; 404 for a CSM the caller may not see and for no "
        "such CSM alike (a refused read of an existing person is recorded).",
        parameters=[
            OpenApiParameter("period", str, description=f"{PERIOD_TEXT}; default: the current quarter."),
            OpenApiParameter(
                "user_id", int, OpenApiParameter.PATH, description="The CSM's id (a person of role CSM)."
            ),
        ],
        responses={200: SCORECARD, 400: INVALID, 404: NOT_FOUND, **PEOPLE},
    )
    def get(self, request: Request, user_id: int) -> Response:
        try:
            csm = get_visible_or_404(
                request=request,
                visible=User.objects.visible_to(api_person(request)).filter(role=Role.CSM),
                pk=user_id,
                what="scorecard",
            )
        except Http404 as exc:
            raise NotFound(_("No such CSM.")) from exc
        text = request.query_params.get("period")
        try:
            period = Period.parse(text) if text else scorecards.default_period()
        except PeriodError as exc:
            raise ValidationError({"period": [str(exc)]}) from exc
        data = scorecards.scorecard(csm=csm, period=period).as_dict()
        # Decimals as strings (money stays exact), dates in ISO 8601.
        return Response(json.loads(json.dumps(data, cls=DjangoJSONEncoder)))
