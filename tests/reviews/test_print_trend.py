"""The trend charts of a review PDF (``reviews.output.pdf.trend_svg``): the periods under the axis
short and in the reader's language (Babel's abbreviated quarter and month names, the year on a
second line where it changes), never touching one another, even in Chinese, where "2024年第4季度"
under each of eight quarters once ran into its neighbours; the y axis in the metric's unit, the
language's way ("%79" in Turkish)."""

import itertools
import re
import unicodedata

import pytest
from django.utils import translation

from reviews.output.pdf import period_axis, trend_svg

EIGHT = ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
TWELVE = [f"2025-{m:02d}" for m in range(10, 13)] + [f"2026-{m:02d}" for m in range(1, 10)]


def texts(svg: str) -> list[tuple[float, float, float, str]]:
    """(x, y, font size, words) of each text element."""
    out = []
    for attrs, words in re.findall(r"<text ([^>]*)>([^<]*)</text>", svg):
        a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        out.append((float(a["x"]), float(a["y"]), float(a.get("font-size", 9)), words))
    return out


def width(text: str, size: float) -> float:
    # Generous: a wide (CJK) character is a square; any other a little over half of one.
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.62 * size for c in text)


def assert_apart(svg: str):
    """No two labels on the same line overlap (with 2 px between them)."""
    rows: dict[float, list] = {}
    for x, y, size, words in texts(svg):
        rows.setdefault(y, []).append((x - width(words, size) / 2, x + width(words, size) / 2, words))
    for row in rows.values():
        row.sort()
        for (_a, end, left), (start, _b, right) in itertools.pairwise(row):
            assert end + 2 <= start, (left, right)


@pytest.mark.parametrize(
    ("language", "quarters", "years"),
    [
        ("zh-hans", ["4季度", "1季度", "2季度", "3季度"], ["2024年", "2025年", "", "", "", "2026年", "", ""]),
        ("tr", ["Ç4", "Ç1", "Ç2", "Ç3"], ["2024", "2025", "", "", "", "2026", "", ""]),
        ("es", ["T4", "T1", "T2", "T3"], ["2024", "2025", "", "", "", "2026", "", ""]),
        ("en", ["Q4", "Q1", "Q2", "Q3"], ["2024", "2025", "", "", "", "2026", "", ""]),
    ],
)
def test_quarters_are_written_short_with_the_year_where_it_changes(language, quarters, years):
    with translation.override(language):
        axis = period_axis(EIGHT)
    assert [name for name, _year in axis[:4]] == quarters
    assert [year for _name, year in axis] == years


def test_months_take_babels_short_names():
    with translation.override("tr"):
        assert period_axis(["2026-08", "2026-09"]) == [("Ağu", "2026"), ("Eyl", "")]
    with translation.override("zh-hans"):
        assert period_axis(["2026-09"]) == [("9月", "2026年")]


@pytest.mark.parametrize("language", ["zh-hans", "tr", "es", "pt-br", "en"])
@pytest.mark.parametrize("periods", [EIGHT, TWELVE], ids=["quarters", "months"])
def test_no_label_under_a_trend_touches_another(language, periods):
    with translation.override(language):
        svg = trend_svg(periods, [10 + i for i in range(len(periods))], unit="days")
    assert_apart(svg)
    assert texts(svg)[-4][3] in {"3季度", "Ç3", "T3", "Q3", "9月", "Eyl", "sept", "set.", "Sep"}


def test_twenty_four_chinese_months_are_thinned_from_the_latest():
    two_years = [
        f"{2024 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}" for m in range(10, 34)
    ]  # 2024-10 .. 2026-09
    with translation.override("zh-hans"):
        svg = trend_svg(two_years, [1] * 24, unit="")
    months = [w for _x, _y, _s, w in texts(svg) if w.endswith("月")]
    assert months[-3:] == ["3月", "6月", "9月"]  # every third month, counted back from the latest
    assert_apart(svg)


def test_the_y_axis_writes_a_percentage_the_languages_way():
    with translation.override("tr"):
        svg = trend_svg(EIGHT[:3], [62, 70.5, 79], unit="percent")
    assert {"%62", "%79"} <= {w for *_p, w in texts(svg)}
    with translation.override("es"):
        svg = trend_svg(EIGHT[:3], [62, 70.5, 79], unit="percent")
    assert {"62\u00a0%", "79\u00a0%"} <= {w for *_p, w in texts(svg)}
