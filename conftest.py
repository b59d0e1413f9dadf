"""Fixtures shared by every test: a small organisation with two teams and every role."""

import contextlib
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
def _language_of_the_settings():
    """Each test starts and ends in the default language: a request the test client sent in Turkish
    leaves Turkish active in this thread (LocaleMiddleware activates, nothing deactivates), and
    the next test in the process would read Turkish words where it expects English."""
    from django.utils import translation  # noqa: PLC0415

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _mail_queue_tried_afresh(monkeypatch):
    """Each test starts trying the mail queue afresh: a test with Redis down does not make the next
    ones skip it (notifications.services.QUEUE_DOWN_SECONDS)."""
    from notifications import services  # noqa: PLC0415

    monkeypatch.setattr(services, "_queue_down_until", 0.0)


@pytest.fixture(autouse=True)
def _celery_connections_follow_the_settings():
    """After each test the Celery application forgets its connections: a test that pointed the broker
    or the result backend at a Redis of its own (stopped since) must not leave the pool or the
    backend of this process aimed there for the tests that follow in it (pytest-xdist runs them in
    any order)."""
    yield
    from config.celery import app  # noqa: PLC0415

    # Dropped, not closed: kombu keeps one pool per broker URL for the whole process, and the next
    # test asks it again for the URL of the settings it runs with.
    app._pool = None
    app.amqp._producer_pool = None
    backend = getattr(app._local, "backend", None)
    if backend is not None:
        with contextlib.suppress(Exception):
            backend.client.connection_pool.disconnect()
        del app._local.backend


@pytest.fixture
def org(db) -> Org:
    return build_org()


def build_org() -> Org:
    """The organisation of the ``org`` fixture, for a module fixture that builds its world once."""
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


def pytest_collection_modifyitems(config, items):
    """How pytest-xdist shares the suite out (``--dist loadgroup`` in scripts/test.sh): a file's tests
    stay together in one process (its module fixtures are built once), and every test that starts
    Celery workers or a Redis of its own runs in one same process, one after another in the suite's
    order: two of them side by side would take each other's Redis ports and leave a process's
    Celery application aimed at a Redis the other stopped. A file that names its own group
    (``pytestmark = pytest.mark.xdist_group(...)``) keeps it: files sharing a costly session fixture
    run in one process, which builds it once (tests/i18n/conftest.py)."""
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: it runs one test per node id
        ids = [item.nodeid for item in items]
        twice = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) < len(ids) else []
        if twice:
            raise pytest.UsageError(
                f"{twice}: several tests share one node id and pytest-xdist would run only one of "
                "them; run them in one process (scripts/test.sh runs the API fuzzer so)."
            )
    for item in items:
        if item.get_closest_marker("xdist_group"):  # a group of its own (files sharing a fixture)
            continue
        group = "celery" if item.get_closest_marker("celery_integration") else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
