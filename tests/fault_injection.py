"""Fault injection for the job-fault tests, loaded only by the Celery workers those tests start
(``--include tests.fault_injection``; production code never imports it): each part of a KPI run
waits ``KPI_FAULT_DELAY_SECONDS`` (from the worker's environment) before it computes, so that a test
can kill or duplicate a worker while a run is in progress."""

import functools
import os
import time

from kpis import services

DELAY = float(os.environ.get("KPI_FAULT_DELAY_SECONDS", "0") or 0)


def _slowed(compute):
    @functools.wraps(compute)
    def part(*args, **kwargs):
        time.sleep(DELAY)
        return compute(*args, **kwargs)

    return part


if DELAY:
    services.PARTS = {name: _slowed(compute) for name, compute in services.PARTS.items()}
