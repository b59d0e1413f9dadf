"""Who is told what, and how: ``notify`` stores a notification (a message's key and parameters) and,
after the transaction commits, has a Celery task mail it (unless the person chose the weekly digest
or no email); ``announce`` posts to a team's chat. Preferences, language, time zone, read marks."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
import zoneinfo
from collections.abc import Callable, Iterator

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation

from accounts.models import Role, Team, User, validate_time_zone
from core import jobs
from notifications.messages import Message
from notifications.models import (
    Channel,
    EmailState,
    Kind,
    Notification,
    PersonSettings,
    Preference,
    TeamChat,
    default_channel,
)

log = logging.getLogger(__name__)

# While paused (seed_demo builds a past that nobody is to be mailed about), notifications are stored
# for the pages but nothing is mailed or posted.
_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("notifications_paused", default=False)


@contextlib.contextmanager
def delivery_paused() -> Iterator[None]:
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


# --- the person: language, time zone, preferences -----------------------------------------------


def settings_of(person: User) -> PersonSettings:
    """The person's settings (unsaved defaults when they never changed them)."""
    try:
        return person.notification_settings
    except PersonSettings.DoesNotExist:
        return PersonSettings(person=person)


def language_of(person: User) -> str:
    return settings_of(person).language or settings.LANGUAGE_CODE


def zone_of(person: User) -> zoneinfo.ZoneInfo:
    """The person's time zone (``User.time_zone``), else the organisation's."""
    name = person.time_zone or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@contextlib.contextmanager
def speaking_to(person: User) -> Iterator[None]:
    """Translations and dates as the person reads them: their language and time zone."""
    with translation.override(language_of(person)), timezone.override(zone_of(person)):
        yield


def channel_of(person: User, kind: str) -> str:
    chosen = Preference.objects.filter(person=person, kind=kind).values_list("channel", flat=True).first()
    return chosen or default_channel(kind)


def channels_of(person: User) -> dict[str, str]:
    """Every kind → the person's channel for it."""
    chosen = dict(Preference.objects.filter(person=person).values_list("kind", "channel"))
    return {kind: chosen.get(kind, default_channel(kind)) for kind in Kind.values}


def preference_set(*, person: User, kind: str, channel: str) -> None:
    if kind not in Kind.values or channel not in Channel.values:
        raise ValueError(f"unknown kind or channel: {kind!r}, {channel!r}")
    if channel == default_channel(kind):
        Preference.objects.filter(person=person, kind=kind).delete()
    else:
        Preference.objects.update_or_create(person=person, kind=kind, defaults={"channel": channel})


@transaction.atomic
def settings_save(*, person: User, language: str, time_zone: str) -> PersonSettings:
    """The person's language (every page, email and PDF they read; notifications.language) and their
    time zone (every date and time they read)."""
    record, _created = PersonSettings.objects.get_or_create(person=person)
    record.language = language
    record.full_clean()
    record.save()
    if person.time_zone != time_zone:
        validate_time_zone(time_zone)
        person.time_zone = time_zone
        person.save(update_fields=["time_zone"])
    return record


# --- notifying ----------------------------------------------------------------------------------


def recipients_ops() -> list[User]:
    """CS ops: the active people with the admin role."""
    return list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"))


def _ref(obj: models.Model | None) -> tuple[ContentType | None, int | None]:
    if obj is None:
        return None, None
    return ContentType.objects.get_for_model(obj), obj.pk


def notify(
    recipient: User | None,
    kind: str,
    *,
    message: Message,
    url: str = "",
    obj: models.Model | None = None,
    dedupe_key: str = "",
    by: User | None = None,
    mail_now: bool = True,
) -> Notification | None:
    """Tell ``recipient`` about something of ``kind``: a notification (always), and an email after
    the transaction commits when that is their choice for the kind. ``message``: what it says, a key
    of ``notifications.messages`` and its parameters, stored so and put into words in the reader's
    language when read. Nobody is told about what they did themselves (``by``), nor twice about one
    event (``dedupe_key``); inactive people and integrations are never told. ``mail_now=False``: the
    caller mails it (the reminders, several in one message)."""
    if recipient is None or not recipient.is_active or recipient.role == Role.SERVICE:
        return None
    if by is not None and by.pk == recipient.pk:
        return None
    key, params = message
    channel = channel_of(recipient, kind)
    state: str = EmailState.NONE
    if not _paused.get():
        states: dict[str, str] = {Channel.EMAIL: EmailState.PENDING, Channel.DIGEST: EmailState.DIGEST}
        state = states.get(channel, EmailState.NONE)
    content_type, object_id = _ref(obj)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                content_type=content_type,
                object_id=object_id,
                message=key,
                params=params,
                url=url,
                email=state,
                dedupe_key=dedupe_key[:200],
            )
    except IntegrityError:
        return None  # told already (the same event announced twice)
    notification.mail_queued = None  # after the commit: True when handed to the mail queue, False when not
    if state == EmailState.PENDING and mail_now:

        def enqueue() -> None:
            notification.mail_queued = _enqueue_email(notification.pk)

        transaction.on_commit(enqueue)
    return notification


# After a message could not be handed to the queue (Redis down), this process does not try again for
# QUEUE_DOWN_SECONDS: an action that notifies ten people waits for the queue once, not ten times. What
# was not sent stays pending; the sweep (``notifications.deliver_pending``) mails it.
QUEUE_DOWN_SECONDS = 30.0
_queue_down_until = 0.0


def _send(task_name: str, args: list) -> bool:
    """Hand one message to the queue within a few seconds (``core.jobs.send``: short timeouts, one
    retry, not the ~19 s of Celery's defaults); False when the queue cannot be reached."""
    global _queue_down_until  # noqa: PLW0603 -- one per process: skip the queue a while after it failed
    if time.monotonic() < _queue_down_until:
        log.warning("the queue was unreachable a moment ago: %s%s not sent", task_name, args)
        return False
    try:
        jobs.send(task_name, args)
    except jobs.QueueUnreachable:
        _queue_down_until = time.monotonic() + QUEUE_DOWN_SECONDS
        return False
    return True


def _enqueue_email(notification_id: int) -> bool:
    """Have a worker mail the notification; False when the queue cannot be reached: the change stands,
    the email stays pending and the sweep sends it once the queue is back."""
    # By name: the tasks module imports this one.
    return _send("notifications.send_notification_email", [notification_id])


def announce(team: Team | None, *, text: Callable[[], str], url: str = "") -> None:
    """Post to the team's chat channel, if it has one, after the transaction commits, in the
    organisation's language. With the queue unreachable the post is dropped (logged)."""
    if team is None or _paused.get():
        return
    chat = TeamChat.objects.filter(team=team, active=True).first()
    if chat is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = str(text())
    transaction.on_commit(lambda: _enqueue_chat(chat.pk, body, url))


def _enqueue_chat(chat_id: int, text: str, url: str) -> bool:
    return _send("notifications.post_to_chat", [chat_id, text, url])


# --- reading ------------------------------------------------------------------------------------


def mark_read(*, person: User, notification_ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (all unread ones when no ids are given)."""
    qs = Notification.objects.filter(recipient=person, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
