"""Input from colleagues in a review cycle (issue 27, item 1): who is suggested and why, on a small
organisation worked out by hand; asking, answering, declining, and who may; the to-dos, emails and
reminders; named or anonymous input and the threshold of three answers on every surface (page,
API, history, PDF, zip, emails) for each reader; the submitted review keeps its input."""

import datetime
import io
import zipfile

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import AccountTeamMember, Role
from kpis import charts
from kpis import services as kpi_services
from kpis.periods import Period
from notifications import reminders, tasks
from notifications import services as notification_services
from notifications.models import Kind, Notification
from notifications.selectors import todos_for
from reviews.cycles import services as cycle_services
from reviews.input import services as input_services
from reviews.input.selectors import input_for
from reviews.input.suggestions import suggestions_for
from reviews.models import InputRequest, InputStatus, Review
from reviews.output import exports
from reviews.writing import services as review_services
from tests import factories

D = datetime.date
Q3 = "2026-Q3"


@pytest.fixture
def mail_sent_inline(monkeypatch, settings):
    """Event emails sent the way a worker sends them (the task, run in this process)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    def enqueue(notification_id):
        tasks.send_notification_email.apply(args=[notification_id]).get()
        return True

    monkeypatch.setattr(notification_services, "_enqueue_email", enqueue)


@pytest.fixture
def cycle(org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=D(2026, 11, 1))
    c = cycle_services.cycle_create(
        user=org.hr, period=Q3, self_review_due=D(2026, 10, 5), manager_review_due=D(2026, 10, 9)
    )
    cycle_services.cycle_open(user=org.hr, cycle=c)
    return c


def contributor(email, name, **kw):
    return factories.UserFactory(email=email, name=name, role=Role.CONTRIBUTOR, **kw)


def review_of(org):
    return Review.objects.select_related("cycle__template", "csm__team").get(csm=org.csm_a)


# --- suggestions -----------------------------------------------------------------------------


def test_suggestions_from_the_account_team_previous_owners_and_teammates(org, cycle):
    """csm_a owns Alpha all quarter and took Xeno from csm_b on 15 Aug. By hand:

    - Ada Exec: account executive on Alpha (since January, current) and on Xeno → one suggestion,
      both accounts in one reason;
    - CSM A2: support lead on Alpha from 1 Sep, and csm_a's teammate → two reasons, account team first;
    - CSM B: owned Xeno until 14 Aug;
    - not suggested: Sam (solutions engineer on Alpha until 30 Jun, before the quarter), Sue (support
      lead of Bravo, not csm_a's), Ivy (inactive), Manager A (the reviewer, in Alpha's team), csm_a.
    """
    xeno = factories.CustomerAccountFactory(external_id="X-1", name="Xeno", signed_on=D(2025, 1, 1))
    factories.AssignmentFactory(account=xeno, csm=org.csm_b, start_date=D(2025, 1, 1))
    factories.AssignmentFactory(account=xeno, csm=org.csm_a, start_date=D(2026, 8, 15))
    ada = contributor("ada@example.com", "Ada Exec")
    sam = contributor("sam@example.com", "Sam Eng")
    sue = contributor("sue@example.com", "Sue Lead")
    ivy = contributor("ivy@example.com", "Ivy Gone", is_active=False)
    team = [
        (org.account_a, ada, "account_executive", D(2026, 1, 1), None),
        (xeno, ada, "account_executive", D(2026, 2, 1), None),
        (org.account_a, org.csm_a2, "support_lead", D(2026, 9, 1), None),
        (org.account_a, sam, "solutions_engineer", D(2026, 1, 1), D(2026, 6, 30)),
        (org.account_b, sue, "support_lead", D(2026, 1, 1), None),
        (org.account_a, ivy, "other", D(2026, 1, 1), None),
        (org.account_a, org.manager_a, "other", D(2026, 1, 1), None),
        (org.account_a, org.csm_a, "other", D(2026, 1, 1), None),
    ]
    for account, person, role, start, end in team:
        AccountTeamMember.objects.create(
            account=account, person=person, role=role, start_date=start, end_date=end
        )
    got = [(s.person.email, s.source, s.reasons) for s in suggestions_for(review_of(org))]
    assert got == [
        ("ada@example.com", "account_team", ["Account executive on Alpha and Xeno"]),
        ("csm.a2@example.com", "account_team", ["Support lead on Alpha", "Teammate in Team A"]),
        ("csm.b@example.com", "previous_owner", ["Owned Xeno until 14 Aug 2026"]),
    ]


def test_without_account_team_data_the_teammates_are_suggested(org, cycle):
    got = [(s.person.email, s.reasons) for s in suggestions_for(review_of(org))]
    assert got == [("csm.a2@example.com", ["Teammate in Team A"])]


def test_the_review_page_shows_each_suggestion_with_its_reason(client, org, cycle):
    client.force_login(org.manager_a)
    html = client.get(reverse("review-detail", args=[review_of(org).pk])).content.decode()
    assert "Suggested, from the data" in html
    assert "CSM A2" in html and "Teammate in Team A" in html


# --- asking, answering, declining ------------------------------------------------------------


def test_the_reviewer_asks_the_colleague_gets_a_todo_and_an_email(
    client, org, cycle, mail_sent_inline, django_capture_on_commit_callbacks
):
    ada = contributor("ada@example.com", "Ada Exec")
    review = review_of(org)
    client.force_login(org.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("review-input-request", args=[review.pk]), {"email": "ADA@example.com"}
        )
    assert response.status_code == 302
    request = InputRequest.objects.get()
    assert (request.contributor, request.requested_by, request.status, request.source) == (
        ada,
        org.manager_a,
        "requested",
        "added",
    )
    assert [q["key"] for q in request.questions] == ["strengths", "improve", "other"]
    # Due with the manager's review, or in a week when that date has passed (it has: 9 Oct 2026).
    due = max(D(2026, 10, 9), timezone.localdate() + datetime.timedelta(days=7))
    assert request.due_on == due
    (todo,) = todos_for(ada)
    assert (todo.kind, todo.url, todo.due) == ("input_requested", f"/input/{request.pk}/", due)
    assert todo.text == "Give your input on the Q3 2026 review of CSM A"
    (message,) = [m for m in mail.outbox if "ada@example.com" in m.to]
    assert "Manager A asks for your input on the Q3 2026 review of CSM A" in message.body
    assert not [m for m in mail.outbox if "csm.a@example.com" in m.to]


def test_who_may_ask_and_who_may_be_asked(org, cycle):
    ada = contributor("ada@example.com", "Ada Exec")
    review = review_of(org)
    for outsider in (org.csm_a, org.csm_b, org.manager_b, ada):
        with pytest.raises(PermissionDenied):
            input_services.input_request_create(user=outsider, review=review, contributor=org.csm_a2)
    with pytest.raises(ValidationError, match="cannot give input on their own review"):
        input_services.input_request_create(user=org.hr, review=review, contributor=org.csm_a)
    input_services.input_request_create(user=org.hr, review=review, contributor=ada)
    with pytest.raises(ValidationError, match="Ada Exec was asked already"):
        input_services.input_request_create(user=org.manager_a, review=review, contributor=ada)
    assert InputRequest.objects.count() == 1


def test_answer_decline_and_their_refusals(client, org, cycle):
    ada, bea = contributor("ada@example.com", "Ada Exec"), contributor("bea@example.com", "Bea Sales")
    review = review_of(org)
    req_a = input_services.input_request_create(user=org.manager_a, review=review, contributor=ada)
    req_b = input_services.input_request_create(user=org.manager_a, review=review, contributor=bea)
    with pytest.raises(PermissionDenied):
        input_services.input_answer(user=bea, request=req_a, answers={"strengths": "x"})
    for answers, rating, message in [
        ({}, None, "Answer at least one question"),
        ({"strengths": "  "}, "", "Answer at least one question"),
        ({"bogus": "x"}, None, "Unknown question: bogus"),
        ({"strengths": "ok"}, "6", "A rating is one of 1, 2, 3, 4, 5"),
    ]:
        with pytest.raises(ValidationError, match=message):
            input_services.input_answer(user=ada, request=req_a, answers=answers, rating=rating)
    assert InputRequest.objects.get(pk=req_a.pk).status == "requested"
    # The page: a bad rating is refused with its reason, nothing saved, the text kept on the form.
    client.force_login(ada)
    response = client.post(
        reverse("input-detail", args=[req_a.pk]), {"answer_strengths": "Kept", "rating": "9"}
    )
    assert response.status_code == 400
    assert "Kept" in response.content.decode()
    response = client.post(
        reverse("input-detail", args=[req_a.pk]), {"answer_strengths": "Great QBRs", "rating": "4"}
    )
    assert response.status_code == 302
    req_a.refresh_from_db()
    assert (req_a.status, req_a.answers["strengths"], req_a.answers["improve"], req_a.rating) == (
        "answered",
        "Great QBRs",
        "",
        4,
    )
    with pytest.raises(ValidationError, match="Only a request not yet answered can be declined"):
        input_services.input_decline(user=ada, request=req_a)
    client.force_login(bea)
    client.post(reverse("input-decline", args=[req_b.pk]), {"reason": "Never worked with them"})
    req_b.refresh_from_db()
    assert (req_b.status, req_b.decline_reason) == ("declined", "Never worked with them")
    with pytest.raises(ValidationError, match="You declined this request"):
        input_services.input_answer(user=bea, request=req_b, answers={"strengths": "x"})
    # The person who asked hears of both; in a named cycle, by name.
    texts = sorted(
        n.words for n in Notification.objects.filter(recipient=org.manager_a, kind=Kind.INPUT_ANSWERED)
    )
    assert texts == [
        "Ada Exec gave their input on the Q3 2026 review of CSM A.",
        "Bea Sales declined to give input on the Q3 2026 review of CSM A.",
    ]


def test_the_api_answers_and_declines_the_callers_own_requests(org, cycle):
    ada, bea = contributor("ada@example.com", "Ada Exec"), contributor("bea@example.com", "Bea Sales")
    review = review_of(org)
    req_a = input_services.input_request_create(user=org.manager_a, review=review, contributor=ada)
    api = APIClient()
    api.force_authenticate(ada)
    listed = api.get("/api/v1/input-requests/").json()["results"]
    assert [(r["id"], r["csm"], r["period"], r["status"], r["open"]) for r in listed] == [
        (req_a.pk, "CSM A", Q3, "requested", True)
    ]
    bad = api.post(
        f"/api/v1/input-requests/{req_a.pk}/answer/", {"answers": {"strengths": ""}}, format="json"
    )
    assert bad.status_code == 400
    ok = api.post(
        f"/api/v1/input-requests/{req_a.pk}/answer/",
        {"answers": {"strengths": "Calm"}, "rating": 3},
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert (ok.json()["status"], ok.json()["answers"]["strengths"], ok.json()["rating"]) == (
        "answered",
        "Calm",
        3,
    )
    api.force_authenticate(bea)
    assert api.get(f"/api/v1/input-requests/{req_a.pk}/").status_code == 404
    assert api.post(f"/api/v1/input-requests/{req_a.pk}/decline/", {}, format="json").status_code == 404
    # A contributor reads nothing else of the API.
    assert api.get("/api/v1/reviews/").status_code == 403
    assert api.get(f"/api/v1/scorecards/{org.csm_a.pk}/").status_code == 403


def test_a_contributor_sees_only_the_requests_addressed_to_them(client, org, cycle):
    ada = contributor("ada@example.com", "Ada Exec")
    req = input_services.input_request_create(user=org.manager_a, review=review_of(org), contributor=ada)
    client.force_login(ada)
    assert client.get(reverse("home"))["Location"] == reverse("input-list")
    html = client.get(reverse("input-list")).content.decode()
    assert "The Q3 2026 review of CSM A" in html
    assert client.get(reverse("input-detail", args=[req.pk])).status_code == 200
    for name, kwargs in [
        ("review-list", {}),
        ("review-detail", {"review_id": req.review_id}),
        ("scorecard", {"user_id": org.csm_a.pk}),
        ("okrs-mine", {}),
        ("team-list", {}),
        ("account-detail", {"account_id": org.account_a.pk}),
    ]:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, name


# --- reminders -------------------------------------------------------------------------------


def test_reminders_before_the_due_date_and_once_late(org, cycle, settings):
    settings.REMINDER_DAYS_BEFORE = [7, 1]
    settings.REMINDER_OVERDUE_EVERY_DAYS = 3
    ada = contributor("ada@example.com", "Ada Exec")
    due = timezone.localdate() + datetime.timedelta(days=20)
    req = input_services.input_request_create(
        user=org.manager_a, review=review_of(org), contributor=ada, due_on=due
    )

    def reminded(day):
        before = Notification.objects.filter(recipient=ada, kind=Kind.REMINDER_INPUT).count()
        reminders.run(today=day)
        after = list(Notification.objects.filter(recipient=ada, kind=Kind.REMINDER_INPUT).order_by("pk"))
        return [n.words for n in after[before:]]

    assert reminded(due - datetime.timedelta(days=8)) == []
    assert reminded(due - datetime.timedelta(days=7)) == [
        f"Your input on the Q3 2026 review of CSM A is due in 7 days ({due.day} {due:%b} {due.year})."
    ]
    assert reminded(due - datetime.timedelta(days=1)) == [
        "Your input on the Q3 2026 review of CSM A is due tomorrow."
    ]
    assert reminded(due) == []
    late = due + datetime.timedelta(days=1)
    assert reminded(late) == [
        f"Your input on the Q3 2026 review of CSM A was due on {due.day} {due:%b} {due.year}."
    ]
    assert reminded(late) == []  # once a day at most
    assert reminded(late + datetime.timedelta(days=1)) == []  # then every three days
    input_services.input_answer(user=ada, request=req, answers={"strengths": "Good"})
    assert reminded(late + datetime.timedelta(days=3)) == []  # answered: no more reminders
    assert todos_for(ada) == []


# --- anonymity: the threshold on every surface, for each reader --------------------------------

AUTHORS = [
    ("qxauthoroneqx@example.com", "Qxauthoroneqx"),
    ("qxauthortwoqx@example.com", "Qxauthortwoqx"),
    ("qxauthorthreeqx@example.com", "Qxauthorthreeqx"),
]
ANSWERS = ["qxanswer0qx", "qxanswer1qx", "qxanswer2qx"]


def _pdf_text(data: bytes) -> str:
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _with_input(org, *, anonymous: bool, answered: int, submit: bool = True) -> Review:
    cycle = review_of(org).cycle
    input_services.cycle_set_input_anonymity(user=org.hr, cycle=cycle, anonymous=anonymous)
    review = review_of(org)
    people = [contributor(e, n) for e, n in AUTHORS]
    for person, text in zip(people[:answered], ANSWERS, strict=False):
        req = input_services.input_request_create(user=org.manager_a, review=review, contributor=person)
        input_services.input_answer(user=person, request=req, answers={"strengths": text}, rating="4")
    for person in people[answered:]:
        input_services.input_request_create(user=org.manager_a, review=review, contributor=person)

    def step(fn, user, **kwargs):
        r = review_of(org)
        return fn(user=user, review=r, version=r.version, **kwargs)

    step(review_services.review_send_to_csm, org.manager_a)
    step(review_services.review_save_self, org.csm_a, sections={"outcomes": "mine"})
    step(review_services.review_submit_self, org.csm_a)
    r = review_of(org)
    step(
        review_services.review_save_manager,
        org.manager_a,
        sections={"outcomes": "theirs"},
        final_rating=str(r.suggested_detail.get("rounded") or 3),
    )
    if submit:
        step(review_services.review_submit, org.manager_a)
    return review_of(org)


def surfaces(client, user, review) -> dict[str, str | None]:
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)

    def got(response, pdf=False):
        if response.status_code != 200:
            return None
        return _pdf_text(response.content) if pdf else response.content.decode()

    out = {
        "page": got(client.get(reverse("review-detail", args=[review.pk]))),
        "api": got(api.get(f"/api/v1/reviews/{review.pk}/")),
        "history": got(client.get(reverse("review-history", args=[review.pk]))),
        "pdf": got(client.get(reverse("review-pdf", args=[review.pk])), pdf=True),
        "emails": "\n".join(m.body + m.subject for m in mail.outbox if user.email in m.to),
        "notifications": "\n".join(n.words for n in Notification.objects.filter(recipient=user)),
    }
    return out


@pytest.mark.parametrize("answered", [2, 3])
@pytest.mark.parametrize("anonymous", [True, False])
def test_input_on_every_surface_for_each_reader(
    client, org, cycle, monkeypatch, mail_sent_inline, anonymous, answered
):
    monkeypatch.setattr(charts, "print_trend", lambda *args, **kwargs: None)
    review = _with_input(org, anonymous=anonymous, answered=answered)
    texts, names = set(ANSWERS[:answered]), {n for _e, n in AUTHORS}
    shown = not anonymous or answered >= 3
    for who in ("csm_a", "manager_a", "hr"):
        user = getattr(org, who)
        got = surfaces(client, user, review)
        for surface in ("page", "api", "pdf"):
            text = got[surface]
            assert text is not None, (who, surface)
            present = {t for t in texts if t in text}
            assert present == (texts if shown else set()), (who, surface)
            named = {n for n in names if n in text}
            if anonymous:
                # No author on any surface but the asker's own list of who was asked, on the page.
                assert named == (names if surface == "page" and who != "csm_a" else set()), (who, surface)
            else:
                assert named >= {n for _e, n in AUTHORS[:answered]}, (who, surface)
        if anonymous and who == "csm_a":
            for surface in ("history", "emails", "notifications"):
                assert not any(n in (got[surface] or "") for n in names), surface
                assert not any(t in (got[surface] or "") for t in texts), surface
    # The CSM reads the withheld sentence, and never who was asked.
    csm_page = surfaces(client, org.csm_a, review)["page"]
    assert ("Input is anonymous: it is shown once at least 3 colleagues answered (2 did)." in csm_page) == (
        anonymous and answered == 2
    )
    assert "Who was asked" not in csm_page
    if not anonymous:
        assert all(n in csm_page for _e, n in AUTHORS[:answered])


@pytest.mark.parametrize("answered", [2, 3])
def test_anonymous_input_in_the_cycle_zip(org, cycle, monkeypatch, answered):
    monkeypatch.setattr(charts, "print_trend", lambda *args, **kwargs: None)
    review = _with_input(org, anonymous=True, answered=answered)
    Review.objects.filter(cycle=review.cycle).exclude(pk=review.pk).delete()
    export = exports.cycle_export_start(user=org.hr, cycle=review.cycle)
    export = exports.cycle_export_build(export_id=export.pk)
    with zipfile.ZipFile(export.path) as archive:
        (name,) = [n for n in archive.namelist() if not n.endswith("summary of the cycle.pdf")]
        text = _pdf_text(archive.read(name))
    assert {t for t in ANSWERS if t in text} == (set(ANSWERS) if answered == 3 else set())
    assert not any(n in text for _e, n in AUTHORS)


def test_the_csm_sees_nothing_before_the_review_is_submitted(client, org, cycle):
    review = _with_input(org, anonymous=False, answered=3, submit=False)
    client.force_login(org.csm_a)
    html = client.get(reverse("review-detail", args=[review.pk])).content.decode()
    assert "Input from colleagues" not in html and not any(t in html for t in ANSWERS)
    client.force_login(org.manager_a)
    html = client.get(reverse("review-detail", args=[review.pk])).content.decode()
    assert all(t in html for t in ANSWERS)  # the manager writes with the answers beside the numbers


def test_anonymous_input_stays_anonymous_once_answered(org, cycle):
    ada = contributor("ada@example.com", "Ada Exec")
    input_services.cycle_set_input_anonymity(user=org.hr, cycle=cycle, anonymous=True)
    with pytest.raises(PermissionDenied):
        input_services.cycle_set_input_anonymity(user=org.manager_a, cycle=cycle, anonymous=False)
    req = input_services.input_request_create(user=org.manager_a, review=review_of(org), contributor=ada)
    input_services.cycle_set_input_anonymity(user=org.hr, cycle=cycle, anonymous=False)  # nobody answered yet
    input_services.cycle_set_input_anonymity(user=org.hr, cycle=cycle, anonymous=True)
    input_services.input_answer(user=ada, request=req, answers={"strengths": "x"})
    with pytest.raises(ValidationError, match="it stays anonymous"):
        input_services.cycle_set_input_anonymity(user=org.hr, cycle=cycle, anonymous=False)
    cycle.refresh_from_db()
    assert cycle.input_anonymous is True
    # The reviewer hears that a colleague answered, not who.
    assert Notification.objects.get(recipient=org.manager_a, kind=Kind.INPUT_ANSWERED).words == (
        "A colleague answered your request for input on the Q3 2026 review of CSM A."
    )


# --- the submitted review keeps its input -------------------------------------------------------


def test_the_submitted_review_keeps_the_input_it_was_written_with(client, org, cycle):
    review = _with_input(org, anonymous=False, answered=2)
    assert review.colleague_input["answered"] == 2
    assert [a["questions"][0]["answer"] for a in review.colleague_input["answers"]] == [
        "qxanswer0qx",
        "qxanswer1qx",
    ]
    req = InputRequest.objects.get(contributor__email=AUTHORS[0][0])
    with pytest.raises(ValidationError, match="frozen"):
        input_services.input_answer(user=req.contributor, request=req, answers={"strengths": "qxlaterqx"})
    # Even an edit behind the product's back changes nothing of the submitted review.
    InputRequest.objects.filter(pk=req.pk).update(answers={"strengths": "qxlaterqx"})
    late = contributor("late@example.com", "Late Comer")
    InputRequest.objects.create(
        review=review,
        contributor=late,
        due_on=D(2027, 1, 1),
        questions=req.questions,
        answers={"strengths": "qxlateqx"},
        status=InputStatus.ANSWERED,
    )
    client.force_login(org.csm_a)
    html = client.get(reverse("review-detail", args=[review.pk])).content.decode()
    assert "qxanswer0qx" in html and "qxlaterqx" not in html and "qxlateqx" not in html
    assert "Frozen when the review was submitted." in html


def test_hr_chooses_anonymous_input_on_the_cycle_page_and_nobody_else_can(client, org, cycle):
    url = reverse("cycle-action", args=[cycle.pk, "input-anonymity"])
    client.force_login(org.manager_a)
    assert client.post(url, {"anonymous": "1"}).status_code == 404
    cycle.refresh_from_db()
    assert cycle.input_anonymous is False
    client.force_login(org.hr)
    assert (
        "Anonymous: no author is shown to anyone"
        in client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    )
    response = client.post(url, {"anonymous": "1"}, follow=True)
    assert "Colleagues&#x27; input in this cycle is anonymous to the CSM." in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.input_anonymous is True
    assert cycle.history.first().history_change_reason == "input anonymous"
    # The colleague asked reads that their name is never shown.
    ada = contributor("ada@example.com", "Ada Exec")
    req = input_services.input_request_create(user=org.hr, review=review_of(org), contributor=ada)
    client.force_login(ada)
    html = client.get(reverse("input-detail", args=[req.pk])).content.decode()
    assert "Anonymous: the CSM never sees that you wrote this." in html


def test_the_frozen_input_asks_its_questions_in_the_readers_language(org, cycle):
    """A submitted review froze each question in the language of whoever submitted it (English
    in the demo): a Portuguese CSM's PDF asked 'What did they do well ...' between Portuguese lines."""
    review = _with_input(org, anonymous=False, answered=1)
    assert review.status == "submitted"
    with translation.override("es"):
        spanish = input_for(org.manager_a, review_of(org))
    with translation.override("en"):
        english = input_for(org.manager_a, review_of(org))
    asked = "¿Qué hizo bien en las cuentas en las que trabajaste con esta persona?"
    assert spanish.answers[0]["questions"] == [{"text": asked, "answer": "qxanswer0qx"}]
    assert english.answers[0]["questions"][0]["text"] == (
        "What did they do well on the accounts you worked together?"
    )
