"""Admin for reviews: the workflow stays in the services and the privacy rule in ``reviews.access``.

- Status, version, revision, the workflow dates and every text are read-only; the reviewer is the one
  field an admin changes, through ``services.review_set_reviewer`` (the rule of cycles: never the
  CSM, always someone who may see the CSM; a new version, with the change in the history).
- No history revert (it wrote an old row back: status, version and dates, without the workflow).
- A staff member who is not a superuser sees the reviews they may see and, of each, what the access
  rule shows them (the change page, the list's ratings, the history and its records alike).
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from modeltranslation.admin import TranslationAdmin
from modeltranslation.utils import build_localized_fieldname
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import EVERYONE_ROLES
from reviews.access import review_view
from reviews.models import Comment, CycleExport, Dispute, InputRequest, Review, ReviewCycle, ReviewTemplate
from reviews.translation import TRANSLATED
from reviews.writing import selectors, services
from reviews.writing import snapshot as review_snapshot

WORKFLOW_FIELDS = [
    "status",
    "version",
    "revision",
    "snapshot",
    "snapshot_at",
    "suggested_rating",
    "suggested_detail",
    "self_submitted_at",
    "submitted_at",
    "acknowledged_at",
    "finalized_at",
    "finalized_by",
    "self_assessment",
    "self_ratings",
    "manager_assessment",
    "section_ratings",
    "final_rating",
    "final_rating_reason",
    "calibrated_rating",
    "calibration_reason",
    "calibrated_by",
    "calibrated_at",
    "acknowledgement_comment",
    "open_flags_at_acknowledgement",
]


class NoRevertHistoryAdmin(SimpleHistoryAdmin):
    """The history stays readable; reverting to a record (which writes the old row back, around the
    services) is refused, whatever the settings and permissions say."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_object_or_404(self, request, object_id):
        """The history of an object is read by who may read the object (simple_history itself
        would show the records of any id)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def history_view(self, request, object_id, extra_context=None):
        self.history_object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(
                _("History records are not reverted: the workflow goes through its steps.")
            )
        self.history_object_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReviewAdminForm(forms.ModelForm):
    # The version the page was opened on: a change over a newer one is refused, as on the pages.
    opened_version = forms.IntegerField(
        label=gettext_lazy("version the page was opened on"), widget=forms.HiddenInput, required=False
    )

    class Meta:
        model = Review
        fields = ["reviewer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "opened_version" in self.fields:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if "reviewer" in self.changed_data and "reviewer" not in self.errors:
            if cleaned.get("opened_version") != self.instance.version:
                raise ValidationError(str(services.ReviewConflict(self.instance)))
            services.reviewer_change_check(review=self.instance, reviewer=cleaned.get("reviewer"))
        return cleaned


def _may_run_reviews(user) -> bool:
    return user.is_superuser or user.role in EVERYONE_ROLES


@admin.register(Review)
class ReviewAdmin(NoRevertHistoryAdmin):
    form = ReviewAdminForm
    list_display = ["csm", "cycle", "reviewer", "status", "suggested_rating", "final_rating", "version"]
    list_filter = ["cycle", "status"]
    search_fields = ["csm__email", "csm__name", "reviewer__email"]
    list_select_related = ["csm__team", "cycle", "reviewer"]
    readonly_fields = ["cycle", "csm", *WORKFLOW_FIELDS]
    fields = ["cycle", "csm", "reviewer", *WORKFLOW_FIELDS]
    actions = ["finalize"]

    # --- privacy: the access rule, record by record --------------------------------------------

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.visible_to(request.user)

    def _view(self, request, obj):
        """The rule for this person and this review (or record), once per request: a change form
        that fails validation has already put the posted reviewer on ``obj``, and the page it
        re-renders must hide what the first look hid."""
        historical = getattr(obj, "_history", None)
        key = ("record", historical.history_id) if historical is not None else ("review", obj.pk)
        views = request.__dict__.setdefault("_review_views", {})
        if key not in views:
            if historical is not None:  # a record of the history: the review today, masked at that state
                current = Review.objects.select_related("csm__team").get(pk=obj.pk)
                views[key] = review_view(request.user, current, status=historical.status, admin_site=True)
            else:
                views[key] = review_view(request.user, obj, admin_site=True)
        return views[key]

    def _hidden(self, request, obj) -> frozenset[str]:
        return self._view(request, obj).hidden_fields if obj is not None else frozenset()

    def get_fields(self, request, obj=None):
        hidden = self._hidden(request, obj)
        fields = [f for f in super().get_fields(request, obj) if f not in hidden]
        if obj is not None and not hasattr(obj, "_history") and self.has_change_permission(request, obj):
            fields.append("opened_version")
        return fields

    def get_readonly_fields(self, request, obj=None):
        hidden = self._hidden(request, obj)
        if obj is not None and hasattr(obj, "_history"):
            return [f for f in self.fields if f not in hidden]  # a history record is only read
        return [f for f in super().get_readonly_fields(request, obj) if f not in hidden]

    def get_list_display(self, request):
        def rating(field):
            def shown(obj):
                view = review_view(request.user, obj, admin_site=True)
                return getattr(obj, field) if view.manager_visible else "—"

            shown.__name__ = field  # the column's CSS class, as for the field itself
            model_field = Review._meta.get_field(field)
            assert isinstance(model_field, models.Field)  # suggested_rating, final_rating
            return admin.display(description=model_field.verbose_name)(shown)

        return [
            rating(f) if f in ("suggested_rating", "final_rating") else f
            for f in super().get_list_display(request)
        ]

    def history_object_or_404(self, request, object_id):
        review = super().history_object_or_404(request, object_id)
        if not self._view(request, review).history_visible:
            raise Http404
        return review

    def _entries(self, request, object_id) -> dict[int, dict]:
        review = Review.objects.select_related("csm__team").get(pk=object_id)
        entries = selectors.history_of(review, request.user, admin_site=True)
        return {e["id"]: e for e in entries}

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        qs = super().get_history_queryset(request, history_manager, pk_name, object_id)
        # The records this person may see of the history: a hidden draft's saves are left out.
        return qs.filter(history_id__in=list(self._entries(request, object_id)))

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """The changes column, from the same masked history as the review's history page."""
        records = list(historical_records)
        if not records:
            return
        entries = self._entries(request, records[0].id)
        for record in records:
            changes = entries.get(record.history_id, {}).get("changes", [])
            record.history_delta_changes = [
                {"field": c["field"], "old": c["old"], "new": c["new"]} for c in changes
            ]

    # --- workflow: the reviewer through the services, nothing else writable -------------------

    def has_add_permission(self, request):
        return False  # reviews are created by opening a cycle

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _may_run_reviews(request.user)

    def save_model(self, request, obj, form, change):
        if "reviewer" in form.changed_data:
            services.review_set_reviewer(
                user=request.user,
                review=obj,
                reviewer=form.cleaned_data["reviewer"],
                version=form.cleaned_data["opened_version"],
            )

    @admin.action(description=gettext_lazy("Finalize the selected acknowledged reviews"))
    def finalize(self, request, queryset):
        done = 0
        for review in queryset:
            try:
                services.review_finalize(user=request.user, review=review, version=review.version)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                why = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(
                    request,
                    _("%(review)s was not finalized: %(why)s") % {"review": review, "why": why},
                    messages.ERROR,
                )
        self.message_user(
            request,
            ngettext("%(count)d review finalized.", "%(count)d reviews finalized.", done) % {"count": done},
        )


