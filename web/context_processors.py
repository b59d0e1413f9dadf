"""The navigation of base.html, by role, and the bell's unread count."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from notifications.selectors import unread_count


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    if user.role == Role.CONTRIBUTOR:
        return {
            "nav_items": [(_("Input requests"), reverse("input-list"))],
            "unread_notifications": unread_count(user),
        }
    items = [(_("Home"), reverse("home"))]
    if user.role == Role.CSM:
        items.append((_("My scorecard"), reverse("my-scorecard")))
    else:
        items.append((_("Teams"), reverse("team-list")))
    items.append((_("OKRs"), reverse("okrs-mine")))
    items.append((_("Reviews"), reverse("review-list")))
    items.append((_("Feedback"), reverse("feedback-list")))
    if user.role in (Role.HR, Role.ADMIN):
        items.append((_("Cycles"), reverse("cycle-list")))
    if user.role == Role.ADMIN:
        items.append((_("Load data"), reverse("import-list")))
    if user.role == Role.ADMIN or user.is_staff:
        items.append((_("Admin"), reverse("admin:index")))
    items.append((_("API docs"), reverse("api-docs")))
    return {"nav_items": items, "unread_notifications": unread_count(user)}
