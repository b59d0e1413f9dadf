"""Reviews: the workflow's legal and illegal steps for every role, hidden drafts, the frozen snapshot,
refresh with its diff, the suggested rating by hand, reasons, version conflicts, audit, permissions."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from kpis import services as kpi_services
from kpis.periods import Period
from reviews import wording
from reviews.access import review_view
from reviews.cycles import services as cycle_services
from reviews.models import Review, ReviewTemplate
from reviews.writing import disputes, selectors, services
from reviews.writing import snapshot as review_snapshot
from tests import factories
from tests.demo_snapshot import built_once
from tests.kpis import world

Q3 = "2026-Q3"
AS_OF = datetime.date(2026, 11, 1)
D = datetime.date

# The default template's weights before it weighed the lifts (docs/metrics.md).
RAW_RETENTION_WEIGHTS = {
    "nrr": {"weight": 3, "floor": 90, "target": 100, "stretch": 110},
    "logo_retention": {"weight": 2, "floor": 85, "target": 95, "stretch": 100},
    "health_good_share": {"weight": 1, "floor": 30, "target": 50, "stretch": 70},
    "nps": {"weight": 1, "floor": 0, "target": 35, "stretch": 60},
    "csat": {"weight": 1, "floor": 60, "target": 80, "stretch": 95},
    "first_response_hours": {"weight": 1, "floor": 12, "target": 4, "stretch": 1},
    "onboarding_days": {"weight": 1, "floor": 90, "target": 45, "stretch": 20},
}


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    # Built by the first test, copied back for the others (tests/demo_snapshot.py).
    return built_once(("tests/reviews/test_reviews.py", "w"), _build)


def _build():
    w = world.build()
    w["manager_a"], w["manager_b"] = w["team_a"].manager, w["team_b"].manager
    w["hr"] = factories.HrFactory(email="hr@example.com")
    w["admin"] = factories.AdminFactory(email="admin@example.com")
    kpi_services.kpi_run_compute(period=Period.parse(Q3).previous(), as_of=AS_OF)
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=AS_OF)
    # The template weighs the raw retention: this world has no history for expected results, so the
    # default template's lifts would have no number here (and no suggested rating to differ from).
    raw = review_snapshot.template_default()
    raw.pk, raw.name = None, "Raw retention"
    raw.kpi_weights = RAW_RETENTION_WEIGHTS
    raw.save()
    w["cycle"] = cycle_services.cycle_create(
        user=w["hr"],
        period=Q3,
        self_review_due=D(2026, 10, 10),
        manager_review_due=D(2026, 10, 20),
        template=raw,
    )
    assert cycle_services.cycle_open(user=w["hr"], cycle=w["cycle"]) == 4
    w["review"] = Review.objects.get(cycle=w["cycle"], csm=w["bob"])
    return w


def fresh(review):
    return Review.objects.get(pk=review.pk)


def to_manager_review(w, review=None):
    r = review or w["review"]
    r = services.review_send_to_csm(user=w["manager_a"], review=r, version=r.version)
    r = services.review_save_self(
        user=w["bob"], review=r, version=r.version, sections={"outcomes": "I kept X3."}
    )
    return services.review_submit_self(user=w["bob"], review=r, version=r.version)


def test_opening_a_cycle_creates_one_review_per_csm_with_their_manager(w):
    reviews = {r.csm.email: r.reviewer.email for r in Review.objects.filter(cycle=w["cycle"])}
    assert reviews == {
        "ann@example.com": "ma@example.com",
        "bob@example.com": "ma@example.com",
        "cat@example.com": "mb@example.com",
        "dan@example.com": "mb@example.com",
    }
    assert cycle_services.cycle_open(user=w["hr"], cycle=w["cycle"]) == 0  # idempotent
    with pytest.raises(PermissionDenied):
        cycle_services.cycle_open(user=w["manager_a"], cycle=w["cycle"])
    with pytest.raises(ValidationError, match="already a cycle"):
        cycle_services.cycle_create(
            user=w["hr"], period=Q3, self_review_due=D(2026, 10, 1), manager_review_due=D(2026, 10, 2)
        )


def test_snapshot_holds_the_numbers_with_comparisons_and_the_run(w):
    snap = w["review"].snapshot
    nrr = next(m for m in snap["metrics"] if m["metric"] == "nrr")
    # The benchmark's source is words: frozen is which benchmark applied, said in the reader's words.
    assert nrr["value"] == "94.44" and nrr["benchmark"] == {"value": "106"}
    shown = next(m for m in wording.snapshot_in_words(snap)["metrics"] if m["metric"] == "nrr")
    assert shown["benchmark"] == {
        "value": "106",
        "source": "SaaS median (Gainsight benchmarking data, SaaStr workshop, 2024)",
    }
    assert nrr["team_median"] is not None and nrr["sample_size"] == 3
    assert snap["run"]["id"] is not None and "okrs" in snap


def test_snapshots_of_an_opened_cycle_compare_each_csm_with_their_own_team(w):
    # cycle_open reads every CSM's values once and hands them to each snapshot: each CSM must still
    # be compared with their own team. NRR by hand: ann 1500/1500 = 100.00, bob 1700/1800 = 94.44
    # (team A, median 97.22); cat 1500/2000 = 75.00, dan no cohort (team B, median 75.00).
    def team_median(csm):
        snap = Review.objects.get(cycle=w["cycle"], csm=w[csm]).snapshot
        return next(m for m in snap["metrics"] if m["metric"] == "nrr")["team_median"]

    assert [team_median(c) for c in ("ann", "bob", "cat")] == ["97.22", "97.22", "75.00"]


def test_full_workflow_with_every_actor(w):
    r = to_manager_review(w)
    assert r.status == "manager_review"
    r = services.review_save_manager(
        user=w["manager_a"],
        review=r,
        version=r.version,
        final_rating="3",
        final_rating_reason="" if r.suggested_detail["rounded"] == 3 else "context",
    )
    r = services.review_submit(user=w["manager_a"], review=r, version=r.version)
    r = services.review_acknowledge(user=w["bob"], review=r, version=r.version, comment="I disagree on QBRs.")
    assert r.acknowledgement_comment == "I disagree on QBRs." and r.status == "acknowledged"
    r = services.review_finalize(user=w["hr"], review=r, version=r.version)
    assert r.status == "finalized" and r.finalized_by == w["hr"]
    # Finalized: read-only for everyone.
    for user, call in [
        (w["bob"], lambda u: services.review_save_self(user=u, review=r, version=r.version, sections={})),
        (
            w["manager_a"],
            lambda u: services.review_save_manager(user=u, review=r, version=r.version, final_rating="4"),
        ),
        (w["bob"], lambda u: disputes.comment_add(user=u, review=r, body="late")),
    ]:
        with pytest.raises((ValidationError, PermissionDenied)):
            call(user)
    # Reopening is HR's, audited, and issues a new revision.
    with pytest.raises(PermissionDenied):
        services.review_reopen(user=w["manager_a"], review=r, version=r.version, reason="x")
    r = services.review_reopen(user=w["hr"], review=r, version=r.version, reason="Wrong CSAT source")
    assert (r.status, r.revision) == ("manager_review", 2)
    assert any("Wrong CSAT source" in e["reason"] for e in selectors.history_of(r, w["hr"]))


ILLEGAL = [
    # (status reached first, actor, step, expected error)
    ("draft", "bob", "submit_self", ValidationError),
    ("draft", "manager_a", "submit", ValidationError),
    ("draft", "bob", "send_to_csm", PermissionDenied),
    ("draft", "manager_b", "send_to_csm", PermissionDenied),
    ("self_review", "manager_a", "submit", ValidationError),
    ("self_review", "ann", "submit_self", PermissionDenied),
    ("self_review", "hr", "finalize", ValidationError),
    ("manager_review", "bob", "acknowledge", ValidationError),
    ("manager_review", "manager_b", "submit", PermissionDenied),
    ("manager_review", "hr", "submit", PermissionDenied),
    ("manager_review", "bob", "submit_self", ValidationError),
]


@pytest.mark.parametrize(("state", "actor", "step", "error"), ILLEGAL)
def test_illegal_steps_are_refused_and_change_nothing(w, state, actor, step, error):
    r = w["review"]
    if state in ("self_review", "manager_review"):
        r = services.review_send_to_csm(user=w["manager_a"], review=r, version=r.version)
    if state == "manager_review":
        r = services.review_save_self(user=w["bob"], review=r, version=r.version, sections={"outcomes": "x"})
        r = services.review_submit_self(user=w["bob"], review=r, version=r.version)
    before = (fresh(r).status, fresh(r).version)
    with pytest.raises(error):
        services.TRANSITIONS[step](user=w[actor], review=fresh(r), version=fresh(r).version)
    assert (fresh(r).status, fresh(r).version) == before


# (status reached first, actor, step): steps the actor may never take on this review.
NOT_THEIRS = [
    ("draft", "bob", "send_to_csm"),
    ("self_review", "ann", "submit_self"),
    ("self_review", "manager_a", "submit_self"),
    ("manager_review", "manager_b", "submit"),
    ("manager_review", "bob", "submit"),
    ("manager_review", "bob", "finalize"),
    ("manager_review", "manager_a", "acknowledge"),
    ("manager_review", "manager_a", "reopen"),
]


@pytest.mark.parametrize(("state", "actor", "step"), NOT_THEIRS)
@pytest.mark.parametrize("off", [-1, 1])
def test_a_step_the_caller_may_not_take_is_refused_as_such_whatever_the_version(w, state, actor, step, off):
    """The version was compared first: a stale one answered 409 (the review moved) to a caller the
    step is not for. Who may act is checked first, on the locked row."""
    r = w["review"]
    if state in ("self_review", "manager_review"):
        r = services.review_send_to_csm(user=w["manager_a"], review=r, version=r.version)
    if state == "manager_review":
        r = services.review_save_self(user=w["bob"], review=r, version=r.version, sections={"outcomes": "x"})
        r = services.review_submit_self(user=w["bob"], review=r, version=r.version)
    before = (fresh(r).status, fresh(r).version)
    kwargs = {"reason": "x"} if step == "reopen" else {}
    with pytest.raises(PermissionDenied):
        services.TRANSITIONS[step](user=w[actor], review=fresh(r), version=before[1] + off, **kwargs)
    with pytest.raises(PermissionDenied):  # the saves too
        services.review_save_self(user=w["manager_a"], review=fresh(r), version=before[1] + off, sections={})
    assert (fresh(r).status, fresh(r).version) == before
    # Whoever may take it still meets the stale-version guard.
    with pytest.raises(services.ReviewConflict):
        services.review_send_to_csm(user=w["hr"], review=fresh(r), version=before[1] + off)


def test_the_api_answers_403_not_409_to_a_csm_finalizing_with_a_stale_version(w):
    r = to_manager_review(w)
    api = APIClient()
    api.force_authenticate(w["bob"])
    for version in (r.version - 1, r.version, r.version + 1):
        response = api.post(
            f"/api/v1/reviews/{r.pk}/transition/", {"action": "finalize", "version": version}, format="json"
        )
        assert response.status_code == 403, (version, response.content[:300])
    assert (fresh(r).status, fresh(r).version) == ("manager_review", r.version)


@pytest.mark.parametrize(
    ("actor", "step", "message"),
    [
        ("bob", "finalize", "Only HR finalizes a review."),
        ("manager_a", "finalize", "Only HR finalizes a review."),
        ("bob", "reopen", "Only HR reopens a finalized review."),
    ],
)
def test_finalizing_or_reopening_without_being_hr_says_so(w, actor, step, message):
    """The refusal said "HR runs review cycles.": not what is wrong with finalizing a review."""
    r = to_manager_review(w)
    api = APIClient()
    api.force_authenticate(w[actor])
    body = {"action": step, "version": r.version} | ({"reason": "x"} if step == "reopen" else {})
    response = api.post(f"/api/v1/reviews/{r.pk}/transition/", body, format="json")
    assert (response.status_code, response.json()) == (403, {"detail": message})


def test_hidden_drafts(w):
    r = services.review_send_to_csm(user=w["manager_a"], review=w["review"], version=w["review"].version)
    r = services.review_save_self(
        user=w["bob"], review=r, version=r.version, sections={"outcomes": "my draft"}
    )
    r = services.review_save_manager(
        user=w["manager_a"], review=r, version=r.version, sections={"outcomes": "mgr draft"}
    )
    assert not review_view(w["manager_a"], r).self_visible  # not submitted yet
    assert not review_view(w["bob"], r).manager_visible
    r = Review.objects.get(pk=r.pk)
    r = services.review_submit_self(user=w["bob"], review=r, version=r.version)
    assert review_view(w["manager_a"], r).self_visible
    assert not review_view(w["bob"], r).manager_visible
    assert Review.objects.visible_to(w["bob"]).filter(pk=r.pk).exists()
    # A draft review is not even listed for its CSM.
    ann_review = Review.objects.get(cycle=w["cycle"], csm=w["ann"])
    assert not Review.objects.visible_to(w["ann"]).filter(pk=ann_review.pk).exists()


def test_frozen_snapshot_unchanged_after_new_data_and_a_new_run(w):
    r = to_manager_review(w)
    r = services.review_save_manager(
        user=w["manager_a"], review=r, version=r.version, final_rating="3", final_rating_reason="any"
    )
    r = services.review_submit(user=w["manager_a"], review=r, version=r.version)
    frozen = r.snapshot
    x5 = w["bob"].assignments.get(account__external_id="X5").account
    factories.RevenueEventFactory(account=x5, date=D(2026, 8, 1), kind="expansion", mrr_delta=Decimal("900"))
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=AS_OF)
    assert fresh(r).snapshot == frozen
    with pytest.raises(ValidationError, match="keeps the numbers"):
        services.review_refresh_snapshot(user=w["manager_a"], review=fresh(r), version=fresh(r).version)


def test_refresh_before_submission_shows_what_changed(w):
    r = w["review"]
    x5 = w["bob"].assignments.get(account__external_id="X5").account
    factories.RevenueEventFactory(account=x5, date=D(2026, 8, 1), kind="expansion", mrr_delta=Decimal("900"))
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=AS_OF)
    changes = services.review_refresh_snapshot(user=w["manager_a"], review=r, version=r.version)
    nrr = next(c for c in changes if c["metric"] == "nrr")
    assert (nrr["before"], nrr["after"]) == ("94.44", "144.44")  # (1700 + 900) / 1800
    with pytest.raises(PermissionDenied):
        services.review_refresh_snapshot(user=w["bob"], review=fresh(r), version=fresh(r).version)


def test_suggested_rating_by_hand_with_a_missing_metric(db):
    template = ReviewTemplate(
        name="t",
        rating_scale=[{"value": v, "label": str(v)} for v in range(1, 6)],
        okr_weight=Decimal(1),
        kpi_weights={
            "nrr": {"weight": 2, "floor": 90, "target": 100, "stretch": 110},
            "csat": {"weight": 1, "floor": 50, "target": 70, "stretch": 90},
            "first_response_hours": {"weight": 1, "floor": 8, "target": 4, "stretch": 2},
        },
        min_samples={},  # no minimum sample here: see the test below for one
    )
    snapshot = {
        "metrics": [
            {"metric": "nrr", "value": "105"},
            {"metric": "csat", "value": None},
            {"metric": "first_response_hours", "value": "6"},
        ],
        "okrs": {"score": "0.50"},
    }
    # nrr 105: half way from target (3) to stretch (5) = 4; csat: no data, left out;
    # first response 6 h: half way from target 4 (3) back to floor 8 (1) = 2; OKR 0.5 -> 1 + 0.5 x 4 = 3.
    # (2 x 4 + 1 x 2 + 1 x 3) / 4 = 13 / 4 = 3.25 -> 3
    rating, detail = review_snapshot.suggested_rating(template=template, snapshot=snapshot)
    assert rating == Decimal("3.25") and detail["rounded"] == 3
    assert detail["missing"] == ["csat"]
    assert [(p["metric"], p["rating"]) for p in detail["parts"]] == [
        ("nrr", "4.00"),
        ("first_response_hours", "2.00"),
        ("okr_score", "3.00"),
    ]


def test_a_rating_that_differs_from_the_suggestion_needs_a_reason(w):
    r = to_manager_review(w)
    suggested = r.suggested_detail["rounded"]
    other = 5 if suggested != 5 else 1
    r = services.review_save_manager(
        user=w["manager_a"], review=r, version=r.version, final_rating=str(other)
    )
    with pytest.raises(ValidationError) as exc:
        services.review_submit(user=w["manager_a"], review=r, version=r.version)
    assert f"differs from the suggested one ({suggested})" in exc.value.message_dict["final_rating_reason"][0]
    with pytest.raises(ValidationError) as exc:
        services.review_save_manager(
            user=w["manager_a"], review=fresh(r), version=fresh(r).version, final_rating="9"
        )
    assert exc.value.message_dict["final_rating"] == ["A rating is one of 1, 2, 3, 4, 5."]
    r = services.review_save_manager(
        user=w["manager_a"],
        review=fresh(r),
        version=fresh(r).version,
        final_rating_reason="Led the churn save on X4.",
    )
    r = services.review_submit(user=w["manager_a"], review=r, version=r.version)
    assert (r.status, r.final_rating, r.suggested_detail["rounded"]) == ("submitted", other, suggested)


def test_version_conflict_refuses_the_second_save_and_loses_nothing(w):
    r = services.review_send_to_csm(user=w["manager_a"], review=w["review"], version=w["review"].version)
    opened = r.version
    services.review_save_manager(
        user=w["manager_a"], review=r, version=opened, sections={"outcomes": "first tab"}
    )
    with pytest.raises(services.ReviewConflict, match="after you opened it"):
        services.review_save_manager(
            user=w["manager_a"], review=r, version=opened, sections={"outcomes": "second tab"}
        )
    assert fresh(r).manager_assessment == {"outcomes": "first tab"}


def test_audit_keeps_who_what_when(w):
    r = to_manager_review(w)
    entries = selectors.history_of(r, w["hr"])
    assert entries[0]["who"] == w["bob"] and entries[0]["status"] == "manager_review"
    change = next(c for e in entries for c in e["changes"] if c["field"] == "self_assessment")
    assert change["old"] == {} and change["new"] == {"outcomes": "I kept X3."}
    assert {e["who"] for e in entries} >= {w["manager_a"], w["bob"], w["hr"]}


def test_disputes(w):
    r = to_manager_review(w)
    r = services.review_save_manager(
        user=w["manager_a"], review=r, version=r.version, final_rating="3", final_rating_reason="x"
    )
    with pytest.raises(ValidationError):
        disputes.dispute_raise(user=w["bob"], review=r, metric="nrr", comment="too early")
    r = services.review_submit(user=w["manager_a"], review=r, version=r.version)
    with pytest.raises(PermissionDenied):
        disputes.dispute_raise(user=w["ann"], review=r, metric="nrr", comment="not mine")
    d = disputes.dispute_raise(
        user=w["bob"], review=r, metric="nrr", comment="X4's contraction was a billing error"
    )
    with pytest.raises(PermissionDenied):
        disputes.dispute_answer(user=w["bob"], dispute=d, answer="self-answer")
    disputes.dispute_answer(
        user=w["manager_a"], dispute=d, answer="Checked with billing: corrected next quarter."
    )
    d.refresh_from_db()
    assert d.answered_by == w["manager_a"]


def test_cycle_status_steps_and_closing_needs_finalized_reviews(w):
    with pytest.raises(ValidationError, match="4 of 4 reviews are not submitted yet"):
        cycle_services.cycle_advance(user=w["hr"], cycle=w["cycle"])
    cycle_services.cycle_advance(user=w["hr"], cycle=w["cycle"], override_reason="Board meeting on Friday")
    assert w["cycle"].status == "calibration"
    assert w["cycle"].calibration_override_reason == "Board meeting on Friday"
    with pytest.raises(ValidationError, match="4 reviews are not finalized"):
        cycle_services.cycle_advance(user=w["hr"], cycle=w["cycle"])


def test_template_validation():
    with pytest.raises(ValidationError) as exc:
        review_snapshot.template_validate(
            sections=[{"key": "a", "title": "A"}],
            rating_scale=[{"value": 1}, {"value": 2}],
            kpi_weights={"first_response_hours": {"weight": 1, "floor": 1, "target": 4, "stretch": 8}},
        )
    assert "better direction (lower)" in exc.value.message_dict["kpi_weights"][0]
    with pytest.raises(ValidationError) as exc:
        review_snapshot.template_validate(
            sections=[], rating_scale=[{"value": 3}, {"value": 1}], kpi_weights={"touchpoints": {}}
        )
    assert set(exc.value.message_dict) == {"sections", "rating_scale", "kpi_weights"}


def test_a_nul_character_in_free_text_is_refused_not_a_500(w):
    r = services.review_send_to_csm(user=w["manager_a"], review=w["review"], version=w["review"].version)
    with pytest.raises(ValidationError) as exc:
        services.review_save_self(user=w["bob"], review=r, version=r.version, sections={"outcomes": "a\x00b"})
    assert exc.value.message_dict == {"section_outcomes": ["contains a NUL character."]}
    with pytest.raises(ValidationError):
        disputes.comment_add(user=w["bob"], review=fresh(r), body="\x00")


def test_the_admins_finalize_action_says_what_it_did_for_each_review(w, client):
    r = to_manager_review(w)
    r = services.review_save_manager(
        user=w["manager_a"],
        review=r,
        version=r.version,
        final_rating="3",
        final_rating_reason="" if r.suggested_detail["rounded"] == 3 else "context",
    )
    r = services.review_submit(user=w["manager_a"], review=r, version=r.version)
    r = services.review_acknowledge(user=w["bob"], review=r, version=r.version, comment="")
    draft = Review.objects.filter(cycle=w["cycle"]).exclude(pk=r.pk).order_by("pk").first()
    client.force_login(w["admin"])
    page = client.post(
        "/admin/reviews/review/",
        {"action": "finalize", "_selected_action": [r.pk, draft.pk]},
        follow=True,
    )
    said = [str(m) for m in page.context["messages"]]
    assert fresh(r).status == "finalized" and fresh(draft).status == "draft"
    assert "1 review finalized." in said
    assert [m for m in said if m.startswith(f"{draft} was not finalized: ")], said
