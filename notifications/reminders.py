"""Reminders, by beat every morning and by ``manage.py send_reminders`` (the same code):

- a self-review or a manager's review due in ``REMINDER_DAYS_BEFORE`` days (7 and 1), and every
  ``REMINDER_OVERDUE_EVERY_DAYS`` days once late;
- reviews waiting on their reviewer (to send to the CSM, or to write once the self-review is in)
  and a review waiting for the CSM's acknowledgement: on the first run, then every
  ``REMINDER_WAITING_EVERY_DAYS`` days;
- key results without a check-in for 14 days: every ``REMINDER_STALE_EVERY_DAYS`` days (to the
  weekly digest unless the person chose otherwise).

Each reminder is claimed first, by inserting its row (one per person, object, kind and day: a unique
constraint), so two runs on one day, or a task delivered twice, send it once. Each person then gets
one email per kind with everything claimed for them, sent before the run returns.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.urls import reverse

from accounts.models import User
from notifications import mail, services
from notifications.messages import Message, message
from notifications.models import Channel, EmailState, Kind, Notification, Reminder
from notifications.selectors import LIVE_CYCLES, stale_key_results
from reviews.models import InputRequest, InputStatus, Review, ReviewStatus
from reviews.signals import REMINDER_KEPT

log = logging.getLogger(__name__)


@dataclass
class Due:
    person: User
    kind: str
    obj: models.Model
    message: Message  # what it says (``notifications.messages``)
    url: str
    every_days: int | None  # None: due that day whatever came before; else not within that many days
    not_before: datetime.date | None = None  # reminders sent before this day do not count (late ones)


@dataclass
class Report:
    today: datetime.date
    dry_run: bool
    reminders: int = 0  # notifications created (or that would be)
    by_person: dict[str, int] = field(default_factory=dict)  # email -> messages sent (or that would be)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def message_count(self) -> int:
        return sum(self.by_person.values())


def _days_before() -> list[int]:
    return [int(d) for d in settings.REMINDER_DAYS_BEFORE]


def _due_timing(due: datetime.date, today: datetime.date) -> tuple[str, int | None] | None:
    """("overdue", every) / ("soon", None) / None when the due date says nothing today. The first
    late reminder goes the day after the due date, whatever was sent before it."""
    left = (due - today).days
    if left < 0:
        return "overdue", settings.REMINDER_OVERDUE_EVERY_DAYS
    if left in _days_before():
        return "soon", None
    return None


def _asked_timing(due: datetime.date | None, today: datetime.date) -> tuple[str, int | None]:
    """HR asked for the reminder: it goes today, worded by whether the due date has passed."""
    if due is not None and due < today:
        return "overdue", None
    return "soon", None


def review_due(review: Review, today: datetime.date, *, asked: bool = False) -> Due | None:
    """The reminder a review calls for today, to whoever it waits on (None: none today). ``asked``:
    HR asked for it from the cycle page, so it is due whatever the calendar says."""
    cycle = review.cycle
    url = reverse("review-detail", args=[review.pk])
    period = cycle.period
    csm, reviewer = review.csm, review.reviewer

    if review.status == ReviewStatus.SELF_REVIEW:
        due = cycle.self_review_due
        timing = _asked_timing(due, today) if asked else _due_timing(due, today)
        if not timing:
            return None
        when, every = timing
        return Due(
            csm,
            Kind.REMINDER_SELF_REVIEW,
            review,
            message(
                "remind_self_review",
                period=period,
                due=due.isoformat(),
                on=today.isoformat(),
                overdue=when == "overdue",
            ),
            url,
            every,
            due + datetime.timedelta(days=1),
        )
    if review.status in (ReviewStatus.DRAFT, ReviewStatus.MANAGER_REVIEW) and reviewer is not None:
        draft = review.status == ReviewStatus.DRAFT
        due = cycle.self_review_due if draft else cycle.manager_review_due
        if asked:
            when, every = _asked_timing(due, today)
        else:
            when, every = _due_timing(due, today) or ("waiting", settings.REMINDER_WAITING_EVERY_DAYS)

        text = message(
            "remind_manager_review",
            csm=csm.get_full_name(),
            period=period,
            draft=draft,
            due=due.isoformat(),
            on=today.isoformat(),
            overdue=when == "overdue",
        )
        return Due(
            reviewer, Kind.REMINDER_MANAGER_REVIEW, review, text, url, every, due + datetime.timedelta(days=1)
        )
    if review.status == ReviewStatus.SUBMITTED:
        return Due(
            csm,
            Kind.REMINDER_ACKNOWLEDGEMENT,
            review,
            message("remind_acknowledgement", period=period),
            url,
            None if asked else settings.REMINDER_WAITING_EVERY_DAYS,
        )
    return None


def input_due(request: InputRequest, today: datetime.date) -> Due | None:
    """A request for input not answered: reminded ``REMINDER_DAYS_BEFORE`` days before its due date
    (7 and 1), then every ``REMINDER_OVERDUE_EVERY_DAYS`` days once late."""
    timing = _due_timing(request.due_on, today)
    if not timing:
        return None
    when, every = timing
    due = request.due_on
    return Due(
        request.contributor,
        Kind.REMINDER_INPUT,
        request,
        message(
            "remind_input",
            csm=request.review.csm.get_full_name(),
            period=request.review.cycle.period,
            due=due.isoformat(),
            on=today.isoformat(),
            overdue=when == "overdue",
        ),
        reverse("input-detail", args=[request.pk]),
        every,
        due + datetime.timedelta(days=1),
    )


def candidates(today: datetime.date) -> list[Due]:
    """Every reminder the state of things calls for today (before looking at what was sent)."""
    out: list[Due] = []
    reviews = (
        Review.objects.filter(cycle__status__in=LIVE_CYCLES)
        .exclude(status__in=(ReviewStatus.ACKNOWLEDGED, ReviewStatus.FINALIZED))
        .select_related("cycle", "csm", "reviewer")
        .order_by("cycle__period", "csm__name", "pk")
    )
    for review in reviews:
        due = review_due(review, today)
        if due is not None:
            out.append(due)
    requests = (
        InputRequest.objects.filter(
            status=InputStatus.REQUESTED,
            review__cycle__status__in=LIVE_CYCLES,
            review__status__in=(ReviewStatus.DRAFT, ReviewStatus.SELF_REVIEW, ReviewStatus.MANAGER_REVIEW),
        )
        .select_related("contributor", "review__csm", "review__cycle")
        .order_by("due_on", "pk")
    )
    for request in requests:
        due = input_due(request, today)
        if due is not None:
            out.append(due)
    for stale in stale_key_results(today=today):
        if stale.person is None:
            continue
        out.append(
            Due(
                stale.person,
                Kind.KEY_RESULT_STALE,
                stale.kr,
                message("remind_key_result", days=stale.days, kr=stale.kr.title),
                reverse("okrs-mine") + f"#kr-{stale.kr.pk}",
                settings.REMINDER_STALE_EVERY_DAYS,
            )
        )
    return [d for d in out if d.person.is_active]


def _sent_recently(due: Due, content_type: ContentType, today: datetime.date) -> bool:
    if due.every_days is None:
        return False
    since = today - datetime.timedelta(days=due.every_days - 1)
    if due.not_before and due.not_before <= today:
        since = max(since, due.not_before)
    return Reminder.objects.filter(
        person=due.person,
        kind=due.kind,
        content_type=content_type,
        object_id=due.obj.pk,
        day__gte=since,
        day__lte=today,
    ).exists()


def run(*, today: datetime.date, dry_run: bool = False) -> Report:
    """Claim and send today's reminders (``dry_run``: only say what would go)."""
    report = Report(today=today, dry_run=dry_run)
    claimed: dict[tuple[int, str], list[Notification]] = defaultdict(list)
    would: dict[tuple[int, str], int] = defaultdict(int)
    people: dict[int, User] = {}
    for due in candidates(today):
        content_type = ContentType.objects.get_for_model(due.obj)
        if _sent_recently(due, content_type, today):
            continue
        people[due.person.pk] = due.person
        if dry_run:
            if not Reminder.objects.filter(
                person=due.person, kind=due.kind, content_type=content_type, object_id=due.obj.pk, day=today
            ).exists():
                report.reminders += 1
                if services.channel_of(due.person, due.kind) == Channel.EMAIL:
                    would[(due.person.pk, due.kind)] += 1
            continue
        try:
            with transaction.atomic():
                Reminder.objects.create(
                    person=due.person,
                    kind=due.kind,
                    content_type=content_type,
                    object_id=due.obj.pk,
                    day=today,
                )
                notification = services.notify(
                    due.person,
                    due.kind,
                    obj=due.obj,
                    url=due.url,
                    message=due.message,
                    dedupe_key=f"reminder:{due.kind}:{content_type.pk}:{due.obj.pk}:{today.isoformat()}",
                    mail_now=False,
                )
        except IntegrityError:
            continue  # another run claimed it today
        report.reminders += 1
        if notification is not None and notification.email == EmailState.PENDING:
            claimed[(due.person.pk, due.kind)].append(notification)
    if dry_run:
        for (person_id, _kind), _n in sorted(would.items()):
            email = people[person_id].email
            report.by_person[email] = report.by_person.get(email, 0) + 1
        return report
    for (person_id, kind), notifications in sorted(claimed.items()):
        person = people[person_id]
        try:
            mail.send(person, kind, notifications)
        except Exception:
            report.failed[person.email] = report.failed.get(person.email, 0) + 1
            continue
        report.by_person[person.email] = report.by_person.get(person.email, 0) + 1
    return report


