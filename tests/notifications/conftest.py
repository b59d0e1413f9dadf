"""A real SMTP server on loopback (the product's own catcher, aiosmtpd) for the notification tests,
and the event emails sent the way a worker sends them (the Celery task, run in this process)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from devtools import catcher
from notifications import services, tasks

# Two suites side by side (EMAIL_PORT set per run), or two workers of one (config/settings/test.py),
# never share the catcher's port.
SMTP_PORT = django_settings.EMAIL_PORT


class Inbox:
    def __init__(self, folder):
        self.folder = folder

    def messages(self) -> list[catcher.CaughtMessage]:
        """Every message received, oldest first."""
        return list(reversed(catcher.list_messages(self.folder)))

    def to(self, email: str) -> list[catcher.CaughtMessage]:
        return [m for m in self.messages() if email in m.to]

    def clear(self) -> None:
        for p in self.folder.glob("*.eml"):
            p.unlink()


@pytest.fixture
def smtp(settings, tmp_path):
    folder = tmp_path / "mail"
    controller = catcher.start(folder, host="127.0.0.1", port=SMTP_PORT)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = SMTP_PORT
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "CSM reviews <noreply@example.com>"
    try:
        yield Inbox(folder)
    finally:
        controller.stop()


@pytest.fixture
def worker_sends(monkeypatch):
    """What the broker would hand a worker after the commit: the task, run here (tests that need the
    real broker and worker are in test_celery_reminders.py)."""
    sent = []

    def enqueue(notification_id):
        sent.append(notification_id)
        tasks.send_notification_email.apply(args=[notification_id]).get()
        return True

    monkeypatch.setattr(services, "_enqueue_email", enqueue)
    return sent
