"""The rules of a book of accounts, for the pages that show one account or one CSM's book today: the
home page, the account page, calibration. Each rule is the one of the metric definitions
(docs/metrics.md) that the KPI engine applies in SQL to every CSM at once (``kpis.engine.blocks``
and ``parts``); written here once for the pages, so that what they count meets the scorecard's (a test
compares them for every CSM of the demo organisation).

- MRR of an account on a day: the sum of its revenue movements dated up to that day, never below 0.
- Health band: a snapshot's own band wins; otherwise its score's (HEALTH_GOOD_MIN_SCORE,
  HEALTH_AVERAGE_MIN_SCORE).
- Adoption: features used as a percentage of the features available (no features available: none).
- Renewals in a quarter: revenue movements of kind renewal dated in it, on the accounts the CSM owned
  on its first day (the cohort's accounts).
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum

from accounts.models import CustomerAccount
from activity.models import HealthBand, RevenueEvent, RevenueKind
from kpis.periods import Period

ZERO = Decimal(0)


def mrr(total: Decimal | None) -> Decimal:
    """An account's MRR from the sum of its movements: never below 0 (a churned account pays 0)."""
    return max(total or ZERO, ZERO)


def mrr_on(account_ids: list[int], day: datetime.date) -> dict[int, Decimal]:
    """Each account's MRR on ``day`` (its movements dated up to and including that day). One query."""
    totals = (
        RevenueEvent.objects.filter(account_id__in=account_ids, date__lte=day)
        .values("account_id")
        .annotate(total=Sum("mrr_delta"))
    )
    out = dict.fromkeys(account_ids, ZERO)
    for row in totals:
        out[row["account_id"]] = mrr(row["total"])
    return out


def mrr_by_month(events: list[RevenueEvent], month_starts: list[datetime.date]) -> list[Decimal]:
    """An account's MRR at the end of each month before ``month_starts[i]`` (its movements dated
    before that day), from its movements read once."""
    return [mrr(sum((e.mrr_delta for e in events if e.date < start), ZERO)) for start in month_starts]


def health_band(score: int | None, band: str) -> str:
    """A snapshot's band: its own when it has one, else its score's; "" without either."""
    if band:
        return band
    if score is None:
        return ""
    if score >= settings.HEALTH_GOOD_MIN_SCORE:
        return HealthBand.GOOD
    if score >= settings.HEALTH_AVERAGE_MIN_SCORE:
        return HealthBand.AVERAGE
    return HealthBand.POOR


def adoption(features_used: int, features_available: int) -> Decimal | None:
    """Features used as a percentage of the features available; None when none is available."""
    if not features_available:
        return None
    return Decimal(features_used * 100) / Decimal(features_available)


def renewals_in_quarter(*, csm_ids: list[int], period: Period) -> dict[int, int]:
    """Renewals in the quarter on the accounts each CSM owned on its first day: two queries for any
    number of CSMs."""
    owners = dict(
        CustomerAccount.objects.with_owner_on(period.start)
        .filter(owner_id_on__in=csm_ids)
        .values_list("pk", "owner_id_on")
    )
    counts: Counter = Counter()
    events = (
        RevenueEvent.objects.filter(
            kind=RevenueKind.RENEWAL,
            date__gte=period.start,
            date__lt=period.end,  # the end is exclusive
            account_id__in=list(owners),
        )
        .values("account_id")
        .annotate(n=Count("pk"))
    )
    for e in events:
        counts[owners[e["account_id"]]] += e["n"]
    return {pk: counts.get(pk, 0) for pk in csm_ids}
