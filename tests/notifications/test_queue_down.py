"""The mail queue (Redis) down: an action that notifies someone (a flag, a transition, HR's Remind)
hands its email to the queue with short timeouts and one retry (not Celery's ~19 s of retries), keeps
the notification pending for the sweep, and the Remind button says the email will go later."""

from __future__ import annotations

import contextlib
import datetime
import socket
import threading
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from notifications import reminders
from notifications.models import EmailState, Kind, Notification
from reviews.writing import disputes
from tests.notifications.test_reminders import reviews  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)  # the emails are handed over at each commit


class HangUp:
    """A "Redis" that accepts each connection and closes it at once, counting them: every attempt of a
    client to reach the queue is one connection."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.url = f"redis://127.0.0.1:{self.socket.getsockname()[1]}/0"
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                peer, _ = self.socket.accept()
                self.connections += 1
                peer.close()


@pytest.fixture
def queue_down(settings, monkeypatch) -> Iterator[HangUp]:
    """Redis unreachable for everything that could send a message: the settings and the Celery
    application (broker and result backend, their pools dropped)."""
    server = HangUp()
    # The application reads these two from the settings each time (CELERY_ namespace).
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = server.url
    assert app.conf.broker_url == app.conf.result_backend == server.url
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setattr(app, "_local", threading.local())
    try:
        yield server
    finally:
        server.socket.close()


@pytest.fixture
def nothing_pending(reviews):  # noqa: F811
    """The emails of the fixture's own events (the cycle opened, reviews sent) out of the way."""
    Notification.objects.update(email=EmailState.SENT)


def test_remind_with_the_queue_down_saves_the_reminder_says_so_and_the_sweep_mails_it(
    org,
    reviews,  # noqa: F811
    smtp,
    nothing_pending,
    client,
    queue_down,
):
    a2 = reviews.reviews.get(csm=org.csm_a2)  # self-review in: waits on manager A
    client.force_login(org.hr)
    page = client.post(
        reverse("cycle-review-action", args=[reviews.pk, a2.pk, "remind"]), follow=True
    ).content.decode()
    assert (
        "Reminder saved for Manager A about CSM A2&#x27;s review. The mail queue cannot be reached right "
        "now: the email will go out when it is back." in page
    )
    assert "Reminder sent" not in page
    # One try and one retry, each a single connection (Celery's defaults made 22 here, about 19 s).
    assert queue_down.connections == 2
    reminder = Notification.objects.get(recipient=org.manager_a, kind=Kind.REMINDER_MANAGER_REVIEW)
    assert reminder.email == EmailState.PENDING and smtp.to(org.manager_a.email) == []

    # The next reminder, a moment later: the queue is not tried again; saved and said the same way.
    b = reviews.reviews.get(csm=org.csm_b)
    page = client.post(
        reverse("cycle-review-action", args=[reviews.pk, b.pk, "remind"]), follow=True
    ).content.decode()
    assert "Reminder saved for CSM B about their review. The mail queue cannot be reached" in page
    assert queue_down.connections == 2

    # The sweep (every ten minutes) mails what is still pending ten minutes after its event.
    assert reminders.deliver_pending(now=timezone.now() + datetime.timedelta(minutes=11)) == 2
    [m] = smtp.to(org.manager_a.email)
    assert "Write the Q4 2026 review of CSM A2: their self-review is in." in m.text
    assert len(smtp.to(org.csm_b.email)) == 1
    reminder.refresh_from_db()
    assert reminder.email == EmailState.SENT


def test_a_flag_raised_with_the_queue_down_is_stored_and_mailed_by_the_sweep(
    org,
    reviews,  # noqa: F811
    smtp,
    nothing_pending,
    queue_down,
):
    a = reviews.reviews.get(csm=org.csm_a)  # submitted: its CSM may flag a number
    dispute = disputes.dispute_raise(
        user=org.csm_a, review=a, metric="nrr", comment="One renewal is missing."
    )
    assert queue_down.connections == 2  # bounded: one try, one retry
    flagged = Notification.objects.get(recipient=org.manager_a, kind=Kind.FLAG_RAISED, object_id=dispute.pk)
    assert flagged.email == EmailState.PENDING
    assert reminders.deliver_pending(now=timezone.now() + datetime.timedelta(minutes=11)) == 1
    [m] = smtp.to(org.manager_a.email)
    assert "CSM A flagged" in m.text
    flagged.refresh_from_db()
    assert flagged.email == EmailState.SENT
