"""Numbers, money, percentages, dates and periods written the reader's language's way (core.formatting,
Babel), in the template filters, the PDFs' and emails' helpers; CSV exports and the API stay plain.

Every expected value is worked out by hand from CLDR's rules for the language: Spanish and Turkish
group with "." and separate decimals with ","; Brazilian Portuguese too, with the currency sign first;
Chinese as English. Babel separates a sign from its number with a no-break space (\\xa0)."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from core import dates, formatting
from kpis import periods, services
from kpis.periods import Period
from kpis.templatetags import kpi_format
from notifications.models import PersonSettings
from tests.kpis import world

NBSP = "\xa0"
AMOUNT = Decimal("1234567.50")


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("en", "USD", "$1,234,567.50"),
        ("es", "EUR", f"1.234.567,50{NBSP}€"),
        ("pt-br", "BRL", f"R${NBSP}1.234.567,50"),
        ("zh-hans", "CNY", "¥1,234,567.50"),
        ("tr", "TRY", "₺1.234.567,50"),
    ],
)
def test_money_in_each_language(settings, language, currency, expected):
    settings.CURRENCY = currency
    with translation.override(language):
        assert formatting.money(AMOUNT) == expected
        assert kpi_format.money(AMOUNT) == expected  # the scorecards' filter
        assert Template("{% load kpi_format %}{{ a|money }}").render(Context({"a": AMOUNT})) == expected


@pytest.mark.parametrize(
    ("language", "number", "whole", "percent", "share"),
    [
        ("en", "1,234,567.50", "12,400", "7.5%", "94%"),
        ("es", "1.234.567,50", "12.400", f"7,5{NBSP}%", f"94{NBSP}%"),
        ("pt-br", "1.234.567,50", "12.400", "7,5%", "94%"),
        ("zh-hans", "1,234,567.50", "12,400", "7.5%", "94%"),
        ("tr", "1.234.567,50", "12.400", "%7,5", "%94"),
    ],
)
def test_numbers_and_percentages_in_each_language(language, number, whole, percent, share):
    with translation.override(language):
        assert formatting.number(AMOUNT, 2) == number
        assert formatting.integer(12400) == whole
        assert formatting.percent(Decimal("7.5"), 1) == percent
        assert formatting.percent(94) == share
        rendered = Template("{% load formatting %}{{ a|number:2 }} {{ n|integer }} {{ p|percent:1 }}").render(
            Context({"a": AMOUNT, "n": 12400, "p": Decimal("7.5")})
        )
        assert rendered == f"{number} {whole} {percent}"
        # A metric in percent (NRR) on a scorecard: two decimals.
        assert kpi_format.format_value(Decimal("96.97"), "nrr") == formatting.percent(Decimal("96.97"), 2)


@pytest.mark.parametrize(
    ("language", "day", "quarter", "month"),
    [
        ("en", "7 Dec 2026", "Q3 2026", "September 2026"),
        ("es", "7 de diciembre de 2026", "T3 2026", "septiembre de 2026"),
        ("pt-br", "7 de dezembro de 2026", "T3 de 2026", "setembro de 2026"),
        ("zh-hans", "2026年12月7日", "2026年第3季度", "2026年9月"),
        ("tr", "7 Aralık 2026", "2026 Ç3", "Eylül 2026"),
    ],
)
def test_dates_and_periods_in_each_language(language, day, quarter, month):
    with translation.override(language):
        assert dates.day(datetime.date(2026, 12, 7)) == day
        assert (
            Template("{% load dates %}{{ d|day }}").render(Context({"d": datetime.date(2026, 12, 7)})) == day
        )
        assert periods.period_label("2026-Q3") == quarter
        assert periods.period_label("2026-09") == month


def test_a_moment_is_the_day_and_the_time_in_the_readers_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    at = datetime.datetime(2026, 12, 7, 19, 5, tzinfo=datetime.UTC)
    with translation.override("es"):
        assert dates.moment(at) == "7 de diciembre de 2026, 14:05 EST"
    with translation.override("en"):
        assert dates.moment(at) == "7 Dec 2026, 14:05 EST"


def test_nothing_to_write_gives_nothing():
    assert (
        formatting.number(None) == formatting.money("") == formatting.percent(None) == dates.day(None) == ""
    )


def test_the_suggested_rating_explained_writes_its_points_shares_and_contributions_in_turkish():
    """The table under "How the suggested rating is made" (page and PDF): its points, shares and
    contributions are stored as plain decimals ("2.14", "50.0") and were shown so in every language."""
    from django.template.loader import render_to_string

    from reviews.models import ReviewTemplate
    from reviews.writing import explain

    template = ReviewTemplate(
        name="t", rating_scale=[{"value": v, "label": f"level {v}"} for v in range(1, 6)]
    )
    detail = {
        "parts": [
            {"metric": "nrr", "weight": "3", "value": "95.71", "rating": "2.14"},
            {"metric": "okr_score", "weight": "1.5", "value": "0.36", "rating": "2.44"},
        ],
        "missing": [],
        "rounded": 2,
    }
    # Weights 3 + 1.5 = 4.5. nrr: 3 / 4.5 = 66.7 %, 3 x 2.14 / 4.5 = 1.43; OKR: 33.3 %,
    # 1.5 x 2.44 / 4.5 = 0.81. Turkish: "," for decimals, the percent sign first.
    with translation.override("tr"):
        shown = explain.suggested_explained(Decimal("2.24"), detail, template)
        html = render_to_string("reviews/_explained.html", {"explained": shown})
    cells = re.findall(
        r'<t[dh] class="num">(?:<strong>)?([^<]*)', html.split("</thead>")[1].replace(NBSP, " ")
    )
    # nrr: weight, floor, target, stretch, value, sample, points, share, contribution
    assert cells[:9] == ["3", "—", "—", "—", "%95,71", "", "2,14", "%66,7", "1,43"]
    # OKR: weight, 0, (nothing), 1, value, (no sample), points, share, contribution; then the total
    assert cells[9:18] == ["1,5", "0,00", "", "1,00", "0,36", "", "2,44", "%33,3", "0,81"]
    assert cells[18:] == ["%100", "2,24"]


# --- machine formats stay machine-readable -------------------------------------------------------


@pytest.fixture
def kpi_world(db, settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    return w


def test_csv_exports_and_the_api_stay_plain_in_spanish(client, kpi_world):
    manager = kpi_world["team_a"].manager
    PersonSettings.objects.create(person=manager, language="es")
    client.force_login(manager)
    url = reverse("team-detail", args=[kpi_world["team_a"].pk]) + "?period=2026-Q3&segment=smb"
    page = client.get(url).content.decode()
    assert f"96,97{NBSP}%" in page  # the page speaks Spanish ...
    rows = list(csv.reader(io.StringIO(client.get(url + "&format=csv").content.decode())))
    nrr = next(i for i, header in enumerate(rows[0]) if "(NRR)" in header)
    assert rows[-1][nrr] == "96.97"  # ... the CSV keeps a plain decimal
    api = client.get("/api/v1/kpis/?period=2026-Q3&metric=nrr", HTTP_ACCEPT_LANGUAGE="es").json()
    values = {r["subject"]: r for r in api["results"] if r["metric"] == "nrr"}
    assert values and all(re.fullmatch(r"-?\d+\.\d\d", r["value"]) for r in values.values())
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", r["computed_at"]) for r in values.values())
