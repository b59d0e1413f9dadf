"""Turkish writes the percent sign before the number (%90, %66,7) and starts a sentence or a label
with a capital, also when the label begins with a metric's name ("Hesap elde tutma oranı için
beklenti farkı", never "hesap elde ..."). Numbers with a percent come from core.formatting
(Babel), never glued by hand."""

import re
from decimal import Decimal
from pathlib import Path

import polib
from django.utils import translation

from kpis import charts, lifts_shown
from kpis.registry import REGISTRY, label

ROOT = Path(__file__).resolve().parents[2]
# A number, or a placeholder for one, followed by a percent sign: "90 %", "99,8 %", "%(p)s %%".
PERCENT_AFTER = re.compile(r"\d ?%(?![(%])|\d ?%%|\)[sd] ?%%")


def test_no_turkish_entry_puts_the_percent_sign_after_the_number():
    po = polib.pofile(str(ROOT / "locale/tr/LC_MESSAGES/django.po"))
    after = [
        (e.msgid, text)
        for e in po
        if not e.obsolete
        for text in [e.msgstr, *e.msgstr_plural.values()]
        if PERCENT_AFTER.search(text)
    ]
    assert after == []


def test_every_metric_name_starts_with_a_capital_in_turkish():
    with translation.override("tr"):
        lower = [label(key) for key in REGISTRY if not label(key)[:1].isupper()]
        assert lower == []
        assert label("logo_retention_lift") == "Hesap elde tutma oranı için beklenti farkı"
        assert label("logo_retention_lift_low").endswith(", %90 ihtimalli aralığın alt sınırı")


def test_a_percentage_beside_a_lift_is_written_the_turkish_way():
    with translation.override("tr"):
        assert lifts_shown.percent(Decimal("88.75")) == "%88,75"
        assert lifts_shown.interval_words(Decimal("-2.61"), Decimal("9.25")) == "(%90 aralığı −2,61 – +9,25)"
        mix = str(
            charts.health_mix(
                ["2026-09"], [Decimal(60)], [Decimal(30)], [Decimal(10)], names=("İyi", "Orta", "Zayıf")
            )
        )
    assert "İyi %60, Orta %30, Zayıf %10" in mix  # the chart's words for a screen reader


def test_a_withheld_lifts_reason_writes_its_percentages_the_readers_way():
    """The reason a lift is withheld names two percentages: Babel's in each language, never a sign
    glued after the number by the sentence (it wrote "82.5 %" in English and "%%82,5" had to be
    spelled by each translator)."""
    from kpis.engine import reasons

    params = {
        "quarter": "2026-Q2",
        "outcome": "logo_retention",
        "predicted": 91.6,
        "actual": 97.2,
        "allowed": 5,
    }
    with translation.override("en"):
        assert "account retention of 91.6% and 97.2% happened, 5.6 points apart" in reasons.in_words(
            reasons.CALIBRATION_GAP, params
        )
    with translation.override("tr"):
        words = reasons.in_words(reasons.CALIBRATION_GAP, params)
        assert "%91,6 bekledi, gerçekleşen %97,2 oldu" in words
