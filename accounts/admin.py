from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminLoginForm
from accounts.models import (
    AccessDenial,
    AccountTeamMember,
    Assignment,
    CustomerAccount,
    Role,
    SignIn,
    Team,
    User,
)
from accounts.permission_names import PermissionChoiceField

# Everyone logs in on the login page (two-factor, SSO only): the admin's own page sends them there,
# and refuses a password posted to it.
admin.site.login_form = AdminLoginForm
_admin_login = admin.site.login


def _login_page_instead(request, extra_context=None):
    if request.method == "GET":
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("login"))
    return _admin_login(request, extra_context)


admin.site.login = _login_page_instead  # type: ignore[method-assign]


class TranslatedPermissionsMixin(admin.ModelAdmin):
    """The permissions selector lists each permission in the reader's language, not as
    ``auth_permission`` stores it (English)."""

    permission_fields = ("permissions", "user_permissions")

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name in self.permission_fields:
            kwargs["form_class"] = PermissionChoiceField
            queryset = kwargs.get("queryset", db_field.remote_field.model.objects)
            kwargs["queryset"] = queryset.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TranslatedPermissionsMixin, BaseGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(TranslatedPermissionsMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "role", "segment", "team", "is_active"]
    list_filter = ["role", "segment", "team", "is_active", "is_staff"]
    search_fields = ["email", "name"]
    list_select_related = ["team"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "role", "segment", "team", "time_zone")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "segment", "team", "password1", "password2"),
            },
        ),
    )


class MemberInline(admin.TabularInline):
    model = User
    fk_name = "team"
    fields = ("email", "name", "role", "segment")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    search_fields = ["name", "manager__email"]
    list_select_related = ["manager"]
    autocomplete_fields = ["manager"]
    inlines = [MemberInline]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["csm"]
    ordering = ["start_date"]


@admin.register(CustomerAccount)
class CustomerAccountAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "segment", "signed_on", "onboarding_completed_on"]
    list_filter = ["segment"]
    search_fields = ["external_id", "name"]
    date_hierarchy = "signed_on"
    inlines = [AssignmentInline]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["account", "csm", "start_date"]
    list_filter = ["csm__team", "csm__segment"]
    search_fields = ["account__external_id", "account__name", "csm__email"]
    list_select_related = ["account", "csm"]
    autocomplete_fields = ["account", "csm"]
    date_hierarchy = "start_date"


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(admin.ModelAdmin):
    """The account teams, edited by hand or loaded as the kind ``account_team``."""

    list_display = ["account", "person", "role", "start_date", "end_date"]
    list_filter = ["role"]
    search_fields = ["account__external_id", "account__name", "person__email", "person__name"]
    list_select_related = ["account", "person"]
    autocomplete_fields = ["account", "person"]
    date_hierarchy = "start_date"


@admin.register(AccessDenial)
class AccessDenialAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "what", "object_id", "path"]
    list_filter = ["what"]
    search_fields = ["user__email", "path"]
    readonly_fields = ["at", "user", "what", "object_id", "path"]

    def has_add_permission(self, request):
        return False


@admin.register(SignIn)
class SignInAdmin(admin.ModelAdmin):
    """Every sign-in and refused sign-in (accounts.signins): read-only, for admins only."""

    list_display = ["at", "person", "email", "method", "succeeded", "why_refused", "ip_address"]
    list_filter = ["succeeded", "method"]
    search_fields = ["email", "person__email", "person__name", "ip_address"]
    list_select_related = ["person"]
    date_hierarchy = "at"
    fields = ("at", "person", "email", "method", "succeeded", "why_refused", "ip_address", "user_agent")
    readonly_fields = fields

    @admin.display(description=_("why refused"))
    def why_refused(self, obj: SignIn) -> str:
        return obj.reason_words

    def _admin(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or (user.is_staff and user.role == Role.ADMIN))

    def has_module_permission(self, request):
        return self._admin(request)

    def has_view_permission(self, request, obj=None):
        return self._admin(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
