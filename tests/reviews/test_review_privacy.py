"""Review privacy: one access rule (reviews.access), walked over every surface x every review state x
every viewer (the CSM, the reviewer, HR, an admin who is not a superuser, another team's manager).

Unique markers are planted in the CSM's self-review and in the manager's part, drafts that are later
overwritten included; each surface must show exactly the markers the rule allows, the history
surfaces record by record. The expectations below are written out by hand, not asked of the rule.
"""

import datetime
import io
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import User
from kpis import charts
from kpis import services as kpi_services
from kpis.periods import Period
from reviews.access import review_view
from reviews.cycles import services as cycle_services
from reviews.models import Review, ReviewStatus
from reviews.output import exports
from reviews.writing import disputes, selectors, services
from tests import factories
from tests.demo_snapshot import built_once
from tests.kpis import world

Q3 = "2026-Q3"
D = datetime.date

SELF_DRAFT = "qxselfdraftqx"  # the CSM's first text, overwritten before submission: never submitted
SELF_TEXT = "qxselftextqx"  # the CSM's self-review as submitted
MGR_DRAFT = "qxmgrdraftqx"  # the manager's first text, overwritten before submission
MGR_TEXT = "qxmgrtextqx"  # the manager's text as submitted
MGR_REASON = "qxmgrreasonqx"  # the reason of the final rating
MGR_REOPEN = "qxmgrreopenqx"  # the manager's draft of the reopened review (revision 2)
COMMENT = "qxcommentqx"  # a comment: not a draft, seen by whoever reads the review
MARKERS = [SELF_DRAFT, SELF_TEXT, MGR_DRAFT, MGR_TEXT, MGR_REASON, MGR_REOPEN, COMMENT]
SELF_PART = {SELF_DRAFT, SELF_TEXT}
MANAGER_PART = {MGR_DRAFT, MGR_TEXT, MGR_REASON, MGR_REOPEN}

STATES = ["draft", "self_review", "manager_review", "submitted", "acknowledged", "finalized", "reopened"]
VIEWERS = ["csm", "reviewer", "hr", "admin", "other_manager"]

# What the review holds now, per state (page, API, PDF, zip and admin show it when allowed) ...
_SHARED = {SELF_TEXT, MGR_TEXT, MGR_REASON, COMMENT}
CONTENT = {
    "draft": {MGR_DRAFT},
    "self_review": _SHARED,
    "manager_review": _SHARED,
    "submitted": _SHARED,
    "acknowledged": _SHARED,
    "finalized": _SHARED,
    "reopened": {SELF_TEXT, MGR_REOPEN, MGR_REASON, COMMENT},
}
# ... and what its records ever held (the history surfaces; comments are not in the review's records).
_EVER = {SELF_DRAFT, SELF_TEXT, MGR_DRAFT, MGR_TEXT, MGR_REASON}
EVER = {
    "draft": {MGR_DRAFT},
    **{s: _EVER for s in STATES[1:-1]},
    "reopened": _EVER | {MGR_REOPEN},
}

S, M = "self", "manager"
# Which private part each viewer sees of the review in each state; None: they cannot open it.
SEES = {  # csm, reviewer, hr, admin, other_manager
    "draft": (None, {M}, {S, M}, {M}, None),
    "self_review": ({S}, {M}, {S, M}, {M}, None),
    "manager_review": ({S}, {S, M}, {S, M}, {S, M}, None),
    "submitted": ({S, M}, {S, M}, {S, M}, {S, M}, None),
    "acknowledged": ({S, M}, {S, M}, {S, M}, {S, M}, None),
    "finalized": ({S, M}, {S, M}, {S, M}, {S, M}, None),
    "reopened": ({S}, {S, M}, {S, M}, {S, M}, None),
}
# The history and the PDF: the CSM's once the review is submitted (and again once resubmitted).
RECORD_STATES_OF_CSM = {"submitted", "acknowledged", "finalized"}


def sees(state, viewer):
    return SEES[state][VIEWERS.index(viewer)]


def expected_now(state, viewer, comments=True):
    parts = sees(state, viewer)
    if parts is None:
        return None
    allowed = (SELF_PART if S in parts else set()) | (MANAGER_PART if M in parts else set())
    return {m for m in CONTENT[state] if m in allowed or (comments and m == COMMENT)}


