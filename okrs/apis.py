"""OKR API: objectives, key results and check-ins, scoped by visible_to; writes through the services."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.models import Team, User
from accounts.requests import api_person
from core import text
from core.openapi import INVALID, NOT_FOUND, NOT_SIGNED_IN, PEOPLE, DecimalText, ErrorDetail
from okrs import selectors, services
from okrs.models import CheckIn, Commitment, Direction, KeyResult, KrKind, Objective


@extend_schema_field(OpenApiTypes.INT)
class VisibleTo(serializers.PrimaryKeyRelatedField):
    """An id among what the person may see (``visible_to``): a hidden id and a missing one get the
    same answer."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)
        # Lazy: the field is built once, at import; its messages speak the caller's language.
        name = model._meta.verbose_name
        self.error_messages["does_not_exist"] = format_lazy(gettext_lazy("No such {name}."), name=name)
        self.error_messages["incorrect_type"] = format_lazy(
            gettext_lazy("A {name} is given by its id, a whole number."), name=name
        )

    def get_queryset(self):
        return self.model.objects.visible_to(self.context["request"].user)


def _raise(exc: DjangoValidationError):
    raise ValidationError(exc.message_dict) from exc


def _created(view, obj) -> Response:
    return Response(view.get_serializer(obj).data, status=201)


class KeyResultOutput(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(
        help_text="0.00-1.00 as a string: from baseline to target (either direction), clamped; a "
        "milestone is 0 or 1; frozen when the quarter is closed."
    )
    status = serializers.SerializerMethodField(
        help_text="on_track, at_risk, off_track, stale (no check-in or fresh value for 14 days), done, "
        "or closed (the quarter is): progress against the time elapsed and the latest confidence."
    )

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "objective",
            "title",
            "kind",
            "metric",
            "baseline",
            "target",
            "unit",
            "direction",
            "weight",
            "owner",
            "current",
            "current_at",
            "current_run",
            "done",
            "progress",
            "status",
        ]
        extra_kwargs = {
            "id": {"help_text": "The key result's id."},
            "objective": {"help_text": "The id of its objective."},
            "title": {"help_text": "What is measured, in words."},
            "kind": {
                "help_text": "metric (linked to a KPI: its value comes from the nightly run), numeric "
                "(checked in by hand) or milestone (done or not)."
            },
            "metric": {
                "help_text": "kind metric: the KPI's key (docs/metrics.md), e.g. nrr; empty otherwise."
            },
            "baseline": {"help_text": "The start value; null for a milestone."},
            "target": {"help_text": "The value aimed at (never the baseline); null for a milestone."},
            "unit": {"help_text": "The unit shown after the values, e.g. % or days; may be empty."},
            "direction": {"help_text": "increase (the target is above the baseline) or decrease."},
            "weight": {"help_text": "Its weight in the objective's score, relative to the others (above 0)."},
            "owner": {
                "help_text": "The id of the person who answers for it (the objective's CSM, or the team's "
                "manager); may be null."
            },
            "current": {
                "help_text": "The latest value: numeric, the baseline and then the last check-in's; metric, "
                "the latest published run's (null without one); milestone, null."
            },
            "current_at": {
                "help_text": "When current (or done) last changed by a check-in or a run; null before."
            },
            "current_run": {"help_text": "kind metric: the id of the KPI run current comes from; else null."},
            "done": {"help_text": "A milestone: whether it is done (false for the other kinds)."},
        }

    def get_progress(self, kr) -> str:
        return str(selectors.kr_progress(kr))

    def get_status(self, kr) -> str:
        return selectors.kr_status(kr).code


