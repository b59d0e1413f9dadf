"""Review cycles run by HR: the new-cycle form's quarter, opening rules and their confirmation,
participants (new hires left out by default, exclusions with reasons), reviewer changes from the cycle
page under the reviewer rule, the review list with due dates and filters, reminders (a signal), the
calibration start rule, and calibration adjustments worked by hand with their audit."""

import datetime
import importlib
import io
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import CustomerAccount
from kpis import book
from kpis import services as kpi_services
from kpis.periods import Period, period_label
from reviews import wording
from reviews.cycles import selectors as cycle_selectors
from reviews.cycles import services as cycle_services
from reviews.models import CycleExclusion, Review, ReviewCycle
from reviews.output import exports
from reviews.output.pdf import review_pdf
from reviews.output.summary import cycle_summary_pdf
from reviews.signals import reminder_requested
from reviews.writing import selectors, services, snapshot
from tests import factories
from tests.demo_snapshot import built_once
from tests.i18n.catalog import catalog
from tests.kpis import world

Q3 = "2026-Q3"
D = datetime.date


@pytest.fixture
def w(db, settings, tmp_path):
    settings.TIME_ZONE = "America/New_York"
    settings.MEDIA_ROOT = str(tmp_path)
    # Built by the first test, copied back for the others (tests/demo_snapshot.py).
    return built_once(("tests/reviews/test_cycles.py", "w"), _build_w)


def _build_w():
    w = world.build()
    w["manager_a"], w["manager_b"] = w["team_a"].manager, w["team_b"].manager
    w["hr"] = factories.HrFactory(email="hr@example.com", name="Hana HR")
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=D(2026, 11, 1))
    return w


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def open_q3(w, template=None):
    cycle = cycle_services.cycle_create(
        user=w["hr"],
        period=Q3,
        self_review_due=D(2026, 10, 10),
        manager_review_due=D(2026, 10, 20),
        template=template,
    )
    cycle_services.cycle_open(user=w["hr"], cycle=cycle)
    return cycle


def review_of(cycle, csm) -> Review:
    return Review.objects.select_related("cycle__template", "csm__team", "reviewer").get(cycle=cycle, csm=csm)


def submit(w, cycle, csm, rating):
    """Walk a review to submitted with the manager's rating (a reason when it is not the suggested one)."""
    r = review_of(cycle, w[csm])
    reviewer = r.reviewer
    r = services.review_send_to_csm(user=reviewer, review=r, version=r.version)
    r = services.review_save_self(
        user=w[csm], review=r, version=r.version, sections={"outcomes": "Kept the book."}
    )
    r = services.review_submit_self(user=w[csm], review=r, version=r.version)
    r = services.review_save_manager(
        user=reviewer, review=r, version=r.version, final_rating=str(rating), final_rating_reason="Context."
    )
    return services.review_submit(user=reviewer, review=r, version=r.version)


# --- the new-cycle form and the opening rules ----------------------------------------------------


def test_the_form_offers_the_next_quarter_without_a_cycle(client, w):
    assert str(cycle_selectors.next_free_quarter(today=D(2026, 8, 1))) == Q3
    open_q3(w)
    assert str(cycle_selectors.next_free_quarter(today=D(2026, 8, 1))) == "2026-Q4"
    cycle_services.cycle_create(
        user=w["hr"], period="2026-Q4", self_review_due=D(2027, 1, 5), manager_review_due=D(2027, 1, 15)
    )
    assert str(cycle_selectors.next_free_quarter(today=D(2026, 8, 1))) == "2027-Q1"
    client.force_login(w["hr"])
    html = client.get(reverse("cycle-list")).content.decode()
    # A picker: the quarter's code is the value, its label the words (Q1 2027).
    nxt = cycle_selectors.next_free_quarter()
    assert '<select id="period" name="period">' in html
    assert f'<option value="{nxt}" selected>{period_label(nxt)}</option>' in html