def expected_history(state, viewer):
    """Record by record: a text shows from the record at which the viewer may see it, so a draft
    that was never submitted stays with its author's side (and HR)."""
    if sees(state, viewer) is None or (viewer == "csm" and state not in RECORD_STATES_OF_CSM):
        return None
    if viewer == "hr":
        return set(EVER[state])
    if viewer == "csm":  # the manager's text from the record of its submission; never a draft of theirs
        allowed = SELF_PART | {MGR_TEXT, MGR_REASON}
    else:  # the reviewer and an admin: the self-review from the record of its submission
        allowed = MANAGER_PART | ({SELF_TEXT} if state not in ("draft", "self_review") else set())
    return EVER[state] & allowed


# --- the world and its states, built through the services -------------------------------------


@pytest.fixture
def w(db, settings, tmp_path):
    settings.TIME_ZONE = "America/New_York"
    settings.MEDIA_ROOT = str(tmp_path)
    # Built by the first test, copied back for the others (tests/demo_snapshot.py); the permissions
    # (rows pointing to content types) are given in each test.
    w = built_once(("tests/reviews/test_review_privacy.py", "w"), _build)
    # Every viewer is staff (not a superuser) with the review permissions: the admin is a surface too.
    perms = Permission.objects.filter(
        content_type__app_label="reviews", codename__in=["view_review", "change_review"]
    )
    for who in VIEWERS:
        w[who].is_staff = True
        w[who].save()
        w[who].user_permissions.add(*perms)
    return w


def _build():
    w = world.build()
    w["reviewer"], w["other_manager"] = w["team_a"].manager, w["team_b"].manager
    w["csm"] = w["bob"]
    w["hr"] = factories.HrFactory(email="hr@example.com")
    w["admin"] = factories.AdminFactory(email="ops@example.com", is_superuser=False)
    w["superuser"] = factories.AdminFactory(email="root@example.com")
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=D(2026, 11, 1))
    w["cycle"] = cycle_services.cycle_create(
        user=w["hr"], period=Q3, self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )
    cycle_services.cycle_open(user=w["hr"], cycle=w["cycle"])
    w["review"] = Review.objects.get(cycle=w["cycle"], csm=w["bob"])
    return w


def walk(w, until: str) -> Review:
    """The review up to ``until``, every step through the services, drafts planted on the way."""
    csm, manager, hr = w["csm"], w["reviewer"], w["hr"]

    def step(fn, user, **kwargs):
        r = Review.objects.get(pk=w["review"].pk)
        return fn(user=user, review=r, version=r.version, **kwargs)

    step(services.review_save_manager, manager, sections={"outcomes": MGR_DRAFT})
    if until == "draft":
        return Review.objects.get(pk=w["review"].pk)
    step(services.review_send_to_csm, manager)
    step(services.review_save_self, csm, sections={"outcomes": SELF_DRAFT})
    step(services.review_save_self, csm, sections={"outcomes": SELF_TEXT})
    step(
        services.review_save_manager,
        manager,
        sections={"outcomes": MGR_TEXT},
        final_rating="3",
        final_rating_reason=MGR_REASON,
    )
    disputes.comment_add(user=manager, review=Review.objects.get(pk=w["review"].pk), body=COMMENT)
    for name, fn, user, kwargs in [
        ("manager_review", services.review_submit_self, csm, {}),
        ("submitted", services.review_submit, manager, {}),
        ("acknowledged", services.review_acknowledge, csm, {}),
        ("finalized", services.review_finalize, hr, {}),
        ("reopened", services.review_reopen, hr, {"reason": "A number was wrong."}),
    ]:
        if STATES.index(until) < STATES.index(name):
            break
        step(fn, user, **kwargs)
    if until == "reopened":
        step(services.review_save_manager, manager, sections={"outcomes": MGR_REOPEN})
    review = Review.objects.get(pk=w["review"].pk)
    assert review.status == {"reopened": ReviewStatus.MANAGER_REVIEW}.get(until, until)
    return review


# --- the surfaces: each returns the text a viewer gets, or None when refused -------------------


def _html(response):
    return response.content.decode() if response.status_code == 200 else None


def _pdf_text(data: bytes) -> str:
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def page(client, api, w, review):
    return _html(client.get(reverse("review-detail", args=[review.pk])))


def api_detail(client, api, w, review):
    response = api.get(f"/api/v1/reviews/{review.pk}/")
    return response.content.decode() if response.status_code == 200 else None


