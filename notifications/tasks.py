"""Celery tasks of the notifications: an event's email, a chat post, the daily reminders, the weekly
digest, and a sweep of emails the broker never got (the beat schedule is in config/celery.py)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from notifications import chat, digest, mail, reminders
from notifications.models import EmailState, Notification, TeamChat

log = logging.getLogger(__name__)


@shared_task(name="notifications.send_notification_email", bind=True, max_retries=5)
def send_notification_email(self, notification_id: int) -> str:
    try:
        return mail.send_pending_notification(notification_id)
    except mail.Undeliverable:
        return "failed"  # marked failed with the reason: trying again would change nothing
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            Notification.objects.filter(pk=notification_id, email=EmailState.PENDING).update(
                email=EmailState.FAILED
            )
            raise
        raise self.retry(exc=exc, countdown=30 * (2**self.request.retries)) from exc


@shared_task(name="notifications.post_to_chat", bind=True, max_retries=3)
def post_to_chat(self, chat_id: int, text: str, url: str = "") -> str:
    team_chat = TeamChat.objects.filter(pk=chat_id, active=True).first()
    if team_chat is None:
        return "skipped"
    try:
        chat.post(team_chat.webhook_url, text, mail.absolute(url) if url else "")
    except chat.ChatRefused as exc:  # not https, or an internal address: trying again changes nothing
        log.warning("chat post of team chat %s refused: %s", chat_id, exc)
        return "refused"
    except chat.ChatError as exc:
        raise self.retry(exc=exc, countdown=60) from exc
    return "posted"


@shared_task(name="notifications.send_reminders")
def send_reminders() -> dict:
    """Every morning (beat): the same code as ``manage.py send_reminders``."""
    report = reminders.run(today=timezone.localdate())
    return {"messages": report.message_count, "people": len(report.by_person)}


@shared_task(name="notifications.send_digests")
def send_digests() -> int:
    """Once a week (beat): each person's unread notifications in one email."""
    return digest.send_all(now=timezone.now())


@shared_task(name="notifications.deliver_pending")
def deliver_pending() -> int:
    """Emails of events whose task never reached a worker (the broker was down): sent now."""
    return reminders.deliver_pending(now=timezone.now())
