"""Events: who is told what, by a stored notification and by an email a real SMTP server receives
(after the commit, never for a change rolled back), with a link to the object and a one-click
unsubscribe for that kind; KPI runs and imports that fail tell CS ops and the uploader."""

from __future__ import annotations

import datetime
import time

import pytest
from django.core import signing
from django.db import transaction
from django.urls import reverse

from datain.models import ImportRun, ImportStatus
from kpis import services as kpi_services
from kpis.models import KpiRun
from kpis.periods import Period
from notifications import mail
from notifications.models import Channel, EmailState, Kind, Notification, PersonSettings, Preference
from notifications.services import speaking_to
from reviews.cycles import services as cycle_services
from reviews.models import ReviewCycle
from reviews.writing import disputes as review_disputes
from reviews.writing import services

D = datetime.date


@pytest.fixture
def cycle(org, smtp, worker_sends, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cycle = cycle_services.cycle_create(
            user=org.hr, period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
        )
        cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    return cycle


def kinds_of(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True))


def test_opening_a_cycle_tells_each_csm_and_each_reviewer_once(org, cycle, smtp):
    for csm in (org.csm_a, org.csm_a2, org.csm_b):
        [message] = smtp.to(csm.email)
        assert message.subject == "The Q3 2026 review cycle is open. Your self-review is due on 10 Oct 2026."
        assert "http://testserver/reviews/" in message.text
    [message] = smtp.to(org.manager_a.email)
    assert "2 reviews are yours to write, due on 20 Oct 2026" in message.text
    assert f"http://testserver/reviews/?cycle={cycle.pk}" in message.text
    [message] = smtp.to(org.manager_b.email)
    assert "1 review is yours to write" in message.text
    assert not smtp.to(org.hr.email)  # who opened it is not told
    assert len(smtp.messages()) == 5
    # Opening again (idempotent) tells nobody again.
    cycle_services.cycle_open(user=org.hr, cycle=ReviewCycle.objects.get(pk=cycle.pk))
    assert Notification.objects.count() == 5


