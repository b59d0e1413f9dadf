"""Emails and PDFs in the reader's language: an email in its recipient's; a cycle's zip holds each
review PDF in its CSM's language and the summary in the language of the HR person who asked for it.

Without the translators' catalogs the period's label shows the language (Babel: "Q3 2026" in English,
"T3 2026" in Spanish, "2026 Ç3" in Turkish), as does the PDF's /Lang (WeasyPrint takes <html lang>)."""

from __future__ import annotations

import datetime
import io
import subprocess

import pytest
from django.utils import timezone
from pypdf import PdfReader

from kpis import services as kpi_services
from kpis.periods import Period
from notifications import mail
from notifications.models import Kind, Notification, PersonSettings
from reviews.cycles import services
from reviews.models import CycleExport
from reviews.output import exports
from tests import factories
from tests.kpis import world

D = datetime.date


def _choose(person, language):
    PersonSettings.objects.update_or_create(person=person, defaults={"language": language})


def _pdf(data: bytes) -> tuple[str, str]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text, str(reader.trailer["/Root"].get("/Lang", ""))


@pytest.mark.django_db
def test_an_email_is_in_its_recipients_language(org):
    _choose(org.csm_a, "es")
    note = Notification.objects.create(
        recipient=org.csm_a,
        kind=Kind.CYCLE_OPENED,
        text="The Q3 review cycle is open.",
        created_at=datetime.datetime(2026, 12, 7, 12, tzinfo=datetime.UTC),
    )
    es = mail.build(org.csm_a, Kind.CYCLE_OPENED, [note], digest=True)
    assert es.extra_headers["Content-Language"] == "es"
    html = es.alternatives[0][0]
    assert '<html lang="es">' in html and "(7 de diciembre de 2026)" in html
    en = mail.build(org.csm_b, Kind.CYCLE_OPENED, [note], digest=True)  # no choice: the organisation's
    assert en.extra_headers["Content-Language"] == "en"
    assert "(7 Dec 2026)" in en.alternatives[0][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "subject", "day"),
    [
        ("es", "Tu semana: 2 notificaciones sin leer", "7 de diciembre de 2026"),
        ("pt-br", "Sua semana: 2 notificações não lidas", "7 de dezembro de 2026"),
        ("zh-hans", "您的一周：2 条未读通知", "2026年12月7日"),
        ("tr", "Haftanız: 2 okunmamış bildirim", "7 Aralık 2026"),
    ],
)
def test_a_weekly_email_in_each_language(language, subject, day):
    """The subject (a plural: Spanish takes its third form for 2) and the dates, in the recipient's
    language, with the header and <html lang> saying it."""
    person = factories.CsmFactory(email="reader@example.com")
    _choose(person, language)
    at = datetime.datetime(2026, 12, 7, 12, tzinfo=datetime.UTC)
    notes = [
        Notification.objects.create(recipient=person, kind=Kind.CYCLE_OPENED, text="", created_at=at),
        Notification.objects.create(recipient=person, kind=Kind.REVIEW_REOPENED, text="", created_at=at),
    ]
    message = mail.build(person, Kind.CYCLE_OPENED, notes, digest=True)
    assert message.subject == subject
    assert message.extra_headers["Content-Language"] == language
    html = message.alternatives[0][0]
    assert f'<html lang="{language}">' in html and f"({day})" in html
    assert f"({day})" in message.body


@pytest.fixture
def zipped(db, settings, tmp_path):
    """A 2026-Q3 cycle's PDFs rendered as the zip's workers render them: Ann chose Spanish, Bob Chinese,
    the other CSMs nothing; the HR person who asked chose Turkish."""
    settings.TIME_ZONE = "America/New_York"
    settings.MEDIA_ROOT = str(tmp_path)
    w = world.build()
    hr = factories.HrFactory(email="hr@example.com")
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=D(2026, 11, 1))
    cycle = services.cycle_create(
        user=hr, period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )
    services.cycle_open(user=hr, cycle=cycle)
    _choose(w["ann"], "es")
    _choose(w["bob"], "zh-hans")
    _choose(w["cat"], "pt-br")
    _choose(hr, "tr")
    export = CycleExport.objects.create(
        cycle=cycle, created_by=hr, total=2, attempt=1, sends=1, status="running", queued_at=timezone.now()
    )
    ids = list(cycle.reviews.values_list("pk", flat=True))
    assert exports.export_render_chunk(export_id=export.pk, review_ids=ids, attempt=1) == len(ids)
    assert exports.export_render_summary(export_id=export.pk, attempt=1)
    folder, names = exports._folder(export), exports.zip_names(cycle.pk)
    pdfs = {r.csm.email.split("@")[0]: folder / names[r.pk] for r in cycle.reviews.select_related("csm")}
    pdfs["summary"] = exports._summary_path(export)
    return pdfs


def test_a_cycles_zip_holds_each_pdf_in_its_csms_language_chinese_with_a_cjk_font(zipped):
    """One zip (built once: it costs a KPI run and the cycle's PDFs) for both: each PDF's language, and the
    Chinese one drawn with an embedded CJK font that gives its words back."""
    ann_text, ann_lang = _pdf(zipped["ann"].read_bytes())
    assert ann_lang == "es" and "T3 2026" in ann_text and "Q3 2026" not in ann_text
    # The default template's sections, as the product wrote them in each language (its catalogs).
    assert "Resultados: retención y crecimiento de la cartera" in " ".join(ann_text.split())
    cat_text, cat_lang = _pdf(zipped["cat"].read_bytes())
    assert cat_lang == "pt-br" and "Resultados: retenção e crescimento da carteira" in " ".join(
        cat_text.split()
    )
    others = [name for name in zipped if name not in ("ann", "bob", "cat", "summary")]
    assert others
    for name in others:  # no choice: the organisation's language
        text, lang = _pdf(zipped[name].read_bytes())
        assert lang == "en" and "Q3 2026" in text, name
    summary_text, summary_lang = _pdf(zipped["summary"].read_bytes())
    assert summary_lang == "tr" and "2026 Ç3" in summary_text
    # Bob's, in Chinese: the simplified-Chinese face is embedded, and the text comes back.
    fonts = subprocess.run(
        ["pdffonts", str(zipped["bob"])], capture_output=True, text=True, check=True
    ).stdout
    assert "Noto-Sans-CJK-SC" in fonts, fonts  # embedded (emb yes), the simplified-Chinese face
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(zipped["bob"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2026年第3季度" in text  # the period, as Chinese writes it (Babel)
    assert "Q3 2026" not in text
