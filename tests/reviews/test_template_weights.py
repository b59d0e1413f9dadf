"""A review template weighs each quantity once: metrics that are the same quantity on another scale
are declared in the KPI registry (``Metric.same_quantity_as``), and a template that weighs both is
saved with a warning. The default template weighs NRR (through its lift) and not the portfolio growth
rate (NRR − 100)."""

import json
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from kpis.engine.components import C, Components
from kpis.engine.formulas import derive
from kpis.registry import METRICS, REGISTRY, same_quantity_pairs
from reviews.models import (
    DEFAULT_INPUT_QUESTIONS,
    DEFAULT_KPI_WEIGHTS,
    DEFAULT_SCALE,
    DEFAULT_SECTIONS,
    ReviewTemplate,
)
from reviews.writing import snapshot

SPEC = {"weight": 1, "floor": 90, "target": 100, "stretch": 110}
GROWTH = {"weight": 1, "floor": -10, "target": 0, "stretch": 10}


def test_the_growth_rate_is_nrr_minus_100_so_the_registry_says_they_are_one_quantity():
    assert REGISTRY["portfolio_growth_rate"].same_quantity_as == "nrr"
    # Cohorts worked by hand: 1800 -> 1700 (NRR 94.44 %, growth -5.56 %) and 2000 -> 2300 (115 %, +15 %).
    for start, end, nrr, rate in (("1800", "1700", "94.44", "-5.56"), ("2000", "2300", "115.00", "15.00")):
        v = derive(Components({C.COHORT: 2, C.MRR_START: Decimal(start), C.MRR_END: Decimal(end)}))
        assert (v["nrr"].value, v["portfolio_growth_rate"].value) == (Decimal(nrr), Decimal(rate))
        assert v["portfolio_growth_rate"].value == v["nrr"].value - 100


def test_every_declared_pair_names_a_scored_metric_and_is_found_once():
    declared = [m for m in METRICS if m.same_quantity_as]
    assert declared
    for m in declared:
        other = REGISTRY[m.same_quantity_as]
        assert other.scored and m.scored and other.key != m.key and m.same_quantity_how
    pairs = same_quantity_pairs(["nrr", "csat", "portfolio_growth_rate", "nps"])
    assert [(a.key, b.key) for a, b in pairs] == [("nrr", "portfolio_growth_rate")]
    assert same_quantity_pairs(["nrr", "gross_retention", "portfolio_growth"]) == []


def test_the_default_template_counts_each_quantity_once(db):
    assert "nrr_lift" in DEFAULT_KPI_WEIGHTS and "portfolio_growth_rate" not in DEFAULT_KPI_WEIGHTS
    assert snapshot.template_warnings(kpi_weights=DEFAULT_KPI_WEIGHTS) == []
    assert snapshot.template_default().kpi_weights == DEFAULT_KPI_WEIGHTS


def test_weighing_nrr_and_the_growth_rate_is_warned_about():
    warnings = snapshot.template_warnings(
        kpi_weights={"nrr": SPEC, "portfolio_growth_rate": GROWTH, "csat": SPEC}
    )
    assert warnings == [
        "MRR retention (NRR) and Portfolio growth rate are the same quantity (the portfolio growth rate is "
        "NRR minus 100): weighing both counts it twice in the suggested rating. Keep one of them."
    ]
    assert snapshot.template_warnings(kpi_weights={"portfolio_growth_rate": GROWTH}) == []


def _form(**weights):
    return {
        "name": "Growth-heavy review",
        # As written (English); no translation (reviews/translation.py).
        "sections_en": json.dumps(DEFAULT_SECTIONS),
        "rating_scale_en": json.dumps(DEFAULT_SCALE),
        "input_questions_en": json.dumps(DEFAULT_INPUT_QUESTIONS),
        "input_rating": "on",
        "kpi_weights": json.dumps(weights),
        "okr_weight": "2",
        "min_samples": json.dumps({}),
        "self_rating": "on",
    }


def test_the_admin_saves_a_template_that_counts_nrr_twice_with_a_warning(org, client):
    client.force_login(org.admin)
    response = client.post(
        reverse("admin:reviews_reviewtemplate_add"),
        _form(nrr=SPEC, portfolio_growth_rate=GROWTH),
        follow=True,
    )
    assert response.status_code == 200
    saved = ReviewTemplate.objects.get(name="Growth-heavy review")
    assert set(saved.kpi_weights) == {"nrr", "portfolio_growth_rate"}
    said = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    assert ("warning", snapshot.template_warnings(kpi_weights=saved.kpi_weights)[0]) in said
    assert "are the same quantity" in response.content.decode()
    # Changed to weigh NRR alone: saved without a warning.
    response = client.post(
        reverse("admin:reviews_reviewtemplate_change", args=[saved.pk]), _form(nrr=SPEC), follow=True
    )
    assert "are the same quantity" not in response.content.decode()
    saved.refresh_from_db()
    assert set(saved.kpi_weights) == {"nrr"}


def test_the_admin_shows_an_invalid_template_on_the_form_and_writes_nothing(org, client):
    client.force_login(org.admin)
    bad = {"weight": 1, "floor": 12, "target": 4, "stretch": 1}  # NRR is better higher
    response = client.post(reverse("admin:reviews_reviewtemplate_add"), _form(nrr=bad))
    assert response.status_code == 200
    assert "better direction (higher)" in response.content.decode()
    assert not ReviewTemplate.objects.filter(name="Growth-heavy review").exists()


@pytest.mark.parametrize("key", ["touchpoints", "vibes"])
def test_a_metric_that_is_not_scored_is_refused_on_the_form(org, client, key):
    client.force_login(org.admin)
    response = client.post(reverse("admin:reviews_reviewtemplate_add"), _form(**{key: SPEC}))
    assert response.status_code == 200
    assert "is not a scored metric" in response.content.decode()
    assert not ReviewTemplate.objects.exists()


def test_the_documented_default_weights_are_the_template_s():
    from pathlib import Path

    text = Path(__file__).resolve().parents[2].joinpath("docs", "metrics.md").read_text()
    section = text.split("## The default review template")[1].split("\n## ")[0]
    rows = {
        cells[0].strip("` "): [Decimal(c) for c in cells[1:]]
        for line in section.splitlines()
        if line.startswith("| `")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    assert rows == {
        key: [Decimal(str(spec[k])) for k in ("weight", "floor", "target", "stretch")]
        for key, spec in DEFAULT_KPI_WEIGHTS.items()
    }
