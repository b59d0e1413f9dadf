from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from datain.models import ImportRun, SourceAccount, SourceOwner, SyncCursor, SyncRun


def errors_in_lines(run: ImportRun | SyncRun) -> str:
    """The run's first errors, one a line, each sentence in the reader's language."""
    return "\n".join(
        gettext("row %(row)s, %(column)s %(value)s: %(message)s")
        % {
            "row": e["row"],
            "column": e["column"],
            "value": repr(e["value"]) if e["value"] else "",
            "message": e["message"],
        }
        for e in run.shown_errors
    )


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
    exclude = ["errors", "message", "message_params"]
    readonly_fields = [
        *(f.name for f in ImportRun._meta.fields if f.name not in ("errors", "message", "message_params")),
        "said",
        "errors_said",
    ]

    @admin.display(description=_("message"))
    def said(self, obj: ImportRun) -> str:
        return obj.message_words

    @admin.display(description=_("errors"))
    def errors_said(self, obj: ImportRun) -> str:
        return errors_in_lines(obj)

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
    exclude = ["errors", "message", "message_params"]
    readonly_fields = [
        *(f.name for f in SyncRun._meta.fields if f.name not in ("errors", "message", "message_params")),
        "said",
        "errors_said",
    ]

    @admin.display(description=_("message"))
    def said(self, obj: SyncRun) -> str:
        return obj.message_words

    @admin.display(description=_("errors"))
    def errors_said(self, obj: SyncRun) -> str:
        return errors_in_lines(obj)

    def has_add_permission(self, request):
        return False
