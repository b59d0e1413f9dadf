"""Writing a review: a step saves what is on the screen with it, conflicts are compared
field by field, the suggested rating is explained (by hand), flags have a state, self-ratings."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from kpis import charts
from kpis import services as kpi_services
from kpis.periods import Period
from reviews import signals
from reviews.cycles import services as cycle_services
from reviews.models import Dispute, Review, ReviewTemplate
from reviews.output.pdf import review_pdf
from reviews.writing import disputes, explain, selectors, services
from reviews.writing import snapshot as review_snapshot
from tests import factories
from tests.demo_snapshot import built_once
from tests.kpis import world

Q3 = "2026-Q3"
D = datetime.date
SECTIONS = ["outcomes", "customer_experience", "okrs", "product_expertise", "collaboration"]


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    # Built by the first test, copied back for the others (tests/demo_snapshot.py).
    return built_once(("tests/reviews/test_review_writing.py", "w"), _build_w)


def _build_w():
    w = world.build()
    w["manager_a"] = w["team_a"].manager
    w["hr"] = factories.HrFactory(email="hr@example.com")
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=D(2026, 11, 1))
    w["cycle"] = cycle_services.cycle_create(
        user=w["hr"], period=Q3, self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )
    cycle_services.cycle_open(user=w["hr"], cycle=w["cycle"])
    r = Review.objects.get(cycle=w["cycle"], csm=w["bob"])
    w["review"] = services.review_send_to_csm(user=w["manager_a"], review=r, version=r.version)
    return w


def fresh(w):
    return Review.objects.get(pk=w["review"].pk)


def to_manager_review(w):
    r = fresh(w)
    r = services.review_save_self(user=w["bob"], review=r, version=r.version, sections={"outcomes": "Mine."})
    return services.review_submit_self(user=w["bob"], review=r, version=r.version)


def to_submitted(w):
    r = to_manager_review(w)
    r = services.review_save_manager(
        user=w["manager_a"], review=r, version=r.version, final_rating="3", final_rating_reason="Solid."
    )
    return services.review_submit(user=w["manager_a"], review=r, version=r.version)


# --- 1. a step submits what is on the screen ------------------------------------------------------


def test_submitting_the_self_review_saves_every_section_typed_and_moves_in_one_go(client, w):
    client.force_login(w["bob"])
    r = fresh(w)
    post = {"version": r.version, **{f"section_{k}": f"Typed in {k}." for k in SECTIONS}}
    post["selfrating_outcomes"] = "4"
    response = client.post(reverse("review-transition", args=[r.pk, "submit_self"]), post, follow=True)
    r = fresh(w)
    assert r.status == "manager_review"
    assert r.self_assessment == {k: f"Typed in {k}." for k in SECTIONS}
    assert r.self_ratings == {"outcomes": 4}
    html = response.content.decode()
    assert f"Self-review submitted; {w['manager_a'].get_full_name()} will be notified." in html


def test_the_managers_last_edit_is_submitted_not_an_older_autosave(client, w):
    r = to_manager_review(w)
    r = services.review_save_manager(
        user=w["manager_a"], review=r, version=r.version, sections={"outcomes": "old"}
    )
    client.force_login(w["manager_a"])
    post = {
        "version": r.version,
        "section_outcomes": "the last edit",
        "final_rating": "3",
        "final_rating_reason": "x",
    }
    client.post(reverse("review-transition", args=[r.pk, "submit"]), post)
    r = fresh(w)
    assert (r.status, r.manager_assessment["outcomes"], r.final_rating) == ("submitted", "the last edit", 3)


def test_a_step_refused_by_its_rules_keeps_the_text_saved_and_says_why_next_to_the_field(client, w):
    r = to_manager_review(w)
    client.force_login(w["manager_a"])
    post = {"version": r.version, "section_outcomes": "Written, no rating yet."}
    response = client.post(reverse("review-transition", args=[r.pk, "submit"]), post, follow=True)
    r = fresh(w)
    assert r.status == "manager_review" and r.manager_assessment["outcomes"] == "Written, no rating yet."
    html = response.content.decode()
    assert "Your text is saved, but the review did not move" in html
    assert 'class="errors small field-error">Give the overall rating before submitting.' in html


def test_an_empty_self_review_cannot_be_submitted(client, w):
    r = fresh(w)
    with pytest.raises(ValidationError, match="empty"):
        services.review_submit_self(user=w["bob"], review=r, version=r.version)
    client.force_login(w["bob"])
    post = {"version": r.version, **{f"section_{k}": "   " for k in SECTIONS}}
    client.post(reverse("review-transition", args=[r.pk, "submit_self"]), post)
    assert fresh(w).status == "self_review"


def test_a_step_on_a_stale_version_moves_nothing_and_compares_in_place(client, w):
    r = fresh(w)
    opened = r.version
    services.review_save_self(
        user=w["bob"], review=r, version=r.version, sections={"outcomes": "From tab one."}
    )
    client.force_login(w["bob"])
    post = {"version": opened, "section_outcomes": "From tab two.", "section_okrs": "Only in tab two."}
    response = client.post(reverse("review-transition", args=[r.pk, "submit_self"]), post)
    assert response.status_code == 409
    r = fresh(w)
    assert r.status == "self_review" and r.self_assessment == {"outcomes": "From tab one."}
    html = response.content.decode()
    # Field by field with its label: the text being saved next to the newer saved text; the page
    # keeps what was typed in its fields; nothing in the code's words.
    assert "Outcomes: retention and growth of the book" in html
    assert "From tab two." in html and "From tab one." in html and "Only in tab two." in html
    assert "Keep mine" in html and "Take theirs" in html and "Edit a merge" in html
    assert "section_outcomes</" not in html and "<h3>section_" not in html


def test_conflict_fields_three_ways(w):
    r = fresh(w)
    base = r.version
    r = services.review_save_self(
        user=w["bob"], review=r, version=r.version, sections={"outcomes": "theirs", "okrs": "theirs too"}
    )
    content = services.ReviewContent(
        sections={"outcomes": "mine", "okrs": "", "collaboration": "only mine"}, ratings={}
    )
    fields = selectors.conflict_fields(review=r, viewer=w["bob"], version=base, content=content)
    got = {f["name"]: (f["kind"], f["mine"], f["theirs"]) for f in fields}
    assert got == {
        "section_outcomes": ("both", "mine", "theirs"),  # both changed it: the person chooses
        "section_okrs": ("theirs_only", "", "theirs too"),  # only the other save changed it: taken
    }  # collaboration: only this person changed it, theirs to keep


def test_autosave_conflict_answers_the_comparison_as_json(client, w):
    r = fresh(w)
    client.force_login(w["bob"])
    url = reverse("review-save", args=[r.pk])
    client.post(url, {"version": r.version, "section_outcomes": "one"}, HTTP_ACCEPT="application/json")
    stale = client.post(
        url, {"version": r.version, "section_outcomes": "two"}, HTTP_ACCEPT="application/json"
    )
    data = stale.json()
    assert stale.status_code == 409 and data["version"] == r.version + 1
    (f,) = data["fields"]
    assert (f["name"], f["label"], f["mine"], f["theirs"]) == (
        "section_outcomes",
        "Outcomes: retention and growth of the book",
        "two",
        "one",
    )
    assert "Keep mine" in f["html"]


def test_a_save_that_changes_nothing_keeps_the_version(w):
    r = fresh(w)
    r = services.review_save_self(user=w["bob"], review=r, version=r.version, sections={"outcomes": "a"})
    again = services.review_save_self(user=w["bob"], review=r, version=r.version, sections={"outcomes": "a"})
    assert again.version == r.version


def test_transitions_send_signals_once_committed(w, django_capture_on_commit_callbacks):
    got = []

    def receiver(sender, review, user, action, status, **kwargs):
        got.append((action, status, user.pk))

    signals.review_transitioned.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            to_manager_review(w)
    finally:
        signals.review_transitioned.disconnect(receiver)
    assert got == [("submit_self", "manager_review", w["bob"].pk)]


# --- 3. the suggested rating explained, by hand ---------------------------------------------------


def test_suggested_rating_explained_by_hand_with_a_metric_below_its_minimum_sample(db):
    template = ReviewTemplate(
        name="t",
        rating_scale=[{"value": v, "label": f"level {v}"} for v in range(1, 6)],
        okr_weight=Decimal(2),
        kpi_weights={
            "nrr": {"weight": 3, "floor": 90, "target": 100, "stretch": 110},
            "nps": {"weight": 1, "floor": 0, "target": 35, "stretch": 60},
            "csat": {"weight": 1, "floor": 60, "target": 80, "stretch": 95},
            "first_response_hours": {"weight": 1, "floor": 12, "target": 4, "stretch": 1},
            "onboarding_days": {"weight": 1, "floor": 90, "target": 45, "stretch": 20},
        },
        min_samples={"nps": 5, "csat": 5, "first_response_hours": 10, "onboarding_days": 3},
    )
    snapshot = {
        "metrics": [
            {"metric": "nrr", "value": "104", "sample_size": 20},
            {"metric": "nps", "value": "-100", "sample_size": 1},  # one detractor: below 5 responses
            {"metric": "csat", "value": "90", "sample_size": 12},
            {"metric": "first_response_hours", "value": "6", "sample_size": 15},
            {"metric": "onboarding_days", "value": None, "sample_size": 0},
        ],
        "okrs": {"score": "0.70"},
    }
    # nrr 104: target 100 (3) towards stretch 110 (5), 4/10 of the way: 3 + 0.4 x 2 = 3.80.
    # nps: 1 response of at least 5: left out. onboarding: no data: left out.
    # csat 90: 10/15 of the way from 80 to 95: 3 + 2/3 x 2 = 4.33.
    # first response 6 h: a quarter of the way back from target 4 h to floor 12 h: 3 - 0.25 x 2 = 2.50.
    # OKR 0.70: 1 + 0.7 x 4 = 3.80.
    # Weights used 3 + 1 + 1 + 2 = 7 of 9: (3 x 3.80 + 4.33 + 2.50 + 2 x 3.80) / 7 = 25.83 / 7 = 3.69 -> 4.
    rating, detail = review_snapshot.suggested_rating(template=template, snapshot=snapshot)
    assert rating == Decimal("3.69") and detail["rounded"] == 4
    assert (detail["weight_used"], detail["weight_total"]) == ("7", "9")
    assert [(p["metric"], p["rating"], p["share"], p["contribution"]) for p in detail["parts"]] == [
        ("nrr", "3.80", "42.9", "1.63"),  # 11.40 / 7
        ("csat", "4.33", "14.3", "0.62"),  # 4.33 / 7
        ("first_response_hours", "2.50", "14.3", "0.36"),  # 2.50 / 7
        ("okr_score", "3.80", "28.6", "1.09"),  # 7.60 / 7
    ]
    assert [(m["metric"], m["reason"]) for m in detail["left_out"]] == [
        ("nps", "few_data"),
        ("onboarding_days", "no_data"),
    ]
    shown = explain.suggested_explained(rating, detail, template)
    assert [r["name"] for r in shown["rows"]] == [
        "MRR retention (NRR)",
        "Customer satisfaction (CSAT)",
        "First response time",
    ]
    nrr = shown["rows"][0]
    assert (nrr["weight"], nrr["floor"], nrr["target"], nrr["stretch"], nrr["value"], nrr["sample"]) == (
        "3",
        "90.00%",
        "100.00%",
        "110.00%",
        "104.00%",
        "20 accounts",
    )
    assert shown["rows"][2]["sample"] == "15 tickets"
    assert [(m["name"], m["why"]) for m in shown["left_out"]] == [
        ("Net Promoter Score", "too few responses: 1 of at least 5"),
        ("Onboarding time (time to value)", "no data this quarter"),
    ]
    assert (shown["okr"]["value"], shown["okr"]["contribution"], shown["rounded_label"]) == (
        "0.70",
        "1.09",
        "level 4",
    )


def test_a_review_frozen_before_the_explanation_existed_is_explained_without_none(db):
    """A detail of the first version (parts with weight and points only, as the demo's oldest reviews
    and any review frozen then have it): shares and contributions worked out, "—" for the targets."""
    template = ReviewTemplate(
        name="t", rating_scale=[{"value": v, "label": f"level {v}"} for v in range(1, 6)]
    )
    detail = {
        "parts": [
            {"metric": "nrr", "weight": "3", "value": "95.71", "rating": "2.14"},
            {"metric": "csat", "weight": "1", "value": "72.00", "rating": "2.20"},
            {"metric": "okr_score", "weight": "2", "value": "0.36", "rating": "2.44"},
        ],
        "missing": [],
        "rounded": 2,
    }
    # Weights 3 + 1 + 2 = 6. nrr: 3/6 = 50.0 %, 3 x 2.14 / 6 = 1.07; csat: 16.7 %, 2.20 / 6 = 0.37;
    # OKR: 33.3 %, 2 x 2.44 / 6 = 0.81. Sum 2.25, the frozen rating.
    shown = explain.suggested_explained(Decimal("2.25"), detail, template)
    assert [(r["name"], r["share"], r["contribution"], r["floor"], r["target"]) for r in shown["rows"]] == [
        ("MRR retention (NRR)", "50.0", "1.07", "—", "—"),
        ("Customer satisfaction (CSAT)", "16.7", "0.37", "—", "—"),
    ]
    assert (shown["okr"]["share"], shown["okr"]["contribution"]) == ("33.3", "0.81")
    assert shown["without_targets"] is True


def test_the_page_and_the_pdf_show_the_explanation(client, w, monkeypatch):
    monkeypatch.setattr(charts, "print_trend", lambda *args, **kwargs: None)
    r = to_submitted(w)
    client.force_login(w["manager_a"])
    html = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(review_pdf(r, viewer=w["manager_a"]))).pages)
    for text in (html, " ".join(pdf.split())):
        assert "Share of weight" in text or "SHARE OF WEIGHT" in text
        assert "Left out of the rating" in text
        assert "MRR retention (NRR)" in text
    # The world's NPS has fewer than 5 responses: shown, marked, not scored.
    left = {m["metric"]: m for m in r.suggested_detail["left_out"]}
    assert left["nps"]["reason"] in ("few_data", "no_data")
    assert "too few responses" in html or left["nps"]["reason"] == "no_data"


# --- 4. flags with a state -------------------------------------------------------------------------


def test_flag_answer_resolve_and_withdraw(w):
    r = to_submitted(w)
    d = disputes.dispute_raise(user=w["bob"], review=r, metric="nrr", comment="X4 was billed twice.")
    assert d.state == "open"
    with pytest.raises(ValidationError, match="Only an answered flag is resolved"):
        disputes.dispute_resolve(user=w["bob"], dispute=d)
    with pytest.raises(PermissionDenied):
        disputes.dispute_resolve(user=w["manager_a"], dispute=d)
    d = disputes.dispute_answer(user=w["manager_a"], dispute=d, answer="Corrected next quarter.")
    assert d.state == "answered"
    d = disputes.dispute_resolve(user=w["bob"], dispute=d)
    assert d.state == "resolved" and d.closed_at is not None
    with pytest.raises(ValidationError):
        disputes.dispute_answer(user=w["manager_a"], dispute=d, answer="again")
    other = disputes.dispute_raise(user=w["bob"], review=r, metric="csat", comment="?")
    assert disputes.dispute_withdraw(user=w["bob"], dispute=other).state == "withdrawn"
    assert services.unresolved_flags(r) == 0


def test_acknowledging_with_open_flags_asks_for_confirmation_and_says_so(client, w):
    r = to_submitted(w)
    disputes.dispute_raise(user=w["bob"], review=r, metric="nrr", comment="Wrong.")
    client.force_login(w["bob"])
    page = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert "1 open flag" in page and "I acknowledge with 1 flag still open" in page
    url = reverse("review-transition", args=[r.pk, "acknowledge"])
    refused = client.post(url, {"version": r.version}, follow=True).content.decode()
    assert fresh(w).status == "submitted" and "not resolved yet" in refused
    done = client.post(url, {"version": r.version, "confirm_open_flags": "1"}, follow=True).content.decode()
    r = fresh(w)
    assert r.status == "acknowledged" and r.open_flags_at_acknowledgement == 1
    assert "With 1 flagged number not resolved." in done
    client.force_login(w["manager_a"])
    listing = client.get(reverse("review-list")).content.decode()
    assert "1 open flag" in listing


def test_flags_on_the_page_use_the_metric_name(client, w):
    r = to_submitted(w)
    disputes.dispute_raise(user=w["bob"], review=r, metric="first_response_hours", comment="Weekend tickets.")
    client.force_login(w["manager_a"])
    html = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert "<strong>First response time</strong>" in html and ">first_response_hours<" not in html
    assert Dispute.objects.get().state == "open"


# --- 6. self-rating ----------------------------------------------------------------------------------


def test_self_ratings_hidden_from_the_reviewer_until_submitted_then_side_by_side(client, w):
    r = fresh(w)
    r = services.review_save_self(
        user=w["bob"], review=r, version=r.version, sections={"outcomes": "Mine."}, ratings={"outcomes": "5"}
    )
    client.force_login(w["manager_a"])
    assert "self-rating" not in client.get(reverse("review-detail", args=[r.pk])).content.decode()
    r = services.review_submit_self(user=w["bob"], review=r, version=r.version)
    assert (
        "The CSM's self-rating: 5 · Outstanding"
        in client.get(reverse("review-detail", args=[r.pk])).content.decode()
    )
    r = services.review_save_manager(
        user=w["manager_a"],
        review=r,
        version=r.version,
        section_ratings={"outcomes": "3"},
        final_rating="3",
        final_rating_reason="Solid.",
    )
    r = services.review_submit(user=w["manager_a"], review=r, version=r.version)
    client.force_login(w["bob"])
    html = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert "<th>Self-rating</th><th>Manager's rating</th>" in html
    assert "<td>5 · Outstanding</td><td>3 · Meets expectations</td>" in html


def test_a_template_without_self_rating_takes_none(w):
    template = w["cycle"].template
    template.self_rating = False
    template.save()
    r = fresh(w)
    r = services.review_save_self(
        user=w["bob"], review=r, version=r.version, sections={"outcomes": "x"}, ratings={"outcomes": "5"}
    )
    assert r.self_ratings == {}


# --- 5. the history as a timeline ----------------------------------------------------------------------


def test_the_timeline_says_who_did_what_in_words(client, w):
    r = fresh(w)
    r = services.review_save_self(
        user=w["bob"], review=r, version=r.version, sections={"outcomes": "Kept X3."}
    )
    r = services.review_save_self(
        user=w["bob"], review=r, version=r.version, sections={"outcomes": "Kept X3 and X5."}
    )
    r = services.review_submit_self(user=w["bob"], review=r, version=r.version)
    r = services.review_save_manager(
        user=w["manager_a"], review=r, version=r.version, final_rating="3", final_rating_reason="Solid."
    )
    r = services.review_submit(user=w["manager_a"], review=r, version=r.version)
    d = disputes.dispute_raise(user=w["bob"], review=r, metric="nrr", comment="Billing error.")
    disputes.dispute_answer(user=w["manager_a"], dispute=d, answer="Corrected.")
    disputes.dispute_resolve(user=w["bob"], dispute=d)
    disputes.comment_add(user=w["manager_a"], review=r, body="Well done.")
    entries = selectors.timeline_of(fresh(w), w["bob"])
    titles = [e["title"] for e in entries]
    for title in (
        "Flag on MRR retention (NRR) resolved",
        "Flag on MRR retention (NRR) answered",
        "Flag raised on MRR retention (NRR)",
        "Comment",
        "Review submitted to the CSM",
        "Self-review submitted",
        "Sent to the CSM for self-review",
        "Review opened with the numbers of the quarter",
    ):
        assert title in titles
    # The second save of the self-review, as a word diff under the section's title.
    diffs = [
        line["diff"]
        for e in entries
        for line in e["lines"]
        if line["label"] == "Self-review · Outcomes: retention and growth of the book" and "diff" in line
    ]
    assert [("same", "Kept"), ("del", "X3."), ("ins", "X3 and X5.")] in diffs
    overall = [line for e in entries for line in e["lines"] if line["label"] == "Overall rating"]
    assert overall == [{"label": "Overall rating", "before": "—", "after": "3 · Meets expectations"}]
    client.force_login(w["bob"])
    html = client.get(reverse("review-history", args=[r.pk])).content.decode()
    assert "<del>X3.</del>" in html and "<ins>X3 and X5.</ins>" in html
    assert "self_assessment" not in html and "{&#x27;" not in html
