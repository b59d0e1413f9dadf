"""Reads of people and the book (docs/metrics.md: Owner(a, d), book)."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from accounts.models import Assignment, CustomerAccount, User


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
