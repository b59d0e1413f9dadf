from django.contrib import admin

from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    RevenueEvent,
    SurveyResponse,
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
