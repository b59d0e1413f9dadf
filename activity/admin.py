from django.contrib import admin

from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    ImportRun,
    RevenueEvent,
    SourceAccount,
    SourceOwner,
    SurveyResponse,
    SyncCursor,
    SyncRun,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)


class FactAdmin(admin.ModelAdmin):
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    search_fields = ["account__external_id", "account__name"]


@admin.register(RevenueEvent)
class RevenueEventAdmin(FactAdmin):
    list_display = ["external_id", "account", "date", "kind", "mrr_delta"]
    list_filter = ["kind"]
    search_fields = ["external_id", *FactAdmin.search_fields]
    date_hierarchy = "date"


@admin.register(Ticket)
class TicketAdmin(FactAdmin):
    list_display = [
        "external_id",
        "account",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "customer_contacts",
        "escalated_at",
        "priority",
        "channel",
    ]
    list_filter = ["priority", "channel"]
    search_fields = ["external_id", *FactAdmin.search_fields]
    date_hierarchy = "opened_at"


@admin.register(SurveyResponse)
class SurveyResponseAdmin(FactAdmin):
    list_display = ["external_id", "account", "responded_at", "kind", "score"]
    list_filter = ["kind", "score"]
    search_fields = ["external_id", "comment", *FactAdmin.search_fields]
    date_hierarchy = "responded_at"


@admin.register(UsageSnapshot)
class UsageSnapshotAdmin(FactAdmin):
    list_display = [
        "account",
        "date",
        "licensed_seats",
        "dau",
        "mau",
        "features_used",
        "features_available",
    ]
    date_hierarchy = "date"


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(FactAdmin):
    list_display = ["account", "date", "score", "band"]
    list_filter = ["band"]
    date_hierarchy = "date"


@admin.register(AdvocacyEvent)
class AdvocacyEventAdmin(FactAdmin):
    list_display = ["external_id", "account", "date", "kind"]
    list_filter = ["kind"]
    search_fields = ["external_id", *FactAdmin.search_fields]
    date_hierarchy = "date"


@admin.register(Touchpoint)
class TouchpointAdmin(FactAdmin):
    list_display = ["external_id", "account", "csm", "occurred_at", "kind"]
    list_filter = ["kind"]
    list_select_related = ["account", "csm"]
    autocomplete_fields = ["account", "csm"]
    search_fields = ["external_id", "csm__email", *FactAdmin.search_fields]
    date_hierarchy = "occurred_at"


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "kind",
        "source",
        "status",
        "created_by",
        "rows_read",
        "created",
        "updated",
        "error_count",
    ]
    list_filter = ["kind", "source", "status"]
    search_fields = ["filename", "created_by__email"]
    list_select_related = ["created_by"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False


# --- Data from other systems ------------------------------------------------------


@admin.register(SourceAccount)
class SourceAccountAdmin(admin.ModelAdmin):
    """The account crosswalk, edited by hand or loaded as the kind ``source_accounts``."""

    list_display = ["source", "source_id", "account"]
    list_filter = ["source"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    search_fields = ["source_id", "account__external_id", "account__name"]


@admin.register(SourceOwner)
class SourceOwnerAdmin(admin.ModelAdmin):
    """The owner crosswalk, edited by hand or loaded as the kind ``source_owners``."""

    list_display = ["source", "source_id", "person"]
    list_filter = ["source"]
    list_select_related = ["person"]
    autocomplete_fields = ["person"]
    search_fields = ["source_id", "person__email", "person__name"]


@admin.register(SyncCursor)
class SyncCursorAdmin(admin.ModelAdmin):
    """Where each connector resumes. Clearing a cursor makes the next sync read everything again."""

    list_display = ["source", "cursor", "updated_at"]
    readonly_fields = ["source", "updated_at"]

    def has_add_permission(self, request):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "source",
        "kind",
        "status",
        "dry_run",
        "records",
        "created",
        "updated",
        "error_count",
    ]
    list_filter = ["source", "status"]
    readonly_fields = [f.name for f in SyncRun._meta.fields]

    def has_add_permission(self, request):
        return False
