"""Review API: the same rules as the pages (visible_to, hidden drafts by ``reviews.access``, the
workflow in the services)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.access import get_visible_or_404
from accounts.requests import api_person
from core import text
from core.files import FileDownloads
from core.openapi import INVALID, NOT_FOUND, NOT_SIGNED_IN, PEOPLE, ErrorDetail, stored_json
from reviews import api_contents, wording, workflow
from reviews.access import review_view
from reviews.input.selectors import input_for, prefetch_input_requests
from reviews.models import NoteKind, Review
from reviews.notes.services import notes_in_review, quarter_notes_prefetch
from reviews.output.pdf import review_filename, review_pdf
from reviews.writing import services

HIDDEN = (
    " Null while hidden from the caller: until the review is submitted only the reviewer, HR and CS "
    "ops / admin see it."
)


class ReviewNoteOutput(serializers.Serializer):
    """A feedback note of the review's quarter, as the review lists it."""

    note = serializers.IntegerField(help_text="The note's id (it may have been deleted since).")
    kind = serializers.ChoiceField(choices=NoteKind.choices, help_text="praise or concern.")
    author = serializers.IntegerField(help_text="The id of the person who wrote it.")
    author_name = serializers.CharField(help_text="Their name.")
    body = serializers.CharField(help_text="The note.")
    account = serializers.IntegerField(
        allow_null=True, help_text="The id of the account it is about; null when none."
    )
    account_name = serializers.CharField(help_text="That account's name; empty when none.")
    metric = serializers.CharField(
        help_text="The key of the metric it is about (docs/metrics.md); empty when none."
    )
    shared_with_csm = serializers.BooleanField(help_text="Whether its author shows it to the CSM.")
    written_at = serializers.DateTimeField(help_text="When it was written (ISO 8601).")


class InputQuestionAnswer(serializers.Serializer):
    text = serializers.CharField(help_text="The question.")
    answer = serializers.CharField(help_text="The colleague's answer.")


class InputAnswerOutput(serializers.Serializer):
    author = serializers.CharField(
        allow_null=True, help_text="Who answered (their name); always null when the input is anonymous."
    )
    questions = InputQuestionAnswer(many=True, help_text="The questions they answered, with the answers.")
    rating = serializers.IntegerField(allow_null=True, help_text="Their rating, if they gave one.")
    rating_label = serializers.CharField(help_text="What the rating means on the template's scale.")


class ColleagueInputOutput(serializers.Serializer):
    anonymous = serializers.BooleanField(help_text="True when the cycle's input is anonymous to the CSM.")
    frozen = serializers.BooleanField(
        help_text="True once the review is submitted: the input it was written with."
    )
    answers = InputAnswerOutput(many=True, help_text="The answers; empty while withheld.")
    withheld = serializers.CharField(
        help_text="Why no answer is shown: anonymous input below three answers; empty otherwise."
    )
    asked = serializers.IntegerField(help_text="How many colleagues were asked.")
    answered = serializers.IntegerField(help_text="How many answered.")
    declined = serializers.IntegerField(help_text="How many declined.")