@admin.register(ReviewCycle)
class ReviewCycleAdmin(NoRevertHistoryAdmin):
    list_display = ["period", "status", "self_review_due", "manager_review_due", "template"]
    # Decided on the cycle page (opening, calibration), with their confirmations and reasons.
    readonly_fields = ["status", "opened_despite", "calibration_override_reason"]


class ReviewTemplateForm(forms.ModelForm):
    """A template's sections, scale and weights are checked like everywhere else
    (``review_snapshot.template_validate``): a mistake is shown on the form, never a server error."""

    class Meta:
        model = ReviewTemplate
        fields = [
            "name",
            "sections",
            "rating_scale",
            "kpi_weights",
            "okr_weight",
            "min_samples",
            "self_rating",
            "input_questions",
            "input_rating",
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if not self.errors:
            try:
                # As written (the English columns, in the admin's translation form).
                review_snapshot.template_validate(
                    sections=cleaned.get("sections_en", cleaned.get("sections")),
                    rating_scale=cleaned.get("rating_scale_en", cleaned.get("rating_scale")),
                    kpi_weights=cleaned.get("kpi_weights"),
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    self.add_error(name if name in self.fields else None, errors)
        if not self.errors:
            try:
                review_snapshot.questions_validate(
                    cleaned.get("input_questions_en", cleaned.get("input_questions"))
                )
            except ValidationError as exc:
                field = "input_questions_en" if "input_questions_en" in self.fields else None
                self.add_error(field, exc.messages)
        if not self.errors:
            base = {name: cleaned.get(f"{name}_en", cleaned.get(name)) for name in TRANSLATED}
            for name in TRANSLATED:
                for language in settings.MODELTRANSLATION_LANGUAGES[1:]:
                    field = build_localized_fieldname(name, language)
                    try:
                        review_snapshot.translation_validate(name, base[name], cleaned.get(field))
                    except ValidationError as exc:
                        self.add_error(field if field in self.fields else None, exc.messages)
        return cleaned


@admin.register(ReviewTemplate)
class ReviewTemplateAdmin(TranslationAdmin):
    """Sections, scale and questions to colleagues with a translation per language (empty: read
    as written in English; reviews/translation.py)."""

    form = ReviewTemplateForm
    list_display = ["name", "okr_weight"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Saved, and told what it still counts twice (two weighted metrics of the same quantity).
        for warning in review_snapshot.template_warnings(kpi_weights=obj.kpi_weights):
            self.message_user(request, warning, messages.WARNING)


class OfVisibleReviewsMixin(admin.ModelAdmin):
    """Disputes and comments of the reviews a staff member (not a superuser) may see, no others."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(review__in=Review.objects.visible_to(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "review" and not request.user.is_superuser:
            kwargs["queryset"] = Review.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Dispute)
class DisputeAdmin(OfVisibleReviewsMixin, NoRevertHistoryAdmin):
    pass


@admin.register(Comment)
class CommentAdmin(OfVisibleReviewsMixin, admin.ModelAdmin):
    pass


@admin.register(CycleExport)
class CycleExportAdmin(admin.ModelAdmin):
    """Why an export failed is said in the reader's language (``CycleExport.error_words``)."""

    list_display = ["created_at", "cycle", "status", "done", "total", "why_failed"]
    exclude = ["error", "error_params"]
    readonly_fields = ["why_failed"]

    @admin.display(description=gettext_lazy("error"))
    def why_failed(self, obj: CycleExport) -> str:
        return obj.error_words


@admin.register(InputRequest)
class InputRequestAdmin(admin.ModelAdmin):
    """Requests for input, read-only, and only to superusers: whose answer is whose is kept from
    everyone else when a cycle's input is anonymous (reviews.input.selectors)."""

    list_display = ["review", "contributor", "status", "due_on", "requested_at"]
    list_filter = ["status", "review__cycle"]
    readonly_fields = [f.name for f in InputRequest._meta.fields]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
