"""Feedback note API: the same rules as the pages (``FeedbackNote.objects.visible_to``; only the
author edits or deletes; the history as the caller may read it)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.models import CustomerAccount, User
from accounts.requests import api_person
from core import text
from core.openapi import INVALID, NOT_FOUND, PEOPLE, ErrorDetail
from reviews.models import FeedbackNote, NoteKind
from reviews.notes import selectors, services

WHO_READS = (
    "Its author; the CSM's team manager, HR and CS ops / admin every note on the CSM; the CSM only the "
    "notes their authors show them (shared_with_csm); an integration token none (403)."
)


class NoteOutput(serializers.ModelSerializer):
    class Meta:
        model = FeedbackNote
        fields = ["id", "csm", "author", "kind", "body", "account", "metric", "shared_with_csm", "created_at"]
        extra_kwargs = {
            "id": {"help_text": "The note's id."},
            "csm": {"help_text": "The id of the CSM it is about."},
            "author": {"help_text": "The id of the person who wrote it."},
            "kind": {"help_text": "praise or concern."},
            "body": {"help_text": "The note (at most 2,000 characters)."},
            "account": {"help_text": "The id of the account it is about; null when none."},
            "metric": {"help_text": "The key of the metric it is about (docs/metrics.md); empty when none."},
            "shared_with_csm": {
                "help_text": "Whether its author shows it to the CSM (their manager and HR read it anyway)."
            },
            "created_at": {"help_text": "When it was written (ISO 8601)."},
        }


@extend_schema_field(OpenApiTypes.INT)
class AccountField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return CustomerAccount.objects.visible_to(self.context["request"].user)


class NoteInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NoteKind.choices, help_text="praise or concern.")
    body = serializers.CharField(
        validators=[text.MaxChars(text.NOTE)], help_text="The note (at most 2,000 characters)."
    )
    account = AccountField(
        required=False,
        allow_null=True,
        help_text="Optional: the id of an account the caller may see that the note is about.",
        error_messages={
            "does_not_exist": "No such account.",
            "incorrect_type": "An account is given by its id.",
        },
    )
    metric = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Optional: the key of a metric of the scorecard the note is about (docs/metrics.md).",
    )
    shared_with_csm = serializers.BooleanField(
        required=False, help_text="Whether the CSM may read it (their manager and HR always may)."
    )


class NoteCreateInput(NoteInput):
    csm = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        help_text="The id of the CSM the note is about (not the caller).",
        error_messages={"does_not_exist": "No such CSM.", "incorrect_type": "A CSM is given by their id."},
    )


class NoteUpdateInput(NoteInput):
    kind = serializers.ChoiceField(choices=NoteKind.choices, required=False, help_text="praise or concern.")
    body = serializers.CharField(
        required=False,
        validators=[text.MaxChars(text.NOTE)],
        help_text="The note (at most 2,000 characters).",
    )


class NoteChange(serializers.Serializer):
    # A declared field: DRF's metaclass moves it into _declared_fields (it never shadows Field.label).
    label = serializers.CharField(help_text="What changed, in words.")  # type: ignore[assignment]
    before = serializers.CharField(help_text="Its value before, in words.")
    after = serializers.CharField(help_text="Its value after, in words.")


class NoteHistoryEntry(serializers.Serializer):
    when = serializers.DateTimeField(help_text="When (ISO 8601).")
    who = serializers.CharField(help_text="Who made the change.")
    title = serializers.CharField(help_text="Note written, Note edited or Note deleted.")
    reason = serializers.CharField(help_text="Why, when one was given (a deletion's reason); else empty.")
    body = serializers.CharField(help_text="The note's text in this version.")
    changes = NoteChange(many=True, help_text="What this version changed; empty for the first one.")


ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The note's id.")
NOT_THE_AUTHOR = OpenApiResponse(ErrorDetail, description="Only the note's author edits or deletes it.")


def _raise(exc: DjangoValidationError):
    raise ValidationError(exc.message_dict) from exc


@extend_schema(tags=["feedback"])
class FeedbackNoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = NoteOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FeedbackNote.objects.none()
        qs = FeedbackNote.objects.visible_to(api_person(self.request))
        csm = self.request.query_params.get("csm")
        if csm in (None, ""):
            return qs
        if not csm.isdigit() or len(csm) > 18:
            raise ValidationError({"csm": [_("A CSM is given by their id, a whole number.")]})
        return qs.filter(csm_id=int(csm))

    def get_object(self):
        try:
            return self.get_queryset().get(pk=int(self.kwargs["pk"]))
        except (FeedbackNote.DoesNotExist, ValueError, OverflowError) as exc:
            raise NotFound(_("No such note.")) from exc

    @extend_schema(
        operation_id="list_feedback_notes",
        summary="List feedback notes",
        description=f"The notes the caller may read, newest first, optionally on one CSM (`?csm=`). {WHO_READS}"
        "\n\n**Errors**: 400 when `csm` is not a whole number.",
        parameters=[OpenApiParameter("csm", int, description="Only the notes on this CSM (their id).")],
        responses={200: NoteOutput(many=True), 400: INVALID, **PEOPLE},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="get_feedback_note",
        summary="One feedback note",
        description=f"A note the caller may read. {WHO_READS}\n\n**Errors**: 404 for a note the caller may "
        "not read and for no such note alike.",
        parameters=[ID],
        responses={200: NoteOutput, 404: NOT_FOUND, **PEOPLE},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="create_feedback_note",
        summary="Leave a feedback note",
        description="A note on a CSM (praise or concern, optionally about an account the caller may see "
        "or a metric), by any signed-in person but the CSM themselves. The CSM's team manager and HR "
        "read it; the CSM only when shared_with_csm is true.\n\n**Errors**: 400 with the field and a "
        "sentence (not a CSM, oneself, an empty note, an unknown account or metric); nothing written.",
        request=NoteCreateInput,
        responses={201: NoteOutput, 400: INVALID, **PEOPLE},
    )
    def create(self, request):
        data = NoteCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            note = services.note_create(
                author=api_person(request),
                csm=v["csm"],
                kind=v["kind"],
                body=v["body"],
                account=v.get("account"),
                metric=v.get("metric", ""),
                shared_with_csm=v.get("shared_with_csm", False),
            )
        except DjangoValidationError as exc:
            _raise(exc)
        return Response(NoteOutput(note).data, status=201)

    @extend_schema(
        operation_id="update_feedback_note",
        summary="Edit a feedback note",
        description="The author changes their note (the fields sent; the CSM it is about never changes). "
        "Its history keeps the version before.\n\n**Errors**: 400 with the field and a sentence, nothing "
        "written; 403 for someone else's note the caller may read; 404 for one they may not read.",
        parameters=[ID],
        request=NoteUpdateInput,
        responses={200: NoteOutput, 400: INVALID, 403: NOT_THE_AUTHOR, 404: NOT_FOUND, 401: PEOPLE[401]},
    )
    def partial_update(self, request, pk=None):
        note = self.get_object()
        data = NoteUpdateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        try:
            note = services.note_update(user=api_person(request), note=note, **data.validated_data)
        except DjangoValidationError as exc:
            _raise(exc)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(NoteOutput(note).data)

    @extend_schema(
        operation_id="delete_feedback_note",
        summary="Delete a feedback note",
        description="The author deletes their note, optionally saying why (`?reason=`, kept in its history "
        "with who and when). A submitted review keeps the note as it read.\n\n**Errors**: 403 for "
        "someone else's note the caller may read; 404 for one they may not read.",
        parameters=[ID, OpenApiParameter("reason", str, description="Why (optional, kept in the history).")],
        responses={204: None, 403: NOT_THE_AUTHOR, 404: NOT_FOUND, 401: PEOPLE[401]},
    )
    def destroy(self, request, pk=None):
        note = self.get_object()
        try:
            services.note_delete(
                user=api_person(request), note=note, reason=request.query_params.get("reason", "")
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(status=204)

    @extend_schema(
        operation_id="get_feedback_note_history",
        summary="A feedback note's history",
        description="Every version of a note the caller may read, newest first, with who, when and what "
        "changed. Its CSM gets only the versions that were shown to them.\n\n**Errors**: 404 for a note "
        "the caller may not read and for no such note alike.",
        parameters=[ID],
        responses={200: NoteHistoryEntry(many=True), 404: NOT_FOUND, **PEOPLE},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        note = self.get_object()
        return Response(NoteHistoryEntry(selectors.note_history(note, api_person(request)), many=True).data)
