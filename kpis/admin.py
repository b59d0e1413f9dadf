from django.contrib import admin

from kpis.models import KpiRun, KpiValue


@admin.register(KpiRun)
class KpiRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "period",
        "as_of",
        "status",
        "trigger",
        "started_at",
        "finished_at",
        "csm_count",
        "value_count",
        "query_count",
    ]
    list_filter = ["status", "trigger", "period"]
    search_fields = ["period", "error"]
    readonly_fields = [f.name for f in KpiRun._meta.fields]

    def has_add_permission(self, request):
        return False  # runs start from the command, beat or a task: they take the lock


@admin.register(KpiValue)
class KpiValueAdmin(admin.ModelAdmin):
    list_display = [
        "subject_key",
        "metric",
        "period",
        "value",
        "numerator",
        "denominator",
        "sample_size",
        "run",
    ]
    list_filter = ["subject_type", "period", "metric"]
    search_fields = ["subject_key", "csm__email", "team__name", "metric"]
    list_select_related = ["run"]
    readonly_fields = [f.name for f in KpiValue._meta.fields]

    def has_add_permission(self, request):
        return False  # values are published by runs only

    def has_change_permission(self, request, obj=None):
        return False
