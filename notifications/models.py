"""Notifications stored per person, their delivery preferences, the reminders already sent (one per
person, object, kind and day: a database constraint), the person's language and time zone for
mail, and the optional chat webhook of a team."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User, validate_time_zone
from core.said import says
from core.said import words as said_words
from notifications.chat import check_target


class Kind(models.TextChoices):
    """What a notification is about. Each kind has its own delivery preference and unsubscribe link."""

    CYCLE_OPENED = "cycle_opened", _("A review cycle opens")
    SELF_REVIEW_REQUESTED = "self_review_requested", _("Your self-review is ready to write")
    SELF_REVIEW_SUBMITTED = "self_review_submitted", _("A CSM submitted their self-review")
    REVIEW_SUBMITTED = "review_submitted", _("Your review is ready to read and acknowledge")
    REVIEW_ACKNOWLEDGED = "review_acknowledged", _("A CSM acknowledged their review")
    FLAG_RAISED = "flag_raised", _("A CSM flagged a number of their review")
    FLAG_ANSWERED = "flag_answered", _("Your manager answered a number you flagged")
    RATING_CALIBRATED = "rating_calibrated", _("Calibration changed a rating")
    REVIEW_REOPENED = "review_reopened", _("A review was reopened")
    KEY_RESULT_STALE = "key_result_stale", _("A key result has had no check-in for 14 days")
    KPI_RUN_FAILED = "kpi_run_failed", _("A KPI run failed")
    IMPORT_FAILED = "import_failed", _("An import failed")
    INPUT_REQUESTED = "input_requested", _("You are asked for input on a colleague's review")
    INPUT_ANSWERED = "input_answered", _("A colleague answered or declined your request for input")
    REMINDER_INPUT = "reminder_input", _("Reminders: input you were asked for is due or late")
    REMINDER_SELF_REVIEW = "reminder_self_review", _("Reminders: your self-review is due or late")
    REMINDER_MANAGER_REVIEW = "reminder_manager_review", _("Reminders: reviews waiting on you")
    REMINDER_ACKNOWLEDGEMENT = (
        "reminder_acknowledgement",
        _("Reminders: a review waits for your acknowledgement"),
    )


class Channel(models.TextChoices):
    EMAIL = "email", _("Email at once")
    DIGEST = "digest", _("Weekly digest")
    OFF = "off", _("No email (notifications page only)")


# Everything is mailed at once unless the person says otherwise, but stale key results, which come
# back every week until someone checks in, go to the weekly digest.
DEFAULT_CHANNELS: dict[str, str] = {Kind.KEY_RESULT_STALE: Channel.DIGEST}


def default_channel(kind: str) -> str:
    return DEFAULT_CHANNELS.get(kind, Channel.EMAIL)


class EmailState(models.TextChoices):
    NONE = "none", _("No email")
    PENDING = "pending", _("To be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")
    DIGEST = "digest", _("Waits for the weekly digest")
    DIGESTED = "digested", _("Sent in a weekly digest")


MAIL_LIBRARY_REFUSES = "notifications.mail_library_refuses"
SERVER_REFUSES_ADDRESS = "notifications.server_refuses_address"


@says(MAIL_LIBRARY_REFUSES)
def _mail_library_refuses(p: dict) -> str:
    return gettext("the mail library refuses the message: %(detail)s") % {"detail": p["detail"]}


@says(SERVER_REFUSES_ADDRESS)
def _server_refuses_address(p: dict) -> str:
    return gettext("the mail server refuses the address: %(detail)s") % {"detail": p["detail"]}


class Notification(models.Model):
    """One thing one person is told: what kind, about which object, what it says (a message's key and
    its parameters, put into words in the reader's language when read: ``words``), when, and whether
    they have read it. ``text``: the sentence of a notification stored before messages were kept as
    keys, which the data migration could not recognise; shown as stored."""

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("kind of record")
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("record number"))
    obj = GenericForeignKey("content_type", "object_id")
    message = models.CharField(_("message"), max_length=64, blank=True)
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    text = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email = models.CharField(_("email"), max_length=10, choices=EmailState.choices, default=EmailState.NONE)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)
    # Why the email could not be sent, when it never can be (a header the mail library refuses):
    # marked failed at once, not retried (notifications.mail.send). A key, its parameters in
    # ``email_error_params`` (the library's or the server's own text as ``detail``), said when read
    # (``email_error_words``); a text that is no key was stored before keys were kept.
    email_error = models.CharField(_("why the email could not be sent"), max_length=500, blank=True)
    email_error_params = models.JSONField(_("parameters of the email error"), default=dict, blank=True)
    # One notification per recipient and event: a signal sent twice (a task delivered twice, a
    # cycle opened again) tells nobody twice.
    dedupe_key = models.CharField(
        max_length=200,
        blank=True,
        verbose_name=_("duplicate check"),
        help_text=_("The same notification is not sent twice to one person."),
    )
    # Not stored: set by notify() once the transaction commits (True when handed to the mail queue,
    # False when not, None before or without an email).
    mail_queued: bool | None

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_event",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email", "created_at"], name="notification_email_state"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.get_kind_display()}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def words(self) -> str:
        """What it says, in the language active now (the reader's)."""
        from notifications.messages import words  # noqa: PLC0415 -- the messages import the labels, which import the KPIs

        return (words(self.message, self.params) if self.message else "") or self.text

    @property
    def email_error_words(self) -> str:
        """Why the email could not be sent, in the reader's language."""
        return said_words(self.email_error, self.email_error_params) if self.email_error else ""


class Preference(models.Model):
    """How a person wants to hear about one kind (no row: ``default_channel``). In-app always."""

    person = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notification_preferences", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    channel = models.CharField(_("email"), max_length=8, choices=Channel.choices)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("last saved at"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="preference_one_per_kind"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="preference_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.kind}: {self.channel}"


# Named by migration 0001 (the emails' own time zone, since moved to ``User.time_zone``).
_valid_time_zone = validate_time_zone


def language_choices() -> list[tuple[str, str]]:
    """The languages of the settings, read when asked: a new language is no migration."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class PersonSettings(models.Model):
    """The language a person reads (pages, emails, PDFs; blank: their browser's), and when their last
    weekly digest went out. Their time zone is the person's own (``User.time_zone``), for pages and
    emails alike."""

    person = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_settings", verbose_name=_("person")
    )
    language = models.CharField(_("language"), max_length=10, blank=True, choices=language_choices)
    digest_sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last digest sent at"))

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.person)


class Reminder(models.Model):
    """A reminder sent: one per person, object, kind and day, enforced by the database, so that a
    task delivered twice, a restarted beat or the command run twice sends nothing twice."""

    person = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("person")
    )
    kind = models.CharField(max_length=32, verbose_name=_("reminder"))
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("kind of record"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("record number"))
    day = models.DateField(verbose_name=_("day"))
    sent_at = models.DateTimeField(default=timezone.now, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-day", "person_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "content_type", "object_id", "kind", "day"], name="reminder_once_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.kind} · {self.day}"


class TeamChat(models.Model):
    """A team's chat channel (optional): a Slack-compatible incoming-webhook URL that receives the
    team's review events (headlines and links, never texts or ratings)."""

    team = models.OneToOneField(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="chat")
    webhook_url = models.URLField(
        _("incoming-webhook URL"),
        max_length=500,
        # https only, never an internal address (checked again before each post: notifications/chat.py).
        validators=[check_target],
        help_text=_('Slack, Mattermost, Rocket.Chat or any service that takes {"text": ...} as JSON.'),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team chat")
        verbose_name_plural = _("team chats")

    def __str__(self) -> str:
        return str(self.team)