class ReviewOutput(serializers.ModelSerializer):
    """A review as the caller may see it: the parts hidden from them (reviews.access) are null."""

    snapshot = stored_json(
        api_contents.SNAPSHOT,
        help_text="The numbers the review is judged on, frozen when the cycle opened (the reviewer or HR "
        "may take them again before submitting): the scorecard of the quarter (as GET "
        "/api/v1/scorecards/{user_id}/) with the quarter's OKRs and their scores and the "
        "expected-results model its lifts came from.",
    )
    suggested_detail = stored_json(
        api_contents.SUGGESTED_DETAIL,
        allow_null=True,
        help_text="How the suggested rating was made: each part's weight, floor / target / stretch, value "
        "and rating, the parts left out and why." + HIDDEN,
    )
    self_assessment = stored_json(
        api_contents.SECTION_TEXTS,
        allow_null=True,
        help_text="The CSM's self-review: section key → text. Null while hidden (the reviewer sees it "
        "once the CSM submits it).",
    )
    self_ratings = stored_json(
        api_contents.SECTION_RATINGS,
        allow_null=True,
        help_text="The CSM's rating per section (section key → a value of the scale), when the template "
        "asks for them. Null while hidden, like self_assessment.",
    )
    manager_assessment = stored_json(
        api_contents.SECTION_TEXTS,
        allow_null=True,
        help_text="The reviewer's text per section (section key → text)." + HIDDEN,
    )
    section_ratings = stored_json(
        api_contents.SECTION_RATINGS,
        allow_null=True,
        help_text="The reviewer's rating per section (section key → a value of the scale)." + HIDDEN,
    )
    self_quotes = stored_json(
        api_contents.SECTION_QUOTES,
        allow_null=True,
        help_text="The customers' words the CSM quotes in their self-review, per section. Null while "
        "hidden, like self_assessment.",
    )
    manager_quotes = stored_json(
        api_contents.SECTION_QUOTES,
        allow_null=True,
        help_text="The customers' words the reviewer quotes, per section." + HIDDEN,
    )
    feedback_notes = serializers.SerializerMethodField(
        help_text="The feedback notes written on the CSM in the review's quarter, oldest first: as they "
        "read when the review was submitted (the live notes before). The CSM gets only the notes "
        "their authors show them; everyone else who reads the review gets all."
    )
    colleague_input = serializers.SerializerMethodField(
        help_text="The input from colleagues as the caller may see it (as on the review page): a CSM once "
        "the review is submitted, the others while it is written; anonymous input without authors and "
        "only from three answers on. Null while hidden from the caller."
    )

    rating = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The review's rating, the one that counts: the calibration session's (calibrated_rating) "
        "when it adjusted it, else the reviewer's (final_rating); null before either." + HIDDEN,
    )

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
            "self_quotes",
            "manager_assessment",
            "section_ratings",
            "manager_quotes",
            "final_rating",
            "final_rating_reason",
            "rating",
            "calibrated_rating",
            "calibration_reason",
            "calibrated_by",
            "calibrated_at",
            "feedback_notes",
            "acknowledgement_comment",
            "open_flags_at_acknowledgement",
            "submitted_at",
            "acknowledged_at",
            "finalized_at",
            "colleague_input",
        ]
        extra_kwargs = {
            "id": {"help_text": "The review's id."},
            "cycle": {
                "help_text": "The review cycle's id (GET /api/v1/cycles/{id}/, HR and CS ops / admin)."
            },
            "csm": {"help_text": "The id of the CSM reviewed."},
            "reviewer": {
                "help_text": "The id of the person who writes the manager's part (by default the CSM's "
                "team manager); null until HR assigns one."
            },
            "status": {
                "help_text": "Where the review is: draft → self_review → manager_review → submitted → "
                "acknowledged → finalized (a reopen by HR goes back to manager_review)."
            },
            "version": {
                "help_text": "Bumped by every save: send it back with a transition; a stale one answers 409."
            },
            "revision": {"help_text": "1, then bumped each time HR reopens the finalized review."},
            "snapshot_at": {"help_text": "When the snapshot was taken (ISO 8601)."},
            "suggested_rating": {
                "help_text": "The rating the numbers suggest (weighted mean of the metrics' and OKRs' "
                "ratings, 2 decimals); null without data." + HIDDEN
            },
            "final_rating": {
                "help_text": "The reviewer's overall rating (a value of the scale), as they submitted it; a "
                "change made in the calibration session is kept apart (calibrated_rating), and rating "
                "is the one that counts." + HIDDEN
            },
            "final_rating_reason": {
                # Output only: null is what a reader who may not see it yet gets (the schema says so).
                "allow_null": True,
                "help_text": "Why the overall rating differs from the suggested one (required then)."
                + HIDDEN,
            },
            "calibrated_rating": {
                "help_text": "The rating the calibration session gave in place of final_rating (a value of "
                "the scale); null when it did not adjust it." + HIDDEN
            },
            "calibration_reason": {
                "allow_null": True,
                "help_text": "Why the calibration session adjusted the rating; empty when it did not."
                + HIDDEN,
            },
            "calibrated_by": {
                "help_text": "The id of the person who adjusted the rating in the calibration session (HR "
                "or a manager of the cycle); null when nobody did." + HIDDEN
            },
            "calibrated_at": {
                "help_text": "When the calibration session adjusted the rating (ISO 8601); null when it did "
                "not." + HIDDEN
            },
            "acknowledgement_comment": {"help_text": "The CSM's comment when acknowledging; may be empty."},
            "open_flags_at_acknowledgement": {
                "help_text": "How many flagged numbers were still unresolved when the CSM acknowledged."
            },
            "submitted_at": {
                "help_text": "When the reviewer submitted it; null before (and after a reopen)."
            },
            "acknowledged_at": {
                "help_text": "When the CSM acknowledged it; null before (and after a reopen)."
            },
            "finalized_at": {"help_text": "When it was finalized; null before (and after a reopen)."},
        }

    @extend_schema_field(ReviewNoteOutput(many=True))
    def get_feedback_notes(self, review) -> list[dict]:
        return notes_in_review(review, review_view(self.context["request"].user, review))

    @extend_schema_field(ColleagueInputOutput(allow_null=True))
    def get_colleague_input(self, review) -> dict | None:
        view = input_for(self.context["request"].user, review, with_requests=False)
        return view.as_dict() if view.readable else None

    def to_representation(self, review):
        """Hidden parts (``reviews.access``) are null, for the detail and every row of the list. The
        snapshot and the detail keep keys: their words (metrics' names and definitions, the freshness
        warning) are given in the caller's language."""
        data = super().to_representation(review)
        data["snapshot"] = wording.snapshot_in_words(data["snapshot"])
        data["suggested_detail"] = wording.detail_in_words(data["suggested_detail"])
        return review_view(self.context["request"].user, review).mask(data)


