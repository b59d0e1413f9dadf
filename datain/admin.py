from django.contrib import admin

from datain.models import ImportRun, SourceAccount, SourceOwner, SyncCursor, SyncRun


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
