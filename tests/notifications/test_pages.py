"""The bell and its unread count, the notifications page, marking read, preferences, the to-do
block first on every home page, GET /api/v1/todos/, and the caught-mail page that exists only in
the local setup."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from devtools import catcher
from notifications import services
from notifications.messages import message
from notifications.models import Channel, Kind, Notification, PersonSettings, Preference
from notifications.selectors import todos_for
from reviews.cycles import services as cycle_services
from reviews.writing import disputes as review_disputes
from reviews.writing import services as review_services

D = datetime.date


def tell(person, text="Something happened", url="/reviews/", kind=Kind.CYCLE_OPENED):
    """A notification that names ``text`` (as a key result's title)."""
    return services.notify(person, kind, message=message("remind_key_result", days=14, kr=text), url=url)


def test_the_bell_counts_unread_and_the_page_lists_them(client, org):
    first = tell(org.csm_a, "First")
    tell(org.csm_a, "Second", url="")
    tell(org.csm_b, "Not yours")
    client.force_login(org.csm_a)
    home = client.get(reverse("home")).content.decode()
    assert '<span class="count">2</span>' in home
    page = client.get(reverse("notification-list")).content.decode()
    assert "First" in page and "Second" in page and "Not yours" not in page
    # Following a link marks it read and goes to the object.
    response = client.get(reverse("notification-open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/reviews/"
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert '<span class="count">1</span>' in client.get(reverse("home")).content.decode()
    # Someone else's notification does not open.
    other = Notification.objects.get(recipient=org.csm_b)
    assert client.get(reverse("notification-open", args=[other.pk])).status_code == 404
    client.post(reverse("notification-read"), {"id": str(other.pk)})
    assert Notification.objects.get(pk=other.pk).read_at is None
    # Mark all read.
    client.post(reverse("notification-read"))
    assert not Notification.objects.filter(recipient=org.csm_a, read_at__isnull=True).exists()
    assert 'class="count"' not in client.get(reverse("home")).content.decode()
    assert "Nothing unread." in client.get(reverse("notification-list") + "?unread=1").content.decode()


def test_a_notification_link_never_leaves_the_site(client, org):
    n = tell(org.csm_a, url="//evil.example.com/")
    client.force_login(org.csm_a)
    assert client.get(reverse("notification-open", args=[n.pk]))["Location"] == reverse("notification-list")
    response = client.post(
        reverse("notification-read"), {"id": str(n.pk), "next": "https://evil.example.com/"}
    )
    assert response["Location"] == reverse("notification-list")


def test_preferences_per_kind_language_and_time_zone(client, org):
    client.force_login(org.csm_a)
    page = client.get(reverse("notification-preferences")).content.decode()
    assert "Reminders: a review waits for your acknowledgement" in page
    assert "A KPI run failed" not in page  # CS ops business
    form = {f"kind_{k}": Channel.EMAIL for k in Kind.values}
    form.update(
        {"language": "es", "time_zone": "America/Sao_Paulo", f"kind_{Kind.REVIEW_SUBMITTED}": Channel.DIGEST}
    )
    form[f"kind_{Kind.KEY_RESULT_STALE}"] = Channel.OFF
    assert client.post(reverse("notification-preferences"), form).status_code == 302
    assert dict(Preference.objects.filter(person=org.csm_a).values_list("kind", "channel")) == {
        Kind.REVIEW_SUBMITTED: Channel.DIGEST,
        Kind.KEY_RESULT_STALE: Channel.OFF,  # its default is the digest
    }
    org.csm_a.refresh_from_db()
    assert PersonSettings.objects.get(person=org.csm_a).language == "es"
    assert org.csm_a.time_zone == "America/Sao_Paulo"  # the person's one zone, for pages and emails
    form["time_zone"] = "Mars/Olympus"
    assert (
        client.post(reverse("notification-preferences"), form).status_code == 200
    )  # refused, said on the page
    org.csm_a.refresh_from_db()
    assert org.csm_a.time_zone == "America/Sao_Paulo"
    # The pages now speak in it too (the preferences page's own clock, from the person's zone).
    assert (
        'value="America/Sao_Paulo" selected'
        in client.get(reverse("notification-preferences")).content.decode()
    )


def test_notification_times_are_in_the_persons_time_zone(client, org, settings):
    settings.TIME_ZONE = "UTC"
    n = tell(org.csm_a, "Late news")
    Notification.objects.filter(pk=n.pk).update(
        created_at=datetime.datetime(2026, 11, 20, 23, 30, tzinfo=datetime.UTC)
    )
    org.csm_a.time_zone = "Asia/Tokyo"
    org.csm_a.save()
    client.force_login(org.csm_a)
    page = client.get(reverse("notification-list")).content.decode()
    assert "21 Nov 2026, 08:30" in page and "Times are in Asia/Tokyo." in page


@pytest.mark.parametrize("role", ["csm_a", "manager_a", "hr", "admin"])
def test_the_todo_block_comes_first_on_every_home_page(client, org, role):
    client.force_login(org.by_role()[role])
    page = client.get(reverse("home")).content.decode()
    main = page.split("<main", 1)[1]
    assert main.index('class="card todos"') < main.index("</h1>") + 200  # right under the greeting
    assert main.index('class="card todos"') < min(
        i for i in (main.find('class="card"'), main.find('class="grid"')) if i >= 0
    )


def test_the_todo_api_answers_each_person_their_own(client, org):
    cycle = cycle_services.cycle_create(
        user=org.hr, period="2026-Q4", self_review_due=D(2026, 12, 10), manager_review_due=D(2026, 12, 20)
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    review = cycle.reviews.get(csm=org.csm_a)
    review_services.review_send_to_csm(user=org.manager_a, review=review, version=review.version)
    client.force_login(org.csm_a)
    data = client.get("/api/v1/todos/").json()["results"]
    assert data == [
        {
            "kind": "self_review",
            "text": "Write your Q4 2026 self-review",
            "url": f"/reviews/{review.pk}/",
            "due": "2026-12-10",
            "overdue": data[0]["overdue"],
        }
    ]
    client.force_login(org.manager_b)
    assert [t["kind"] for t in client.get("/api/v1/todos/").json()["results"]] == ["review_to_start"]
    client.logout()
    assert client.get("/api/v1/todos/").status_code == 401


def test_caught_mail_page_exists_only_in_the_local_setup(client, org, settings, tmp_path):
    folder = tmp_path / "mail"
    controller = catcher.start(folder, port=settings.EMAIL_PORT)  # this run's (and worker's) own port
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        from django.core.mail import send_mail

        send_mail(
            "Hello from the catcher",
            "Plain body",
            "a@example.com",
            ["csm.a@example.com"],
            html_message="<p>Rich</p>",
        )
    finally:
        controller.stop()
    [message] = catcher.list_messages(folder)
    settings.MAIL_CATCHER_DIR = str(folder)
    client.force_login(org.admin)
    assert settings.MAIL_CATCHER_PAGE is False  # production, test: no such page
    assert client.get(reverse("caught-mail")).status_code == 404
    settings.MAIL_CATCHER_PAGE = True  # the local settings
    page = client.get(reverse("caught-mail")).content.decode()
    assert "Hello from the catcher" in page and "csm.a@example.com" in page
    detail = client.get(reverse("caught-mail-detail", args=[message.name]))
    assert "Plain body" in detail.content.decode()
    html = client.get(reverse("caught-mail-detail", args=[message.name]) + "?part=html")
    assert html.content.strip() == b"<p>Rich</p>" and "sandbox" in html["Content-Security-Policy"]
    assert client.get(reverse("caught-mail-detail", args=["..%2F..%2Fetc%2Fpasswd"])).status_code == 404
    assert client.get(reverse("caught-mail-detail", args=["secret.eml"])).status_code == 404
    client.force_login(org.csm_a)  # staff only
    assert client.get(reverse("caught-mail")).status_code == 404


# Who opens the caught mail in the local setup: HR (who send the reminders) and admins, the people who
# read every review anyway; a CSM or a manager, staff flag or not, never (the mail is everyone's).
CAUGHT_MAIL_ANSWERS = [
    ("csm_a", False, 404),
    ("csm_a", True, 404),
    ("manager_a", False, 404),
    ("manager_a", True, 404),
    ("hr", False, 200),
    ("admin", False, 200),
    (None, False, 404),
]


@pytest.mark.parametrize(("who", "staff", "status"), CAUGHT_MAIL_ANSWERS)
def test_caught_mail_page_opens_for_hr_and_admins_only(client, org, settings, tmp_path, who, staff, status):
    folder = tmp_path / "mail"
    folder.mkdir()
    name = "20260101-080000-000000-0000abcd.eml"
    (folder / name).write_text(
        "From: a@example.com\nTo: csm.a@example.com\nSubject: Your review is overdue\n\nWrite it today.\n"
    )
    settings.MAIL_CATCHER_DIR = str(folder)
    settings.MAIL_CATCHER_PAGE = True
    if who is not None:
        person = getattr(org, who)
        person.is_staff = staff
        person.save()
        client.force_login(person)
    page = client.get(reverse("caught-mail"))
    detail = client.get(reverse("caught-mail-detail", args=[name]))
    assert (page.status_code, detail.status_code) == (status, status)
    if status == 200:
        assert "Your review is overdue" in page.content.decode()
        assert "Write it today." in detail.content.decode()


def _submitted_review_of_csm_a(org):
    cycle = cycle_services.cycle_create(
        user=org.hr, period="2026-Q4", self_review_due=D(2026, 12, 10), manager_review_due=D(2026, 12, 20)
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    r = cycle.reviews.get(csm=org.csm_a)
    r = review_services.review_send_to_csm(user=org.manager_a, review=r, version=r.version)
    r = review_services.review_save_self(
        user=org.csm_a, review=r, version=r.version, sections={"outcomes": "x"}
    )
    r = review_services.review_submit_self(user=org.csm_a, review=r, version=r.version)
    r = review_services.review_save_manager(
        user=org.manager_a, review=r, version=r.version, final_rating="3", final_rating_reason="Steady."
    )
    return review_services.review_submit(user=org.manager_a, review=r, version=r.version)


def test_an_answered_flag_stays_a_todo_until_the_csm_settles_it(org):
    """The CSM acknowledged with an answered flag still open: the to-do vanished although the flag
    still waited for them on the review."""

    def kinds(person):
        return sorted(t.kind for t in todos_for(person, today=D(2026, 12, 1)))

    review = _submitted_review_of_csm_a(org)
    nrr = review_disputes.dispute_raise(user=org.csm_a, review=review, metric="nrr", comment="Too low")
    csat = review_disputes.dispute_raise(user=org.csm_a, review=review, metric="csat", comment="Old survey")
    # (Manager A also has CSM A2's review to send.)
    assert kinds(org.manager_a) == ["flag_open", "flag_open", "review_to_start"]
    review_disputes.dispute_answer(user=org.manager_a, dispute=nrr, answer="A churn in July.")
    review_disputes.dispute_answer(user=org.manager_a, dispute=csat, answer="The survey of October.")
    assert kinds(org.manager_a) == ["review_to_start"]
    assert kinds(org.csm_a) == ["acknowledge", "flag_answered", "flag_answered"]
    # One settled, then the review acknowledged with the other still answered and not resolved.
    review_disputes.dispute_resolve(user=org.csm_a, dispute=nrr)
    review.refresh_from_db()
    review_services.review_acknowledge(
        user=org.csm_a, review=review, version=review.version, confirm_open_flags=True
    )
    [left] = todos_for(org.csm_a, today=D(2026, 12, 1))
    assert left.kind == "flag_answered" and "Customer satisfaction (CSAT)" in left.text
    assert left.url == f"/reviews/{review.pk}/#disputes"
    # Settled: nothing waits for the CSM any more.
    review_disputes.dispute_withdraw(user=org.csm_a, dispute=csat)
    assert kinds(org.csm_a) == []


def test_a_withdrawn_flag_is_no_todo_of_the_reviewer(org):
    review = _submitted_review_of_csm_a(org)
    flag = review_disputes.dispute_raise(user=org.csm_a, review=review, metric="nrr", comment="Too low")
    review_disputes.dispute_withdraw(user=org.csm_a, dispute=flag)
    assert [t.kind for t in todos_for(org.manager_a, today=D(2026, 12, 1))] == ["review_to_start"]


def test_the_email_language_is_named_in_the_readers_language(client, org):
    """Left to the browser, emails are in the organisation's language: named in the page's language."""
    client.force_login(org.csm_a)
    chinese = client.get(reverse("notification-preferences"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "邮件则使用英语" in chinese and "English。" not in chinese
    english = client.get(reverse("notification-preferences"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "emails are in English." in english
