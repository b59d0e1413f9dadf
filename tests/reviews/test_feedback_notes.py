"""Feedback through the quarter: anyone leaves a note on a CSM; the CSM's team manager and HR read
it, the CSM only when its author shows it; only the author edits or deletes it, with history; the
CSM's review lists the notes of its quarter and keeps them as they read when it is submitted."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from kpis import services as kpi_services
from kpis.periods import Period
from reviews.cycles import services as cycle_services
from reviews.models import FeedbackNote, Review
from reviews.notes import selectors, services
from reviews.output.pdf import review_pdf
from reviews.writing import services as review_services


def at(y, m, d):
    return timezone.make_aware(datetime.datetime(y, m, d, 12))


@pytest.fixture
def notes(org):
    """On CSM A: a private concern by their teammate A2 about the NPS, and a shared praise by HR about
    Alpha; on CSM B: a private note by Manager B. All written on 20 August 2026 (2026-Q3)."""
    private = services.note_create(
        author=org.csm_a2, csm=org.csm_a, kind="concern", body="Missed the Alder QBR prep.", metric="nps"
    )
    shared = services.note_create(
        author=org.hr, csm=org.csm_a, kind="praise", body="Great renewal call.",
        account=org.account_a, shared_with_csm=True,
    )  # fmt: skip
    other = services.note_create(author=org.manager_b, csm=org.csm_b, kind="praise", body="B's note.")
    FeedbackNote.objects.filter(pk__in=[private.pk, shared.pk, other.pk]).update(created_at=at(2026, 8, 20))
    return {"private": private, "shared": shared, "other": other}


READERS = {
    # who: (sees the private note on A, sees the shared note on A)
    "csm_a": (False, True),
    "csm_a2": (True, False),  # the author of the private one
    "csm_b": (False, False),
    "manager_a": (True, True),  # CSM A's team manager
    "manager_b": (False, False),
    "hr": (True, True),
    "admin": (True, True),
}


@pytest.mark.parametrize("who", sorted(READERS))
def test_who_reads_a_note_on_the_list_the_api_and_its_history(org, notes, client, who):
    person = org.by_role()[who]
    sees_private, sees_shared = READERS[who]
    visible = set(FeedbackNote.objects.visible_to(person).values_list("pk", flat=True))
    assert (notes["private"].pk in visible, notes["shared"].pk in visible) == (sees_private, sees_shared)
    client.force_login(person)
    page = client.get(reverse("feedback-list")).content.decode()
    assert ("Missed the Alder QBR prep." in page) == sees_private
    assert ("Great renewal call." in page) == sees_shared
    api = APIClient()
    api.force_authenticate(person)
    ids = {n["id"] for n in api.get("/api/v1/feedback-notes/").json()["results"]}
    assert (notes["private"].pk in ids, notes["shared"].pk in ids) == (sees_private, sees_shared)
    for key, sees in (("private", sees_private), ("shared", sees_shared)):
        pk = notes[key].pk
        assert api.get(f"/api/v1/feedback-notes/{pk}/").status_code == (200 if sees else 404)
        assert api.get(f"/api/v1/feedback-notes/{pk}/history/").status_code == (200 if sees else 404)
        assert client.get(reverse("feedback-history", args=[pk])).status_code == (200 if sees else 404)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"csm": "csm_a", "author": "csm_a"}, "csm"),  # on oneself
        ({"csm": "manager_a"}, "csm"),  # not a CSM
        ({"kind": "meh"}, "kind"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 2001}, "body"),
        ({"metric": "no_such_metric"}, "metric"),
        ({"account": "account_b"}, "account"),  # an account the author (CSM A2) may not see
    ],
)
def test_a_wrong_note_is_refused_and_writes_nothing(org, kwargs, field):
    args = {"author": org.csm_a2, "csm": org.csm_a, "kind": "praise", "body": "Fine.", "metric": ""}
    for key, value in kwargs.items():
        args[key] = getattr(org, value) if key in ("csm", "author", "account") else value
    with pytest.raises(ValidationError) as exc:
        services.note_create(**args)
    assert field in exc.value.message_dict
    assert FeedbackNote.objects.count() == 0


def test_only_the_author_edits_or_deletes_and_the_history_keeps_each_version(org, notes, client):
    note = notes["private"]
    with pytest.raises(PermissionDenied):
        services.note_update(user=org.manager_a, note=note, body="Changed by the manager.")
    with pytest.raises(PermissionDenied):
        services.note_delete(user=org.hr, note=note)
    api = APIClient()
    api.force_authenticate(org.manager_a)
    assert api.patch(f"/api/v1/feedback-notes/{note.pk}/", {"body": "x"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/feedback-notes/{note.pk}/").status_code == 403
    api.force_authenticate(org.csm_a2)
    response = api.patch(
        f"/api/v1/feedback-notes/{note.pk}/", {"body": "Missed the QBR prep."}, format="json"
    )
    assert response.status_code == 200 and response.json()["body"] == "Missed the QBR prep."
    assert (
        api.patch(f"/api/v1/feedback-notes/{note.pk}/", {"metric": "nope"}, format="json").status_code == 400
    )
    assert FeedbackNote.objects.get(pk=note.pk).metric == "nps"
    history = selectors.note_history(FeedbackNote.objects.get(pk=note.pk), org.manager_a)
    assert [e["title"] for e in history] == ["Note edited", "Note written"]
    assert history[0]["changes"] == [
        {"label": "Note", "before": "Missed the Alder QBR prep.", "after": "Missed the QBR prep."}
    ]
    assert history[0]["who"] == "CSM A2"
    # Deleting through the page, with a reason: gone from the pages, kept in the history.
    client.force_login(org.csm_a2)
    response = client.post(reverse("feedback-delete", args=[note.pk]), {"reason": "Sorted out with CSM A."})
    assert response.status_code == 302 and not FeedbackNote.objects.filter(pk=note.pk).exists()
    records = list(FeedbackNote.history.filter(id=note.pk).order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "~", "-"]
    assert (
        records[-1].history_change_reason == "Sorted out with CSM A."
        and records[-1].history_user == org.csm_a2
    )


def test_the_csm_never_reads_a_version_kept_from_them(org, notes, client):
    note = notes["private"]
    services.note_update(
        user=org.csm_a2, note=note, body="Handled the QBR well in the end.", shared_with_csm=True
    )
    entries = selectors.note_history(FeedbackNote.objects.get(pk=note.pk), org.csm_a)
    assert len(entries) == 1 and entries[0]["body"] == "Handled the QBR well in the end."
    assert entries[0]["changes"] == []
    client.force_login(org.csm_a)
    page = client.get(reverse("feedback-history", args=[note.pk])).content.decode()
    assert "Handled the QBR well" in page and "Alder QBR prep" not in page
    api = APIClient()
    api.force_authenticate(org.csm_a)
    assert "Alder QBR prep" not in str(api.get(f"/api/v1/feedback-notes/{note.pk}/history/").json())
    # The manager reads both versions.
    assert len(selectors.note_history(FeedbackNote.objects.get(pk=note.pk), org.manager_a)) == 2


def test_the_page_writes_a_note_and_refuses_a_wrong_one(org, client):
    client.force_login(org.csm_a2)
    response = client.post(
        reverse("feedback-list"),
        {
            "csm": org.csm_a.pk,
            "kind": "praise",
            "body": "Covered my accounts in August.",
            "shared_with_csm": "on",
        },
    )
    assert response.status_code == 302
    note = FeedbackNote.objects.get()
    assert (note.author, note.csm, note.shared_with_csm) == (org.csm_a2, org.csm_a, True)
    response = client.post(reverse("feedback-list"), {"csm": org.csm_a2.pk, "kind": "praise", "body": "Me."})
    assert response.status_code == 200 and FeedbackNote.objects.count() == 1
    # The form offers CSMs only, never the author.
    assert (
        f'value="{org.csm_a2.pk}"'
        not in response.content.decode().split('name="csm"')[1].split("</select>")[0]
    )


@pytest.fixture
def review(org, notes, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 5),
        manager_review_due=datetime.date(2026, 10, 9),
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle)
    r = cycle.reviews.get(csm=org.csm_a)
    r = review_services.review_send_to_csm(user=org.manager_a, review=r, version=r.version)
    r = review_services.review_save_self(
        user=org.csm_a, review=r, version=r.version, sections={"outcomes": "x"}
    )
    return review_services.review_submit_self(user=org.csm_a, review=r, version=r.version)


def submit(org, review):
    r = review_services.review_save_manager(
        user=org.manager_a, review=review, version=review.version, final_rating="3"
    )
    r = Review.objects.get(pk=r.pk)
    return review_services.review_submit(user=org.manager_a, review=r, version=r.version)


def pdf_text(review, viewer):
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(review_pdf(review, viewer=viewer))).pages)


def test_the_review_lists_the_quarters_notes_and_keeps_them_when_submitted(org, notes, review, client):
    # A note of another quarter is not listed.
    late = services.note_create(author=org.manager_a, csm=org.csm_a, kind="praise", body="October note.")
    client.force_login(org.manager_a)
    page = client.get(reverse("review-detail", args=[review.pk])).content.decode()
    assert (
        "Missed the Alder QBR prep." in page and "Great renewal call." in page and "October note." not in page
    )
    r = submit(org, review)
    assert [n["body"] for n in r.notes] == ["Missed the Alder QBR prep.", "Great renewal call."]
    # Later edits and deletions change nothing in the submitted review.
    services.note_update(user=org.hr, note=notes["shared"], body="Edited after the review.")
    services.note_delete(user=org.csm_a2, note=notes["private"], reason="gone")
    FeedbackNote.objects.filter(pk=late.pk).update(created_at=at(2026, 9, 1))
    r = Review.objects.get(pk=r.pk)
    page = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert "Missed the Alder QBR prep." in page and "Great renewal call." in page
    assert "Edited after the review." not in page and "October note." not in page
    api = APIClient()
    api.force_authenticate(org.manager_a)
    assert [n["body"] for n in api.get(f"/api/v1/reviews/{r.pk}/").json()["feedback_notes"]] == [
        "Missed the Alder QBR prep.",
        "Great renewal call.",
    ]
    text = pdf_text(r, org.manager_a)
    assert "Missed the Alder QBR prep." in text and "not shown to the CSM" in text
    # The CSM: only the note its author showed them, on the page, the API and the PDF.
    client.force_login(org.csm_a)
    page = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert "Great renewal call." in page and "Missed the Alder QBR prep." not in page
    api.force_authenticate(org.csm_a)
    assert [n["body"] for n in api.get(f"/api/v1/reviews/{r.pk}/").json()["feedback_notes"]] == [
        "Great renewal call."
    ]
    text = pdf_text(r, org.csm_a)
    assert "Great renewal call." in text and "Missed the Alder QBR prep." not in text
    # Nor does the review's history name the note.
    history = client.get(reverse("review-history", args=[r.pk])).content.decode()
    assert "Missed the Alder QBR prep." not in history