def api_list(client, api, w, review):
    response = api.get("/api/v1/reviews/")
    assert response.status_code == 200
    return response.content.decode()


def history(client, api, w, review):
    return _html(client.get(reverse("review-history", args=[review.pk])))


def pdf(client, api, w, review):
    response = client.get(reverse("review-pdf", args=[review.pk]))
    return _pdf_text(response.content) if response.status_code == 200 else None


def admin_change(client, api, w, review):
    return _html(client.get(reverse("admin:reviews_review_change", args=[review.pk])))


def admin_history(client, api, w, review):
    """The admin's history list and every record of it (drafts' records included)."""
    listing = _html(client.get(reverse("admin:reviews_review_history", args=[review.pk])))
    records = [
        client.get(reverse("admin:reviews_review_simple_history", args=[review.pk, h]))
        for h in review.history.values_list("history_id", flat=True)
    ]
    if listing is None:
        assert all(r.status_code != 200 for r in records)
        return None
    assert all(r.status_code == 200 for r in records)
    return listing + "".join(r.content.decode() for r in records)


def cycle_zip(client, api, w, review, user):
    """The cycle's zip as its viewer exports it (HR and admins only): the review's PDF in it."""
    try:
        export = exports.cycle_export_start(user=user, cycle=w["cycle"])
    except PermissionDenied:
        return None
    Review.objects.filter(cycle=w["cycle"]).exclude(pk=review.pk).delete()  # one PDF to render
    export = exports.cycle_export_build(export_id=export.pk)
    with zipfile.ZipFile(export.path) as archive:
        (name,) = [n for n in archive.namelist() if not n.endswith("summary of the cycle.pdf")]
        return _pdf_text(archive.read(name))


CURRENT_SURFACES = {"page": page, "api_detail": api_detail, "api_list": api_list, "pdf": pdf}
ADMIN_SURFACES = {"admin_change": admin_change}
HISTORY_SURFACES = {"history": history, "admin_history": admin_history}
# Where comments are shown (the API and the admin change page of a review do not list them; the
# history page's timeline does, to whoever may read that history).
WITH_COMMENTS = {"page", "pdf", "zip", "history"}
RECORD_SURFACES = {"pdf", "zip"}  # the CSM's once submitted, like the history


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("state", STATES)
def test_every_surface_shows_what_the_rule_allows(client, w, state, viewer, monkeypatch):
    # The PDFs' trend charts say nothing of the texts and take most of the rendering time.
    monkeypatch.setattr(charts, "print_trend", lambda *args, **kwargs: None)
    review = walk(w, state)
    user = User.objects.get(pk=w[viewer].pk)
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    got, expected = {}, {}
    for name, surface in {**CURRENT_SURFACES, **ADMIN_SURFACES, **HISTORY_SURFACES}.items():
        got[name] = surface(client, api, w, review)
        if name in HISTORY_SURFACES:
            expected[name] = expected_history(state, viewer)
            if name in WITH_COMMENTS and expected[name] is not None and COMMENT in CONTENT[state]:
                expected[name] = expected[name] | {COMMENT}  # the timeline lists the comments
        else:
            expected[name] = expected_now(state, viewer, comments=name in WITH_COMMENTS)
            if name in RECORD_SURFACES and viewer == "csm" and state not in RECORD_STATES_OF_CSM:
                expected[name] = None
        if name == "api_list" and expected[name] is None:
            expected[name] = set()  # listed or not, nothing of the review is in the list
    got["zip"] = cycle_zip(client, api, w, review, user)
    expected["zip"] = expected_now(state, viewer) if viewer in ("hr", "admin") else None

    wrong = []
    for name in got:
        text, want = got[name], expected[name]
        if (text is None) != (want is None):
            wrong.append(f"{name}: {'refused' if text is None else 'shown'}, expected the opposite")
            continue
        if text is None:
            continue
        shown = {m for m in MARKERS if m in text}
        if shown != want:
            wrong.append(f"{name}: leaks {sorted(shown - want)}, misses {sorted(want - shown)}")
    assert not wrong, f"{state} as {viewer}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("state", STATES)
def test_the_rule_opens_exactly_the_reviews_visible_to_lists(w, state):
    review = walk(w, state)
    for viewer in VIEWERS:
        listed = Review.objects.visible_to(w[viewer]).filter(pk=review.pk).exists()
        assert review_view(w[viewer], review).can_read == listed == (sees(state, viewer) is not None)


