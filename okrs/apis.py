"""OKR API: objectives, key results and check-ins, scoped by visible_to; writes through the services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import Team, User
from okrs import selectors, services
from okrs.models import CheckIn, Commitment, Direction, KeyResult, KrKind, Objective


@extend_schema_field(OpenApiTypes.INT)
class VisibleTo(serializers.PrimaryKeyRelatedField):
    """An id among what the person may see (``visible_to``): a hidden id and a missing one get the
    same answer."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)
        self.error_messages["does_not_exist"] = f"No such {model._meta.verbose_name}."
        self.error_messages["incorrect_type"] = (
            f"A {model._meta.verbose_name} is given by its id, a whole number."
        )

    def get_queryset(self):
        return self.model.objects.visible_to(self.context["request"].user)


def _raise(exc: DjangoValidationError):
    raise ValidationError(exc.message_dict) from exc


def _created(view, obj) -> Response:
    return Response(view.get_serializer(obj).data, status=201)


class KeyResultOutput(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

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

    def get_progress(self, kr) -> str:
        return str(selectors.kr_progress(kr))

    def get_status(self, kr) -> str:
        return selectors.kr_status(kr).code


class ObjectiveOutput(serializers.ModelSerializer):
    score = serializers.SerializerMethodField()
    key_results = KeyResultOutput(many=True, read_only=True)

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
            "score",
            "frozen_score",
            "final_score",
            "final_score_reason",
            "key_results",
        ]

    def get_score(self, objective) -> str | None:
        score = selectors.objective_score(objective)
        return None if score is None else str(score)


@extend_schema_view(
    list=extend_schema(
        summary="List objectives",
        description="Objectives the caller may see (a CSM their own and their team's, a manager their teams' "
        "and their CSMs', HR and admins all), each with its key results, score (0.0-1.0) and colour band.",
    ),
    retrieve=extend_schema(summary="One objective", description="An objective the caller may see, or 404."),
)
class ObjectiveViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    class ObjectiveInput(serializers.Serializer):
        period = serializers.CharField()
        title = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        commitment = serializers.ChoiceField(choices=Commitment.choices, default=Commitment.COMMITTED)
        csm = VisibleTo(User, required=False, allow_null=True)
        team = VisibleTo(Team, required=False, allow_null=True)
        parent = VisibleTo(Objective, required=False, allow_null=True)

    serializer_class = ObjectiveOutput

    def get_queryset(self):
        qs = Objective.objects.visible_to(self.request.user).prefetch_related(
            "key_results__check_ins", "key_results__objective"
        )
        period = self.request.query_params.get("period")
        return qs.filter(period=period) if period else qs

    @extend_schema(
        summary="Create an objective",
        description="A CSM's or a team's objective for an open quarter, optionally aligned to a team objective; 400 with the field and a sentence when refused.",
        request=ObjectiveInput,
        responses={201: ObjectiveOutput},
    )
    def create(self, request, *args, **kwargs):
        data = self.ObjectiveInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        try:
            objective = services.objective_create(user=request.user, **data.validated_data)
        except DjangoValidationError as exc:
            _raise(exc)
        return _created(self, objective)


@extend_schema_view(
    list=extend_schema(
        summary="List key results",
        description="Key results of the objectives the caller may see: linked to a KPI (value from the nightly "
        "run), numeric (baseline, target, direction) or milestones, with progress and status.",
    ),
    retrieve=extend_schema(summary="One key result", description="A key result the caller may see, or 404."),
)
class KeyResultViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    class KeyResultInput(serializers.Serializer):
        objective = VisibleTo(Objective)
        title = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=KrKind.choices)
        metric = serializers.CharField(required=False, allow_blank=True, default="")
        baseline = serializers.CharField(required=False, allow_null=True, default=None)
        target = serializers.CharField(required=False, allow_null=True, default=None)
        unit = serializers.CharField(required=False, allow_blank=True, default="")
        direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.INCREASE)
        weight = serializers.CharField(default="1")

    serializer_class = KeyResultOutput

    def get_queryset(self):
        return (
            KeyResult.objects.visible_to(self.request.user)
            .select_related("objective")
            .prefetch_related("check_ins")
        )

    @extend_schema(
        summary="Add a key result",
        description="A key result on an objective the caller may edit; the target must differ from the baseline.",
        request=KeyResultInput,
        responses={201: KeyResultOutput},
    )
    def create(self, request, *args, **kwargs):
        data = self.KeyResultInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        objective = Objective.objects.visible_to(request.user).filter(pk=d.pop("objective").pk).first()
        if objective is None:
            raise ValidationError({"objective": ["No such objective."]})
        try:
            kr = services.key_result_create(user=request.user, objective=objective, **d)
        except DjangoValidationError as exc:
            _raise(exc)
        return _created(self, kr)


class CheckInOutput(serializers.ModelSerializer):
    class Meta:
        model = CheckIn
        fields = ["id", "key_result", "date", "value", "done", "confidence", "note", "author", "created_at"]


@extend_schema_view(
    list=extend_schema(
        summary="List check-ins",
        description="Check-ins (date, value or milestone state, confidence 0-10, note, author) of the key "
        "results the caller may see: the history of each key result.",
    ),
    retrieve=extend_schema(summary="One check-in", description="A check-in the caller may see, or 404."),
)
class CheckInViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    class CheckInInput(serializers.Serializer):
        key_result = VisibleTo(KeyResult)
        confidence = serializers.CharField()
        value = serializers.CharField(required=False, allow_null=True, default=None)
        done = serializers.BooleanField(required=False, allow_null=True, default=None)
        note = serializers.CharField(required=False, allow_blank=True, default="")
        date = serializers.DateField(required=False, allow_null=True, default=None)

    serializer_class = CheckInOutput

    def get_queryset(self):
        return CheckIn.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Check in",
        description="A value (numeric key result) or done (milestone), with a confidence 0-10 and a note; updates the key result.",
        request=CheckInInput,
        responses={201: CheckInOutput},
    )
    def create(self, request, *args, **kwargs):
        data = self.CheckInInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        kr = (
            KeyResult.objects.visible_to(request.user)
            .filter(pk=d.pop("key_result").pk)
            .select_related("objective")
            .first()
        )
        if kr is None:
            raise ValidationError({"key_result": ["No such key result."]})
        try:
            check_in = services.check_in_create(user=request.user, key_result=kr, **d)
        except DjangoValidationError as exc:
            _raise(exc)
        return _created(self, check_in)