def test_a_quarter_that_has_not_started_opens_only_with_a_confirmation(w):
    cycle = cycle_services.cycle_create(
        user=w["hr"], period="2031-Q2", self_review_due=D(2031, 7, 5), manager_review_due=D(2031, 7, 15)
    )
    warnings = cycle_selectors.opening_warnings(cycle)
    assert len(warnings) == 1 and "Q2 2031 has not started (it starts on 1 Apr 2031)" in warnings[0]
    assert "no review will have a suggested rating" in warnings[0]
    with pytest.raises(ValidationError) as exc:
        cycle_services.cycle_open(user=w["hr"], cycle=cycle)
    assert exc.value.message_dict["confirm"] == warnings
    cycle.refresh_from_db()
    assert cycle.status == "draft" and not cycle.reviews.exists()
    assert cycle_services.cycle_open(user=w["hr"], cycle=cycle, confirm=True) == 4
    cycle.refresh_from_db()
    # Kept as a code, said in the reader's words on the cycle page (Spanish for a Spanish reader).
    assert cycle.status == "open" and cycle.opened_despite == "not_started"
    assert wording.opened_despite_words(cycle) == warnings[0]
    english = (
        "Q2 2031 has not started (it starts on 1 Apr 2031): there is no activity yet, so every number of "
        "every review will read “no data” and no review will have a suggested rating."
    )
    spanish = "T2 2031 aún no ha empezado (empieza el "
    entries = {
        "%(period)s has not started (it starts on %(day)s): there is no activity yet, so every number "
        "of every review will read “no data” and no review will have a suggested rating.": (
            "%(period)s aún no ha empezado (empieza el %(day)s): las cifras dirán «sin datos»."
        ),
        "Q%(quarter)s %(year)s": "T%(quarter)s %(year)s",
    }
    client = Client()
    client.force_login(w["hr"])
    with catalog("es", entries):
        page = client.get(reverse("cycle-detail", args=[cycle.pk]), HTTP_ACCEPT_LANGUAGE="es")
        assert spanish in page.content.decode()
        assert english not in page.content.decode()
    # A cycle opened before the codes: its English sentence becomes the code; an unknown one stays.
    other = cycle_services.cycle_create(
        user=w["hr"], period="2031-Q3", self_review_due=D(2031, 10, 5), manager_review_due=D(2031, 10, 15)
    )
    ReviewCycle.objects.filter(pk=cycle.pk).update(opened_despite=english)
    ReviewCycle.objects.filter(pk=other.pk).update(opened_despite="Opened by hand.")
    importlib.import_module("reviews.migrations.0011_cycle_opened_despite_to_code").forwards(apps, None)
    assert ReviewCycle.objects.get(pk=cycle.pk).opened_despite == "not_started"
    assert ReviewCycle.objects.get(pk=other.pk).opened_despite == "Opened by hand."
    assert wording.opened_despite_words(ReviewCycle.objects.get(pk=other.pk)) == "Opened by hand."


def test_a_quarter_without_a_published_run_opens_only_with_a_confirmation_on_the_page(client, w):
    assert cycle_selectors.opening_warnings(open_q3(w)) == []  # started, with its run: nothing missing
    cycle = cycle_services.cycle_create(
        user=w["hr"], period="2026-Q2", self_review_due=D(2026, 7, 5), manager_review_due=D(2026, 7, 15)
    )
    client.force_login(w["hr"])
    page = client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    assert "Opening now leaves these missing:" in page and "No KPI run of Q2 2026 is published yet" in page
    assert 'name="confirm"' in page
    refused = client.post(reverse("cycle-action", args=[cycle.pk, "open"]), follow=True).content.decode()
    assert "No KPI run of Q2 2026 is published yet" in refused
    assert not cycle.reviews.exists()
    client.post(reverse("cycle-action", args=[cycle.pk, "open"]), {"confirm": "1"})
    assert cycle.reviews.count() == 4
    # The review page never starts its numbers' sentence with ", snapshot taken" (no run here).
    review = cycle.reviews.first()
    html = client.get(reverse("review-detail", args=[review.pk])).content.decode()
    assert ">, snapshot taken" not in html and "No published KPI run" in html


# --- participants --------------------------------------------------------------------------------


def test_new_hires_are_left_out_by_default_and_hr_decides(client, w, settings):
    settings.REVIEW_MIN_TENURE_DAYS = 60
    nina = factories.CsmFactory(email="nina@example.com", name="Nina New", team=w["team_a"])
    account = factories.CustomerAccountFactory(external_id="N1", name="N1", signed_on=D(2026, 9, 10))
    factories.AssignmentFactory(account=account, csm=nina, start_date=D(2026, 9, 10))
    cycle = open_q3(w)
    exclusion = CycleExclusion.objects.get(cycle=cycle, csm=nina)
    # 10 September to 30 September: 21 days of the quarter, under the 60 of the setting.
    assert (
        exclusion.reason
        == "New hire: first account on 10 Sep 2026, 21 days before the quarter ends (under 60)."
    )
    assert cycle.reviews.count() == 4 and not cycle.reviews.filter(csm=nina).exists()
    client.force_login(w["hr"])
    page = client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    assert "Nina New" in page and "New hire: first account on 10 Sep 2026" in page
    # HR includes her: the cycle is open, so her review is created at once (reviewer: her manager).
    client.post(reverse("cycle-action", args=[cycle.pk, "include"]), {"csm": nina.pk})
    assert review_of(cycle, nina).reviewer == w["manager_a"]
    assert not CycleExclusion.objects.filter(cycle=cycle, csm=nina).exists()
    # Leaving someone out needs a reason; an untouched draft goes, a started review stays.
    with pytest.raises(ValidationError, match="Say why"):
        cycle_services.participant_exclude(user=w["hr"], cycle=cycle, csm=w["ann"], reason="  ")
    client.post(
        reverse("cycle-action", args=[cycle.pk, "exclude"]), {"csm": w["ann"].pk, "reason": "On leave"}
    )
    assert not cycle.reviews.filter(csm=w["ann"]).exists()
    assert CycleExclusion.objects.get(cycle=cycle, csm=w["ann"]).reason == "On leave"
    bob = review_of(cycle, w["bob"])
    services.review_send_to_csm(user=w["manager_a"], review=bob, version=bob.version)
    with pytest.raises(ValidationError, match="has started and stays"):
        cycle_services.participant_exclude(user=w["hr"], cycle=cycle, csm=w["bob"], reason="Leaver")
    with pytest.raises(PermissionDenied):
        cycle_services.participant_exclude(user=w["manager_a"], cycle=cycle, csm=w["cat"], reason="x")
    # A CSM with no account at all keeps taking part: their tenure is unknown (dan has no book).
    assert cycle.reviews.filter(csm=w["dan"]).exists()


