"""Reads of the facts of one account (what the account page shows)."""

from __future__ import annotations

from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts.models import CustomerAccount
from accounts.selectors import owner_history
from activity.models import HealthSnapshot, RevenueEvent, SurveyResponse, Ticket, UsageSnapshot


def account_history(*, account: CustomerAccount, months: int = 18) -> dict:
    """Owners, MRR by month, recent tickets and surveys, usage, health of ``account``."""
    events = list(RevenueEvent.objects.filter(account=account).order_by("date", "external_id"))
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
        "tickets": list(Ticket.objects.filter(account=account).order_by("-opened_at")[:30]),
        "surveys": list(SurveyResponse.objects.filter(account=account).order_by("-responded_at")[:30]),
        "usage": list(UsageSnapshot.objects.filter(account=account).order_by("-date")[:26])[::-1],
        "health": list(HealthSnapshot.objects.filter(account=account).order_by("-date")[:18])[::-1],
    }
