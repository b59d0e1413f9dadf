"""The customers' words in a review: the quarter's survey comments of the CSM's accounts, picked as
evidence for a section by the reviewer or by the CSM in their self-review, frozen as they read when
picked, and shown on the page, the API, the history and the PDF to whoever may see that part."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from activity.models import SurveyResponse
from kpis import services as kpi_services
from kpis.periods import Period
from reviews.cycles import services as cycle_services
from reviews.models import QUOTES_PER_SECTION, Review
from reviews.output.pdf import review_pdf
from reviews.writing import quotes, selectors, services
from tests import factories


def at(y, m, d, h=10):
    return timezone.make_aware(datetime.datetime(y, m, d, h))


@pytest.fixture
def words(org):
    """CSM A's book: Alpha all along; Bravo from 1 September 2026 (CSM B's before)."""
    factories.AssignmentFactory(account=org.account_b, csm=org.csm_a, start_date=datetime.date(2026, 9, 1))
    s = factories.SurveyResponseFactory
    return {
        "onboarding": s(
            account=org.account_a, responded_at=at(2026, 8, 3), score=9, comment="Great onboarding"
        ),
        "slow": s(
            account=org.account_a, kind="csat", score=2, responded_at=at(2026, 9, 10), comment="Slow answers"
        ),
        "silent": s(account=org.account_a, responded_at=at(2026, 8, 4), score=10, comment=""),
        "q2": s(account=org.account_a, responded_at=at(2026, 6, 30), score=8, comment="Last quarter"),
        "other_csm": s(account=org.account_a2, responded_at=at(2026, 8, 5), score=7, comment="Not A's"),
        "bravo_before": s(account=org.account_b, responded_at=at(2026, 8, 15), score=3, comment="Before A"),
        "bravo_after": s(account=org.account_b, responded_at=at(2026, 9, 15), score=10, comment="After A"),
    }


@pytest.fixture
def review(org, words, settings, tmp_path):
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
    return services.review_send_to_csm(user=org.manager_a, review=r, version=r.version)


def fresh(review):
    return Review.objects.get(pk=review.pk)


def to_manager_review(org, review, self_quotes=None):
    r = services.review_save_self(
        user=org.csm_a, review=fresh(review), version=fresh(review).version,
        sections={"outcomes": "Mine."}, quotes=self_quotes,
    )  # fmt: skip
    return services.review_submit_self(user=org.csm_a, review=r, version=r.version)


def test_the_quarters_comments_of_the_csms_accounts(org, words):
    """By hand: Alpha's two comments of Q3 (not the one without a comment, not Q2's), Alder's is
    CSM A2's, Bravo's counts from the day CSM A owns it (15 September), not before (15 August)."""
    got = quotes.customer_words(csm=org.csm_a, period="2026-Q3")
    assert [(q["comment"], q["account_name"], q["kind"], q["score"]) for q in got] == [
        ("Great onboarding", "Alpha", "nps", 9),
        ("Slow answers", "Alpha", "csat", 2),
        ("After A", "Bravo", "nps", 10),
    ]
    assert [q["comment"] for q in quotes.customer_words(csm=org.csm_b, period="2026-Q3")] == ["Before A"]
    assert quotes.score_words(got[1]) == "CSAT 2/5"
    assert quotes.shown(got[0])["day"] == "3 Aug 2026"


def test_picked_quotes_are_frozen_after_the_survey_changes(org, words, review, client):
    r = to_manager_review(org, review)
    picks = {str(words["onboarding"].pk): "customer_experience", str(words["bravo_after"].pk): "outcomes"}
    r = services.review_save_manager(user=org.manager_a, review=r, version=r.version, quotes=picks)
    assert r.version == fresh(review).version
    # The survey tool corrects a comment and deletes another: the review keeps what was picked.
    SurveyResponse.objects.filter(pk=words["onboarding"].pk).update(comment="Edited later", score=2)
    words["bravo_after"].delete()
    r = fresh(review)
    assert [q["comment"] for q in r.manager_quotes["customer_experience"]] == ["Great onboarding"]
    assert r.manager_quotes["customer_experience"][0]["score"] == 9
    assert [q["comment"] for q in r.manager_quotes["outcomes"]] == ["After A"]
    # A save that moves one quote keeps its frozen copy, and a deleted one stays picked.
    r = services.review_save_manager(
        user=org.manager_a, review=r, version=r.version, quotes={str(words["onboarding"].pk): "outcomes"}
    )
    assert [q["comment"] for q in fresh(review).manager_quotes["outcomes"]] == ["Great onboarding", "After A"]
    assert "customer_experience" not in fresh(review).manager_quotes
    r = services.review_save_manager(user=org.manager_a, review=r, version=r.version, final_rating="3")
    r = services.review_submit(user=org.manager_a, review=fresh(review), version=fresh(review).version)
    # The CSM reads them on the page, the API and the PDF, as they were picked.
    client.force_login(org.csm_a)
    page = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert "Great onboarding" in page and "Edited later" not in page and "NPS 9/10" in page
    api = client.get(f"/api/v1/reviews/{r.pk}/").json()
    assert [q["comment"] for q in api["manager_quotes"]["outcomes"]] == ["Great onboarding", "After A"]
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(review_pdf(fresh(r), viewer=org.csm_a))).pages
    )
    assert "Great onboarding" in text and "After A" in text and "Edited later" not in text


def test_at_most_a_handful_per_section_and_nothing_saved_beyond(org, review):
    r = to_manager_review(org, review)
    extra = [
        factories.SurveyResponseFactory(
            account=org.account_a, responded_at=at(2026, 7, 10 + i), comment=f"c{i}"
        )
        for i in range(QUOTES_PER_SECTION + 1)
    ]
    with pytest.raises(ValidationError, match="at most 5 customer comments"):
        services.review_save_manager(
            user=org.manager_a, review=r, version=r.version, quotes={str(s.pk): "outcomes" for s in extra}
        )
    assert fresh(review).manager_quotes == {} and fresh(review).version == r.version
    r = services.review_save_manager(
        user=org.manager_a, review=r, version=r.version, quotes={str(s.pk): "outcomes" for s in extra[:5]}
    )
    assert len(fresh(review).manager_quotes["outcomes"]) == QUOTES_PER_SECTION


@pytest.mark.parametrize(
    "picks, message",
    [
        ({"other_csm": "outcomes"}, "not one of this CSM's customers' comments"),
        ({"q2": "outcomes"}, "not one of this CSM's customers' comments"),
        ({"bravo_before": "outcomes"}, "not one of this CSM's customers' comments"),
        ({"onboarding": "no_such_section"}, "Unknown section"),
        ({"abc": "outcomes"}, "named by its number"),
    ],
)
def test_a_wrong_pick_is_refused_and_writes_nothing(org, words, review, picks, message):
    r = to_manager_review(org, review)
    posted = {(str(words[k].pk) if k in words else k): v for k, v in picks.items()}
    with pytest.raises(ValidationError, match=message):
        services.review_save_manager(user=org.manager_a, review=r, version=r.version, quotes=posted)
    assert fresh(review).manager_quotes == {} and fresh(review).version == r.version


def test_the_csm_quotes_in_the_self_review_hidden_until_submitted(org, words, review, client):
    r = services.review_save_self(
        user=org.csm_a, review=fresh(review), version=fresh(review).version,
        sections={"outcomes": "Mine."}, quotes={str(words["slow"].pk): "customer_experience"},
    )  # fmt: skip
    assert [q["comment"] for q in r.self_quotes["customer_experience"]] == ["Slow answers"]
    client.force_login(org.manager_a)
    assert client.get(f"/api/v1/reviews/{r.pk}/").json()["self_quotes"] is None
    to_manager_review(org, review)
    api = client.get(f"/api/v1/reviews/{r.pk}/").json()
    assert api["self_quotes"]["customer_experience"][0]["comment"] == "Slow answers"
    page = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert page.count("Slow answers") == 2  # quoted in the self-review, and in the list to pick from


def test_the_managers_picks_are_hidden_from_the_csm_until_submitted(org, words, review, client):
    r = to_manager_review(org, review)
    services.review_save_manager(
        user=org.manager_a, review=r, version=r.version, quotes={str(words["onboarding"].pk): "outcomes"}
    )
    client.force_login(org.csm_a)
    assert client.get(f"/api/v1/reviews/{r.pk}/").json()["manager_quotes"] is None
    assert "Great onboarding" not in client.get(reverse("review-detail", args=[r.pk])).content.decode()
    # Nor does the history say it: a draft's changes are hidden.
    assert not any(
        "Great onboarding" in str(e) or "Alpha (NPS" in str(e)
        for e in selectors.timeline_of(fresh(r), org.csm_a)
    )


def test_the_page_posts_the_picks_and_the_history_says_them(org, words, review, client):
    r = to_manager_review(org, review)
    client.force_login(org.manager_a)
    page = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert f'name="quote_{words["onboarding"].pk}"' in page and "Before A" not in page
    response = client.post(
        reverse("review-save", args=[r.pk]),
        {"version": r.version, f"quote_{words['onboarding'].pk}": "customer_experience"},
    )
    assert response.status_code == 302
    assert fresh(r).manager_quotes["customer_experience"][0]["comment"] == "Great onboarding"
    lines = [line for e in selectors.timeline_of(fresh(r), org.manager_a) for line in e["lines"]]
    assert {
        "label": "Customers' words in the manager's review · Customer experience: service, NPS and CSAT",
        "before": "—",
        "after": "Alpha (NPS 9/10)",
    } in lines
    # Too many, or a wrong one, from the page: a message next to the list, nothing saved.
    response = client.post(
        reverse("review-save", args=[r.pk]), {"version": fresh(r).version, "quote_999999": "outcomes"}
    )
    assert response.status_code == 302
    page = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert "not one of this CSM&#x27;s customers&#x27; comments" in page