def test_a_draft_cycle_opens_without_the_csms_left_out(w):
    cycle = cycle_services.cycle_create(
        user=w["hr"], period=Q3, self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )
    cycle_services.participant_exclude(
        user=w["hr"], cycle=cycle, csm=w["cat"], reason="Parental leave all quarter"
    )
    assert cycle_services.cycle_open(user=w["hr"], cycle=cycle) == 3
    assert sorted(cycle.reviews.values_list("csm__email", flat=True)) == [
        "ann@example.com",
        "bob@example.com",
        "dan@example.com",
    ]


# --- reviewers, the list, reminders --------------------------------------------------------------


def test_reviewer_changes_from_the_cycle_page_follow_the_reviewer_rule(client, w):
    cycle = open_q3(w)
    bob = review_of(cycle, w["bob"])
    client.force_login(w["hr"])
    url = reverse("cycle-review-action", args=[cycle.pk, bob.pk, "reviewer"])
    page = client.post(url, {"reviewer": w["bob"].pk, "version": bob.version}, follow=True).content.decode()
    assert "cannot review themselves" in page
    page = client.post(
        url, {"reviewer": w["manager_b"].pk, "version": bob.version}, follow=True
    ).content.decode()
    assert "may not see" in page
    assert review_of(cycle, w["bob"]).reviewer == w["manager_a"]
    client.post(url, {"reviewer": w["hr"].pk, "version": bob.version})
    bob = review_of(cycle, w["bob"])
    assert bob.reviewer == w["hr"] and bob.version == 2
    assert bob.history.first().history_change_reason.startswith("Reviewer changed by")
    page = client.post(url, {"reviewer": w["manager_a"].pk, "version": 1}, follow=True).content.decode()
    assert "after you opened it" in page and review_of(cycle, w["bob"]).reviewer == w["hr"]
    # The page offers only people the rule allows: never the CSM, not another team's manager.
    html = client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    row = html.split(f'id="review-{bob.pk}"')[1].split("</tr>")[0]
    row = row.split('name="reviewer"')[1].split("</select>")[0]  # the options, not the form's version
    assert f'value="{w["manager_a"].pk}"' in row and f'value="{w["manager_b"].pk}"' not in row
    assert f'value="{w["bob"].pk}"' not in row


def test_every_review_is_listed_with_due_date_overdue_and_filters(client, w):
    cycle = open_q3(w)
    bob = review_of(cycle, w["bob"])
    bob = services.review_send_to_csm(user=w["manager_a"], review=bob, version=bob.version)
    rows = {r.review.csm.email: r for r in cycle_selectors.cycle_rows(cycle, today=D(2026, 10, 12))}
    assert (rows["bob@example.com"].waiting, rows["bob@example.com"].due) == (w["bob"], D(2026, 10, 10))
    assert rows["bob@example.com"].overdue and rows["ann@example.com"].overdue  # after 10 October
    assert rows["ann@example.com"].waiting == w["manager_a"]
    assert not any(r.overdue for r in cycle_selectors.cycle_rows(cycle, today=D(2026, 10, 10)))
    only_self = cycle_selectors.cycle_rows(cycle, status="self_review", today=D(2026, 10, 12))
    assert [r.review.csm for r in only_self] == [w["bob"]]
    team_b = cycle_selectors.cycle_rows(cycle, manager=str(w["manager_b"].pk))
    assert {r.review.csm for r in team_b} == {w["cat"], w["dan"]}
    progress = {p.manager_id: p for p in cycle_selectors.manager_progress(cycle_selectors.cycle_rows(cycle))}
    assert (progress[w["manager_a"].pk].total, progress[w["manager_b"].pk].total) == (2, 2)
    client.force_login(w["hr"])
    html = client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    for csm in ("ann", "bob", "cat", "dan"):
        assert w[csm].name in html
    assert "10 Oct 2026" in html and "overdue" in html and 'id="per-manager"' in html
    filtered = client.get(reverse("cycle-detail", args=[cycle.pk]) + "?status=self_review").content.decode()
    table = filtered.split('id="review-table"')[1].split("</table>")[0]
    assert w["bob"].name in table and w["ann"].name not in table


def _queries_and_rows(client, url) -> tuple[int, set[str]]:
    """The number of queries of a cycle page and the CSMs (emails) of its review table."""
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url).content.decode()
    table = html.split('id="review-table"')[1].split("</table>")[0]
    ids = {int(pk) for pk in re.findall(r'id="review-(\d+)"', table)}
    return len(ctx.captured_queries), set(
        Review.objects.filter(pk__in=ids).values_list("csm__email", flat=True)
    )


