"""What admins write carries a translation per language (django-modeltranslation): a review
template's sections, scale and questions to colleagues are read in the reader's language, or as
written (English) when that language has none. The admin edits each language; a translation keeps
the items (their keys, in order) and changes only their words."""

import datetime
import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse
from django.utils import translation

from reviews import wording
from reviews.cycles import services as cycle_services
from reviews.models import Review, ReviewTemplate

SECTIONS = [{"key": "outcomes", "title": "Outcomes"}, {"key": "growth", "title": "Growth of the book"}]
SECCIONES = [
    {"key": "outcomes", "title": "Resultados"},
    {"key": "growth", "title": "Crecimiento de la cartera"},
]
SCALE = [{"value": 1, "label": "Below"}, {"value": 2, "label": "Meets"}, {"value": 3, "label": "Above"}]


@pytest.fixture
def review(org):
    template = ReviewTemplate.objects.create(
        name="Translated", sections=SECTIONS, rating_scale=SCALE, kpi_weights={}, okr_weight=1, min_samples={}
    )
    ReviewTemplate.objects.filter(pk=template.pk).update(sections_es=SECCIONES)
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q2",
        self_review_due=datetime.date(2026, 7, 10),
        manager_review_due=datetime.date(2026, 7, 20),
        template=template,
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    return Review.objects.select_related("cycle__template").get(cycle=cycle, csm=org.csm_a)


def test_the_sections_read_in_the_reader_s_language_else_as_written(org, review):
    template = review.cycle.template
    assert (
        template.sections_en == SECTIONS
        and template.sections_es == SECCIONES
        and template.sections_tr is None
    )
    for language, title in (
        ("es", "Crecimiento de la cartera"),
        ("en", "Growth of the book"),
        ("tr", "Growth of the book"),
    ):
        with translation.override(language):
            assert wording.section_title(review, "growth") == title
    client = Client()
    client.force_login(org.manager_a)
    url = reverse("review-detail", args=[review.pk])
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Crecimiento de la cartera" in spanish and "Growth of the book" not in spanish
    assert "Growth of the book" in english and "Crecimiento" not in english


def test_the_admin_edits_each_language_and_refuses_a_translation_that_changes_the_items(org, review):
    org.admin.is_superuser = org.admin.is_staff = True
    org.admin.save()
    client = Client()
    client.force_login(org.admin)
    template = review.cycle.template
    url = reverse("admin:reviews_reviewtemplate_change", args=[template.pk])
    page = client.get(url).content.decode()
    for field in (
        "sections_en",
        "sections_es",
        "sections_pt_br",
        "sections_zh_hans",
        "sections_tr",
        "input_questions_es",
    ):
        assert f'name="{field}"' in page
    import json

    def post(**changes):
        data = {
            "name": template.name,
            "kpi_weights": '{"csat": {"weight": 1, "floor": 60, "target": 80, "stretch": 95}}',
            "okr_weight": "1",
            "min_samples": "{}",
            "self_rating": "on",
            "input_rating": "on",
        }
        for name in ("sections", "rating_scale", "input_questions"):
            for language in ("en", "es", "pt_br", "zh_hans", "tr"):
                value = getattr(template, f"{name}_{language}")
                data[f"{name}_{language}"] = "null" if value is None else json.dumps(value)
        data.update({k: json.dumps(v) for k, v in changes.items()})
        return client.post(url, data)

    wrong = [{"key": "outcomes", "title": "Resultados"}, {"key": "other", "title": "Otra"}]
    response = post(sections_es=wrong)
    assert (
        response.status_code == 200 and "the same items as the text as written" in response.content.decode()
    )
    assert ReviewTemplate.objects.get(pk=template.pk).sections_es == SECCIONES  # nothing saved
    turkish = [{"key": "outcomes", "title": "Sonuçlar"}, {"key": "growth", "title": "Portföy büyümesi"}]
    assert post(sections_tr=turkish).status_code == 302
    saved = ReviewTemplate.objects.get(pk=template.pk)
    assert (saved.sections_en, saved.sections_es, saved.sections_tr) == (SECTIONS, SECCIONES, turkish)


def test_the_migration_keeps_the_templates_written_before_as_english(org, review):
    template = review.cycle.template
    # As a template written before: its words in the original columns, none in the English ones.
    ReviewTemplate.objects.rewrite(False).filter(pk=template.pk).update(
        sections=SECTIONS, rating_scale=SCALE, sections_en=None, rating_scale_en=None, input_questions_en=None
    )
    # The models as the migration sees them (no translation fields' rewriting).
    state = MigrationLoader(connection).project_state(("reviews", "0013_review_templates_written_in_english"))
    importlib.import_module("reviews.migrations.0013_review_templates_written_in_english").forwards(
        state.apps, None
    )
    saved = ReviewTemplate.objects.get(pk=template.pk)
    assert (saved.sections_en, saved.rating_scale_en) == (SECTIONS, SCALE)
    with translation.override("pt-br"):
        assert saved.sections == SECTIONS


def test_a_request_for_input_keeps_the_questions_with_their_translations(org, review):
    from reviews.input.services import frozen_questions

    template = review.cycle.template
    spanish = [
        {"key": "strengths", "text": "¿Qué hicieron bien?"},
        {"key": "improve", "text": "¿Qué podrían mejorar?"},
        {"key": "other", "text": "¿Algo más?"},
    ]
    ReviewTemplate.objects.filter(pk=template.pk).update(input_questions_es=spanish)
    with translation.override("tr"):  # whoever asks, in whatever language
        frozen = frozen_questions(ReviewTemplate.objects.get(pk=template.pk))
    assert frozen[0] == {
        "key": "strengths",
        "text": "What did they do well on the accounts you worked together?",
        "translations": {"es": "¿Qué hicieron bien?"},
    }
    with translation.override("es"):
        assert [wording.question_text(q) for q in frozen] == [q["text"] for q in spanish]
    with translation.override("pt-br"):
        assert wording.question_text(frozen[1]) == "What could they do better?"


@pytest.mark.django_db
def test_the_default_template_arrives_in_every_language_the_product_speaks():
    """The product writes the default template: its sections, scale and questions come translated
    from the catalogs (compiled by make test), and stay English for an English reader."""
    from reviews.writing.snapshot import template_default

    with translation.override("es"):  # whoever first needs it, it is written as written
        template = template_default()
    template.refresh_from_db()
    with translation.override("es"):
        assert template.sections[0]["title"] == "Resultados: retención y crecimiento de la cartera"
        assert template.rating_scale[3] == {"value": 4, "label": "Supera lo esperado"}
        assert template.input_questions[1]["text"] == "¿Qué podría hacer mejor?"
    with translation.override("zh-hans"):
        assert template.rating_scale[4]["label"] == "卓越"
    with translation.override("en"):
        assert template.sections[0]["title"] == "Outcomes: retention and growth of the book"
        assert [s["key"] for s in template.sections] == [
            "outcomes",
            "customer_experience",
            "okrs",
            "product_expertise",
            "collaboration",
        ]
