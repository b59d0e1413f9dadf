"""Every database constraint refuses a violating row, whatever path wrote it."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Assignment, CustomerAccount, Team, User
from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    RevenueEvent,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)
from tests import factories
from tests.factories import aware

D = datetime.date
pytestmark = pytest.mark.django_db


def refused(build, model):
    """Saving ``build()`` raises IntegrityError and leaves the table as it was."""
    before = model.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        build()
    assert model.objects.count() == before


def test_user_role_must_be_known():
    refused(lambda: User.objects.create(email="x@example.com", role="ceo"), User)


def test_csm_needs_a_segment():
    refused(lambda: User.objects.create(email="x@example.com", role="csm", segment=""), User)


def test_user_segment_must_be_known():
    refused(lambda: User.objects.create(email="x@example.com", role="csm", segment="huge"), User)


def test_manager_without_segment_is_fine():
    User.objects.create(email="m@example.com", role="manager", segment="")
    assert User.objects.filter(email="m@example.com").exists()


def test_email_unique():
    factories.CsmFactory(email="dup@example.com", team=None)
    refused(lambda: User.objects.create(email="dup@example.com", role="hr"), User)


def test_team_name_unique():
    factories.TeamFactory(name="Atlas")
    refused(lambda: Team.objects.create(name="Atlas"), Team)


def test_account_external_id_unique_and_segment_and_dates():
    factories.CustomerAccountFactory(external_id="A")
    refused(lambda: factories.CustomerAccountFactory(external_id="A"), CustomerAccount)
    refused(lambda: factories.CustomerAccountFactory(segment="galactic"), CustomerAccount)
    refused(
        lambda: factories.CustomerAccountFactory(
            signed_on=D(2026, 2, 1), onboarding_completed_on=D(2026, 1, 31)
        ),
        CustomerAccount,
    )
    factories.CustomerAccountFactory(
        external_id="same-day", signed_on=D(2026, 2, 1), onboarding_completed_on=D(2026, 2, 1)
    )


def test_one_assignment_per_account_and_day():
    a = factories.AssignmentFactory(start_date=D(2026, 1, 1))
    refused(
        lambda: Assignment.objects.create(account=a.account, csm=a.csm, start_date=D(2026, 1, 1)),
        Assignment,
    )


@pytest.mark.parametrize(
    ("kind", "delta", "ok"),
    [
        ("new", "10.00", True),
        ("new", "0.00", False),
        ("new", "-1.00", False),
        ("expansion", "-5.00", False),
        ("upgrade", "5.00", True),
        ("reactivation", "0.00", False),
        ("renewal", "0.00", True),
        ("renewal", "12.50", True),
        ("renewal", "-1.00", False),
        ("downgrade", "-1.00", True),
        ("contraction", "1.00", False),
        ("churn", "0.00", False),
        ("churn", "-100.00", True),
        ("gift", "5.00", False),
    ],
)
def test_revenue_sign_matches_kind(kind, delta, ok):
    account = factories.CustomerAccountFactory()

    def build():
        RevenueEvent.objects.create(
            external_id="R1", account=account, date=D(2026, 1, 1), kind=kind, mrr_delta=Decimal(delta)
        )

    if ok:
        build()
        assert RevenueEvent.objects.count() == 1
    else:
        refused(build, RevenueEvent)


@pytest.mark.parametrize("field", ["first_response_at", "resolved_at", "escalated_at"])
def test_ticket_timestamps_not_before_opening(field):
    opened = aware(2026, 7, 1, 12)
    refused(lambda: factories.TicketFactory(opened_at=opened, **{field: aware(2026, 7, 1, 11)}), Ticket)
    factories.TicketFactory(opened_at=opened, **{field: opened})


def test_ticket_contacts_at_least_one_and_priority_known():
    refused(lambda: factories.TicketFactory(customer_contacts=0), Ticket)
    refused(lambda: factories.TicketFactory(priority="meh"), Ticket)


@pytest.mark.parametrize(
    ("kind", "score", "ok"),
    [
        ("nps", 0, True),
        ("nps", 10, True),
        ("nps", 11, False),
        ("nps", -1, False),
        ("csat", 1, True),
        ("csat", 5, True),
        ("csat", 0, False),
        ("csat", 6, False),
        ("ces", 3, False),
    ],
)
def test_survey_score_range_by_kind(kind, score, ok):
    if ok:
        factories.SurveyResponseFactory(kind=kind, score=score)
    else:
        refused(lambda: factories.SurveyResponseFactory(kind=kind, score=score), SurveyResponse)


def test_usage_ranges_and_key():
    account = factories.CustomerAccountFactory()
    refused(lambda: factories.UsageSnapshotFactory(account=account, dau=41, mau=40), UsageSnapshot)
    refused(
        lambda: factories.UsageSnapshotFactory(account=account, features_used=11, features_available=10),
        UsageSnapshot,
    )
    refused(lambda: factories.UsageSnapshotFactory(account=account, licensed_seats=-1), UsageSnapshot)
    factories.UsageSnapshotFactory(account=account, date=D(2026, 7, 1), dau=40, mau=40)
    refused(lambda: factories.UsageSnapshotFactory(account=account, date=D(2026, 7, 1)), UsageSnapshot)


def test_health_ranges_and_key():
    account = factories.CustomerAccountFactory()
    refused(lambda: factories.HealthSnapshotFactory(account=account, score=101), HealthSnapshot)
    refused(lambda: factories.HealthSnapshotFactory(account=account, score=-1), HealthSnapshot)
    refused(lambda: factories.HealthSnapshotFactory(account=account, band="great"), HealthSnapshot)
    factories.HealthSnapshotFactory(account=account, date=D(2026, 7, 1), score=100, band="good")
    refused(lambda: factories.HealthSnapshotFactory(account=account, date=D(2026, 7, 1)), HealthSnapshot)


def test_external_ids_unique_per_kind():
    factories.TicketFactory(external_id="T-1")
    refused(lambda: factories.TicketFactory(external_id="T-1"), Ticket)
    factories.AdvocacyEventFactory(external_id="ADV-1")
    refused(lambda: factories.AdvocacyEventFactory(external_id="ADV-1"), AdvocacyEvent)
    refused(lambda: factories.AdvocacyEventFactory(kind="tweet"), AdvocacyEvent)
    refused(lambda: factories.TouchpointFactory(kind="fax"), Touchpoint)
