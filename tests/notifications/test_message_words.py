"""A stored notification keeps a message's key and parameters, never a sentence: the notifications
page and the emails say it in the reader's language. The data migration turns the sentences stored
before into keys and parameters, and leaves a sentence it does not recognise as it was."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from kpis.models import KpiRun, RunStatus
from notifications import mail, receivers, reminders, services
from notifications.models import Kind, Notification, PersonSettings
from reviews.models import ReviewStatus
from tests.i18n.catalog import catalog

UTC = datetime.UTC
FAILED = "The KPI run of %(period)s failed. The previous numbers stay on the pages until a run succeeds."
DUE = "Your %(period)s self-review is due %(when)s."
SPANISH = {
    FAILED: "La ejecución de KPI de %(period)s falló. Las cifras anteriores siguen en las páginas.",
    "Q%(quarter)s %(year)s": "T%(quarter)s %(year)s",
    DUE: "Tu autoevaluación de %(period)s vence %(when)s.",
    "tomorrow": "mañana",
}
migration = importlib.import_module("notifications.migrations.0007_notification_text_to_message_key")


@pytest.fixture
def failed(org):
    """The KPI run of Q2 2026 failed: CS ops (the admin) is told."""
    run = KpiRun.objects.create(period="2026-Q2", as_of=datetime.date(2026, 6, 30), status=RunStatus.FAILED)
    receivers.on_run_failed(None, run=run)
    return Notification.objects.get(recipient=org.admin, kind=Kind.KPI_RUN_FAILED)


def test_the_row_keeps_the_key_and_the_parameters_not_the_sentence(failed):
    assert (failed.message, failed.params, failed.text) == ("kpi_run_failed", {"period": "2026-Q2"}, "")
    with translation.override("en"):
        assert failed.words == (
            "The KPI run of Q2 2026 failed. The previous numbers stay on the pages until a run succeeds."
        )


def test_a_reminder_keeps_the_day_it_was_said_on(org, cycle_with_self_review):
    review = cycle_with_self_review
    due = reminders.review_due(review, datetime.date(2026, 7, 9))
    assert due.message == (
        "remind_self_review",
        {"period": "2026-Q2", "due": "2026-07-10", "on": "2026-07-09", "overdue": False},
    )
    with translation.override("en"):
        n = services.notify(org.csm_a, due.kind, message=due.message)
        assert n.words == "Your Q2 2026 self-review is due tomorrow."
    with catalog("es", SPANISH), translation.override("es"):
        assert Notification.objects.get(pk=n.pk).words == "Tu autoevaluación de T2 2026 vence mañana."


@pytest.fixture
def cycle_with_self_review(org):
    from reviews.cycles import services as cycle_services

    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q2",
        self_review_due=datetime.date(2026, 7, 10),
        manager_review_due=datetime.date(2026, 7, 20),
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    review = cycle.reviews.get(csm=org.csm_a)
    review.status = ReviewStatus.SELF_REVIEW
    review.save(update_fields=["status"])
    return review


def test_the_page_and_the_email_say_it_in_the_reader_s_language(org, failed, client):
    client.force_login(org.admin)
    spanish = "La ejecución de KPI de T2 2026 falló. Las cifras anteriores siguen en las páginas."
    english = "The KPI run of Q2 2026 failed. The previous numbers stay on the pages until a run succeeds."
    with catalog("es", SPANISH):
        page = client.get(reverse("notification-list"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
        assert spanish in page and english not in page
        page = client.get(reverse("notification-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert english in page
        PersonSettings.objects.create(person=org.admin, language="es")
        email = mail.build(org.admin, Kind.KPI_RUN_FAILED, [failed])
        assert spanish in email.body and english not in email.body
        assert email.subject == spanish  # under 110 characters: the whole sentence
        PersonSettings.objects.filter(person=org.admin).update(language="en")
        email = mail.build(User.objects.get(pk=org.admin.pk), Kind.KPI_RUN_FAILED, [failed])
        assert english in email.body


OLD = {
    # sentence stored before, the day it was said -> key and parameters
    (
        "The KPI run of Q2 2026 failed. The previous numbers stay on the pages until a run succeeds.",
        datetime.date(2026, 7, 1),
    ): ("kpi_run_failed", {"period": "2026-Q2"}),
    ("Your Q4 2026 self-review is due in 3 days (10 Dec 2026).", datetime.date(2026, 12, 7)): (
        "remind_self_review",
        {"period": "2026-Q4", "due": "2026-12-10", "on": "2026-12-07", "overdue": False},
    ),
    (
        "Ana Diaz (HR) sent you a reminder. Your Q4 2026 review is waiting for your acknowledgement. "
        "Read it, flag any number that looks wrong, then acknowledge it.",
        datetime.date(2026, 12, 7),
    ): (
        "reminder_from_hr",
        {"person": "Ana Diaz", "reminder": ["remind_acknowledgement", {"period": "2026-Q4"}]},
    ),
    (
        "HR asks for your input on the Q3 2026 review of Bo Li: a few short questions, by 10 Oct 2026.",
        datetime.date(2026, 10, 1),
    ): ("input_requested", {"by": "", "period": "2026-Q3", "csm": "Bo Li", "date": "2026-10-10"}),
    (
        "Bo Li flagged “Customer satisfaction (CSAT)” in their Q3 2026 review. It waits for your answer.",
        datetime.date(2026, 10, 1),
    ): ("flag_raised", {"csm": "Bo Li", "period": "2026-Q3", "metric": "csat"}),
}


def test_the_migration_turns_old_sentences_into_keys_and_keeps_the_unknown(org):
    rows = {
        text: Notification.objects.create(
            recipient=org.csm_a,
            kind=Kind.CYCLE_OPENED,
            text=text,
            created_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=UTC),
        )
        for text, day in [*OLD, ("Something said once, by hand.", datetime.date(2026, 1, 1))]
    }
    migration.forwards(apps, None)
    for (text, _day), (key, params) in OLD.items():
        n = Notification.objects.get(pk=rows[text].pk)
        assert (n.message, n.params, n.text) == (key, params, "")
        with translation.override("en"):
            assert n.words == text  # reads as it did
    kept = Notification.objects.get(pk=rows["Something said once, by hand."].pk)
    assert (kept.message, kept.text, kept.words) == ("", "Something said once, by hand.", kept.text)
    migration.backwards(apps, None)
    assert set(Notification.objects.values_list("text", flat=True)) == {t for t, _d in OLD} | {kept.text}


def test_a_message_whose_parameters_cannot_be_read_is_said_as_stored(org):
    n = Notification(
        recipient=org.csm_a, kind=Kind.FLAG_RAISED, message="flag_raised", params={}, text="As stored"
    )
    assert n.words == "As stored"
    assert (
        Notification(recipient=org.csm_a, kind=Kind.FLAG_RAISED, message="gone_since", text="Old").words
        == "Old"
    )


def test_the_html_email_narrows_to_a_phone_screen(org, failed):
    """A fixed 600-pixel card made a phone (390 pixels) scroll the email sideways."""
    email = mail.build(org.admin, Kind.KPI_RUN_FAILED, [failed])
    (html, mimetype), *_ = email.alternatives
    assert mimetype == "text/html"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    card = html.split('width="600"', 1)[1].split(">", 1)[0]
    assert "width:100%;max-width:600px;" in card