def test_a_filtered_cycle_page_asks_the_database_no_more_than_the_whole_list(client, w):
    """One manager's overdue reviews (issue: the filtered page read every review a second time)."""
    cycle = open_q3(w)  # due dates in October 2026: every review still waiting on someone is overdue
    submit(w, cycle, "ann", 3)  # waits on Ann's acknowledgement, which has no due date: not overdue
    w["cat"].name = "Catalina Ortiz"
    w["cat"].save(update_fields=["name"])
    client.force_login(w["hr"])
    page = reverse("cycle-detail", args=[cycle.pk])
    mine_late = f"{page}?manager={w['manager_a'].pk}&overdue=1"
    whole, rows = _queries_and_rows(client, page)
    assert rows == {f"{n}@example.com" for n in ("ann", "bob", "cat", "dan")}
    late, rows = _queries_and_rows(client, mine_late)
    assert rows == {"bob@example.com"}
    by_status, rows = _queries_and_rows(client, f"{page}?status=submitted")
    assert rows == {"ann@example.com"}
    by_name, rows = _queries_and_rows(client, f"{page}?q=TALINA")
    assert rows == {"cat@example.com"}
    assert late <= whole and by_status <= whole and by_name <= whole
    # Three more reviews in the cycle: the same number of queries, filtered or not.
    for i in range(3):
        csm = factories.CsmFactory(email=f"extra{i}@example.com", team=w["team_a"])
        Review.objects.create(cycle=cycle, csm=csm, reviewer=w["manager_a"])
    assert _queries_and_rows(client, page)[0] == whole
    late_again, rows = _queries_and_rows(client, mine_late)
    assert late_again == late
    assert rows == {"bob@example.com", "extra0@example.com", "extra1@example.com", "extra2@example.com"}


def test_remind_one_review_and_every_overdue_one_sends_the_signal(client, w):
    cycle = open_q3(w)  # due dates in October 2026: every draft is overdue today
    sent = []

    def receiver(sender, review, recipient, requested_by, due, overdue, **kwargs):
        sent.append((review.csm.email, recipient.email, requested_by.email, due, overdue))

    reminder_requested.connect(receiver, weak=False)
    try:
        client.force_login(w["hr"])
        bob = review_of(cycle, w["bob"])
        page = client.post(
            reverse("cycle-review-action", args=[cycle.pk, bob.pk, "remind"]), follow=True
        ).content.decode()
        assert sent == [("bob@example.com", "ma@example.com", "hr@example.com", D(2026, 10, 10), True)]
        assert "Reminder sent to" in page
        sent.clear()
        page = client.post(
            reverse("cycle-action", args=[cycle.pk, "remind-overdue"]), follow=True
        ).content.decode()
        assert sorted(s[0] for s in sent) == [f"{n}@example.com" for n in ("ann", "bob", "cat", "dan")]
        # Bob's reviewer was reminded a moment ago: once a day is enough.
        assert (
            "Reminders sent for 3 of the 4 overdue reviews; the others were reminded already today." in page
        )
    finally:
        reminder_requested.disconnect(receiver)


def test_a_kept_reminder_is_a_code_whatever_the_language(client, w):
    """The mail queue down: the reminder is kept. The page compares the outcome with a code; a
    Spanish reader once got a translated outcome and a server error."""
    cycle = open_q3(w)
    reminder_requested.connect(kept := (lambda sender, **kwargs: "kept"), weak=False)
    try:
        client.force_login(w["hr"])
        bob = review_of(cycle, w["bob"])
        with catalog("es", {"kept": "guardado"}):
            response = client.post(
                reverse("cycle-review-action", args=[cycle.pk, bob.pk, "remind"]),
                follow=True,
                HTTP_ACCEPT_LANGUAGE="es",
            )
        assert response.status_code == 200
        assert cycle_services.review_remind(user=w["hr"], review=bob)[1] == "kept"
    finally:
        reminder_requested.disconnect(kept)


# --- calibration ---------------------------------------------------------------------------------


def test_calibration_starts_when_every_review_is_submitted_or_with_a_reason(client, w):
    cycle = open_q3(w)
    for csm, rating in (("ann", 3), ("bob", 4), ("cat", 2)):
        submit(w, cycle, csm, rating)
    client.force_login(w["hr"])
    page = client.post(reverse("cycle-action", args=[cycle.pk, "calibrate"]), follow=True).content.decode()
    assert "1 of 4 reviews are not submitted yet" in page
    assert ReviewCycle.objects.get(pk=cycle.pk).status == "open"
    submit(w, cycle, "dan", 2)
    client.post(reverse("cycle-action", args=[cycle.pk, "calibrate"]))
    cycle.refresh_from_db()
    assert cycle.status == "calibration" and cycle.calibration_override_reason == ""


