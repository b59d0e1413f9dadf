"""Every word of a review PDF lies inside the page's margins. The suggested rating's table (ten
columns) once ran past the right edge on the demo organisation and cut its last column,
"Contribution", off: it is filled here with the widest values it shows (eight scored metrics in
days, hours and points, as on the demo's largest books)."""

import subprocess
import xml.etree.ElementTree as ET

from django.utils import translation

from reviews.models import Review
from reviews.output.pdf import review_pdf
from reviews.writing import explain
from tests.reviews.test_review_pages import submitted, w  # noqa: F401  (w is the fixture)

A4_WIDTH_PT = 595.28
RIGHT_MARGIN_PT = 14 / 25.4 * 72  # 14 mm, the stylesheet's @page margin
WIDE = {
    "name": "Onboarding time (time to value)",
    "weight": "3",
    "floor": "90.00 days",
    "target": "45.00 days",
    "stretch": "20.00 days",
    "value": "27.00 days",
    "sample": "116 onboardings",
    "rating": "4.44",
    "share": "25.0",
    "contribution": "1.25",
}


def test_every_word_of_a_full_rating_table_is_inside_the_page(w, tmp_path, monkeypatch):  # noqa: F811
    real = explain.suggested_explained

    def full(rating, detail, template):
        shown = real(rating, detail, template) or {}
        return {**shown, "rows": [WIDE] * 8, "rating": "3.52", "rounded": 4, "rounded_label": "Exceeds"}

    monkeypatch.setattr(explain, "suggested_explained", full)
    r = submitted(w)
    path = tmp_path / "r.pdf"
    path.write_bytes(review_pdf(Review.objects.get(pk=r.pk), viewer=w["hr"]))
    out = tmp_path / "r.html"
    subprocess.run(["pdftotext", "-bbox", str(path), str(out)], check=True)
    words = [
        (el.text, float(el.get("xMax"))) for el in ET.parse(out).getroot().iter() if el.tag.endswith("word")
    ]
    assert "CONTRIBUTION" in {t for t, _ in words} and "days" in {t for t, _ in words}
    assert [(t, x) for t, x in words if x > A4_WIDTH_PT - RIGHT_MARGIN_PT + 1] == []


def test_a_sample_is_never_broken_inside_its_noun_in_chinese(w, tmp_path):  # noqa: F811
    """A Chinese line may break between any two characters: the sample column once printed
    "19 个客" and, under it, "户". The sample stays on one line, in every language."""
    r = submitted(w)
    path = tmp_path / "r.pdf"
    with translation.override("zh-hans"):
        path.write_bytes(review_pdf(Review.objects.get(pk=r.pk), viewer=w["hr"]))
    out = tmp_path / "r.html"
    subprocess.run(["pdftotext", "-bbox", str(path), str(out)], check=True)
    words = [el.text for el in ET.parse(out).getroot().iter() if el.tag.endswith("word")]
    nouns = {"个客户", "个工单", "条回复", "个上线", "个客户推荐事件", "个使用读数"}
    assert nouns & set(words)  # the samples are there, whole
    pieces = {w for w in words if w and w not in nouns and any(w in n or n.startswith(w) for n in nouns)}
    assert pieces == set()
