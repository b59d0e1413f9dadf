import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import DateTimeField
from django.utils import timezone

from accounts.models import AccountTeamMember, Assignment, CustomerAccount, Role, Team, User
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
from reviews.models import InputRequest

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
        ("contributor@example.com", Role.CONTRIBUTOR),
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
    # Three contributors in the account teams; Jordan (contributor@) on every account Atlas's CSMs
    # first owned: 60 accounts shared out to 20 CSMs in turn, the first 7 of each 20 -> 21.
    assert User.objects.filter(role=Role.CONTRIBUTOR).count() == 3
    assert AccountTeamMember.objects.filter(person__email="contributor@example.com").count() == 21
    # Input on Atlas's 7 reviews: 3 asked on each in the closed cycle, the third declining on the
    # 1st, 3rd, 5th and 7th; 2 asked on each review still being written now, one answered.
    closed_input = InputRequest.objects.filter(review__cycle__period=str(previous))
    assert closed_input.count() == 21
    assert closed_input.filter(status="declined").count() == 4
    assert closed_input.filter(status="answered").count() == 17
    now_input = InputRequest.objects.filter(review__cycle__period=str(current))
    assert now_input.filter(status="answered").count() == 1
    assert now_input.filter(status="requested").count() == now_input.count() - 1 > 0
    assert now_input.filter(contributor__email="contributor@example.com", status="requested").exists()
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


@pytest.mark.django_db
def test_the_demo_holds_no_fact_dated_after_its_today():
    """The KPIs of the period in progress are stored as of ``--today``: a fact dated later (a renewal
    due later this month, an NPS answer or a referral of a late signer, an escalation 48 h after a
    ticket of yesterday) would make the drill-down and the stored number disagree."""
    today = datetime.date(2026, 12, 6)  # mid-month: the month's later days are the future
    call_command("seed_demo", today=today, accounts=240, verbosity=0)
    end = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time()))
    dated = {
        RevenueEvent: ["date"],
        Ticket: ["opened_at", "first_response_at", "resolved_at", "escalated_at"],
        SurveyResponse: ["responded_at"],
        UsageSnapshot: ["date"],
        HealthSnapshot: ["date"],
        AdvocacyEvent: ["date"],
        Touchpoint: ["occurred_at"],
        CustomerAccount: ["signed_on", "onboarding_completed_on"],
        Assignment: ["start_date"],
        CheckIn: ["date"],
    }
    assert set(FACTS) <= set(dated)
    later = {}
    for model, fields in dated.items():
        assert model.objects.exists(), model.__name__
        for name in fields:
            bound = end if isinstance(model._meta.get_field(name), DateTimeField) else today
            n = model.objects.filter(**{f"{name}__gt" if bound is today else f"{name}__gte": bound}).count()
            if n:
                later[f"{model.__name__}.{name}"] = n
    assert later == {}
    # The month in progress still has its facts up to yesterday (the demo is not emptied).
    assert RevenueEvent.objects.filter(date__gte=today.replace(day=1)).exists()
    assert Ticket.objects.filter(opened_at__date__gte=today.replace(day=1)).exists()