def test_calibration_adjustments_worked_by_hand_and_their_audit(client, w):
    cycle = open_q3(w)
    # Manager A rates ann 3 and bob 4; manager B rates cat 2 and dan 2.
    for csm, rating in (("ann", 3), ("bob", 4), ("cat", 2), ("dan", 2)):
        submit(w, cycle, csm, rating)
    cycle_services.cycle_advance(user=w["hr"], cycle=cycle)

    def flags():
        s = cycle_selectors.calibration_session(cycle=cycle, viewer=w["hr"])
        return s["org_mean"], {m["manager"]: (m["mean"], m["flag"]) for m in s["managers"]}

    a, b = str(w["manager_a"]), str(w["manager_b"])
    # Organisation 11/4 = 2.75; A 7/2 = 3.50 (+0.75: lenient), B 4/2 = 2.00 (-0.75: harsh).
    assert flags() == (Decimal("2.75"), {a: (Decimal("3.50"), "lenient"), b: (Decimal("2.00"), "harsh")})

    bob = review_of(cycle, w["bob"])
    client.force_login(w["hr"])
    client.post(
        reverse("cycle-calibration-action", args=[cycle.pk, bob.pk, "adjust"]),
        {"rating": "3", "reason": "X3 arrived in July: an easier book", "version": bob.version},
    )
    bob = review_of(cycle, w["bob"])
    assert (bob.final_rating, bob.calibrated_rating, bob.rating) == (4, 3, 3)  # the manager's 4 kept
    assert bob.calibrated_by == w["hr"] and bob.calibration_reason == "X3 arrived in July: an easier book"
    # Organisation 10/4 = 2.50; A 6/2 = 3.00 (+0.50: still lenient), B 2.00 (-0.50: still harsh).
    assert flags() == (Decimal("2.50"), {a: (Decimal("3.00"), "lenient"), b: (Decimal("2.00"), "harsh")})

    # Manager B adjusts cat (their team) 2 -> 3; they may not touch bob (team A).
    cat = review_of(cycle, w["cat"])
    with pytest.raises(PermissionDenied):
        cycle_services.calibration_adjust(
            user=w["manager_b"], review=bob, rating="4", reason="x", version=bob.version
        )
    with pytest.raises(PermissionDenied):  # not theirs, whatever version: a 403, never a 409
        cycle_services.calibration_adjust(
            user=w["manager_b"], review=bob, rating="4", reason="x", version=bob.version - 1
        )
    with pytest.raises(ValidationError, match="Say why"):
        cycle_services.calibration_adjust(
            user=w["manager_b"], review=cat, rating="3", reason=" ", version=cat.version
        )
    with pytest.raises(ValidationError, match="already"):
        cycle_services.calibration_adjust(
            user=w["manager_b"], review=cat, rating="2", reason="x", version=cat.version
        )
    with pytest.raises(PermissionDenied):
        cycle_services.calibration_adjust(
            user=w["cat"], review=cat, rating="5", reason="me", version=cat.version
        )
    cats = cycle_services.calibration_adjust(
        user=w["manager_b"],
        review=cat,
        rating="3",
        reason="Escalations came from a product outage",
        version=cat.version,
    )
    with pytest.raises(services.ReviewConflict):
        cycle_services.calibration_adjust(
            user=w["hr"], review=cat, rating="4", reason="x", version=cat.version
        )
    assert cats.version == cat.version + 1
    # Organisation 11/4 = 2.75; A 3.00 (+0.25), B 5/2 = 2.50 (-0.25): no flag any more.
    assert flags() == (Decimal("2.75"), {a: (Decimal("3.00"), ""), b: (Decimal("2.50"), "")})

    # The audit: the history names who, what and why; the manager's rating stays in the record.
    record = bob.history.first()
    assert record.history_user == w["hr"]
    assert record.history_change_reason == f"Calibration by {w['hr']}: rating 4 → 3 (manager's rating 4)"
    assert record.calibration_reason == "X3 arrived in July: an easier book"
    entry = selectors.history_of(bob, w["hr"])[0]
    assert {"field": "calibrated_rating", "old": None, "new": 3} in entry["changes"]
    assert {"field": "calibration_reason", "old": "", "new": "X3 arrived in July: an easier book"} in entry[
        "changes"
    ]
    history = client.get(reverse("review-history", args=[bob.pk])).content.decode()
    assert "X3 arrived in July: an easier book" in history
    # The PDF shows the rating after calibration, the manager's and the reason; so does the CSM's.
    for viewer in (w["hr"], w["bob"]):
        text = _pdf_text(review_pdf(review_of(cycle, w["bob"]), viewer=viewer))
        assert "final 3 Meets expectations" in text, viewer
        assert "the manager's rating was 4" in text and "X3 arrived in July: an easier book" in text
    # The managers find the session from their review list; the summary PDF lists the change and why.
    client.force_login(w["manager_a"])
    assert (
        reverse("cycle-calibration", args=[cycle.pk]) in client.get(reverse("review-list")).content.decode()
    )
    summary = _pdf_text(cycle_summary_pdf(cycle, viewer=w["hr"]))
    assert (
        "X3 arrived in July: an easier book" in summary
        and "Escalations came from a product outage" in summary
    )
    # A long reason is kept whole (the history record's own reason is cut at 100 characters).
    ann = review_of(cycle, w["ann"])
    long_reason = "Owned the migration of the three largest accounts alone for most of the quarter. " * 4
    ann = cycle_services.calibration_adjust(
        user=w["hr"], review=ann, rating="4", reason=long_reason, version=ann.version
    )
    assert (
        ann.calibration_reason == long_reason.strip()
        and len(ann.history.first().history_change_reason) <= 100
    )
    # Nothing changes once the cycle is closed or before calibration.
    cycle.status = "open"
    cycle.save()
    ann = review_of(cycle, w["ann"])
    with pytest.raises(ValidationError, match="while the cycle is in calibration"):
        cycle_services.calibration_adjust(
            user=w["hr"], review=ann, rating="4", reason="x", version=ann.version
        )


