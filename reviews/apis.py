"""Review API: the same rules as the pages (visible_to, hidden drafts by ``reviews.access``, the
workflow in the services)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.access import get_visible_or_404
from accounts.models import Role
from reviews import services
from reviews.access import review_view
from reviews.models import Review, ReviewCycle


class ReviewOutput(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = [
            "id",
            "cycle",
            "csm",
            "reviewer",
            "status",
            "version",
            "revision",
            "snapshot",
            "snapshot_at",
            "suggested_rating",
            "suggested_detail",
            "self_assessment",
            "self_ratings",
            "manager_assessment",
            "section_ratings",
            "final_rating",
            "final_rating_reason",
            "acknowledgement_comment",
            "open_flags_at_acknowledgement",
            "submitted_at",
            "acknowledged_at",
            "finalized_at",
        ]

    def to_representation(self, review):
        """Hidden parts (``reviews.access``) are null, for the detail and every row of the list."""
        data = super().to_representation(review)
        return review_view(self.context["request"].user, review).mask(data)


TransitionInput = inline_serializer(
    "ReviewTransition",
    {
        "action": serializers.ChoiceField(choices=list(services.TRANSITIONS)),
        "version": serializers.IntegerField(),
        "comment": serializers.CharField(required=False, allow_blank=True),
        "reason": serializers.CharField(required=False, allow_blank=True),
        "confirm_open_flags": serializers.BooleanField(required=False, default=False),
    },
)


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewOutput

    def get_queryset(self):
        qs = Review.objects.visible_to(self.request.user).select_related(
            "cycle__template", "csm__team", "reviewer"
        )
        cycle = self.request.query_params.get("cycle")
        if cycle is None or cycle == "":
            return qs
        if not cycle.isdigit() or len(cycle) > 18:
            raise ValidationError({"cycle": ["A cycle is given by its id, a whole number."]})
        return qs.filter(cycle_id=int(cycle))

    def get_object(self):
        try:
            return get_visible_or_404(
                request=self.request, visible=self.get_queryset(), pk=self.kwargs["pk"], what="review"
            )
        except Http404 as exc:
            raise NotFound("No such review.") from exc

    @extend_schema(request=TransitionInput, responses={200: ReviewOutput, 409: None})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        review = self.get_object()
        name = request.data.get("action")
        step = services.TRANSITIONS.get(name)
        if step is None:
            raise ValidationError({"action": [f"one of {', '.join(services.TRANSITIONS)}"]})
        kwargs = {"user": request.user, "review": review, "version": request.data.get("version")}
        if name == "acknowledge":
            kwargs["comment"] = request.data.get("comment", "")
            kwargs["confirm_open_flags"] = request.data.get("confirm_open_flags") in (True, "true", "1", 1)
        if name == "reopen":
            kwargs["reason"] = request.data.get("reason", "")
        try:
            review = step(**kwargs)
        except services.ReviewConflict as exc:
            return Response(
                {"detail": str(exc), "version": exc.current_version}, status=status.HTTP_409_CONFLICT
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(self.get_serializer(review).data)


class CycleOutput(serializers.ModelSerializer):
    class Meta:
        model = ReviewCycle
        fields = ["id", "period", "template", "self_review_due", "manager_review_due", "status"]


class CycleInput(serializers.Serializer):
    period = serializers.CharField()
    self_review_due = serializers.DateField()
    manager_review_due = serializers.DateField()


class CycleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CycleOutput

    def get_queryset(self):
        if getattr(self.request.user, "role", None) not in (Role.HR, Role.ADMIN):
            return ReviewCycle.objects.none()
        return ReviewCycle.objects.all()

    @extend_schema(request=CycleInput, responses={201: CycleOutput})
    def create(self, request):
        data = CycleInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            cycle = services.cycle_create(user=request.user, **data.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(CycleOutput(cycle).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CycleOutput})
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        cycle = self.get_object()
        try:
            # A quarter not started or without a published KPI run: {"confirm": true} after reading the 400.
            confirm = (
                request.data.get("confirm") in (True, "true", "1", 1)
                if hasattr(request.data, "get")
                else False
            )
            services.cycle_open(user=request.user, cycle=cycle, confirm=confirm)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        cycle.refresh_from_db()
        return Response(CycleOutput(cycle).data)

    @extend_schema(request=None, responses={200: CycleOutput})
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        cycle = self.get_object()
        try:
            reason = request.data.get("override_reason", "") if hasattr(request.data, "get") else ""
            services.cycle_advance(user=request.user, cycle=cycle, override_reason=str(reason or ""))
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(CycleOutput(cycle).data)
