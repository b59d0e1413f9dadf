"""Email: one message (plain text and HTML) to one person about notifications of one kind, or their
weekly digest, in their language and time zone, with a link to each object and a one-click
unsubscribe from that kind (a signed token: ``django.core.signing``). Sent through Django's mail
framework (SMTP, configured from the environment: docs/configuration.md, "Email")."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from core.said import Said, said
from notifications import services
from notifications.models import (
    MAIL_LIBRARY_REFUSES,
    SERVER_REFUSES_ADDRESS,
    Channel,
    EmailState,
    Kind,
    Notification,
)

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
DIGEST = "digest"  # the unsubscribe "kind" of the weekly digest: every digest kind goes off


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + (url if url.startswith("/") else "/" + url)


def unsubscribe_token(person: User, kind: str) -> str:
    return signing.dumps({"p": person.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str]:
    """The person and kind of a token; ``signing.BadSignature`` when it was not made here,
    ``signing.SignatureExpired`` (a subclass) when it is older than UNSUBSCRIBE_LINK_DAYS."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=timedelta(days=settings.UNSUBSCRIBE_LINK_DAYS))
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise signing.BadSignature("malformed")
    kind = data.get("k")
    if kind != DIGEST and kind not in Kind.values:
        raise signing.BadSignature("unknown kind")
    return data["p"], kind


def unsubscribe(*, person: User, kind: str) -> list[str]:
    """Stop the emails of ``kind`` (the digest: every kind that waits for it). Returns the kinds."""
    if kind == DIGEST:
        kinds = [k for k, channel in services.channels_of(person).items() if channel == Channel.DIGEST]
    else:
        kinds = [kind]
    for k in kinds:
        services.preference_set(person=person, kind=k, channel=Channel.OFF)
    return kinds


def kind_label(kind: str) -> str:
    if kind == DIGEST:
        return _("the weekly digest")
    return str(Kind(kind).label)


def subject_of(kind: str, notifications: Sequence[Notification]) -> str:
    n = len(notifications)
    if kind == Kind.REMINDER_MANAGER_REVIEW:
        return ngettext(
            "Reminder: a review is waiting on you", "Reminder: %(count)d reviews are waiting on you", n
        ) % {"count": n}
    if kind == Kind.REMINDER_ACKNOWLEDGEMENT:
        return _("Reminder: your review is waiting for your acknowledgement")
    if kind == Kind.REMINDER_SELF_REVIEW:
        return _("Reminder: your self-review")
    if kind == Kind.KEY_RESULT_STALE:
        return ngettext("A key result needs a check-in", "%(count)d key results need a check-in", n) % {
            "count": n
        }
    if n == 1:
        text = notifications[0].words
        return text if len(text) <= 110 else text[:107].rstrip() + "…"
    return _("%(what)s (%(count)d)") % {"what": Kind(kind).label, "count": n}


def build(
    person: User, kind: str, notifications: Sequence[Notification], *, digest: bool = False
) -> EmailMultiAlternatives:
    """The message, written in the person's language and time zone."""
    with services.speaking_to(person):
        token = unsubscribe_token(person, DIGEST if digest else kind)
        unsubscribe_url = absolute(reverse("notification-unsubscribe", args=[token]))
        context = {
            "person": person,
            "items": [
                {"text": n.words, "url": absolute(n.url) if n.url else "", "at": n.created_at}
                for n in notifications
            ],
            "digest": digest,
            "kind_label": kind_label(DIGEST if digest else kind),
            "unsubscribe_url": unsubscribe_url,
            "preferences_url": absolute(reverse("notification-preferences")),
            "notifications_url": absolute(reverse("notification-list")),
            "site_url": settings.SITE_URL,
        }
        if digest:
            n = len(notifications)
            subject = ngettext(
                "Your week: %(count)d unread notification", "Your week: %(count)d unread notifications", n
            ) % {"count": n}
        else:
            subject = subject_of(kind, notifications)
        context["subject"] = subject
        language = translation.get_language() or settings.LANGUAGE_CODE
        text = render_to_string("notifications/email/message.txt", context)
        html = render_to_string("notifications/email/message.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
        headers={
            "Content-Language": language,  # RFC 3282: the language the message is written in
            # RFC 8058: mail clients show an unsubscribe button that POSTs here, no login needed.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


class Undeliverable(Exception):
    """A message that can never be sent (trying again changes nothing): its notifications are marked
    failed with the reason at once, for the admins to see (Django admin, Notifications)."""

    def __init__(self, reason: Said) -> None:
        super().__init__(str(reason))
        self.reason = reason


def _undeliverable_reason(exc: Exception) -> Said | None:
    """Why an error of building or sending a message is for good, or None when a later try may pass
    (the server down or busy: the caller retries)."""
    if isinstance(exc, BadHeaderError | UnicodeError):
        return said(MAIL_LIBRARY_REFUSES, detail=str(exc)[:400])
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _msg in exc.recipients.values()
    ):
        return said(SERVER_REFUSES_ADDRESS, detail=str(exc.recipients)[:400])
    return None


def send(person: User, kind: str, notifications: Sequence[Notification], *, digest: bool = False) -> bool:
    """Send one message now and mark its notifications sent. A message that can never go (a header
    the mail library refuses, an address the server refuses for good) marks them failed with the
    reason and raises :class:`Undeliverable`; any other error is raised for the caller to retry (the
    task) or to leave them pending for the sweep."""
    ids = [n.pk for n in notifications]
    try:
        message = build(person, kind, notifications, digest=digest)
        message.message()  # the headers are checked here: a refused one fails for good, before SMTP
        message.send(fail_silently=False)
    except Exception as exc:
        reason = _undeliverable_reason(exc)
        if reason is None:
            log.warning("could not email %s about %s: %s", person.email, kind, exc)
            raise
        log.error("email to %s about %s can never be sent: %s", person.email, kind, reason)
        Notification.objects.filter(pk__in=ids).exclude(email=EmailState.SENT).update(
            email=EmailState.FAILED, email_error=reason.key, email_error_params=reason.params
        )
        raise Undeliverable(reason) from exc
    state = EmailState.DIGESTED if digest else EmailState.SENT
    Notification.objects.filter(pk__in=ids).exclude(email=EmailState.SENT).update(
        email=state, emailed_at=timezone.now()
    )
    return True


def send_pending_notification(notification_id: int) -> str:
    """The task of one event's email: sent once, even when the task is delivered twice (the row is
    locked and its state says whether it went)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.email not in (EmailState.PENDING, EmailState.FAILED):
            return "skipped"
        person = notification.recipient
        if not person.is_active or services.channel_of(person, notification.kind) != Channel.EMAIL:
            Notification.objects.filter(pk=notification.pk).update(email=EmailState.NONE)
            return "skipped"
        try:
            send(person, notification.kind, [notification])
        except Undeliverable:
            return "failed"  # marked failed with the reason (committed here): never tried again
    return "sent"
