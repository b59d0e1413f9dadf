"""The Celery application and the one beat schedule of the product."""

import gc
import logging
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init
from celery.worker.consumer import Consumer as CeleryConsumer
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
log = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    """The worker's consumer (CELERY_WORKER_CONSUMER), living through a broker that goes away while a
    task is running.

    Celery 5.7 with kombu 5.7, on losing Redis, first "collects" the connection, which takes its
    connection details (host, port) away from the transport, then closes it. The channel of that
    connection still needs them: its close gives the unacknowledged messages back (``acks_late``: any
    busy worker has one) and, once Redis is back, the task still running in the pool acknowledges its
    message through it. Both raised ``AttributeError: 'NoneType' object has no attribute 'hostname'``,
    which nothing catches: the worker stopped for good. The transport keeps its details here, so that
    both reach Redis (or fail with a connection error, which Celery handles) and the consumer goes on
    reconnecting until Redis is back."""

    def on_connection_error_after_connected(self, exc):
        connection = self.connection
        transport = getattr(connection, "_transport", None)
        details = getattr(transport, "client", None)
        if transport is None or details is None:
            return super().on_connection_error_after_connected(exc)
        collect, close = connection.collect, connection.close

        def collect_keeping_details(*args, **kwargs):
            try:
                return collect(*args, **kwargs)
            finally:
                transport.client = details

        def close_quietly() -> None:
            try:
                close()
            except AttributeError as error:  # what is left of the old channel: nothing to give back
                log.warning("The lost broker connection could not give its messages back: %r", error)
            finally:
                transport.client = details

        connection.collect, connection.close = collect_keeping_details, close_quietly
        try:
            return super().on_connection_error_after_connected(exc)
        finally:
            transport.client = details


app = Celery("csm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_what_the_worker_started_with(**kwargs) -> None:
    """What a pool process holds when it starts (Django, Celery, the product's modules) lives as long
    as the process: set aside from the garbage collector, which then walks only what tasks create (a
    review PDF is a quarter faster)."""
    gc.freeze()


# The one beat schedule (docs/architecture.md, "The nightly job"). Each entry says why it exists.
_sync_hour, _, _sync_minute = os.environ.get("SOURCES_SYNC_AT", "01:30").partition(":")

app.conf.beat_schedule = {
    # Every night at SOURCES_SYNC_AT (01:30) organisation time, before the KPIs: the pull connectors
    # (Zendesk, Salesforce, HubSpot, ChartMogul) load what changed since their cursors, so that the
    # 02:00 run counts it. Sources without credentials are skipped (docs/loading-data.md, "Pull connectors").
    "sources-sync": {
        "task": "activity.sources_sync",
        "schedule": crontab(hour=int(_sync_hour), minute=int(_sync_minute or 0)),
    },
    # Every night at 02:00 organisation time (CELERY_TIMEZONE = TIME_ZONE): the current month and
    # quarter to date, and the previous month and quarter again for late data.
    "kpis-nightly": {
        "task": "kpis.compute_nightly",
        "schedule": crontab(hour=2, minute=0),
    },
    # Every morning at REMINDER_HOUR (08:00) organisation time: due and late reviews, reviews waiting,
    # stale key results (notifications/reminders.py; idempotent per person, object, kind and day).
    "notifications-reminders": {
        "task": "notifications.send_reminders",
        "schedule": crontab(hour=settings.REMINDER_HOUR, minute=0),
    },
    # Mondays at the same hour: the weekly digest of everything unread.
    "notifications-digest": {
        "task": "notifications.send_digests",
        "schedule": crontab(hour=settings.REMINDER_HOUR, minute=5, day_of_week="mon"),
    },
    # Every ten minutes: the emails of events whose task never reached a worker (broker down).
    "notifications-pending": {
        "task": "notifications.deliver_pending",
        "schedule": crontab(minute="*/10"),
    },
    # Every JOB_SWEEP_SECONDS (5 minutes): imports and cycle exports that no worker picked up, or that
    # stopped showing signs of life, past JOB_STALE_SECONDS are sent again or marked failed, so that a
    # page never says "Queued" or "Importing" for good (core/jobs.py). A sweep that could not run
    # in its period is dropped: the next one does the same work.
    "jobs-sweep-imports": {
        "task": "activity.sweep_imports",
        "schedule": settings.JOB_SWEEP_SECONDS,
        "options": {"expires": settings.JOB_SWEEP_SECONDS},
    },
    "jobs-sweep-exports": {
        "task": "reviews.sweep_exports",
        "schedule": settings.JOB_SWEEP_SECONDS,
        "options": {"expires": settings.JOB_SWEEP_SECONDS},
    },
}


@app.task(name="config.ping")
def ping(value: str = "pong") -> str:
    """Round trip used to prove the broker and a worker are wired (tests/test_celery.py)."""
    return value