def test_each_step_of_a_review_tells_the_one_who_acts_next(
    org, cycle, smtp, django_capture_on_commit_callbacks
):
    review = cycle.reviews.get(csm=org.csm_a)
    smtp.clear()
    url = f"http://testserver/reviews/{review.pk}/"

    def step(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    review = step(services.review_send_to_csm, user=org.manager_a, review=review, version=review.version)
    [m] = smtp.to(org.csm_a.email)
    assert m.subject == "Your Q3 2026 self-review is ready to write. It is due on 10 Oct 2026."
    assert url in m.text and url in m.html
    review = services.review_save_self(
        user=org.csm_a, review=review, version=review.version, sections={"outcomes": "Kept my book."}
    )
    review = step(services.review_submit_self, user=org.csm_a, review=review, version=review.version)
    [m] = smtp.to(org.manager_a.email)
    assert m.subject == "CSM A submitted their Q3 2026 self-review. Your review is next, due on 20 Oct 2026."
    review = step(
        services.review_save_manager,
        user=org.manager_a,
        review=review,
        version=review.version,
        final_rating="3",
    )
    assert len(smtp.messages()) == 2  # a save tells nobody
    review = step(services.review_submit, user=org.manager_a, review=review, version=review.version)
    m = smtp.to(org.csm_a.email)[-1]
    assert m.subject.startswith("Your Q3 2026 review is ready. Read it, flag any number")
    dispute = step(
        review_disputes.dispute_raise, user=org.csm_a, review=review, metric="nrr", comment="Wrong start MRR"
    )
    m = smtp.to(org.manager_a.email)[-1]
    assert (
        m.subject == "CSM A flagged “MRR retention (NRR)” in their Q3 2026 review. It waits for your answer."
    )
    assert f"{url}#disputes" in m.text
    step(review_disputes.dispute_answer, user=org.manager_a, dispute=dispute, answer="Checked: it is right.")
    m = smtp.to(org.csm_a.email)[-1]
    assert (
        m.subject == "Manager A answered what you flagged about “MRR retention (NRR)” in your Q3 2026 review."
    )
    review = step(
        services.review_acknowledge,
        user=org.csm_a,
        review=review,
        version=review.version,
        confirm_open_flags=True,
    )
    m = smtp.to(org.manager_a.email)[-1]
    assert m.subject == "CSM A acknowledged their Q3 2026 review."
    review = step(services.review_finalize, user=org.hr, review=review, version=review.version)
    review = step(services.review_reopen, user=org.hr, review=review, version=review.version, reason="Typo")
    assert smtp.to(org.csm_a.email)[-1].subject.startswith("Your Q3 2026 review was reopened.")
    assert smtp.to(org.manager_a.email)[-1].subject.startswith("The Q3 2026 review of CSM A was reopened.")
    assert kinds_of(org.csm_a) == [
        Kind.CYCLE_OPENED,
        Kind.SELF_REVIEW_REQUESTED,
        Kind.REVIEW_SUBMITTED,
        Kind.FLAG_ANSWERED,
        Kind.REVIEW_REOPENED,
    ]
    assert kinds_of(org.manager_a) == [
        Kind.CYCLE_OPENED,
        Kind.SELF_REVIEW_SUBMITTED,
        Kind.FLAG_RAISED,
        Kind.REVIEW_ACKNOWLEDGED,
        Kind.REVIEW_REOPENED,
    ]
    assert not Notification.objects.filter(recipient=org.hr).exists()
    assert not Notification.objects.filter(email=EmailState.PENDING).exists()  # every email went


def _rated(org, review, rating="3"):
    review = services.review_send_to_csm(user=org.manager_a, review=review, version=review.version)
    review = services.review_save_self(
        user=review.csm, review=review, version=review.version, sections={"outcomes": "Kept my book."}
    )
    review = services.review_submit_self(user=review.csm, review=review, version=review.version)
    return services.review_save_manager(
        user=org.manager_a, review=review, version=review.version, final_rating=rating
    )


def test_calibration_tells_the_reviewer_and_the_csm_without_the_rating(
    org, cycle, smtp, django_capture_on_commit_callbacks
):
    a = _rated(org, cycle.reviews.get(csm=org.csm_a))
    a = services.review_submit(user=org.manager_a, review=a, version=a.version)
    a2 = _rated(org, cycle.reviews.get(csm=org.csm_a2))
    a2 = services.review_submit(user=org.manager_a, review=a2, version=a2.version)
    cycle_services.cycle_advance(user=org.hr, cycle=cycle, override_reason="CSM B's review is late")
    smtp.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cycle_services.calibration_adjust(
            user=org.hr, review=a, rating="4", reason="Peers", version=a.version
        )
        cycle_services.calibration_adjust(
            user=org.hr, review=a2, rating="2", reason="Peers", version=a2.version
        )
    subjects = sorted((m.to, m.subject) for m in smtp.messages())
    assert subjects == [
        (
            "csm.a2@example.com",
            "Calibration changed the rating of your Q3 2026 review. Open it to see the change.",
        ),
        (
            "csm.a@example.com",
            "Calibration changed the rating of your Q3 2026 review. Open it to see the change.",
        ),
        ("manager.a@example.com", "Calibration changed the rating of the Q3 2026 review of CSM A."),
        ("manager.a@example.com", "Calibration changed the rating of the Q3 2026 review of CSM A2."),
    ]
    for m in smtp.messages():
        assert "4" not in m.subject and "2 " not in m.text.split("--")[0].replace(
            "2026", ""
        )  # no rating in mail


def test_nothing_is_mailed_before_the_commit_nor_for_a_change_rolled_back(org, smtp, worker_sends):
    cycle = cycle_services.cycle_create(
        user=org.hr, period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
        assert Notification.objects.count() == 5  # stored with the change ...
        raise RuntimeError("the change fails")
    assert Notification.objects.count() == 0  # ... and gone with it
    assert worker_sends == [] and smtp.messages() == []


def test_one_click_unsubscribe_stops_that_kind_only(
    org, cycle, smtp, client, django_capture_on_commit_callbacks
):
    [m] = smtp.to(org.csm_a.email)
    headers = dict(m.headers)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = headers["List-Unsubscribe"].strip(" <>")
    assert link in m.text and link.startswith("http://testserver/notifications/unsubscribe/")
    path = link.removeprefix("http://testserver")
    page = client.get(path)  # a link checker opening it changes nothing
    assert page.status_code == 200 and "Stop these emails?" in page.content.decode()
    assert not Preference.objects.exists()
    done = client.post(path)  # one click, no login, no CSRF token (RFC 8058)
    assert (
        done.status_code == 200
        and "These emails (A review cycle opens) will no longer be sent to you" in done.content.decode()
    )
    # Whoever holds the link learns nothing of whose it is: no address, no name.
    for response in (page, done):
        assert org.csm_a.email not in response.content.decode()
        assert org.csm_a.name not in response.content.decode()
    assert Preference.objects.get(person=org.csm_a).channel == Channel.OFF
    # Another cycle: csm A is told on the page only; the other kinds still come by email.
    smtp.clear()
    with django_capture_on_commit_callbacks(execute=True):
        q4 = cycle_services.cycle_create(
            user=org.hr, period="2026-Q4", self_review_due=D(2027, 1, 10), manager_review_due=D(2027, 1, 20)
        )
        cycle_services.cycle_open(user=org.hr, cycle=q4, confirm=True)
        review = q4.reviews.get(csm=org.csm_a)
        services.review_send_to_csm(user=org.manager_a, review=review, version=review.version)
    assert [m.subject for m in smtp.to(org.csm_a.email)] == [
        "Your Q4 2026 self-review is ready to write. It is due on 10 Jan 2027."
    ]
    assert Notification.objects.filter(recipient=org.csm_a, kind=Kind.CYCLE_OPENED).count() == 2


def test_a_tampered_unsubscribe_link_changes_nothing(org, client):
    token = mail.unsubscribe_token(org.csm_a, Kind.CYCLE_OPENED)
    forged = signing.dumps({"p": org.csm_b.pk, "k": Kind.CYCLE_OPENED}, salt="another salt")
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        response = client.post(reverse("notification-unsubscribe", args=[bad]))
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert not Preference.objects.exists()


def test_an_unsubscribe_link_expires_after_the_configured_days(org, client, monkeypatch, settings):
    settings.UNSUBSCRIBE_LINK_DAYS = 90
    now = time.time()
    with monkeypatch.context() as m:  # tokens written 89 and 91 days ago
        m.setattr(signing.time, "time", lambda: now - 89 * 86400)
        recent = mail.unsubscribe_token(org.csm_a, Kind.CYCLE_OPENED)
        m.setattr(signing.time, "time", lambda: now - 91 * 86400)
        old = mail.unsubscribe_token(org.csm_a, Kind.CYCLE_OPENED)
    for method in (client.get, client.post):
        response = method(reverse("notification-unsubscribe", args=[old]))
        assert response.status_code == 400
        text = response.content.decode()
        assert "This link has expired" in text and org.csm_a.email not in text
    assert not Preference.objects.exists()
    response = client.post(reverse("notification-unsubscribe", args=[recent]))
    assert response.status_code == 200
    assert Preference.objects.get(person=org.csm_a).channel == Channel.OFF


def test_the_weekly_digest_choice_keeps_events_for_the_digest(
    org, smtp, worker_sends, django_capture_on_commit_callbacks
):
    Preference.objects.create(person=org.csm_a, kind=Kind.CYCLE_OPENED, channel=Channel.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        cycle = cycle_services.cycle_create(
            user=org.hr, period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
        )
        cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    assert not smtp.to(org.csm_a.email)
    assert Notification.objects.get(recipient=org.csm_a).email == EmailState.DIGEST


def test_a_failed_kpi_run_tells_cs_ops(org, smtp, worker_sends, django_capture_on_commit_callbacks):
    run = kpi_services.kpi_run_start(period=Period.parse("2026-Q3"), as_of=D(2026, 10, 1))
    with django_capture_on_commit_callbacks(execute=True):
        kpi_services.kpi_run_fail(run=run, error="ZeroDivisionError: boom")
        kpi_services.kpi_run_fail(run=run, error="again")  # failed already: nothing more
    [m] = smtp.messages()
    assert m.to == org.admin.email
    assert (
        m.subject
        == "The KPI run of Q3 2026 failed. The previous numbers stay on the pages until a run succeeds."
    )
    assert f"http://testserver/admin/kpis/kpirun/{run.pk}/change/" in m.text
    assert KpiRun.objects.get(pk=run.pk).status == "failed"


def test_a_failed_import_tells_cs_ops_and_the_uploader(
    org, smtp, worker_sends, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        checked = ImportRun.objects.create(
            kind="tickets", source="upload", status=ImportStatus.INVALID, dry_run=True, created_by=org.hr
        )  # a check that found errors is not a failure: the uploader is looking at them
        run = ImportRun.objects.create(
            kind="tickets", source="upload", status=ImportStatus.QUEUED, created_by=org.hr, filename="t.csv"
        )
        run.status = ImportStatus.FAILED
        run.save()
        run.save()  # saved again: told once
    assert checked.pk and sorted(m.to for m in smtp.messages()) == [org.admin.email, org.hr.email]
    m = smtp.to(org.hr.email)[0]
    assert m.subject == "The import of tickets from t.csv failed: nothing was written."
    assert f"http://testserver/imports/{run.pk}/" in m.text


def test_each_person_is_written_to_in_their_language(
    org, smtp, worker_sends, django_capture_on_commit_callbacks
):
    PersonSettings.objects.create(person=org.csm_a, language="es")
    with django_capture_on_commit_callbacks(execute=True):
        cycle = cycle_services.cycle_create(
            user=org.hr, period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
        )
        cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    [m] = smtp.to(org.csm_a.email)
    assert (
        m.subject
        == "El ciclo de evaluación de T3 2026 está abierto. Tu autoevaluación vence el 10 de octubre de 2026."
    )
    assert "Hola CSM:" in m.text and "Todas tus notificaciones" in m.html and 'lang="es"' in m.html
    stored = Notification.objects.get(recipient=org.csm_a)
    assert (stored.message, stored.text) == ("cycle_opened_csm", "")  # a key, no sentence
    with speaking_to(org.csm_a):
        assert stored.words == m.subject  # the page shows what the email said
    [m] = smtp.to(org.csm_a2.email)
    assert m.subject == "The Q3 2026 review cycle is open. Your self-review is due on 10 Oct 2026."