def test_the_api_shows_the_calibrated_rating_and_the_managers_under_the_rule_of_the_managers_part(w):
    """The API showed final_rating only: after calibration an integrator read the pre-calibration
    rating. It shows the rating that counts and the calibration, hidden (null) like final_rating."""
    cycle = open_q3(w)
    for csm, rating in (("ann", 3), ("bob", 4), ("cat", 2)):
        submit(w, cycle, csm, rating)
    dan = review_of(cycle, w["dan"])  # in manager review: the manager's draft rating is theirs
    dan = services.review_send_to_csm(user=dan.reviewer, review=dan, version=dan.version)
    dan = services.review_save_self(
        user=w["dan"], review=dan, version=dan.version, sections={"outcomes": "x"}
    )
    dan = services.review_submit_self(user=w["dan"], review=dan, version=dan.version)
    services.review_save_manager(user=dan.reviewer, review=dan, version=dan.version, final_rating="5")
    cycle_services.cycle_advance(user=w["hr"], cycle=cycle, override_reason="Dan's review is late.")
    bob = review_of(cycle, w["bob"])
    bob = cycle_services.calibration_adjust(
        user=w["hr"], review=bob, rating="3", reason="An easier book", version=bob.version
    )

    def seen(user, review):
        api = APIClient()
        api.force_authenticate(user)
        data = api.get(f"/api/v1/reviews/{review.pk}/").json()
        listed = {r["id"]: r for r in api.get("/api/v1/reviews/").json()["results"]}
        assert listed[review.pk] == data  # the list masks as the detail does
        fields = ("rating", "final_rating", "calibrated_rating", "calibration_reason", "calibrated_by")
        return tuple(data[f] for f in fields), data["calibrated_at"]

    for viewer in (w["hr"], w["manager_a"], w["bob"]):
        values, when = seen(viewer, bob)
        assert values == (3, 4, 3, "An easier book", w["hr"].pk), viewer
        # The moment itself (written in the organisation's zone, so its date may differ from UTC's).
        assert when is not None and datetime.datetime.fromisoformat(when) == bob.calibrated_at, viewer
    ann = review_of(cycle, w["ann"])  # not adjusted: the manager's rating is the rating
    assert seen(w["ann"], ann) == ((3, 3, None, "", None), None)
    # Before submission the CSM sees none of it (the reviewer and HR see the draft rating).
    assert seen(w["dan"], dan) == ((None, None, None, None, None), None)
    assert seen(w["manager_b"], dan) == ((5, 5, None, "", None), None)
    assert seen(w["hr"], dan) == ((5, 5, None, "", None), None)
    # Reopened, bob's calibration is hidden from him again until the new revision is submitted.
    bob = services.review_acknowledge(user=w["bob"], review=bob, version=bob.version)
    bob = services.review_finalize(user=w["hr"], review=bob, version=bob.version)
    bob = services.review_reopen(user=w["hr"], review=bob, version=bob.version, reason="A late correction")
    assert seen(w["bob"], bob) == ((None, None, None, None, None), None)
    assert seen(w["hr"], bob)[0] == (3, 4, 3, "An easier book", w["hr"].pk)


