from django.contrib import admin

from okrs.models import CheckIn, KeyResult, KeyResultValue, Objective, OkrQuarter


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    extra = 0
    fields = ["title", "kind", "metric", "baseline", "target", "weight", "current", "done", "frozen_progress"]
    readonly_fields = ["current", "frozen_progress"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["title", "period", "csm", "team", "commitment", "frozen_score", "final_score"]
    list_filter = ["period", "commitment", "team"]
    search_fields = ["title", "csm__email", "team__name"]
    list_select_related = ["csm", "team"]
    raw_id_fields = ["csm", "parent", "rollout_source", "created_by"]
    inlines = [KeyResultInline]


@admin.register(KeyResult)
class KeyResultAdmin(admin.ModelAdmin):
    list_display = ["title", "objective", "kind", "metric", "baseline", "current", "target", "weight"]
    list_filter = ["kind", "objective__period"]
    search_fields = ["title", "objective__title"]
    raw_id_fields = ["objective", "owner", "current_run"]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["key_result", "date", "value", "done", "confidence", "author"]
    list_filter = ["date"]
    raw_id_fields = ["key_result", "author"]


@admin.register(OkrQuarter)
class OkrQuarterAdmin(admin.ModelAdmin):
    list_display = ["period", "closed_at", "closed_by"]


@admin.register(KeyResultValue)
class KeyResultValueAdmin(admin.ModelAdmin):
    list_display = ["key_result", "run", "value", "recorded_at"]
    raw_id_fields = ["key_result", "run"]
