"""Reminders (send_reminders and the beat task, one code): due dates 7 and 1 days before, every 3
days once late, reviews waiting on someone every 7 days, stale key results to the weekly digest; run
twice in a day they send once (a unique constraint per person, object, kind and day)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from notifications import digest, reminders
from notifications.models import Channel, EmailState, Kind, Notification, PersonSettings, Preference, Reminder
from okrs.models import CheckIn, KeyResult, Objective
from reviews.cycles import services as cycle_services
from reviews.models import Review
from reviews.writing import services

D = datetime.date
SELF_DUE, MANAGER_DUE = D(2026, 12, 10), D(2026, 12, 20)


@pytest.fixture
def reviews(org):
    """csm A: review submitted (to acknowledge); csm A2: self-review in (manager A writes); csm B: writing
    the self-review (due 10 December)."""
    cycle = cycle_services.cycle_create(
        user=org.hr, period="2026-Q4", self_review_due=SELF_DUE, manager_review_due=MANAGER_DUE
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    a = cycle.reviews.get(csm=org.csm_a)
    a = services.review_send_to_csm(user=org.manager_a, review=a, version=a.version)
    a = services.review_save_self(
        user=org.csm_a, review=a, version=a.version, sections={"outcomes": "Kept my book."}
    )
    a = services.review_submit_self(user=org.csm_a, review=a, version=a.version)
    a = services.review_save_manager(user=org.manager_a, review=a, version=a.version, final_rating="3")
    services.review_submit(user=org.manager_a, review=a, version=a.version)
    a2 = cycle.reviews.get(csm=org.csm_a2)
    a2 = services.review_send_to_csm(user=org.manager_a, review=a2, version=a2.version)
    a2 = services.review_save_self(
        user=org.csm_a2, review=a2, version=a2.version, sections={"outcomes": "Kept my book."}
    )
    services.review_submit_self(user=org.csm_a2, review=a2, version=a2.version)
    b = cycle.reviews.get(csm=org.csm_b)
    services.review_send_to_csm(user=org.manager_b, review=b, version=b.version)
    return cycle


def run_command(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out, **kwargs)
    return out.getvalue()


def test_send_reminders_twice_in_a_day_sends_once(org, reviews, smtp):
    out = run_command(today=D(2026, 11, 20))
    assert "Sent 2 messages to 2 people for 2026-11-20" in out
    assert "  csm.a@example.com: 1\n" in out and "  manager.a@example.com: 1\n" in out
    [ack] = smtp.to(org.csm_a.email)
    assert ack.subject == "Reminder: your review is waiting for your acknowledgement"
    review_a = Review.objects.get(csm=org.csm_a)
    assert f"http://testserver/reviews/{review_a.pk}/" in ack.text
    [waiting] = smtp.to(org.manager_a.email)
    assert waiting.subject == "Reminder: a review is waiting on you"
    assert "Write the Q4 2026 review of CSM A2: their self-review is in. It is due in 30 days" in waiting.text
    assert not smtp.to(org.csm_b.email)  # self-review due in 20 days: not yet
    again = run_command(today=D(2026, 11, 20))
    assert "Sent 0 messages to 0 people" in again
    assert len(smtp.messages()) == 2
    assert Reminder.objects.count() == 2
    assert Notification.objects.filter(kind=Kind.REMINDER_ACKNOWLEDGEMENT).count() == 1


def test_a_reminder_claimed_by_another_run_is_not_sent_again(org, reviews, smtp):
    review = Review.objects.get(csm=org.csm_a)
    Reminder.objects.create(  # another run (the beat task delivered twice) got there first
        person=org.csm_a,
        kind=Kind.REMINDER_ACKNOWLEDGEMENT,
        content_type=ContentType.objects.get_for_model(Review),
        object_id=review.pk,
        day=D(2026, 11, 20),
    )
    report = reminders.run(today=D(2026, 11, 20))
    assert report.by_person == {org.manager_a.email: 1}
    assert not smtp.to(org.csm_a.email)


def test_dry_run_says_who_would_get_what_and_sends_nothing(org, reviews, smtp):
    out = run_command("--dry-run", today=D(2026, 11, 20))
    assert "Would send 2 messages to 2 people" in out and "csm.a@example.com: 1" in out
    assert smtp.messages() == [] and not Reminder.objects.exists()
    assert not Notification.objects.filter(kind__startswith="reminder_").exists()


def test_due_dates_remind_7_and_1_days_before_then_every_3_days_when_late(org, reviews, smtp, settings):
    assert settings.REMINDER_DAYS_BEFORE == [7, 1] and settings.REMINDER_OVERDUE_EVERY_DAYS == 3
    days = {}
    for offset in range(-9, 8):
        day = SELF_DUE + datetime.timedelta(days=offset)
        before = len(smtp.to(org.csm_b.email))
        reminders.run(today=day)
        if len(smtp.to(org.csm_b.email)) > before:
            days[offset] = smtp.to(org.csm_b.email)[-1].text
    assert sorted(days) == [-7, -1, 1, 4, 7]
    assert "Your Q4 2026 self-review is due in 7 days (10 Dec 2026)." in days[-7]
    assert "Your Q4 2026 self-review is due tomorrow." in days[-1]
    assert "Your Q4 2026 self-review was due on 10 Dec 2026: please submit it." in days[1]


def test_waiting_reviews_are_reminded_every_7_days(org, reviews, smtp):
    sent_on = []
    for offset in range(15):
        day = D(2026, 11, 1) + datetime.timedelta(days=offset)
        before = len(smtp.to(org.csm_a.email))
        reminders.run(today=day)
        if len(smtp.to(org.csm_a.email)) > before:
            sent_on.append(day.day)
    assert sent_on == [1, 8, 15]


def _stale_kr(csm, last_check_in: datetime.date) -> KeyResult:
    objective = Objective.objects.create(csm=csm, period="2026-Q4", title="Faster time to value")
    kr = KeyResult.objects.create(
        objective=objective, title="Success plans signed off", kind="numeric", baseline=0, target=10
    )
    CheckIn.objects.create(key_result=kr, date=last_check_in, value=2, confidence=6, author=csm)
    return kr


def test_stale_key_results_wait_for_the_weekly_digest_with_everything_unread(org, reviews, smtp):
    _stale_kr(org.csm_a, D(2026, 11, 1))
    reminders.run(today=D(2026, 11, 20))
    stale = Notification.objects.get(kind=Kind.KEY_RESULT_STALE)
    assert stale.recipient == org.csm_a and stale.email == EmailState.DIGEST
    assert (
        stale.words == "No check-in for 19 days on “Success plans signed off”: check in to keep it on track."
    )
    assert [m.subject for m in smtp.to(org.csm_a.email)] == [
        "Reminder: your review is waiting for your acknowledgement"
    ]
    now = timezone.now()
    assert digest.send_all(now=now) == 1  # only csm A has something waiting for the digest
    m = smtp.to(org.csm_a.email)[-1]
    unread = Notification.objects.filter(recipient=org.csm_a, read_at__isnull=True)
    # everything unread: cycle opened, self-review requested, review submitted, the reminder, the key result
    assert unread.count() == 5
    assert m.subject == "Your week: 5 unread notifications"
    assert "Success plans signed off" in m.text and "waiting for your acknowledgement" in m.text
    assert Notification.objects.get(pk=stale.pk).email == EmailState.DIGESTED
    assert digest.send_all(now=now + datetime.timedelta(hours=1)) == 0  # once a week


def test_off_means_the_notifications_page_only(org, reviews, smtp):
    Preference.objects.create(person=org.csm_a, kind=Kind.REMINDER_ACKNOWLEDGEMENT, channel=Channel.OFF)
    report = reminders.run(today=D(2026, 11, 20))
    assert report.by_person == {org.manager_a.email: 1}
    assert (
        Notification.objects.get(recipient=org.csm_a, kind=Kind.REMINDER_ACKNOWLEDGEMENT).email
        == EmailState.NONE
    )


def test_the_reminder_email_is_in_the_recipients_language(org, reviews, smtp):
    PersonSettings.objects.create(person=org.csm_a, language="es")
    org.csm_a.time_zone = "Europe/Madrid"
    org.csm_a.save()
    reminders.run(today=D(2026, 11, 20))
    [m] = smtp.to(org.csm_a.email)
    assert m.subject == "Recordatorio: tu evaluación espera tu confirmación de lectura"
    assert "Tu evaluación de T4 2026 espera tu confirmación de lectura." in m.text
    assert "Hola CSM:" in m.text and "Dejar de recibir estos correos" in m.text
    [m] = smtp.to(org.manager_a.email)  # the others still in English
    assert m.subject == "Reminder: a review is waiting on you"


# --- reminders HR asks for from the cycle page ----------------------------------------------------


def test_hr_asks_for_a_reminder_it_goes_once_a_day_with_hrs_name(org, reviews):
    b = reviews.reviews.get(csm=org.csm_b)  # writing the self-review, due 10 December
    today = D(2026, 11, 30)
    assert reminders.requested(review=b, recipient=org.csm_b, requested_by=org.hr, today=today) is True
    [n] = Notification.objects.filter(recipient=org.csm_b, kind=Kind.REMINDER_SELF_REVIEW)
    assert n.words == (
        f"{org.hr.get_full_name()} (HR) sent you a reminder. "
        "Your Q4 2026 self-review is due in 10 days (10 Dec 2026)."
    )
    assert n.url == f"/reviews/{b.pk}/"
    # Asked again the same day: nothing more; the next day it goes again.
    assert reminders.requested(review=b, recipient=org.csm_b, requested_by=org.hr, today=today) is False
    assert (
        reminders.requested(review=b, recipient=org.csm_b, requested_by=org.hr, today=D(2026, 12, 11)) is True
    )
    late = Notification.objects.filter(recipient=org.csm_b, kind=Kind.REMINDER_SELF_REVIEW).first()
    assert late.words.endswith("Your Q4 2026 self-review was due on 10 Dec 2026: please submit it.")
    # Someone the review does not wait on is not reminded.
    assert reminders.requested(review=b, recipient=org.manager_b, requested_by=org.hr, today=today) is False


def test_a_reminder_the_morning_run_sent_counts_for_hrs_request(org, reviews):
    reminders.run(today=D(2026, 11, 20))  # the acknowledgement reminder to csm A goes
    a = reviews.reviews.get(csm=org.csm_a)
    assert (
        reminders.requested(review=a, recipient=org.csm_a, requested_by=org.hr, today=D(2026, 11, 20))
        is False
    )
    assert Notification.objects.filter(recipient=org.csm_a, kind=Kind.REMINDER_ACKNOWLEDGEMENT).count() == 1


def test_remind_on_the_cycle_page_mails_the_reviewer_once(
    org, reviews, smtp, worker_sends, client, django_capture_on_commit_callbacks
):
    a2 = reviews.reviews.get(csm=org.csm_a2)  # self-review in: waits on manager A
    client.force_login(org.hr)
    url = reverse("cycle-review-action", args=[reviews.pk, a2.pk, "remind"])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, follow=True).content.decode()
    assert "Reminder sent to Manager A about CSM A2&#x27;s review." in page
    [m] = smtp.to(org.manager_a.email)
    assert m.subject == "Reminder: a review is waiting on you"
    assert f"{org.hr.get_full_name()} (HR) sent you a reminder." in m.text
    assert "Write the Q4 2026 review of CSM A2: their self-review is in." in m.text
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, follow=True).content.decode()
    assert "Manager A was reminded about CSM A2&#x27;s review already today; nothing more was sent." in page
    assert len(smtp.to(org.manager_a.email)) == 1
    # A review waiting on its CSM: the CSM is reminded about their own review.
    b = reviews.reviews.get(csm=org.csm_b)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("cycle-review-action", args=[reviews.pk, b.pk, "remind"]), follow=True
        ).content.decode()
    assert "Reminder sent to CSM B about their review." in page
    [m] = smtp.to(org.csm_b.email)
    assert m.subject.startswith("Reminder") and "self-review is due" in m.text
    # Nothing in this cycle is late yet (due in December).
    page = client.post(reverse("cycle-action", args=[reviews.pk, "remind-overdue"]), follow=True)
    assert "Nothing is overdue." in page.content.decode()
