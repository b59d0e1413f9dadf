"""The Celery application and the one beat schedule of the product."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("csm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The one beat schedule (docs/architecture.md, "The nightly job"). Each entry says why it exists.
app.conf.beat_schedule = {
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
