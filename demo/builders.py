"""The builders of the demo organisation: plain ORM calls, nothing from the tests.

People and customer accounts are created one by one (their ids are needed at once); the facts are
built as unsaved model instances and inserted in batches by ``BulkWriter``.
"""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Model
from django.utils import timezone

from accounts.models import CustomerAccount, Role, Segment, Team, User

DEMO_PASSWORD = "demo1234"  # every demo login; demo data only
BATCH = 2000


def person_create(
    *, email: str, name: str, role: Role, segment: Segment | str = "", team: Team | None = None
) -> User:
    """A person who logs in with ``DEMO_PASSWORD``. CS ops (admin) also get the Django admin."""
    admin = role == Role.ADMIN
    return User.objects.create_user(
        email,
        DEMO_PASSWORD,
        name=name,
        role=role,
        segment=segment,
        team=team,
        is_staff=admin,
        is_superuser=admin,
    )


def team_create(*, name: str, manager: User) -> Team:
    return Team.objects.create(name=name, manager=manager)


def customer_account_create(
    *,
    external_id: str,
    name: str,
    segment: Segment,
    signed_on: datetime.date,
    onboarding_completed_on: datetime.date | None,
) -> CustomerAccount:
    return CustomerAccount.objects.create(
        external_id=external_id,
        name=name,
        segment=segment,
        signed_on=signed_on,
        onboarding_completed_on=onboarding_completed_on,
    )


def month_starts(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(day)
        day += relativedelta(months=1)
    return out


def aware(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """``day`` at ``hour:minute`` in the organisation's time zone."""
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour, minute))


class BulkWriter:
    """Collects unsaved model instances and bulk-inserts them in batches; counts rows per model."""

    def __init__(self) -> None:
        self.pending: dict[type[Model], list] = {}
        self.counts: dict[str, int] = {}

    def add(self, obj) -> None:
        bucket = self.pending.setdefault(type(obj), [])
        bucket.append(obj)
        if len(bucket) >= BATCH:
            self.flush(type(obj))

    def flush(self, model: type[Model] | None = None) -> None:
        for m in [model] if model else list(self.pending):
            objs = self.pending.get(m) or []
            if objs:
                m._default_manager.bulk_create(objs, batch_size=BATCH)
                key = m._meta.label_lower.split(".")[1]  # the model's name, lower case
                self.counts[key] = self.counts.get(key, 0) + len(objs)
            self.pending[m] = []
