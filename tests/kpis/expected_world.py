"""Organisations for the expected-results tests (tests/kpis/test_expected.py), built in bulk.

A ``Life`` is one account: its owner, its starting MRR before a quarter, the quarter it churns in (or
never), and its health band at the start of each quarter it is alive in (a snapshot 5 days before).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from accounts.models import Assignment, CustomerAccount, Segment
from activity.models import HealthSnapshot, RevenueEvent
from kpis.periods import Period

SIGNED = datetime.date(2020, 1, 1)
SCORES = {"good": 85, "average": 55, "poor": 20}


@dataclass
class Life:
    csm: object
    first: Period  # the first quarter whose starting cohort it is in
    bands: dict[str, str] = field(default_factory=dict)  # quarter -> band at its start
    churns_in: Period | None = None
    mrr: int = 1000
    contracts_in: dict[str, int] = field(default_factory=dict)  # quarter -> MRR lost (still paying)
    segment: str = Segment.SMB
    signed_on: datetime.date = SIGNED


def build(lives: list[Life]) -> list[CustomerAccount]:
    accounts = CustomerAccount.objects.bulk_create(
        CustomerAccount(
            external_id=f"E{i}", name=f"Customer {i}", segment=life.segment, signed_on=life.signed_on
        )
        for i, life in enumerate(lives)
    )
    Assignment.objects.bulk_create(
        Assignment(account=a, csm=life.csm, start_date=life.signed_on)
        for a, life in zip(accounts, lives, strict=True)
    )
    revenue, health = [], []
    for i, (a, life) in enumerate(zip(accounts, lives, strict=True)):
        day = life.first.start - datetime.timedelta(days=10)
        revenue.append(RevenueEvent(external_id=f"N{i}", account=a, date=day, kind="new", mrr_delta=life.mrr))
        left = life.mrr
        for quarter, lost in life.contracts_in.items():
            day = Period.parse(quarter).start + datetime.timedelta(days=40)
            revenue.append(
                RevenueEvent(
                    external_id=f"K{i}{quarter}", account=a, date=day, kind="contraction", mrr_delta=-lost
                )
            )
            left -= lost
        if life.churns_in:
            day = life.churns_in.start + datetime.timedelta(days=30)
            revenue.append(
                RevenueEvent(external_id=f"C{i}", account=a, date=day, kind="churn", mrr_delta=-left)
            )
        for quarter, band in life.bands.items():
            day = Period.parse(quarter).start - datetime.timedelta(days=5)
            health.append(HealthSnapshot(account=a, date=day, score=SCORES[band], band=band))
    for r in revenue:
        r.mrr_delta = Decimal(r.mrr_delta)
    RevenueEvent.objects.bulk_create(revenue)
    HealthSnapshot.objects.bulk_create(health)
    return accounts
