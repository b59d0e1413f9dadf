from django.contrib import admin
from django.db import models

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
    """A fact table's list shows its fields as the model defines them (long text aside), in order."""

    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    search_fields = ["account__external_id", "account__name"]

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        self.date_hierarchy = model.time_field

    def get_list_display(self, request):
        return [
            f.name
            for f in self.model._meta.fields
            if not f.primary_key and not isinstance(f, models.TextField)
        ]


@admin.register(RevenueEvent)
class RevenueEventAdmin(FactAdmin):
    list_filter = ["kind"]
    search_fields = ["external_id", *FactAdmin.search_fields]


@admin.register(Ticket)
class TicketAdmin(FactAdmin):
    list_filter = ["priority", "channel"]
    search_fields = ["external_id", *FactAdmin.search_fields]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(FactAdmin):
    list_filter = ["kind", "score"]
    search_fields = ["external_id", "comment", *FactAdmin.search_fields]


@admin.register(UsageSnapshot)
class UsageSnapshotAdmin(FactAdmin):
    """Every field of the snapshot, by date."""


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(FactAdmin):
    list_filter = ["band"]


@admin.register(AdvocacyEvent)
class AdvocacyEventAdmin(FactAdmin):
    list_filter = ["kind"]
    search_fields = ["external_id", *FactAdmin.search_fields]


@admin.register(Touchpoint)
class TouchpointAdmin(FactAdmin):
    list_filter = ["kind"]
    list_select_related = ["account", "csm"]
    autocomplete_fields = ["account", "csm"]
    search_fields = ["external_id", "csm__email", *FactAdmin.search_fields]