def test_the_session_shows_names_books_and_notes_only_to_whom_the_rule_lets_see(client, w):
    factories.RevenueEventFactory(
        account=_account("X3"), date=D(2026, 8, 10), kind="renewal", mrr_delta=Decimal("0")
    )
    factories.RevenueEventFactory(
        account=_account("X4"), date=D(2026, 9, 5), kind="renewal", mrr_delta=Decimal("40")
    )
    factories.RevenueEventFactory(
        account=_account("X1"), date=D(2026, 10, 1), kind="renewal", mrr_delta=Decimal("0")
    )
    cycle = open_q3(w)
    for csm, rating in (("ann", 3), ("bob", 4), ("cat", 2), ("dan", 2)):
        submit(w, cycle, csm, rating)
    cycle_services.cycle_advance(user=w["hr"], cycle=cycle)
    # Renewals of the quarter on the accounts each CSM owned on 1 July: bob owned X3 (from 1 July) and
    # X4 (until 1 August); the renewal of X1 (ann) on 1 October is in the next quarter.
    renewals = book.renewals_in_quarter(csm_ids=[w["ann"].pk, w["bob"].pk], period=Period.parse(Q3))
    assert renewals == {w["ann"].pk: 0, w["bob"].pk: 2}
    session = cycle_selectors.calibration_session(cycle=cycle, viewer=w["hr"])
    people = {p["csm"].email: p for p in session["people"]}
    snap = review_of(cycle, w["bob"]).snapshot
    starting = next(m["value"] for m in snap["metrics"] if m["metric"] == "starting_mrr")
    assert people["bob@example.com"]["book"]["starting_mrr"] == starting
    assert (
        people["bob@example.com"]["book"]["renewals"] == 2
        and people["bob@example.com"]["book"]["segment"] == "SMB"
    )
    placed = [p for row in session["grid"] for cell in row for p in cell]
    assert len(placed) + len(session["unplaced"]) == 4
    bob = review_of(cycle, w["bob"])
    cycle_services.calibration_note_add(
        user=w["manager_a"], cycle=cycle, csm=w["bob"], body="Ask about the QBR backlog"
    )
    with pytest.raises(PermissionDenied):
        cycle_services.calibration_note_add(user=w["manager_b"], cycle=cycle, csm=w["bob"], body="nosy")
    client.force_login(w["hr"])
    html = client.get(reverse("cycle-calibration", args=[cycle.pk])).content.decode()
    assert "Ask about the QBR backlog" in html and reverse("review-detail", args=[bob.pk]) in html
    client.force_login(w["manager_b"])
    html = client.get(reverse("cycle-calibration", args=[cycle.pk])).content.decode()
    assert w["cat"].name in html and w["bob"].name not in html and "QBR backlog" not in html
    client.force_login(w["bob"])
    assert client.get(reverse("cycle-calibration", args=[cycle.pk])).status_code == 404


def _account(ext):
    return CustomerAccount.objects.get(external_id=ext)


def test_two_csms_with_one_name_get_two_files_in_the_zip(w):
    w["cat"].name = w["dan"].name = "Camila Souza"
    w["cat"].save()
    w["dan"].save()
    cycle = open_q3(w)
    names = exports.zip_names(cycle.pk)
    cat, dan = review_of(cycle, w["cat"]), review_of(cycle, w["dan"])
    first, second = sorted([cat, dan], key=lambda r: r.pk)
    assert (names[first.pk], names[second.pk]) == ("2026-Q3 Camila Souza.pdf", "2026-Q3 Camila Souza (2).pdf")
    assert len(set(names.values())) == 4


# --- the calibration on the review page, the 9-box and the self-ratings ---------------


def test_the_review_page_shows_the_rating_that_counts_the_managers_and_who_when_why(client, w):
    """The calibration showed on the session and in the PDFs, but the review page kept the manager's
    rating: HR and the CSM read 4 after the session had made it 3."""
    cycle = open_q3(w)
    for csm, rating in (("ann", 3), ("bob", 4)):
        submit(w, cycle, csm, rating)
    cycle_services.cycle_advance(user=w["hr"], cycle=cycle, override_reason="Cat and Dan are late.")
    bob = review_of(cycle, w["bob"])
    cycle_services.calibration_adjust(
        user=w["hr"], review=bob, rating="3", reason="X3 arrived in July: an easier book", version=bob.version
    )
    # 20 Nov 2026, 15:30 UTC is 10:30 in New York (EST), the organisation's zone here.
    Review.objects.filter(pk=bob.pk).update(
        calibrated_at=datetime.datetime(2026, 11, 20, 15, 30, tzinfo=datetime.UTC)
    )
    for viewer in (w["hr"], w["bob"], w["manager_a"]):
        client.force_login(viewer)
        html = client.get(reverse("review-detail", args=[bob.pk])).content.decode()
        overall = html[html.index('id="overall"') :]
        overall = overall[: overall.index("</div>")]
        assert "<strong>3 · Meets expectations</strong>" in overall, viewer
        assert "after calibration" in overall
        assert "The manager's rating: 4 · Exceeds expectations" in overall
        assert (
            "Adjusted from 4 to 3 in the calibration session by Hana HR on 20 Nov 2026, 10:30 EST." in overall
        )
        assert "Why: X3 arrived in July: an easier book" in overall
    # Not adjusted: the manager's rating is the rating, with no calibration words.
    ann = review_of(cycle, w["ann"])
    client.force_login(w["ann"])
    html = client.get(reverse("review-detail", args=[ann.pk])).content.decode()
    assert "<strong>3 · Meets expectations</strong>" in html
    assert "after calibration" not in html and "calibration session by" not in html


