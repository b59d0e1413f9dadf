"""The Celery wiring, proven end to end: a task through the real Redis broker to a real worker."""

import pytest

from config.celery import ping
from tests.celery_worker import running_worker

pytestmark = pytest.mark.celery_integration


def test_a_task_round_trips_through_redis_and_a_worker():
    with running_worker():
        result = ping.delay("hello from the test")
        assert result.get(timeout=30) == "hello from the test"