def test_history_masks_a_draft_and_shows_the_submitted_text_once(w):
    review = walk(w, "manager_review")
    entries = selectors.history_of(review, w["reviewer"])
    shown = [c for e in entries for c in e["changes"] if c["field"] == "self_assessment"]
    assert shown == [
        {"field": "self_assessment", "old": "hidden until submitted", "new": {"outcomes": SELF_TEXT}}
    ]
    # The CSM's two draft saves are not entries for the reviewer: nothing they may see changed.
    by_csm = [e for e in entries if e["who"] == w["csm"]]
    assert [e["status"] for e in by_csm] == ["manager_review"]
    assert len([e for e in selectors.history_of(review, w["hr"]) if e["who"] == w["csm"]]) == 3


def test_the_pdf_hash_covers_what_its_reader_sees(w):
    review = walk(w, "self_review")
    full = selectors.content_hash(review)
    assert selectors.content_hash(review, review_view(w["hr"], review)) == full
    assert selectors.content_hash(review, review_view(w["reviewer"], review)) != full


@pytest.mark.parametrize(
    ("state", "shown"), [("self_review", False), ("manager_review", False), ("submitted", True)]
)
def test_the_review_list_shows_the_csm_the_ratings_once_submitted(client, w, state, shown):
    walk(w, state)  # the manager's final rating is 3 from the self-review on
    client.force_login(w["csm"])
    html = client.get(reverse("review-list")).content.decode()
    assert ('<td class="num">3</td>' in html) == shown
    client.force_login(w["reviewer"])
    assert '<td class="num">3</td>' in client.get(reverse("review-list")).content.decode()


def test_the_history_and_pdf_links_follow_the_rule(client, w):
    review = walk(w, "self_review")
    client.force_login(w["csm"])
    html = client.get(reverse("review-detail", args=[review.pk])).content.decode()
    assert reverse("review-history", args=[review.pk]) not in html
    assert reverse("review-pdf", args=[review.pk]) not in html
    client.force_login(w["reviewer"])
    html = client.get(reverse("review-detail", args=[review.pk])).content.decode()
    assert (
        reverse("review-history", args=[review.pk]) in html
        and reverse("review-pdf", args=[review.pk]) in html
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("csm", True), ("reviewer", True), ("hr", True), ("admin", True), ("other_manager", False)],
)
def test_comments_follow_the_rule(w, who, allowed):
    review = walk(w, "self_review")
    if allowed:
        disputes.comment_add(user=w[who], review=review, body="ok")
    else:
        with pytest.raises(PermissionDenied):
            disputes.comment_add(user=w[who], review=review, body="not mine")
    draft = Review.objects.get(cycle=w["cycle"], csm=w["ann"])  # not shared with its CSM yet
    with pytest.raises(PermissionDenied, match="not shared with you yet"):
        disputes.comment_add(user=w["ann"], review=draft, body="too early")


# --- the admin: superuser against staff, the workflow fields, revert, the reviewer rule ---------


def test_admin_superuser_sees_the_record_staff_the_rule(client, w):
    review = walk(w, "self_review")
    url = reverse("admin:reviews_review_change", args=[review.pk])
    client.force_login(w["superuser"])
    html = client.get(url).content.decode()
    assert SELF_TEXT in html and MGR_TEXT in html
    client.force_login(w["admin"])  # the same role, staff but not a superuser: an admin is a reviewer
    html = client.get(url).content.decode()
    assert SELF_TEXT not in html and MGR_TEXT in html
    client.force_login(w["csm"])
    html = client.get(url).content.decode()
    assert SELF_TEXT in html and MGR_TEXT not in html and MGR_REASON not in html


def test_admin_list_hides_the_draft_ratings(client, w):
    walk(w, "self_review")  # the manager's draft has a final rating of 3
    client.force_login(w["csm"])
    html = client.get(reverse("admin:reviews_review_changelist")).content.decode()
    assert 'class="field-final_rating">3<' not in html and 'class="field-final_rating">—<' in html
    client.force_login(w["reviewer"])
    html = client.get(reverse("admin:reviews_review_changelist")).content.decode()
    assert 'class="field-final_rating">3<' in html


def test_admin_refuses_a_history_revert(client, w):
    review = walk(w, "finalized")
    first = review.history.earliest("history_date")
    url = reverse("admin:reviews_review_simple_history", args=[review.pk, first.history_id])
    client.force_login(w["superuser"])
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    before = Review.objects.filter(pk=review.pk).values().get()
    assert client.post(url, {"reviewer": w["reviewer"].pk}).status_code == 403
    assert Review.objects.filter(pk=review.pk).values().get() == before


