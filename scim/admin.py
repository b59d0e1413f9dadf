"""Provisioning in the Django admin: the providers' tokens (revoked by deleting them; new ones come
from `manage.py create_scim_token`, which shows the key once) and what the provider names people
and teams, read-only."""

from django.contrib import admin

from scim.models import ScimGroup, ScimToken, ScimUser


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "hint", "created_at", "last_used_at"]
    readonly_fields = ["name", "hint", "created_at", "last_used_at"]
    exclude = ["digest"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScimUser)
class ScimUserAdmin(admin.ModelAdmin):
    list_display = ["user_name", "person", "external_id", "deleted", "updated_at"]
    list_filter = ["deleted"]
    search_fields = ["user_name", "person__email", "external_id"]
    list_select_related = ["person"]
    readonly_fields = [
        "person",
        "user_name",
        "external_id",
        "given_name",
        "family_name",
        "deleted",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScimGroup)
class ScimGroupAdmin(admin.ModelAdmin):
    list_display = ["team", "external_id", "deleted"]
    list_filter = ["deleted"]
    list_select_related = ["team"]
    readonly_fields = ["team", "external_id", "deleted"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
