from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.db import models

from activity.models import (
    AdvocacyEvent,
    Fact,
    HealthSnapshot,
    RevenueEvent,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)


def register_fact(model: type[Fact]) -> Callable[[type[FactAdmin]], type[FactAdmin]]:
    """Register a fact's admin, its list browsed by the fact's own day or moment (``time_field``)."""

    def register(admin_class: type[FactAdmin]) -> type[FactAdmin]:
        admin_class.date_hierarchy = model.time_field
        return admin.register(model)(admin_class)

    return register


class FactAdmin(admin.ModelAdmin):
    """A fact table's list shows its fields as the model defines them (long text aside), in order."""

    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    search_fields = ["account__external_id", "account__name"]

    def get_list_display(self, request):
        return [
            f.name
            for f in self.model._meta.fields
            if not f.primary_key and not isinstance(f, models.TextField)
        ]


@register_fact(RevenueEvent)
class RevenueEventAdmin(FactAdmin):
    list_filter = ["kind"]
    search_fields = ["external_id", *FactAdmin.search_fields]


@register_fact(Ticket)
class TicketAdmin(FactAdmin):
    list_filter = ["priority", "channel"]
    search_fields = ["external_id", *FactAdmin.search_fields]


@register_fact(SurveyResponse)
class SurveyResponseAdmin(FactAdmin):
    list_filter = ["kind", "score"]
    search_fields = ["external_id", "comment", *FactAdmin.search_fields]


@register_fact(UsageSnapshot)
class UsageSnapshotAdmin(FactAdmin):
    """Every field of the snapshot, by date."""


@register_fact(HealthSnapshot)
class HealthSnapshotAdmin(FactAdmin):
    list_filter = ["band"]


@register_fact(AdvocacyEvent)
class AdvocacyEventAdmin(FactAdmin):
    list_filter = ["kind"]
    search_fields = ["external_id", *FactAdmin.search_fields]


@register_fact(Touchpoint)
class TouchpointAdmin(FactAdmin):
    list_filter = ["kind"]
    list_select_related = ["account", "csm"]
    autocomplete_fields = ["account", "csm"]
    search_fields = ["external_id", "csm__email", *FactAdmin.search_fields]
