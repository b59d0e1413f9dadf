"""factory-boy factories of the tests (the demo organisation has its own builders: demo/builders.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Assignment, CustomerAccount, Role, Segment, Team, User
from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    RevenueEvent,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)

DEFAULT_PASSWORD = "demo1234"


def aware(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    """An aware datetime in the organisation's time zone."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Sequence(lambda n: f"Person {n}")
    role = Role.CSM
    segment = factory.LazyAttribute(lambda o: Segment.SMB if o.role == Role.CSM else "")
    password = factory.django.Password(DEFAULT_PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    manager = factory.SubFactory(UserFactory, role=Role.MANAGER)


class CsmFactory(UserFactory):
    role = Role.CSM
    segment = Segment.SMB
    team = factory.SubFactory(TeamFactory)


class ManagerFactory(UserFactory):
    role = Role.MANAGER
    segment = ""


class HrFactory(UserFactory):
    role = Role.HR
    segment = ""


class AdminFactory(UserFactory):
    role = Role.ADMIN
    segment = ""
    is_staff = True
    is_superuser = True


class CustomerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerAccount

    external_id = factory.Sequence(lambda n: f"ACC-{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    segment = Segment.SMB
    signed_on = datetime.date(2025, 1, 1)
    onboarding_completed_on = None


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    account = factory.SubFactory(CustomerAccountFactory)
    csm = factory.SubFactory(CsmFactory)
    start_date = factory.SelfAttribute("account.signed_on")


class RevenueEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RevenueEvent

    external_id = factory.Sequence(lambda n: f"REV-{n:07d}")
    account = factory.SubFactory(CustomerAccountFactory)
    date = datetime.date(2025, 1, 1)
    kind = "new"
    mrr_delta = Decimal("1000.00")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    external_id = factory.Sequence(lambda n: f"TKT-{n:08d}")
    account = factory.SubFactory(CustomerAccountFactory)
    opened_at = factory.LazyFunction(lambda: aware(2026, 7, 1))
    first_response_at = None
    resolved_at = None
    customer_contacts = None
    escalated_at = None
    priority = "normal"
    channel = "email"


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    external_id = factory.Sequence(lambda n: f"SRV-{n:07d}")
    account = factory.SubFactory(CustomerAccountFactory)
    responded_at = factory.LazyFunction(lambda: aware(2026, 7, 1))
    kind = "nps"
    score = 9
    comment = ""


class UsageSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageSnapshot

    account = factory.SubFactory(CustomerAccountFactory)
    date = datetime.date(2026, 7, 1)
    licensed_seats = 50
    dau = 10
    mau = 40
    features_used = 5
    features_available = 10


class HealthSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HealthSnapshot

    account = factory.SubFactory(CustomerAccountFactory)
    date = datetime.date(2026, 7, 1)
    score = 75
    band = ""


class AdvocacyEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdvocacyEvent

    external_id = factory.Sequence(lambda n: f"ADV-{n:06d}")
    account = factory.SubFactory(CustomerAccountFactory)
    date = datetime.date(2026, 7, 1)
    kind = "referral"


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    external_id = factory.Sequence(lambda n: f"TCH-{n:07d}")
    account = factory.SubFactory(CustomerAccountFactory)
    csm = factory.SubFactory(CsmFactory)
    occurred_at = factory.LazyFunction(lambda: aware(2026, 7, 1))
    kind = "call"