class ObjectiveOutput(serializers.ModelSerializer):
    score = serializers.SerializerMethodField(
        help_text="0.00-1.00 as a string: the weighted mean of its key results' progress; once the "
        "quarter is closed the frozen score, or the final one when adjusted. Null without key results."
    )
    key_results = KeyResultOutput(many=True, read_only=True, help_text="Its key results, in their order.")
    carried_into = serializers.SerializerMethodField(
        help_text="The id of the objective of the next quarter that carries this one on; null when none."
    )

    def get_carried_into(self, objective) -> int | None:
        try:
            return objective.carried_into.pk
        except Objective.DoesNotExist:
            return None

    class Meta:
        model = Objective
        fields = [
            "id",
            "csm",
            "team",
            "period",
            "title",
            "description",
            "parent",
            "commitment",
            "carried_from",
            "carried_into",
            "score",
            "frozen_score",
            "final_score",
            "final_score_reason",
            "key_results",
        ]
        extra_kwargs = {
            "id": {"help_text": "The objective's id."},
            "csm": {"help_text": "The id of the CSM whose objective it is; null for a team objective."},
            "team": {"help_text": "The id of the team whose objective it is; null for a CSM's."},
            "period": {"help_text": "The quarter, e.g. 2026-Q3."},
            "title": {"help_text": "The objective, in words."},
            "description": {"help_text": "More about it; may be empty."},
            "parent": {
                "help_text": "The id of the objective (of the same quarter) it is aligned to; null when none."
            },
            "commitment": {
                "help_text": "committed (expected to reach 1.0) or aspirational (0.7 is a success)."
            },
            "carried_from": {
                "help_text": "The id of the objective of the quarter before that this one carries on; null "
                "when none."
            },
            "frozen_score": {
                "help_text": "The score frozen when the quarter was closed (decimal string); null before."
            },
            "final_score": {
                "help_text": "A final score set after closing in place of the frozen one (decimal "
                "string, 0-1); null when none."
            },
            "final_score_reason": {
                "help_text": "Why the final score differs from the frozen one; may be empty."
            },
        }

    def get_score(self, objective) -> str | None:
        score = selectors.objective_score(objective)
        return None if score is None else str(score)


WHO_READS = (
    "A CSM sees their own objectives and their team's, a manager their teams' and their CSMs', HR and "
    "CS ops / admin all; an integration token nothing (403)."
)
WHO_WRITES = (
    "a CSM for themselves, a manager for the teams they manage and their CSMs, CS ops / admin for "
    "anyone; HR reads only"
)


