import datetime

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Assignment, CustomerAccount, Role, Team, User
from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    RevenueEvent,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)
from kpis.models import KpiRun
from kpis.periods import Period
from okrs.models import CheckIn, Objective, OkrQuarter

TODAY = datetime.date(2026, 11, 15)
FACTS = (RevenueEvent, Ticket, SurveyResponse, UsageSnapshot, HealthSnapshot, AdvocacyEvent, Touchpoint)


def fingerprint():
    return (
        list(CustomerAccount.objects.order_by("external_id").values_list("external_id", "name", "signed_on")),
        list(
            RevenueEvent.objects.order_by("external_id").values_list(
                "external_id", "date", "kind", "mrr_delta"
            )
        ),
        list(
            Ticket.objects.order_by("external_id").values_list(
                "external_id", "opened_at", "customer_contacts"
            )
        ),
        list(
            Assignment.objects.order_by("account__external_id", "start_date").values_list(
                "account__external_id", "csm__email", "start_date"
            )
        ),
        UsageSnapshot.objects.count(),
        HealthSnapshot.objects.count(),
    )


@pytest.mark.django_db
def test_demo_shape_and_determinism():
    call_command("seed_demo", today=TODAY, accounts=60, verbosity=0)
    assert Team.objects.count() == 3
    assert User.objects.filter(role=Role.CSM).count() == 20
    assert set(User.objects.filter(role=Role.CSM).values_list("segment", flat=True)) == {
        "smb",
        "mid_market",
        "enterprise",
    }
    for email, role in (
        ("csm@example.com", Role.CSM),
        ("manager@example.com", Role.MANAGER),
        ("hr@example.com", Role.HR),
        ("admin@example.com", Role.ADMIN),
    ):
        user = User.objects.get(email=email)
        assert user.role == role
        assert user.check_password("demo1234")
    assert (
        Team.objects.get(manager__email="manager@example.com")
        .members.filter(email="csm@example.com")
        .exists()
    )
    assert CustomerAccount.objects.count() == 60
    for model in FACTS:
        assert model.objects.exists(), model.__name__
    # 18 months of data: the earliest health snapshot is in the first month of the window.
    assert HealthSnapshot.objects.order_by("date").first().date < datetime.date(2025, 7, 1)
    assert RevenueEvent.objects.filter(kind="churn").exists()
    assert RevenueEvent.objects.filter(kind__in=["expansion", "upgrade"]).exists()
    # Reassignments keep history: some account has two owners.
    assert Assignment.objects.count() > CustomerAccount.objects.count()
    # KPIs for the last 8 quarters and 12 months; OKRs: the previous quarter closed, the current in progress.
    assert KpiRun.objects.filter(status="published").count() == 20
    previous, current = Period.containing(TODAY).previous(), Period.containing(TODAY)
    assert OkrQuarter.objects.get(period=str(previous)).is_closed
    assert not OkrQuarter.objects.filter(period=str(current), closed_at__isnull=False).exists()
    assert Objective.objects.filter(period=str(previous), frozen_score__isnull=True).count() == 0
    assert Objective.objects.filter(period=str(current), csm__email="csm@example.com").count() == 2
    assert CheckIn.objects.filter(key_result__objective__period=str(current)).exists()
    first = fingerprint()

    with pytest.raises(CommandError, match="not empty"):
        call_command("seed_demo", today=TODAY, accounts=60, verbosity=0)

    call_command("seed_demo", today=TODAY, accounts=60, reset=True, verbosity=0)
    assert fingerprint() == first


@pytest.mark.django_db
def test_if_empty_skips_a_populated_database():
    User.objects.create_user("someone@example.com", "x", role="hr")
    call_command("seed_demo", today=TODAY, accounts=5, if_empty=True, verbosity=0)
    assert CustomerAccount.objects.count() == 0