def requested(*, review: Review, recipient: User, requested_by: User, today: datetime.date) -> bool | str:
    """HR asked, from the cycle page, to remind whoever ``review`` waits on: the same reminder the
    morning run would send, named as HR's, mailed at once. Claimed like the morning's (one per
    person, review, kind and day), so asking twice in a day, or after the morning's reminder went,
    sends nothing more. True when it was sent (or stored, for a person who chose no email);
    ``REMINDER_KEPT`` when it is stored but the mail queue could not be reached (its email stays
    pending: the sweep sends it when the queue is back); False when nothing was done."""
    due = review_due(review, today, asked=True)
    if due is None or due.person.pk != recipient.pk:
        return False
    content_type = ContentType.objects.get_for_model(review)
    try:
        with transaction.atomic():
            Reminder.objects.create(
                person=recipient, kind=due.kind, content_type=content_type, object_id=review.pk, day=today
            )
            notification = services.notify(
                recipient,
                due.kind,
                obj=review,
                url=due.url,
                message=message(
                    "reminder_from_hr", person=requested_by.get_full_name(), reminder=list(due.message)
                ),
                dedupe_key=f"reminder:{due.kind}:{content_type.pk}:{review.pk}:{today.isoformat()}",
            )
    except IntegrityError:
        return False  # reminded already today
    if notification is None:
        return False
    return REMINDER_KEPT if notification.mail_queued is False else True


def deliver_pending(*, now: datetime.datetime, older_than_minutes: int = 10, days: int = 2) -> int:
    """Emails still pending some minutes after their event (the broker was down, a worker died):
    one message per person and kind, sent now. Rows are locked, skipping any another sweep holds."""
    sent = 0
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                email=EmailState.PENDING,
                created_at__lt=now - datetime.timedelta(minutes=older_than_minutes),
                created_at__gte=now - datetime.timedelta(days=days),
            )
            .select_related("recipient")
            .order_by("recipient_id", "kind", "created_at")
        )
        groups: dict[tuple[int, str], list[Notification]] = defaultdict(list)
        for n in pending:
            groups[(n.recipient_id, n.kind)].append(n)
        for (_person_id, kind), notifications in groups.items():
            person = notifications[0].recipient
            if not person.is_active or services.channel_of(person, kind) != Channel.EMAIL:
                Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
                    email=EmailState.NONE
                )
                continue
            try:
                mail.send(person, kind, notifications)
                sent += 1
            except Exception:
                continue
    return sent
