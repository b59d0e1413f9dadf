"""A task that only takes its time, for the tests that stop Redis while a worker is busy (the worker
imports this module with ``--include tests.slow_tasks``; production code never does)."""

import time
from pathlib import Path

from config.celery import app


@app.task(name="tests.slow", acks_late=True)
def slow(seconds: float, started: str) -> float:
    """Touch ``started`` (the test knows the worker is busy), then take ``seconds``."""
    Path(started).touch()
    time.sleep(seconds)
    return seconds