def _change_form(review, **overrides):
    data = {"reviewer": review.reviewer_id, "opened_version": review.version}
    data.update(overrides)
    return data


@pytest.mark.parametrize("who", ["superuser", "hr"])
def test_admin_post_cannot_touch_the_workflow_fields(client, w, who):
    review = walk(w, "finalized")
    before = Review.objects.filter(pk=review.pk).values().get()
    client.force_login(w[who])
    response = client.post(
        reverse("admin:reviews_review_change", args=[review.pk]),
        _change_form(
            review,
            status="draft",
            version=1,
            revision=7,
            submitted_at="",
            acknowledged_at="",
            finalized_at="",
            self_submitted_at="",
            final_rating=1,
            self_assessment="{}",
        ),
    )
    assert response.status_code == 302
    assert Review.objects.filter(pk=review.pk).values().get() == before


@pytest.mark.parametrize(
    ("reviewer", "message"),
    [("csm", "cannot review themselves"), ("other_manager", "may not see"), ("ann", "may not see")],
)
def test_admin_refuses_a_reviewer_the_rule_refuses(client, w, reviewer, message):
    review = walk(w, "self_review")
    before = Review.objects.filter(pk=review.pk).values().get()
    client.force_login(w["hr"])
    response = client.post(
        reverse("admin:reviews_review_change", args=[review.pk]),
        _change_form(review, reviewer=w[reviewer].pk),
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert Review.objects.filter(pk=review.pk).values().get() == before


def test_admin_changes_the_reviewer_through_the_service(client, w):
    review = walk(w, "self_review")
    client.force_login(w["hr"])
    response = client.post(
        reverse("admin:reviews_review_change", args=[review.pk]), _change_form(review, reviewer=w["hr"].pk)
    )
    assert response.status_code == 302
    after = Review.objects.get(pk=review.pk)
    assert after.reviewer == w["hr"] and after.version == review.version + 1 and after.status == review.status
    assert "Reviewer changed by" in after.history.latest("history_date").history_change_reason


def test_admin_refuses_a_reviewer_change_over_a_newer_version(client, w):
    review = walk(w, "self_review")
    opened = review.version
    services.review_save_self(user=w["csm"], review=review, version=opened, sections={"outcomes": "more"})
    client.force_login(w["hr"])
    response = client.post(
        reverse("admin:reviews_review_change", args=[review.pk]),
        _change_form(review, reviewer=w["hr"].pk, opened_version=opened),
    )
    assert response.status_code == 200 and "after you opened it" in response.content.decode()
    assert Review.objects.get(pk=review.pk).reviewer == w["reviewer"]


def test_admin_leaves_the_reviewer_of_a_finalized_review_alone(client, w):
    review = walk(w, "finalized")
    client.force_login(w["hr"])
    response = client.post(
        reverse("admin:reviews_review_change", args=[review.pk]), _change_form(review, reviewer=w["hr"].pk)
    )
    assert "reopen it to change its reviewer" in response.content.decode()
    assert Review.objects.get(pk=review.pk).reviewer == w["reviewer"]


def test_only_hr_and_admins_change_a_review_in_the_admin(client, w):
    review = walk(w, "self_review")
    client.force_login(w["reviewer"])  # staff with the change permission, but a manager
    url = reverse("admin:reviews_review_change", args=[review.pk])
    assert client.post(url, _change_form(review, reviewer=w["hr"].pk)).status_code == 403
    assert Review.objects.get(pk=review.pk).reviewer == w["reviewer"]


def test_opening_a_cycle_applies_the_reviewer_rule(w):
    w["other_manager"].is_active = False
    w["other_manager"].save()
    cycle = cycle_services.cycle_create(
        user=w["hr"], period="2026-Q4", self_review_due=D(2027, 1, 10), manager_review_due=D(2027, 1, 20)
    )
    cycle_services.cycle_open(user=w["hr"], cycle=cycle, confirm=True)  # 2026-Q4 has no KPI run here
    reviewers = {r.csm.email: r.reviewer for r in cycle.reviews.select_related("csm", "reviewer")}
    assert reviewers["bob@example.com"] == w["reviewer"]
    assert reviewers["cat@example.com"] is None  # a deactivated manager may not see anyone
