import datetime

import pytest

from kpis.periods import Period, PeriodError

D = datetime.date


def test_parse_quarter_and_month():
    q = Period.parse("2026-Q3")
    assert (q.start, q.end) == (D(2026, 7, 1), D(2026, 10, 1))
    m = Period.parse("2026-09")
    assert (m.start, m.end) == (D(2026, 9, 1), D(2026, 10, 1))
    assert str(q) == "2026-Q3" and str(m) == "2026-09"


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "2026-9", "Q3-2026", "", "2026-Q0"])
def test_bad_periods_are_refused_with_the_expected_forms(text):
    with pytest.raises(PeriodError, match="write 2026-Q3 for a quarter or 2026-09 for a month"):
        Period.parse(text)


def test_previous_next_and_year_boundaries():
    assert str(Period.parse("2026-Q1").previous()) == "2025-Q4"
    assert str(Period.parse("2026-01").previous()) == "2025-12"
    assert str(Period.parse("2025-Q4").next()) == "2026-Q1"
    assert [str(p) for p in Period.parse("2026-Q3").months()] == ["2026-07", "2026-08", "2026-09"]
    assert [str(p) for p in Period.parse("2026-Q1").last(3)] == ["2025-Q3", "2025-Q4", "2026-Q1"]


def test_to_date_end():
    q = Period.parse("2026-Q3")
    assert q.end_to_date(D(2026, 8, 15)) == D(2026, 8, 16)
    assert q.end_to_date(D(2026, 12, 1)) == D(2026, 10, 1)
    assert q.end_to_date(None) == D(2026, 10, 1)


def test_containing_and_range():
    assert str(Period.containing(D(2026, 11, 22))) == "2026-Q4"
    assert str(Period.containing(D(2026, 11, 22), "month")) == "2026-11"
    assert [str(p) for p in Period.parse_range("2025-Q3..2026-Q1")] == ["2025-Q3", "2025-Q4", "2026-Q1"]
    with pytest.raises(PeriodError):
        Period.parse_range("2026-Q1..2025-Q3")
    with pytest.raises(PeriodError):
        Period.parse_range("2026-Q1..2026-03")


def test_fiscal_year_offset(settings):
    settings.FISCAL_YEAR_START_MONTH = 4
    q1 = Period.parse("2026-Q1")
    assert (q1.start, q1.end) == (D(2026, 4, 1), D(2026, 7, 1))
    q4 = Period.parse("2026-Q4")
    assert (q4.start, q4.end) == (D(2027, 1, 1), D(2027, 4, 1))
    assert str(Period.containing(D(2027, 2, 10))) == "2026-Q4"
    assert str(Period.containing(D(2026, 4, 1))) == "2026-Q1"


def test_a_period_is_labelled_as_people_say_it(settings):
    from django.utils import translation

    from kpis import charts
    from kpis.periods import period_label, period_short_label
    from notifications import labels

    assert period_label("2026-Q4") == period_label(Period.parse("2026-Q4")) == "Q4 2026"
    assert period_label("2026-09") == "September 2026" and period_short_label("2026-09") == "Sep 2026"
    assert period_label("last year") == "last year"  # not a period: as it is
    assert labels.period_label is period_label  # one label for pages, emails and chat
    assert charts.short_period("2026-Q3") == "Q3 ’26" and charts.short_period("2026-09") == "Sep ’26"
    assert charts.in_words("NRR bridge of Ana, 2026-Q3, as of 2026-09-30") == (
        "NRR bridge of Ana, Q3 2026, as of 2026-09-30"
    )
    with translation.override("es"):
        assert period_label("2026-Q4") == "T4 2026" and period_label("2026-09") == "septiembre de 2026"
    # A language that writes the year first shortens it too (under a printed chart's points):
    # Turkish "2026 Ç3" -> "’26 Ç3"; Chinese "2026年第3季度" -> "26年第3季度" (no apostrophe in Chinese).
    with translation.override("tr"):
        assert charts.short_period("2026-Q3") == "’26 Ç3"
    with translation.override("zh-hans"):
        assert charts.short_period("2026-Q3") == "26年第3季度" and charts.short_period("2026-09") == "26年9月"
    settings.FISCAL_YEAR_START_MONTH = 4
    assert period_label("2026-Q1") == "Q1 FY2026 (April to June 2026)"
    assert period_short_label("2026-Q1") == "Q1 FY2026"
