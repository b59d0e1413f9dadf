"""Through a real Redis and a real Celery worker: the morning reminders sent by beat's scheduler
reach the SMTP server (once, even when beat sends the task twice), and an event's email goes out
from the worker after the transaction commits."""

from __future__ import annotations

import datetime
import time

import pytest
from celery.beat import ScheduleEntry, Scheduler
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from config.celery import app
from devtools import catcher
from notifications.models import Reminder
from reviews.cycles import services as cycle_services
from reviews.writing import services
from tests.celery_worker import running_worker

pytestmark = [pytest.mark.celery_integration, pytest.mark.django_db(transaction=True)]
PORT = settings.EMAIL_PORT  # this run's (and this xdist worker's) own port for the catcher


def wait_for(inbox_folder, n: int, seconds: float = 60) -> list[catcher.CaughtMessage]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages = catcher.list_messages(inbox_folder)
        if len(messages) >= n:
            return messages
        time.sleep(0.3)
    return catcher.list_messages(inbox_folder)


def test_beat_reminders_and_event_emails_reach_smtp_through_a_worker(org, tmp_path):
    today = timezone.localdate()
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q4",
        self_review_due=today + datetime.timedelta(days=20),
        manager_review_due=today + datetime.timedelta(days=30),
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    a = cycle.reviews.get(csm=org.csm_a)
    a = services.review_send_to_csm(user=org.manager_a, review=a, version=a.version)
    a = services.review_save_self(
        user=org.csm_a, review=a, version=a.version, sections={"outcomes": "Kept my book."}
    )
    a = services.review_submit_self(user=org.csm_a, review=a, version=a.version)
    a = services.review_save_manager(user=org.manager_a, review=a, version=a.version, final_rating="3")
    a = services.review_submit(user=org.manager_a, review=a, version=a.version)

    entry = app.conf.beat_schedule["notifications-reminders"]
    assert entry["schedule"] == crontab(hour=settings.REMINDER_HOUR, minute=0)
    folder = tmp_path / "mail"
    smtp = catcher.start(folder, port=PORT)
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(PORT),
    }
    try:
        with running_worker(extra_env=env):
            scheduler = Scheduler(app, lazy=True)
            beat_entry = ScheduleEntry(name="notifications-reminders", app=app, **entry)
            # Beat fires the entry; then again (a restarted beat, a task delivered twice).
            for _ in range(2):
                scheduler.apply_async(beat_entry, producer=None, advance=False).get(timeout=60)
            messages = wait_for(folder, 3)
            time.sleep(2)  # anything more would come now
            messages = catcher.list_messages(folder)
            assert sorted((m.to, m.subject) for m in messages) == [
                ("csm.a@example.com", "Reminder: your review is waiting for your acknowledgement"),
                ("manager.a@example.com", "Reminder: a review is waiting on you"),  # CSM A2's, in draft
                ("manager.b@example.com", "Reminder: a review is waiting on you"),  # CSM B's, in draft
            ]
            assert Reminder.objects.filter(day=today).count() == 3
            # An event: the CSM acknowledges; the worker mails the reviewer after the commit.
            services.review_acknowledge(user=org.csm_a, review=a, version=a.version)
            messages = wait_for(folder, 4)
    finally:
        smtp.stop()
    assert len(messages) == 4
    newest = messages[0]
    assert (newest.to, newest.subject) == (
        "manager.a@example.com",
        "CSM A acknowledged their Q4 2026 review.",
    )
