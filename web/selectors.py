"""What the pages of the web shell show."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import CustomerAccount, Role, Team, User
from accounts.selectors import book_of


def home_context(*, user: User) -> dict:
    """What a person's home page shows, by role (the scoped rules of ``visible_to``)."""
    today = timezone.localdate()
    context: dict = {"today": today}
    if user.role == Role.CSM:
        context["book"] = book_of(csm=user, day=today).order_by("name")
    elif user.role == Role.MANAGER:
        context["teams"] = Team.objects.visible_to(user).prefetch_related("members").order_by("name")
    else:
        context["teams"] = Team.objects.select_related("manager").order_by("name")
        context["people_count"] = User.objects.visible_to(user).count()
        context["account_count"] = CustomerAccount.objects.visible_to(user).count()
    return context
