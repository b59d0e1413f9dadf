from django.contrib import admin

from notifications.models import Notification, Preference, Reminder, TeamChat


@admin.register(TeamChat)
class TeamChatAdmin(admin.ModelAdmin):
    list_display = ["team", "webhook_url", "active"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what was told to whom and whether the email went (texts may be about reviews,
    so only superusers see them)."""

    list_display = ["created_at", "recipient", "kind", "email", "email_error", "read_at"]
    list_filter = ["kind", "email"]
    search_fields = ["recipient__email"]
    list_select_related = ["recipient"]

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
