"""The numbers a chart writes on its axes (and in its values' titles) in the reader's language:
"42,4" in Brazilian Portuguese, "42.4" in English (core.formatting.axis_number fed to pygal)."""

from __future__ import annotations

import base64
import re
from decimal import Decimal

import pytest
from django.utils import translation

from core import formatting
from kpis import charts


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["42.4", "1,250", "0", "-3.25", "100", "12,345.68"]),
        ("pt-br", ["42,4", "1.250", "0", "-3,25", "100", "12.345,68"]),
        ("tr", ["42,4", "1.250", "0", "-3,25", "100", "12.345,68"]),
        ("zh-hans", ["42.4", "1,250", "0", "-3.25", "100", "12,345.68"]),
    ],
)
def test_an_axis_number_has_the_languages_separators_and_only_the_decimals_it_needs(language, expected):
    values = [42.4, 1250.0, 0, Decimal("-3.25"), Decimal("100.00"), 12345.678]
    with translation.override(language):
        assert [formatting.axis_number(v) for v in values] == expected


def _texts(image: str) -> list[str]:
    """The texts an <img> chart (a base64 data: URL) draws."""
    svg = base64.b64decode(re.search(r'base64,([^"]+)"', image).group(1)).decode()
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def _axis_ticks(texts: list[str]) -> list[str]:
    return [t for t in texts if re.fullmatch(r"-?[\d.,]+", t)]


# Values between 42 and 43: the axis ticks are fractions (42.2, 42.4, ...), so the separator shows.
VALUES = [Decimal("42.1"), Decimal("42.4"), Decimal("42.9")]
LABELS = ["2026-Q1", "2026-Q2", "2026-Q3"]


def test_a_trend_chart_writes_its_axis_the_brazilian_way():
    with translation.override("pt-br"):
        ticks = _axis_ticks(_texts(charts.trend(LABELS, VALUES)))
    fractions = [t for t in ticks if not t.isdigit()]
    assert fractions, ticks
    assert all(re.fullmatch(r"42,\d{1,2}|43", t) for t in fractions), ticks
    assert "42,4" in ticks


def test_the_same_trend_in_english_keeps_the_point():
    with translation.override("en"):
        ticks = _axis_ticks(_texts(charts.trend(LABELS, VALUES)))
    assert "42.4" in ticks
    assert not any("," in t for t in ticks), ticks


def test_the_health_mix_and_calibration_axes_in_brazilian_portuguese():
    with translation.override("pt-br"):
        mix = _axis_ticks(
            _texts(
                charts.health_mix(
                    ["2026-09"], [Decimal(60)], [Decimal(30)], [Decimal(10)], names=("a", "b", "c")
                )
            )
        )
        cal = _axis_ticks(
            _texts(
                charts.calibration(
                    [{"predicted": Decimal("42.5"), "actual": Decimal("43.5"), "accounts": 10}],
                    names=("a", "b"),
                )
            )
        )
    # Whole percentages stay whole: no "20.0" from pygal's own formatting.
    assert "20" in mix and not any("." in t for t in mix), mix
    assert "40" in cal and not any("." in t for t in cal), cal
