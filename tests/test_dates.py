"""One date format across pages, emails and PDFs: "10 Dec 2026", and a moment with its
time and time zone, "10 Dec 2026, 14:05 EST" (core.dates, ``{% load dates %}``)."""

import datetime
import re
from pathlib import Path

import pytest
from django.template import Context, Template

from core import dates
from kpis import scorecards
from kpis.models import KpiRun, RunStatus
from kpis.periods import Period
from reviews.cycles import selectors as cycle_selectors

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "core",
    "devtools",
    "accounts",
    "activity",
    "datain",
    "kpis",
    "okrs",
    "reviews",
    "notifications",
    "web",
    "demo",
)
UTC = datetime.UTC


@pytest.fixture
def new_york(settings):
    settings.TIME_ZONE = "America/New_York"
    settings.LANGUAGE_CODE = "en"


def test_a_day_and_a_moment(new_york):
    assert dates.day(datetime.date(2026, 12, 10)) == "10 Dec 2026"
    # 19:05 UTC is 14:05 in New York in December (EST), and 00:30 UTC the 11th is still the 10th there.
    assert dates.moment(datetime.datetime(2026, 12, 10, 19, 5, tzinfo=UTC)) == "10 Dec 2026, 14:05 EST"
    assert dates.day(datetime.datetime(2026, 12, 11, 0, 30, tzinfo=UTC)) == "10 Dec 2026"
    assert dates.moment(datetime.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "1 Jul 2026, 08:00 EDT"
    assert dates.moment(datetime.date(2026, 12, 10)) == "10 Dec 2026"
    assert dates.day(None) == dates.moment(None) == ""
    page = Template('{% load dates %}{{ d|day }} · {{ t|moment }} · {{ n|day|default:"—" }}').render(
        Context(
            {
                "d": datetime.date(2031, 4, 1),
                "t": datetime.datetime(2026, 12, 10, 19, 5, tzinfo=UTC),
                "n": None,
            }
        )
    )
    assert page == "1 Apr 2031 · 10 Dec 2026, 14:05 EST · —"


@pytest.mark.django_db
def test_the_failed_run_warning_writes_its_moment_like_the_pages(new_york):
    run = KpiRun.objects.create(
        period="2026-Q3", as_of=datetime.date(2026, 11, 1), status=RunStatus.FAILED, error="x"
    )
    KpiRun.objects.filter(pk=run.pk).update(started_at=datetime.datetime(2026, 11, 2, 13, 7, tzinfo=UTC))
    warning = scorecards.freshness(Period.parse("2026-Q3")).warning
    assert "The last KPI run (Q3 2026, started 2 Nov 2026, 08:07 EST) failed: x." in warning
    assert "2026-11-02" not in warning


def test_reasons_name_days_like_the_pages(new_york):
    reason = cycle_selectors.new_hire_reason(first=datetime.date(2026, 9, 10), period=Period.parse("2026-Q3"))
    assert reason.startswith("New hire: first account on 10 Sep 2026, ")


def test_no_other_date_format_where_people_read():
    """Templates write dates through |day or |moment (a form's value keeps Y-m-d); the code through
    core.dates (core.formatting, Babel)."""
    found = []
    for path in (ROOT / "templates").rglob("*.*"):
        for fmt in re.findall(r"\|date:[\"']([^\"']*)[\"']", path.read_text(encoding="utf-8")):
            if fmt != "Y-m-d":
                found.append(f"{path.relative_to(ROOT)}: {fmt}")
    human = re.compile(r"""(?:date_format|strftime)\([^)]*["'][^"']*(?:\bj\b|%d(?!T)|%Y-%m-%d %H)""")
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if path.parent == ROOT / "core" and path.name in ("dates.py", "formatting.py"):
                continue
            if "migrations" in path.parts:
                continue
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if human.search(line) or re.search(r"\bj F Y\b", line):
                    found.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert found == []
