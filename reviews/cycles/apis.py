"""Review cycles API: HR's, as on the cycle pages (the same services, the same refusals)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import EVERYONE_ROLES
from accounts.permissions import PeopleOnly
from accounts.requests import api_person
from core import text
from core.files import FileDownloads
from core.openapi import INVALID, NOT_SIGNED_IN, PEOPLE, ErrorDetail
from reviews.cycles import services as cycle_services
from reviews.input import services as input_services
from reviews.models import CycleExport, ReviewCycle, validate_due_date
from reviews.output.pdf import zip_filename


class CycleOutput(serializers.ModelSerializer):
    class Meta:
        model = ReviewCycle
        fields = ["id", "period", "template", "self_review_due", "manager_review_due", "status"]
        extra_kwargs = {
            "id": {"help_text": "The cycle's id."},
            "period": {"help_text": "The quarter reviewed, e.g. 2026-Q3 (one cycle per quarter)."},
            "template": {"help_text": "The id of the review template (sections, rating scale, weights)."},
            "self_review_due": {"help_text": "When the CSMs' self-reviews are due."},
            "manager_review_due": {
                "help_text": "When the reviewers' reviews are due (not before the self-reviews)."
            },
            "status": {
                "help_text": "draft (created, no reviews yet) → open (reviews under way) → calibration "
                "→ closed."
            },
        }


class CycleInput(serializers.Serializer):
    period = serializers.CharField(help_text="The quarter to review, e.g. 2026-Q3 (a quarter, not a month).")
    # The model's validator (reviews.models.validate_due_date), then the service's check_due_dates.
    self_review_due = serializers.DateField(
        validators=[validate_due_date],
        help_text="When the CSMs' self-reviews are due (YYYY-MM-DD): within the quarter reviewed or the "
        "year after it ends.",
    )
    manager_review_due = serializers.DateField(
        validators=[validate_due_date],
        help_text="When the reviewers' reviews are due (YYYY-MM-DD), on or after self_review_due and "
        "within the same bounds.",
    )


@extend_schema_serializer(component_name="CycleOpen")
class CycleOpenInput(serializers.Serializer):
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true to open although the 400 said what will be missing (a quarter not started "
        "yet, no published KPI run for it); the cycle keeps what was confirmed.",
    )


@extend_schema_serializer(component_name="CycleAdvance")
class CycleAdvanceInput(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        validators=[text.MaxChars(text.NOTE)],
        help_text="To start calibration before every review is submitted: why (kept on the cycle; at "
        "most 2,000 characters).",
    )


@extend_schema_serializer(component_name="CycleAskInput")
class CycleAskInput(serializers.Serializer):
    per_review = serializers.IntegerField(
        required=False,
        default=3,
        min_value=1,
        max_value=10,
        help_text="At most this many colleagues asked per review, those already asked counting (1 to 10; "
        "default 3).",
    )
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true to get the counts without asking anyone (what the page's confirmation states).",
    )
    expected = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text="The number of requests confirmed (from a dry run): when the suggestions changed since, "
        "nobody is asked and the 400 gives the new number. Omit to ask without checking.",
    )


@extend_schema_serializer(component_name="CycleAskOutput")
class CycleAskOutput(serializers.Serializer):
    requests = serializers.IntegerField(
        help_text="Requests for input sent (or, in a dry run, that would be)."
    )
    people = serializers.IntegerField(help_text="Different people those requests go to.")
    reviews = serializers.IntegerField(help_text="Reviews that get at least one new request.")
    reviews_past_writing = serializers.IntegerField(
        help_text="Reviews submitted already (their input is frozen): nobody is asked on them."
    )
    dry_run = serializers.BooleanField(help_text="true when nobody was asked.")


CYCLES_ARE_HRS = gettext_lazy("Review cycles are HR's: only HR and CS ops / admin see and run them.")
CYCLE_WHO = (
    "**Who**: HR and CS ops / admin; any other person and an integration token get 403, on every "
    "cycles endpoint alike."
)
CYCLE_REFUSED = {
    403: OpenApiResponse(
        ErrorDetail,
        description=f'Not HR or CS ops / admin ("{CYCLES_ARE_HRS}"), or an integration token.',
    )
}
NO_SUCH_CYCLE = OpenApiResponse(ErrorDetail, description='No cycle has this id ("No such review cycle.").')

# What opening and advancing answer: the cycle as it now stands, or why not.
CYCLE_MOVED = {200: CycleOutput, 400: INVALID, 404: NO_SUCH_CYCLE, **PEOPLE, **CYCLE_REFUSED}


class HrOnly(permissions.BasePermission):
    """The cycles endpoints are HR's as a whole: a role that may never run a cycle is told so (403)
    on every one of them, rather than an empty list here and a 404 there."""

    message = CYCLES_ARE_HRS

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "role", None) in EVERYONE_ROLES


@extend_schema(tags=["cycles"])
@extend_schema_view(
    list=extend_schema(
        operation_id="list_cycles",
        summary="List review cycles",
        description="Every review cycle, the newest quarter first, with its due dates and status.\n\n"
        f"{CYCLE_WHO}",
        responses={200: CycleOutput(many=True), **PEOPLE, **CYCLE_REFUSED},
    ),
    retrieve=extend_schema(
        operation_id="get_cycle",
        summary="One review cycle",
        description=f"A review cycle.\n\n{CYCLE_WHO}\n\n**Errors**: 404 when no cycle has this id.",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The cycle's id.")],
        responses={200: CycleOutput, 404: NO_SUCH_CYCLE, **PEOPLE, **CYCLE_REFUSED},
    ),
)
class CycleViewSet(FileDownloads, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CycleOutput
    FILE_ACTIONS = ("zip",)
    permission_classes = [IsAuthenticated, PeopleOnly, HrOnly]
    queryset = ReviewCycle.objects.all()

    def get_object(self):
        try:
            return super().get_object()
        except Http404 as exc:
            raise NotFound(_("No such review cycle.")) from exc

    def _act(self, request, body_class, do):
        """The cycle, the body checked by ``body_class``, then ``do(person, cycle, data)``: the
        services' refusals become the API's (400 with their fields, 403). Returns (cycle, what it did)."""
        cycle = self.get_object()
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            return cycle, do(api_person(request), cycle, body.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc

    @extend_schema(
        operation_id="create_cycle",
        summary="Create a review cycle",
        description="A cycle for a quarter, in draft, with the default review template. CSMs whose first "
        "account came too close to the quarter's end (REVIEW_MIN_TENURE_DAYS) are left out as new "
        "hires, each with the reason; HR may include them on the cycle page before opening it.\n\n"
        f"{CYCLE_WHO}\n\n"
        "**Errors**: 400 for a period that is not a quarter, a quarter that has a cycle already, or "
        "a manager review due before the self-review.",
        request=CycleInput,
        responses={201: CycleOutput, 400: INVALID, 401: NOT_SIGNED_IN, **CYCLE_REFUSED},
    )
    def create(self, request):
        data = CycleInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            cycle = cycle_services.cycle_create(user=api_person(request), **data.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(CycleOutput(cycle).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="open_cycle",
        summary="Open a review cycle",
        description="Creates a review in draft for every active CSM taking part (not left out of the "
        "cycle), its reviewer the CSM's team manager when they may review them (else HR assigns one), "
        "each with the frozen snapshot of the quarter's numbers and its suggested rating; a draft cycle "
        "becomes open. Again on an open cycle it adds the reviews of CSMs who have none (and changes "
        "nothing else). A quarter that has not started or has no published KPI run opens only with "
        "`confirm`.\n\n"
        f"{CYCLE_WHO}\n\n"
        "**Errors**: 400 for a body that is not an object or a `confirm` that is not a boolean, with "
        "`confirm` (what will be missing) until confirmed, or with `status` for a cycle in calibration "
        "or closed; 404 when no cycle has this id.",
        request=CycleOpenInput,
        responses=CYCLE_MOVED,
    )
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        # A quarter not started or without a published KPI run: {"confirm": true} after reading the 400.
        cycle, _n = self._act(
            request,
            CycleOpenInput,
            lambda person, cycle, data: cycle_services.cycle_open(
                user=person, cycle=cycle, confirm=data["confirm"]
            ),
        )
        cycle.refresh_from_db()
        return Response(CycleOutput(cycle).data)

    @extend_schema(
        operation_id="advance_cycle",
        summary="Move a review cycle on",
        description="open → calibration → closed. Calibration starts once every review of the cycle is "
        "submitted, or before with an `override_reason`; closing needs every review finalized.\n\n"
        f"{CYCLE_WHO}\n\n"
        "**Errors**: 400 for a body that is not an object or an `override_reason` that is not text, "
        "with `override_reason` when reviews are not submitted yet, or with `status` for a draft or "
        "closed cycle or reviews not finalized; 404 when no cycle has this id.",
        request=CycleAdvanceInput,
        responses=CYCLE_MOVED,
    )
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        cycle, _done = self._act(
            request,
            CycleAdvanceInput,
            lambda person, cycle, data: cycle_services.cycle_advance(
                user=person, cycle=cycle, override_reason=data["override_reason"]
            ),
        )
        return Response(CycleOutput(cycle).data)

    @extend_schema(
        operation_id="ask_cycle_input",
        summary="Ask colleagues for input on every review of a cycle",
        description="For every review of the cycle still being written (draft, self-review, manager's "
        "review), asks its suggested colleagues in their order (the account team of the CSM's accounts, "
        "then their previous owners, then teammates), leaving out anyone already asked on it, until the "
        "review has `per_review` requests. Each person asked gets a to-do and an email, as when asked one "
        "by one, under the cycle's choice of named or anonymous input. Asking again asks nobody twice. "
        "All or nothing.\n\n"
        f"{CYCLE_WHO}\n\n"
        "**Errors**: 400 for a cycle that is not open or in calibration, a `per_review` out of 1 to 10, or "
        "an `expected` that is no longer the number of requests (with `expected`, saying the new number); "
        "404 when no cycle has this id.",
        request=CycleAskInput,
        responses={200: CycleAskOutput, 400: INVALID, 404: NO_SUCH_CYCLE, **PEOPLE, **CYCLE_REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="ask-input")
    def ask_input(self, request, pk=None):
        def ask(person, cycle, data):
            if data["dry_run"]:
                return input_services.cycle_input_plan(
                    user=person, cycle=cycle, per_review=data["per_review"]
                ), True
            return input_services.cycle_input_request_all(
                user=person, cycle=cycle, per_review=data["per_review"], expected=data["expected"]
            ), False

        _cycle, (plan, dry_run) = self._act(request, CycleAskInput, ask)
        return Response(
            CycleAskOutput(
                {
                    "requests": plan.requests,
                    "people": plan.people,
                    "reviews": plan.reviews,
                    "reviews_past_writing": plan.reviews_past_writing,
                    "dry_run": dry_run,
                }
            ).data
        )

    @extend_schema(
        operation_id="download_cycle_zip",
        summary="A review cycle's export, as a zip",
        description="The zip of the cycle's latest finished export (every review's PDF and the "
        "cycle's summary), the file the cycle page offers once its export is done. Exports are "
        "started on the cycle's page; until one is done this answers 404.\n\n"
        f"{CYCLE_WHO}\n\n"
        "**Errors**: 404 when no cycle has this id, or no export of it is ready.",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The cycle's id.")],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The zip."),
            404: OpenApiResponse(ErrorDetail, description="No such cycle, or no export of it is ready."),
            401: NOT_SIGNED_IN,
            **CYCLE_REFUSED,
        },
    )
    @action(detail=True, methods=["get"])
    def zip(self, request, pk=None):
        cycle = self.get_object()
        export = CycleExport.objects.filter(cycle=cycle, status="done").order_by("-finished_at").first()
        try:
            file = open(export.path, "rb") if export and export.path else None  # noqa: SIM115 - FileResponse closes it
        except OSError:
            file = None
        if file is None:
            raise NotFound(
                _("No export of this cycle is ready: start one on the cycle's page, then fetch it here.")
            )
        return FileResponse(
            file, as_attachment=True, filename=zip_filename(cycle.period), content_type="application/zip"
        )
