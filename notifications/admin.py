from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification, Preference, Reminder, TeamChat


@admin.register(TeamChat)
class TeamChatAdmin(admin.ModelAdmin):
    list_display = ["team", "webhook_url", "active"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what was told to whom and whether the email went (texts may be about reviews,
    so only superusers see them)."""

    list_display = ["created_at", "recipient", "kind", "email", "why_not_emailed", "read_at"]
    list_filter = ["kind", "email"]
    search_fields = ["recipient__email"]
    list_select_related = ["recipient"]
    exclude = ["email_error", "email_error_params"]
    readonly_fields = ["why_not_emailed"]

    @admin.display(description=_("why the email could not be sent"))
    def why_not_emailed(self, obj: Notification) -> str:
        return obj.email_error_words

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["day", "person", "kind", "content_type", "object_id"]
    list_filter = ["kind", "day"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(Preference)
