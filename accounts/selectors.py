"""Reads of people and the book (METRICS.md: Owner(a, d), book)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Assignment, CustomerAccount, Role, Team, User


def owner_on(*, account: CustomerAccount, day: datetime.date) -> User | None:
    """``Owner(a, d)``: the CSM of the assignment with the latest ``start_date <= d``; None when there is none.

    An assignment starting on ``d`` owns ``d``.
    """
    assignment = (
        Assignment.objects.filter(account=account, start_date__lte=day)
        .select_related("csm")
        .order_by("-start_date")
        .first()
    )
    return assignment.csm if assignment else None


def book_of(*, csm: User, day: datetime.date) -> QuerySet[CustomerAccount]:
    """The accounts whose owner on ``day`` is ``csm`` (one query, whatever the book size)."""
    return CustomerAccount.objects.with_owner_on(day).filter(owner_id_on=csm.pk)


def owner_history(*, account: CustomerAccount) -> QuerySet[Assignment]:
    return account.assignments.select_related("csm").order_by("start_date")


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


def account_history(*, account: CustomerAccount, months: int = 18) -> dict:
    """What the account page shows: owners, MRR by month, recent tickets and surveys, usage, health."""
    events = list(account.revenue_events.order_by("date", "external_id"))
    today = timezone.localdate()
    first = today.replace(day=1) - relativedelta(months=months - 1)
    month_starts = [first + relativedelta(months=i) for i in range(months)] + [
        today.replace(day=1) + relativedelta(months=1)
    ]
    mrr = []
    for start in month_starts[1:]:
        total = sum((e.mrr_delta for e in events if e.date < start), Decimal(0))
        mrr.append((start - relativedelta(months=1), max(total, Decimal(0))))
    return {
        "owners": list(owner_history(account=account)),
        "mrr": mrr,
        "revenue": events[-30:][::-1],
        "tickets": list(account.tickets.order_by("-opened_at")[:30]),
        "surveys": list(account.survey_responses.order_by("-responded_at")[:30]),
        "usage": list(account.usage_snapshots.order_by("-date")[:26])[::-1],
        "health": list(account.health_snapshots.order_by("-date")[:18])[::-1],
    }