def test_a_reopened_review_hides_the_calibration_from_the_csm_like_the_managers_part(client, w):
    """The calibration is the manager's part (reviews.access): after a reopen the CSM no longer sees
    it, until the new revision is submitted; HR still does."""
    cycle = open_q3(w)
    submit(w, cycle, "bob", 4)
    cycle_services.cycle_advance(user=w["hr"], cycle=cycle, override_reason="Only Bob here.")
    bob = review_of(cycle, w["bob"])
    bob = cycle_services.calibration_adjust(
        user=w["hr"], review=bob, rating="2", reason="qxcalibratedqx", version=bob.version
    )
    bob = services.review_acknowledge(user=w["bob"], review=bob, version=bob.version)
    bob = services.review_finalize(user=w["hr"], review=bob, version=bob.version)
    bob = services.review_reopen(user=w["hr"], review=bob, version=bob.version, reason="A number was wrong.")
    client.force_login(w["bob"])
    html = client.get(reverse("review-detail", args=[bob.pk])).content.decode()
    assert "qxcalibratedqx" not in html and "calibration session" not in html
    client.force_login(w["hr"])
    html = client.get(reverse("review-detail", args=[bob.pk])).content.decode()
    assert "Why: qxcalibratedqx" in html and "Adjusted from 4 to 2" in html


def test_the_nine_box_places_submitted_reviews_only_and_lists_the_others(client, w):
    """A review still in manager review was placed with the manager's draft rating."""
    # A template weighing the raw retention: this world has no history for expected results, so the
    # default template's lifts have no number (and no percentile) here.
    raw = snapshot.template_default()
    raw.pk, raw.name = None, "Raw retention"
    raw.kpi_weights = {
        "nrr": {"weight": 3, "floor": 90, "target": 100, "stretch": 110},
        "logo_retention": {"weight": 2, "floor": 85, "target": 95, "stretch": 100},
    }
    raw.save()
    cycle = open_q3(w, template=raw)
    for csm, rating in (("ann", 3), ("cat", 2), ("dan", 2)):
        submit(w, cycle, csm, rating)
    bob = review_of(cycle, w["bob"])  # in manager review, a draft rating of 5: not submitted
    bob = services.review_send_to_csm(user=bob.reviewer, review=bob, version=bob.version)
    bob = services.review_save_self(
        user=w["bob"], review=bob, version=bob.version, sections={"outcomes": "x"}
    )
    bob = services.review_submit_self(user=w["bob"], review=bob, version=bob.version)
    services.review_save_manager(user=bob.reviewer, review=bob, version=bob.version, final_rating="5")
    cycle_services.cycle_advance(user=w["hr"], cycle=cycle, override_reason="Bob's review is late.")
    bob = review_of(cycle, w["bob"])
    # Ann and Bob share the SMB segment: both have a KPI percentile, so Bob could be placed.
    assert bob.rating == 5 and cycle_selectors.kpi_percentile(bob) is not None

    s = cycle_selectors.calibration_session(cycle=cycle, viewer=w["hr"])
    placed = {p["csm"].email for row in s["grid"] for cell in row for p in cell}
    assert "ann@example.com" in placed and "bob@example.com" not in placed
    (why, people), *others = s["unplaced_by_reason"]
    assert (why, [p["csm"].email for p in people]) == ("not submitted yet", ["bob@example.com"])
    assert all(why != "not submitted yet" and w["bob"] not in [p["csm"] for p in ps] for why, ps in others)
    client.force_login(w["hr"])
    html = client.get(reverse("cycle-calibration", args=[cycle.pk])).content.decode()
    box = html[html.index('id="ninebox"') : html.index('id="people"')]
    grid = box[: box.index("Not placed")]
    assert w["bob"].get_full_name() not in grid and w["ann"].get_full_name() in grid
    name = w["bob"].get_full_name()
    assert f'Not placed: not submitted yet: <a href="/reviews/{bob.pk}/">{name}</a>' in box
    # The people table says the rating is a draft.
    row = html[html.index(f'id="csm-{w["bob"].pk}"') :]
    assert "draft: not submitted yet" in row[: row.index("</tr>")]


def test_a_csm_reads_their_own_self_ratings_once_submitted(client, w):
    """After submitting, a CSM saw their texts but not the ratings they gave themselves."""
    cycle = open_q3(w)
    r = review_of(cycle, w["bob"])
    r = services.review_send_to_csm(user=r.reviewer, review=r, version=r.version)
    r = services.review_save_self(
        user=w["bob"],
        review=r,
        version=r.version,
        sections={"outcomes": "Kept the book.", "okrs": "Two of three."},
        ratings={"outcomes": "4", "okrs": "2"},
    )
    r = services.review_submit_self(user=w["bob"], review=r, version=r.version)
    client.force_login(w["bob"])
    html = client.get(reverse("review-detail", args=[r.pk])).content.decode()

    def section(key):
        part = html[html.index(f'id="section-{key}"') :]
        return part[: part.index('<div class="card')]

    assert "Your self-rating: 4 · Exceeds expectations" in section("outcomes")
    assert "Your self-rating: 2 · Partly meets expectations" in section("okrs")
    assert "Your self-rating: —" in section("collaboration")
    # The manager's part is still hidden from them, ratings included.
    assert "Hidden until the manager submits the review." in section("outcomes")
