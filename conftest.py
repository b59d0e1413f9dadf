"""Fixtures shared by every test: a small organisation with two teams and every role."""

import datetime
import os
from dataclasses import dataclass

import pytest
from django.conf import settings

from accounts.models import CustomerAccount, Role, Segment, Team, User
from tests import factories

# In a worker process of pytest-xdist the test settings gave this worker its own Redis database and
# mail port (config/settings/test.py). The processes the tests start (Celery workers, make run, beat)
# read them from the environment as they are: no second shift.
if os.environ.pop("PYTEST_XDIST_WORKER", None):
    os.environ["REDIS_URL"] = settings.REDIS_URL
    os.environ["EMAIL_PORT"] = str(settings.EMAIL_PORT)


@dataclass
class Org:
    team_a: Team
    team_b: Team
    manager_a: User
    manager_b: User
    csm_a: User
    csm_a2: User
    csm_b: User
    hr: User
    admin: User
    account_a: CustomerAccount
    account_a2: CustomerAccount
    account_b: CustomerAccount

    def by_role(self) -> dict[str, User]:
        return {
            "csm_a": self.csm_a,
            "csm_a2": self.csm_a2,
            "csm_b": self.csm_b,
            "manager_a": self.manager_a,
            "manager_b": self.manager_b,
            "hr": self.hr,
            "admin": self.admin,
        }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (cached page fragments must not leak between tests)."""
    from django.core.cache import cache  # noqa: PLC0415

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _mail_queue_tried_afresh(monkeypatch):
    """Each test starts trying the mail queue afresh: a test with Redis down does not make the next
    ones skip it (notifications.services.QUEUE_DOWN_SECONDS)."""
    from notifications import services  # noqa: PLC0415

    monkeypatch.setattr(services, "_queue_down_until", 0.0)


@pytest.fixture
def org(db) -> Org:
    manager_a = factories.ManagerFactory(email="manager.a@example.com", name="Manager A")
    manager_b = factories.ManagerFactory(email="manager.b@example.com", name="Manager B")
    team_a = factories.TeamFactory(name="Team A", manager=manager_a)
    team_b = factories.TeamFactory(name="Team B", manager=manager_b)
    csm_a = factories.CsmFactory(email="csm.a@example.com", name="CSM A", team=team_a)
    csm_a2 = factories.CsmFactory(
        email="csm.a2@example.com", name="CSM A2", team=team_a, segment=Segment.ENTERPRISE
    )
    csm_b = factories.CsmFactory(email="csm.b@example.com", name="CSM B", team=team_b)
    signed = datetime.date(2025, 1, 1)
    account_a = factories.CustomerAccountFactory(external_id="A-1", name="Alpha", signed_on=signed)
    account_a2 = factories.CustomerAccountFactory(external_id="A-2", name="Alder", signed_on=signed)
    account_b = factories.CustomerAccountFactory(external_id="B-1", name="Bravo", signed_on=signed)
    factories.AssignmentFactory(account=account_a, csm=csm_a, start_date=signed)
    factories.AssignmentFactory(account=account_a2, csm=csm_a2, start_date=signed)
    factories.AssignmentFactory(account=account_b, csm=csm_b, start_date=signed)
    return Org(
        team_a=team_a,
        team_b=team_b,
        manager_a=manager_a,
        manager_b=manager_b,
        csm_a=csm_a,
        csm_a2=csm_a2,
        csm_b=csm_b,
        hr=factories.HrFactory(email="hr@example.com", name="HR"),
        admin=factories.AdminFactory(email="admin@example.com", name="Admin"),
        account_a=account_a,
        account_a2=account_a2,
        account_b=account_b,
    )


ROLES = (Role.CSM, Role.MANAGER, Role.HR, Role.ADMIN)