@extend_schema(tags=["okrs"])
@extend_schema_view(
    list=extend_schema(
        operation_id="list_objectives",
        summary="List objectives",
        description="The objectives the caller may see, each with its key results and its score (0.0-1.0), "
        f"optionally of one quarter (`?period=`). {WHO_READS}",
        parameters=[
            OpenApiParameter(
                "period", str, description="Only the objectives of this quarter, e.g. 2026-Q3 (as written)."
            )
        ],
        responses={200: ObjectiveOutput(many=True), **PEOPLE},
    ),
    retrieve=extend_schema(
        operation_id="get_objective",
        summary="One objective",
        description=f"An objective the caller may see, with its key results. {WHO_READS}\n\n"
        "**Errors**: 404 for an objective the caller may not see and for no such objective alike.",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The objective's id.")],
        responses={200: ObjectiveOutput, 404: NOT_FOUND, **PEOPLE},
    ),
)
class ObjectiveViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    class ObjectiveInput(serializers.Serializer):
        period = serializers.CharField(
            help_text="The quarter, e.g. 2026-Q3: not a month, not a closed quarter."
        )
        title = serializers.CharField(
            validators=[text.MaxChars(text.TITLE)],
            help_text="The objective, in words (at most 200 characters).",
        )
        description = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            validators=[text.MaxChars(text.NOTE)],
            help_text="More about it (optional, at most 2,000 characters).",
        )
        commitment = serializers.ChoiceField(
            choices=Commitment.choices,
            default=Commitment.COMMITTED,
            help_text="committed (expected to reach 1.0, the default) or aspirational (0.7 is a success).",
        )
        csm = VisibleTo(
            User,
            required=False,
            allow_null=True,
            help_text="Whose objective: the id of a CSM the caller may see. Give csm or team, not both.",
        )
        team = VisibleTo(
            Team,
            required=False,
            allow_null=True,
            help_text="Or a team objective: the id of a team the caller may see.",
        )
        # A declared field: DRF's serializer metaclass moves it into _declared_fields, so it never
        # shadows Field.parent at run time; the stubs see only the class attribute.
        parent = VisibleTo(  # type: ignore[assignment]
            Objective,
            required=False,
            allow_null=True,
            help_text="The id of an objective of the same quarter to align it to (optional).",
        )

    serializer_class = ObjectiveOutput

    def get_queryset(self):
        qs = (
            Objective.objects.visible_to(api_person(self.request))
            .select_related("carried_into")
            .prefetch_related("key_results__check_ins", "key_results__objective")
        )
        period = self.request.query_params.get("period")
        return qs.filter(period=period) if period else qs

    @extend_schema(
        operation_id="create_objective",
        summary="Create an objective",
        description="A CSM's or a team's objective for a quarter that is not closed, optionally aligned to "
        "another objective of the quarter. Answers the objective, without key results yet.\n\n"
        f"**Who**: {WHO_WRITES}; an integration token neither.\n\n"
        "**Errors**: 400 with the field and a sentence (a period that is not a quarter or is closed, "
        "neither or both of csm and team (`owner`), a csm that is not a CSM, an id the caller may not "
        "see, a parent of another quarter); 403 when the caller may not set OKRs for that owner.",
        request=ObjectiveInput,
        responses={
            201: ObjectiveOutput,
            400: INVALID,
            401: NOT_SIGNED_IN,
            403: OpenApiResponse(ErrorDetail, description="The caller may not set OKRs for this owner."),
        },
    )
    def create(self, request, *args, **kwargs):
        data = self.ObjectiveInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        try:
            objective = services.objective_create(user=api_person(request), **data.validated_data)
        except DjangoValidationError as exc:
            _raise(exc)
        return _created(self, objective)

    class CarryOverInput(serializers.Serializer):
        values = serializers.ChoiceField(
            choices=services.CarryValues.choices,
            help_text="reset: the key results start again (a numeric one at its baseline, a milestone not "
            "done); keep: they keep where they got to. A KPI-linked one takes the new quarter's value either way.",
        )

    @extend_schema(
        operation_id="carry_over_objective",
        summary="Carry an objective over",
        description="An objective not finished (score below 1.0) when its quarter was closed goes on in the "
        "next quarter: a new objective with a copy of each key result, linked to it (carried_from; the "
        "original's carried_into). Answers the new objective.\n\n"
        f"**Who**: {WHO_WRITES}.\n\n"
        "**Errors**: 400 with the field and a sentence, nothing written (its quarter still open, finished, "
        "already carried over, the next quarter closed, values not reset or keep); 403 when the caller may "
        "not edit the objective; 404 for one they may not see.",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The objective's id.")],
        request=CarryOverInput,
        responses={
            201: ObjectiveOutput,
            400: INVALID,
            401: NOT_SIGNED_IN,
            403: OpenApiResponse(ErrorDetail, description="The caller may not edit this objective."),
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["post"], url_path="carry-over")
    def carry_over(self, request, pk=None):
        objective = self.get_object()
        data = self.CarryOverInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            copy = services.objective_carry_over(
                user=api_person(request), objective=objective, values=data.validated_data["values"]
            )
        except DjangoValidationError as exc:
            _raise(exc)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return _created(self, Objective.objects.select_related("carried_into").get(pk=copy.pk))


@extend_schema(tags=["okrs"])
@extend_schema_view(
    list=extend_schema(
        operation_id="list_key_results",
        summary="List key results",
        description="The key results of the objectives the caller may see, with their progress and "
        "status: linked to a KPI (value from the nightly run), numeric (baseline, target, direction; "
        f"checked in) or milestones (done or not). {WHO_READS}",
        responses={200: KeyResultOutput(many=True), **PEOPLE},
    ),
    retrieve=extend_schema(
        operation_id="get_key_result",
        summary="One key result",
        description=f"A key result of an objective the caller may see. {WHO_READS}\n\n"
        "**Errors**: 404 for a key result the caller may not see and for no such key result alike.",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The key result's id.")],
        responses={200: KeyResultOutput, 404: NOT_FOUND, **PEOPLE},
    ),
)
class KeyResultViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    class KeyResultInput(serializers.Serializer):
        objective = VisibleTo(Objective, help_text="The id of the objective, one the caller may edit.")
        title = serializers.CharField(
            validators=[text.MaxChars(text.TITLE)],
            help_text="What is measured, in words (at most 200 characters).",
        )
        kind = serializers.ChoiceField(
            choices=KrKind.choices,
            help_text="metric (linked to a KPI), numeric (checked in by hand) or milestone (done or not).",
        )
        metric = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text="kind metric, required: the key of a scored KPI with a better direction "
            "(docs/metrics.md), e.g. nrr; its direction and unit then apply. Ignored otherwise.",
        )
        baseline = DecimalText(
            required=False,
            allow_null=True,
            default=None,
            help_text="kind metric or numeric, required: the start value (a number). Ignored for a milestone.",
        )
        target = DecimalText(
            required=False,
            allow_null=True,
            default=None,
            help_text="kind metric or numeric, required: the value aimed at (a number), above the baseline "
            "for an increase, below it for a decrease.",
        )
        unit = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text="The unit shown after the values (optional).",
        )
        direction = serializers.ChoiceField(
            choices=Direction.choices,
            default=Direction.INCREASE,
            help_text="increase (the default) or decrease; for kind metric the metric's own direction wins.",
        )
        weight = DecimalText(
            default="1",
            help_text="Its weight in the objective's score relative to the others: a number above 0 and "
            "at most 100 (default 1).",
        )

    serializer_class = KeyResultOutput

    def get_queryset(self):
        return (
            KeyResult.objects.visible_to(api_person(self.request))
            .select_related("objective")
            .prefetch_related("check_ins")
        )

    @extend_schema(
        operation_id="create_key_result",
        summary="Add a key result",
        description="A key result on an objective the caller may edit, in a quarter that is not closed; "
        "its owner is the objective's CSM (or the team's manager). A metric key result takes the KPI's "
        "latest published value as its current value.\n\n"
        f"**Who**: those who may edit the objective: {WHO_WRITES}; an integration token neither.\n\n"
        "**Errors**: 400 with the field and a sentence (an objective the caller may not see, a closed "
        "quarter (`period`), a missing title, an unknown or unscored metric, a missing baseline or "
        "target, a target on the wrong side of the baseline, a weight not above 0 or above 100, a "
        "number out of range); 403 when the caller may see the objective but not change it.",
        request=KeyResultInput,
        responses={
            201: KeyResultOutput,
            400: INVALID,
            401: NOT_SIGNED_IN,
            403: OpenApiResponse(ErrorDetail, description="The caller may not change this objective."),
        },
    )
    def create(self, request, *args, **kwargs):
        data = self.KeyResultInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        objective = Objective.objects.visible_to(api_person(request)).filter(pk=d.pop("objective").pk).first()
        if objective is None:
            raise ValidationError({"objective": [_("No such objective.")]})
        try:
            kr = services.key_result_create(user=api_person(request), objective=objective, **d)
        except DjangoValidationError as exc:
            _raise(exc)
        return _created(self, kr)


