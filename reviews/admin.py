"""Admin for reviews: read-only workflow fields; steps go through the services (same rules as the web)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from reviews import services
from reviews.models import Comment, CycleExport, Dispute, Review, ReviewCycle, ReviewTemplate

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
    "manager_assessment",
    "section_ratings",
    "final_rating",
    "final_rating_reason",
    "acknowledgement_comment",
]


@admin.register(Review)
class ReviewAdmin(SimpleHistoryAdmin):
    list_display = ["csm", "cycle", "reviewer", "status", "suggested_rating", "final_rating", "version"]
    list_filter = ["cycle", "status"]
    search_fields = ["csm__email", "csm__name", "reviewer__email"]
    list_select_related = ["csm", "cycle", "reviewer"]
    readonly_fields = ["cycle", "csm", *WORKFLOW_FIELDS]
    fields = ["cycle", "csm", "reviewer", *WORKFLOW_FIELDS]
    actions = ["finalize"]

    def has_add_permission(self, request):
        return False  # reviews are created by opening a cycle

    @admin.action(description="Finalize the selected acknowledged reviews")
    def finalize(self, request, queryset):
        done = 0
        for review in queryset:
            try:
                services.review_finalize(user=request.user, review=review, version=review.version)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{review}: {exc}", messages.ERROR)
        self.message_user(request, f"{done} finalized.")


@admin.register(ReviewCycle)
class ReviewCycleAdmin(SimpleHistoryAdmin):
    list_display = ["period", "status", "self_review_due", "manager_review_due", "template"]
    readonly_fields = ["status"]


@admin.register(ReviewTemplate)
class ReviewTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "okr_weight"]

    def save_model(self, request, obj, form, change):
        services.template_validate(
            sections=obj.sections, rating_scale=obj.rating_scale, kpi_weights=obj.kpi_weights
        )
        super().save_model(request, obj, form, change)


admin.site.register(Dispute, SimpleHistoryAdmin)
admin.site.register(Comment)
admin.site.register(CycleExport)
