"""The Celery application and the one beat schedule of the product."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("csm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The one beat schedule (docs/architecture.md, "The nightly job"). Each entry says why it exists.
_sync_hour, _, _sync_minute = os.environ.get("SOURCES_SYNC_AT", "01:30").partition(":")

app.conf.beat_schedule = {
    # Every night at SOURCES_SYNC_AT (01:30) organisation time, before the KPIs: the pull connectors
    # (Zendesk, Salesforce, HubSpot, ChartMogul) load what changed since their cursors, so that the
    # 02:00 run counts it. Sources without credentials are skipped (README, "Pull connectors").
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
}


@app.task(name="config.ping")
def ping(value: str = "pong") -> str:
    """Round trip used to prove the broker and a worker are wired (tests/test_celery.py)."""
    return value