# The actions of POST /api/v1/reviews/{id}/transition/ (their enum's name: SPECTACULAR_SETTINGS).
ACTIONS = list(workflow.ACTIONS)


@extend_schema_serializer(component_name="ReviewTransition")
class TransitionInput(serializers.Serializer):
    """One step of a review's workflow, taken on the version the caller last read."""

    # Validated before anything is read of the body: a list, a string or a wrong type answers 400.

    action = serializers.ChoiceField(
        choices=ACTIONS,
        error_messages={"invalid_choice": f"{{input}} is not a step: one of {', '.join(ACTIONS)}."},
        help_text="send_to_csm (the reviewer or HR: draft → self_review), submit_self (the CSM: "
        "self_review → manager_review), submit (the reviewer: manager_review → submitted), "
        "acknowledge (the CSM: submitted → acknowledged), finalize (HR or CS ops / admin: "
        "acknowledged → finalized), reopen (HR or CS ops / admin: finalized → manager_review, a new "
        "revision).",
    )
    version = serializers.IntegerField(
        error_messages={
            "required": "The version of the review you read is missing: read the review and send its version.",
            "invalid": "The version of the review you read is a whole number.",
        },
        help_text="The review's version as last read: a newer one on the server answers 409.",
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        validators=[text.MaxChars(text.COMMENT)],
        help_text="acknowledge only: the CSM's comment (acknowledging is not agreeing; at most 5,000 "
        "characters).",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        validators=[text.MaxChars(text.NOTE)],
        help_text="reopen only, required: why HR reopens it (at most 2,000 characters).",
    )
    confirm_open_flags = serializers.BooleanField(
        required=False,
        default=False,
        help_text="acknowledge only: true to acknowledge with flagged numbers still unresolved "
        "(without it such an acknowledgement answers 400).",
    )


CONFLICT = inline_serializer(
    "ReviewConflict",
    {
        "detail": serializers.CharField(help_text="Who saved the review and when, in a sentence."),
        "version": serializers.IntegerField(help_text="The review's current version: read it again."),
    },
)
WHO_READS = (
    "A CSM reads their own reviews once shared (not in draft), a manager the reviews they write and "
    "their teams', HR and CS ops / admin every review; an integration token none (403). Parts not "
    "yet visible to the caller are null: the CSM's self-review until the CSM submits it (HR sees it "
    "before, unless HR is the reviewer), the manager's part until the review is submitted (the "
    "reviewer, HR and CS ops / admin see it before)."
)


