"""Input from colleagues through the API: the requests addressed to the caller (all a contributor
reads), answering and declining them. The review's own input is a field of the review
(``colleague_input`` of GET /api/v1/reviews/{id}/), under the same rule as the page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.access import get_visible_or_404
from accounts.requests import api_person
from core import text
from core.openapi import INVALID, NOT_FOUND, PEOPLE, ErrorDetail
from reviews import wording
from reviews.input import selectors, services
from reviews.models import InputRequest, InputStatus


class QuestionOutput(serializers.Serializer):
    key = serializers.CharField(help_text="The question's key (answers are keyed by it).")
    text = serializers.CharField(help_text="The question, as the form asks it.")


class ScaleOutput(serializers.Serializer):
    value = serializers.IntegerField(help_text="A rating the form accepts.")
    # A field named label (Field.label is also an attribute of every field).
    label = serializers.CharField(help_text="What it means.")  # type: ignore[assignment]


class InputRequestOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The request's id.")
    csm = serializers.CharField(help_text="The name of the CSM the input is about.")
    period = serializers.CharField(help_text="The quarter reviewed, e.g. 2026-Q3.")
    requested_by = serializers.CharField(allow_null=True, help_text="Who asked (their name); null if gone.")
    due_on = serializers.DateField(help_text="When the answer is due.")
    status = serializers.ChoiceField(
        choices=InputStatus.choices, help_text="requested (waiting for an answer), answered or declined."
    )
    anonymous = serializers.BooleanField(
        help_text="True when the cycle's input is anonymous to the CSM (never shown with its author)."
    )
    open = serializers.BooleanField(help_text="True while it may be answered (the review is not submitted).")
    questions = QuestionOutput(many=True, help_text="The form's questions.")
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text="The answers given: question key → text."
    )
    rating = serializers.IntegerField(allow_null=True, help_text="The rating given, if any.")
    rating_scale = ScaleOutput(many=True, help_text="The ratings the form accepts; empty: no rating.")


def _output(r: InputRequest) -> dict:
    template = r.review.cycle.template
    return {
        "id": r.pk,
        "csm": r.review.csm.get_full_name(),
        "period": r.review.cycle.period,
        "requested_by": r.requested_by.get_full_name() if r.requested_by else None,
        "due_on": r.due_on,
        "status": r.status,
        "anonymous": r.review.cycle.input_anonymous,
        "open": selectors.can_answer(r),
        "questions": [{"key": q["key"], "text": wording.question_text(q)} for q in r.questions],
        "answers": r.answers,
        "rating": r.rating,
        "rating_scale": template.rating_scale if template.input_rating else [],
    }


class AnswerInput(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="Question key → text (at most 5,000 characters each); at least one non-empty, or a rating.",
    )

    def to_internal_value(self, data):
        # Each answer is a text: said of the field as a whole (the error's shape is field → sentences).
        answers = data.get("answers") if isinstance(data, dict) else None
        if isinstance(answers, dict) and not all(isinstance(v, str) for v in answers.values()):
            raise ValidationError({"answers": [_("Each answer is a text.")]})
        return super().to_internal_value(data)

    rating = serializers.IntegerField(
        required=False, allow_null=True, help_text="Optional, on the form's scale."
    )


class DeclineInput(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=text.NOTE, help_text="Why, optional."
    )


# What answering and declining answer: the request as it now stands, or why not.
ACTED = {
    200: InputRequestOutput,
    400: INVALID,
    403: OpenApiResponse(ErrorDetail, description="Not addressed to the caller, or an integration token."),
    404: NOT_FOUND,
    401: PEOPLE[401],
}
ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The request's id.")
WHO = (
    "\n\n**Who**: any person, for the requests addressed to them (a contributor reads nothing else); an "
    "integration token gets 403."
)


@extend_schema_view(
    list=extend_schema(
        operation_id="list_input_requests",
        summary="Input I was asked for",
        description="The requests for input on a colleague's review addressed to the caller, newest first."
        + WHO,
        responses={200: InputRequestOutput(many=True), **PEOPLE},
    ),
    retrieve=extend_schema(
        operation_id="get_input_request",
        summary="One request for input",
        description="Its questions, the answers given so far, the rating scale." + WHO,
        parameters=[ID],
        responses={200: InputRequestOutput, 404: NOT_FOUND, **PEOPLE},
    ),
)
@extend_schema(tags=["input"])
class InputRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InputRequestOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return InputRequest.objects.none()
        return selectors.requests_addressed_to(api_person(self.request)).select_related(
            "review__cycle__template"
        )

    def get_object(self):
        try:
            return get_visible_or_404(
                request=self.request, visible=self.get_queryset(), pk=self.kwargs["pk"], what="input request"
            )
        except Http404 as exc:
            raise NotFound(_("No such request.")) from exc

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [_output(r) for r in (page if page is not None else self.get_queryset())]
        if page is not None:
            return self.get_paginated_response(InputRequestOutput(rows, many=True).data)
        return Response(InputRequestOutput(rows, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(InputRequestOutput(_output(self.get_object())).data)

    def _act(self, request, body_class, do):
        """The request addressed to the caller, the body checked by ``body_class``, then
        ``do(person, input_request, data)``: the services' refusals become the API's (400, 403)."""
        obj = self.get_object()
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            done = do(api_person(request), obj, body.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(InputRequestOutput(_output(done)).data)

    @extend_schema(
        operation_id="answer_input_request",
        summary="Answer (or edit the answer to) a request for input",
        description="Until the review is submitted; a declined request cannot be answered." + WHO,
        parameters=[ID],
        request=AnswerInput,
        responses=ACTED,
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        return self._act(
            request,
            AnswerInput,
            lambda person, obj, data: services.input_answer(
                user=person, request=obj, answers=data["answers"], rating=data.get("rating")
            ),
        )

    @extend_schema(
        operation_id="decline_input_request",
        summary="Decline a request for input",
        description="While it is not answered; whoever asked is told." + WHO,
        parameters=[ID],
        request=DeclineInput,
        responses=ACTED,
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(
            request,
            DeclineInput,
            lambda person, obj, data: services.input_decline(
                user=person, request=obj, reason=data.get("reason", "")
            ),
        )
