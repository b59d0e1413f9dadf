"""An email that can never be sent: marked failed with the reason at once, never retried,
and shown to the admins; an email the server only delays is still retried."""

import smtplib

import pytest
from django.urls import reverse

from notifications import mail, services, tasks
from notifications.messages import message
from notifications.models import EmailState, Kind, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds(monkeypatch):
    """How many times a message was built (one per try)."""
    count = []
    real = mail.build

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mail, "build", counting)
    return count


def test_a_header_the_mail_library_refuses_fails_at_once_with_the_reason(
    org, smtp, worker_sends, builds, django_capture_on_commit_callbacks, client
):
    # A notification whose text (the subject of its email) carries a name with a line break, as
    # one stored before names were checked would.
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(
            org.admin, Kind.IMPORT_FAILED, message=message("remind_key_result", days=14, kr="Ana\nBell")
        )
    notification.refresh_from_db()
    assert notification.email == EmailState.FAILED
    assert notification.email_error_words == (
        "the mail library refuses the message: Header values can't contain newlines "
        "(got 'No check-in for 14 days on “Ana\\nBell”: check in to keep it on track.' for header 'Subject')"
    )
    assert len(builds) == 1  # tried once: never again
    assert smtp.messages() == []
    assert tasks.send_notification_email.apply(args=[notification.pk]).get() in ("failed", "skipped")
    # Shown to the admins, with the reason.
    client.force_login(org.admin)
    page = client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    assert "Header values can&#x27;t contain newlines" in page


def test_a_server_that_refuses_for_now_is_retried(org, monkeypatch, builds, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notification = Notification.objects.create(
        recipient=org.csm_a, kind=Kind.IMPORT_FAILED, text="An import failed", email=EmailState.PENDING
    )

    def busy(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("try later")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", busy)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        tasks.send_notification_email.apply(args=[notification.pk]).get()
    notification.refresh_from_db()
    assert len(builds) == 6  # the first try and five retries
    assert (notification.email, notification.email_error_words) == (EmailState.FAILED, "")