@extend_schema(tags=["reviews"])
@extend_schema_view(
    list=extend_schema(
        operation_id="list_reviews",
        summary="List reviews",
        description="The reviews the caller may see, by cycle and the CSM's name, optionally of one "
        f"cycle (`?cycle=`). {WHO_READS}\n\n**Errors**: 400 when `cycle` is not a whole number.",
        parameters=[
            OpenApiParameter(
                "cycle", int, description="Only the reviews of this cycle (its id); default every cycle."
            )
        ],
        responses={200: ReviewOutput(many=True), 400: INVALID, **PEOPLE},
    ),
    retrieve=extend_schema(
        operation_id="get_review",
        summary="One review",
        description=f"A review the caller may see. {WHO_READS}\n\n**Errors**: 404 for a review the "
        "caller may not see and for no such review alike (a refused read of an existing review is "
        "recorded).",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The review's id.")],
        responses={200: ReviewOutput, 404: NOT_FOUND, **PEOPLE},
    ),
)
class ReviewViewSet(FileDownloads, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewOutput
    FILE_ACTIONS = ("pdf",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no one signed in
            return Review.objects.none()
        qs = (
            Review.objects.visible_to(api_person(self.request))
            .select_related("cycle__template", "csm__team", "reviewer")
            .prefetch_related(prefetch_input_requests())
        )
        cycle = self.request.query_params.get("cycle")
        if cycle is None or cycle == "":
            return qs
        if not cycle.isdigit() or len(cycle) > 18:
            raise ValidationError({"cycle": [_("A cycle is given by its id, a whole number.")]})
        return qs.filter(cycle_id=int(cycle))

    def paginate_queryset(self, queryset):
        """A page of reviews, with the live feedback notes of those not submitted read at once (their
        input is prefetched by the queryset): the list costs the same queries for 2 reviews as 50."""
        page = super().paginate_queryset(queryset)
        if page is not None:
            quarter_notes_prefetch(page)
        return page

    def get_object(self):
        try:
            return get_visible_or_404(
                request=self.request, visible=self.get_queryset(), pk=self.kwargs["pk"], what="review"
            )
        except Http404 as exc:
            raise NotFound(_("No such review.")) from exc

    @extend_schema(
        operation_id="download_review_pdf",
        summary="A review as a PDF",
        description="The review's PDF, the same file as the review page's \"PDF\" link, for whoever "
        "may read it there: a CSM their own once it is submitted, its reviewer and their team's "
        "manager, HR and CS ops / admin; a person's read-only token as that person.\n\n"
        "**Who**: those who may read the review's record (see above); an integration token gets 403."
        "\n\n**Errors**: 404 for a review the caller may not see, or whose PDF they may not read yet "
        "(a CSM before the review is submitted).",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The review's id.")],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            404: NOT_FOUND,
            **PEOPLE,
        },
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        review = self.get_object()
        if not review_view(api_person(request), review).pdf_visible:
            raise NotFound(_("No such review."))
        response = HttpResponse(
            review_pdf(review, viewer=api_person(request)), content_type="application/pdf"
        )
        response["Content-Disposition"] = content_disposition_header(False, review_filename(review)) or ""
        return response

    @extend_schema(
        operation_id="transition_review",
        summary="Move a review on in its workflow",
        description="One step of the workflow, on the version the caller last read: draft → "
        "self_review → manager_review → submitted → acknowledged → finalized, and reopen. Who may take "
        "each step (CS ops / admin may act as the reviewer of any review): send_to_csm the reviewer or "
        "HR; submit_self the CSM (with at least one section of the self-review written); submit the "
        "reviewer, with an overall rating and, when it differs from the suggested one, its reason; "
        "acknowledge the CSM (`comment` optional; `confirm_open_flags` when flagged numbers are "
        "unresolved); finalize and reopen (with a `reason`, a new revision back in manager_review) HR "
        "or CS ops / admin. Answers the review as the caller now sees it, its version bumped.\n\n"
        "**Who**: whoever the step names, among those who may read the review.\n\n"
        "**Errors**: 400 for a body that is not an object, an unknown action, a missing or non-numeric "
        "version, a field of the wrong type, a step the review's "
        "status does not allow (`status`) or a missing part (e.g. `final_rating`, `reason`, "
        "`open_flags`); 403 when the caller may read the review but not take this step; 404 for a "
        "review the caller may not see; 409 when the review was saved since `version` (nothing "
        "changed: read it again).",
        request=TransitionInput,
        responses={
            200: ReviewOutput,
            400: INVALID,
            401: NOT_SIGNED_IN,
            403: OpenApiResponse(
                ErrorDetail, description="The caller may not take this step (or an integration token)."
            ),
            404: NOT_FOUND,
            409: OpenApiResponse(CONFLICT, description="Saved since `version`: nothing changed."),
        },
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        review = self.get_object()
        body = TransitionInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        name = data["action"]
        step = services.TRANSITIONS[name]
        kwargs = {"user": api_person(request), "review": review, "version": data["version"]}
        if name == "acknowledge":
            kwargs["comment"] = data["comment"]
            kwargs["confirm_open_flags"] = data["confirm_open_flags"]
        if name == "reopen":
            kwargs["reason"] = data["reason"]
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