class CheckInOutput(serializers.ModelSerializer):
    class Meta:
        model = CheckIn
        fields = ["id", "key_result", "date", "value", "done", "confidence", "note", "author", "created_at"]
        extra_kwargs = {
            "id": {"help_text": "The check-in's id."},
            "key_result": {"help_text": "The id of the key result checked in on."},
            "date": {"help_text": "The day it is about (within the quarter, not after the day it was made)."},
            "value": {"help_text": "A numeric key result's value that day (decimal string); else null."},
            "done": {"help_text": "A milestone: whether it was done; else null."},
            "confidence": {
                "help_text": "How sure its author is of reaching the target: 0 (no chance) to 10 (certain)."
            },
            "note": {"help_text": "What its author wrote; may be empty."},
            "author": {"help_text": "The id of the person who checked in; null if the account is gone."},
            "created_at": {"help_text": "When it was made (ISO 8601)."},
        }


@extend_schema(tags=["okrs"])
@extend_schema_view(
    list=extend_schema(
        operation_id="list_check_ins",
        summary="List check-ins",
        description="The check-ins (date, value or milestone state, confidence 0-10, note, author) of "
        f"the key results the caller may see: the history of each key result. {WHO_READS}",
        responses={200: CheckInOutput(many=True), **PEOPLE},
    ),
    retrieve=extend_schema(
        operation_id="get_check_in",
        summary="One check-in",
        description=f"A check-in on a key result the caller may see. {WHO_READS}\n\n"
        "**Errors**: 404 for a check-in the caller may not see and for no such check-in alike.",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The check-in's id.")],
        responses={200: CheckInOutput, 404: NOT_FOUND, **PEOPLE},
    ),
)
class CheckInViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    class CheckInInput(serializers.Serializer):
        key_result = VisibleTo(KeyResult, help_text="The id of the key result, one the caller may edit.")
        confidence = serializers.IntegerField(
            min_value=0,
            max_value=10,
            error_messages={
                key: gettext_lazy("Confidence is a whole number from 0 (no chance) to 10 (certain).")
                for key in ("invalid", "min_value", "max_value", "max_string_length")
            },
            help_text="How sure of reaching the target: a whole number from 0 (no chance) to 10 (certain).",
        )
        value = DecimalText(
            required=False,
            allow_null=True,
            default=None,
            help_text="A numeric key result, required: its value now (a number). Refused for a metric "
            "key result (its value comes from the nightly run); ignored for a milestone.",
        )
        done = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="A milestone, required: whether it is done (the key result follows it).",
        )
        note = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            validators=[text.MaxChars(text.NOTE)],
            help_text="What to say about it (optional, at most 2,000 characters).",
        )
        date = serializers.DateField(
            required=False,
            allow_null=True,
            default=None,
            help_text="The day it is about (YYYY-MM-DD), within the quarter and not after today; default today.",
        )

    serializer_class = CheckInOutput

    def get_queryset(self):
        return CheckIn.objects.visible_to(api_person(self.request))

    @extend_schema(
        operation_id="create_check_in",
        summary="Check in",
        description="A value (numeric key result) or done (milestone), with a confidence 0-10 and a note; "
        "the key result's current value (or done) follows it. A metric key result takes only a "
        "confidence and a note.\n\n"
        f"**Who**: those who may edit the objective: {WHO_WRITES}; an integration token neither.\n\n"
        "**Errors**: 400 with the field and a sentence (a key result the caller may not see or of a "
        "closed quarter (`key_result`), a confidence that is not a whole number 0-10, a missing value or "
        "done, a value on a metric key result, a date outside the quarter or after today); 403 when the "
        "caller may see the key result but not check in on it.",
        request=CheckInInput,
        responses={
            201: CheckInOutput,
            400: INVALID,
            401: NOT_SIGNED_IN,
            403: OpenApiResponse(ErrorDetail, description="The caller may not check in on this key result."),
        },
    )
    def create(self, request, *args, **kwargs):
        data = self.CheckInInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        kr = (
            KeyResult.objects.visible_to(api_person(request))
            .filter(pk=d.pop("key_result").pk)
            .select_related("objective")
            .first()
        )
        if kr is None:
            raise ValidationError({"key_result": [_("No such key result.")]})
        try:
            check_in = services.check_in_create(user=api_person(request), key_result=kr, **d)
        except DjangoValidationError as exc:
            _raise(exc)
        return _created(self, check_in)
