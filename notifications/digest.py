"""The weekly digest: one email with everything a person has not read yet, for whoever has
something waiting for it (a kind they chose to hear about weekly). Once a week at most per person
(and once a day at most, by the reminders' unique constraint, whatever beat does)."""

from __future__ import annotations

import datetime
import logging

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from notifications import mail, services
from notifications.models import Channel, EmailState, Notification, PersonSettings, Reminder

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"
MAX_ITEMS = 100
MIN_DAYS_BETWEEN = 6


def unread_for_digest(person: User) -> list[Notification]:
    """Everything unread, newest first, but the kinds the person wants no email about."""
    off = [kind for kind, channel in services.channels_of(person).items() if channel == Channel.OFF]
    return list(
        Notification.objects.filter(recipient=person, read_at__isnull=True)
        .exclude(kind__in=off)
        .order_by("-created_at", "-pk")[:MAX_ITEMS]
    )


def send_one(person: User, *, now: datetime.datetime) -> bool:
    today = timezone.localdate(now)
    settings_row, _created = PersonSettings.objects.get_or_create(person=person)
    if settings_row.digest_sent_at and now - settings_row.digest_sent_at < datetime.timedelta(
        days=MIN_DAYS_BETWEEN
    ):
        return False
    try:
        with transaction.atomic():
            Reminder.objects.create(
                person=person,
                kind=DIGEST_KIND,
                content_type=ContentType.objects.get_for_model(User),
                object_id=person.pk,
                day=today,
            )
    except IntegrityError:
        return False  # sent today already
    items = unread_for_digest(person)
    if not items:
        return False
    mail.send(person, DIGEST_KIND, items, digest=True)
    Notification.objects.filter(recipient=person, email=EmailState.DIGEST).update(
        email=EmailState.DIGESTED, emailed_at=now
    )
    PersonSettings.objects.filter(pk=settings_row.pk).update(digest_sent_at=now)
    return True


def send_all(*, now: datetime.datetime) -> int:
    """A digest to every active person with something waiting for the digest."""
    waiting = (
        Notification.objects.filter(email=EmailState.DIGEST, recipient__is_active=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for person in User.objects.filter(pk__in=waiting).order_by("pk"):
        try:
            sent += send_one(person, now=now)
        except Exception as exc:
            log.warning("weekly digest to %s failed: %s", person.email, exc)
    return sent
