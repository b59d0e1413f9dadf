"""Each metric's sample names its own unit (the sample column said "121 accounts" for
touchpoints): declared once per metric in the registry, with plural forms, on the review page, its
PDF, the explanation of the suggested rating and the scorecard."""

import datetime

import pytest
from django.urls import reverse

from kpis import services as kpi_services
from kpis.periods import Period
from kpis.registry import METRICS, REGISTRY, SAMPLE_UNITS, Metric
from reviews import wording
from reviews.cycles import services
from reviews.models import Review
from tests import factories
from tests.kpis import world

D = datetime.date


@pytest.mark.parametrize(
    ("key", "n", "words"),
    [
        ("touchpoints", 121, "121 touchpoints"),
        ("touchpoints", 1, "1 touchpoint"),
        ("nrr", 121, "121 accounts"),
        ("nrr", 1, "1 account"),
        ("book_size", 0, "0 accounts"),
        ("nps", 1, "1 response"),
        ("nps_change", 7, "7 responses"),  # said "accounts" before
        ("csat", 2, "2 responses"),
        ("first_response_hours", 1, "1 ticket"),
        ("contacts_to_resolve", 12, "12 tickets"),  # said "accounts" before
        ("onboarding_days", 3, "3 onboardings"),
        ("stickiness", 1, "1 usage reading"),
        ("referrals", 2, "2 advocacy events"),
        ("health_good_share", 1, "1 account"),
    ],
)
def test_each_metric_names_its_own_sample(key, n, words):
    assert REGISTRY[key].sample_words(n) == words
    assert wording.sample_words(key, n) == words


def test_every_metric_declares_a_known_sample_unit():
    assert all(m.sample in SAMPLE_UNITS for m in METRICS)
    with pytest.raises(ValueError, match="unknown sample unit 'widgets'"):
        Metric("x", "X", "count", "higher", "kpi", "help", sample="widgets")
    with pytest.raises(TypeError):  # no default: a new metric must say what its sample counts
        Metric("x", "X", "count", "higher", "kpi", "help")


def test_left_out_for_few_data_names_the_unit():
    assert wording.left_out_reason(
        {"metric": "escalation_rate", "reason": "few_data", "sample": 3, "min_sample": 10}
    ) == ("too few tickets: 3 of at least 10")


@pytest.fixture
def w(db, settings, tmp_path):
    settings.TIME_ZONE = "America/New_York"
    settings.MEDIA_ROOT = str(tmp_path)
    w = world.build()
    w["hr"] = factories.HrFactory(email="hr@example.com")
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=D(2026, 11, 1))
    return w


def test_the_scorecard_and_the_review_page_name_the_unit_of_each_sample(client, w):
    """Ann logged 3 touchpoints in Q3 (tests/kpis/world.py) in a book of 3 starting accounts."""
    client.force_login(w["hr"])
    html = client.get(reverse("scorecard", args=[w["ann"].pk]) + "?period=2026-Q3").content.decode()
    row = html[html.index('id="metric-touchpoints"') :]
    assert '<td class="num muted nowrap">3 touchpoints</td>' in row[: row.index("</tr>")]

    cycle = services.cycle_create(
        user=w["hr"], period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )
    services.cycle_open(user=w["hr"], cycle=cycle)
    review = Review.objects.get(cycle=cycle, csm=w["ann"])
    # A large book, as the outside walk saw it: 121 touchpoints, 1 NPS response.
    for m in review.snapshot["metrics"]:
        if m["metric"] == "touchpoints":
            m["sample_size"] = 121
        if m["metric"] == "nps":
            m["sample_size"] = 1
    Review.objects.filter(pk=review.pk).update(snapshot=review.snapshot)
    html = client.get(reverse("review-detail", args=[review.pk])).content.decode()

    def sample(key):
        row = html[html.index(f'id="snap-{key}"') :]
        return row[: row.index("</tr>")]

    assert "121 touchpoints" in sample("touchpoints") and "accounts" not in sample("touchpoints")
    assert ">1 response</span><br>" in sample("nps")
