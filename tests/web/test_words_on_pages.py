"""Pages speak the users' words, not the code's: every page a CSM, a manager, HR or an admin opens on
the demo organisation (periods, dates, reviews, OKRs, cycles, imports, KPI runs) shows no period
code (``2026-Q4``, ``2026-09``), no ISO date, no metric key, no field or enum name, no source or CSV
file name (but the name of the file the person uploaded, on its import page), and has a <title> of
its own, not just the site's name.

Only what a person reads counts: text nodes (a screen reader's SVG titles too), never attribute
values (links, form values and the period picker's option values keep their codes)."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from datain.models import ImportRun, ImportSource, ImportStatus, SyncRun, SyncStatus
from kpis.registry import METRICS
from okrs.models import Objective
from reviews.models import Review, ReviewCycle

TODAY = datetime.date(2026, 11, 15)
SITE_NAME = "CSM reviews & OKRs"
UPLOADED = "touchpoints-november.csv"  # the name the admin gave their file

QUARTER_CODE = re.compile(r"\b\d{4}-Q[1-4]\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?\b")
FILE_NAME = re.compile(r"\b[\w.-]+\.(?:py|csv)\b")
# A field, key or enum name: lower-case words joined by underscores (manager_review, seed_demo).
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
# Metric keys that are also English words (a sentence may say "touchpoints").
ENGLISH_KEYS = {"referrals", "onboardings", "stickiness", "touchpoints"}
METRIC_KEYS = [*sorted({m.key for m in METRICS} - ENGLISH_KEYS), "okr_score"]
METRIC_KEY = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, METRIC_KEYS)) + r")(?![\w-])")
# Pages whose column and setting names are the file contract a person types in (shown as such).
DATA_PAGES = {"imports", "import", "sources"}


class Visible(HTMLParser):
    """The text a person reads, without scripts and styles, and without <code>: the literal
    names and values a person types in or pasted (CSV columns, settings, a refused cell); the
    <title> apart."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.prose, self.title = [], []
        self.skip = self.code = 0
        self.in_title = self.in_body = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "code":
            self.code += 1
        elif tag == "body":
            self.in_body = True
        elif tag == "title" and not self.in_body:  # a chart's <title> is read as the chart's name
            self.in_title = True

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        elif tag == "code":
            self.code -= 1
        elif tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.skip:
            return
        if self.in_title:
            self.title.append(data)
            return
        if not self.code:
            self.prose.append(data)


def read(html: str) -> Visible:
    page = Visible()
    page.feed(html)
    return page


def problems(page: Visible, name: str) -> list[str]:
    prose = " ".join(page.prose)
    title = " ".join(" ".join(page.title).split())
    found = []
    for where in (prose, title):
        found += [("period code", m.group(0)) for m in QUARTER_CODE.finditer(where)]
        found += [("ISO date", m.group(0)) for m in ISO_DATE.finditer(where)]
        found += [("metric key", m.group(0)) for m in METRIC_KEY.finditer(where)]
        found += [
            ("file name", m.group(0))
            for m in FILE_NAME.finditer(where)
            if not (name in ("imports", "import") and m.group(0) == UPLOADED)
        ]
        if name not in DATA_PAGES:
            found += [("code name", m.group(0)) for m in SNAKE.finditer(where)]
    # An e-mail address is a person's address, not a field or file name.
    found = [
        f"{what} {word}"
        for what, word in found
        if not re.search(re.escape(word) + r"[\w.-]*@|@[\w.-]*" + re.escape(word), prose)
    ]
    # The page's own name, before the site's: "Q3 2026 review cycle · CSM reviews & OKRs".
    if not title.removesuffix(SITE_NAME).strip(" ·|") or "Django" in title:
        found.append(f"title {title!r}")
    return sorted(set(found))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", today=TODAY, accounts=12, verbosity=0, reset=True)
        admin = User.objects.get(email="admin@example.com")
        started = timezone.make_aware(datetime.datetime(2026, 11, 14, 9, 30))
        upload = ImportRun.objects.create(
            kind="touchpoints",
            source=ImportSource.UPLOAD,
            status=ImportStatus.INVALID,
            dry_run=True,
            filename=UPLOADED,
            created_by=admin,
            finished_at=started + datetime.timedelta(seconds=3),
            rows_read=2,
            error_count=1,
            errors=[{"row": 2, "column": "occurred_at", "value": "31/11/2026", "message": "is not a date"}],
        )
        SyncRun.objects.create(
            source="zendesk",
            kind="tickets",
            status=SyncStatus.DONE,
            trigger="beat",
            records=3,
            created=1,
            finished_at=started + datetime.timedelta(minutes=2),
        )
        ImportRun.objects.filter(pk=upload.pk).update(started_at=started)
        SyncRun.objects.update(started_at=started)
        yield upload
        call_command("flush", interactive=False, verbosity=0)


def pages_of(role: str, upload: ImportRun) -> dict[str, str]:
    csm = User.objects.get(email="csm@example.com")
    current = ReviewCycle.objects.order_by("-period").first()
    closed = ReviewCycle.objects.order_by("period").first()
    review_now = Review.objects.filter(cycle=current, csm=csm).first()
    review_then = Review.objects.filter(cycle=closed, csm=csm).first()
    team = csm.team
    account = csm.assignments.order_by("pk").first().account
    month = f"{TODAY:%Y-%m}"
    pages = {
        "home": reverse("home"),
        "notifications": reverse("notification-list"),
        "preferences": reverse("notification-preferences"),
        "reviews": reverse("review-list"),
        "okrs": reverse("okrs-mine"),
    }
    if role == "csm":
        pages |= {
            "home sorted": reverse("home") + "?sort=last_touchpoint",
            "my scorecard": reverse("my-scorecard"),
            "my scorecard, a month": reverse("my-scorecard") + f"?period={month}",
            "okrs, last quarter": reverse("okrs-mine") + f"?period={closed.period}",
            "review": reverse("review-detail", args=[review_now.pk]),
            "review, last quarter": reverse("review-detail", args=[review_then.pk]),
            "review history": reverse("review-history", args=[review_then.pk]),
            "account": reverse("account-detail", args=[account.pk]),
        }
    if role == "manager":
        pages |= {
            "team": reverse("team-detail", args=[team.pk]),
            "team, a month": reverse("team-detail", args=[team.pk]) + f"?period={month}",
            "scorecard": reverse("scorecard", args=[csm.pk]),
            "team okrs": reverse("okrs-team", args=[team.pk]),
            "review": reverse("review-detail", args=[review_now.pk]),
            "review history": reverse("review-history", args=[review_now.pk]),
            "calibration": reverse("cycle-calibration", args=[closed.pk]),
        }
        for metric in ("nrr", "first_response_hours", "referrals", "touchpoints", "health_good_share"):
            pages[f"explain {metric}"] = reverse("explain", args=[csm.pk, metric])
    if role == "hr":
        pages |= {
            "teams": reverse("team-list"),
            "cycles": reverse("cycle-list"),
            "cycle": reverse("cycle-detail", args=[current.pk]),
            "cycle, closed": reverse("cycle-detail", args=[closed.pk]),
            "ask for input on every review": reverse("cycle-ask-input", args=[current.pk]),
            "calibration": reverse("cycle-calibration", args=[closed.pk]),
            "review": reverse("review-detail", args=[review_now.pk]),
            "review history": reverse("review-history", args=[review_now.pk]),
            "reviews of a cycle": reverse("review-list") + f"?cycle={current.pk}",
        }
    if role == "admin":
        pages |= {
            "imports": reverse("import-list"),
            "import": reverse("import-detail", args=[upload.pk]),
            "sources": reverse("sources-list"),
            "kpi runs": reverse("admin:kpis_kpirun_changelist"),
            "team": reverse("team-detail", args=[team.pk]),
        }
    return pages


def test_the_scan_catches_the_code_s_words():
    page = read(
        "<html><head><title> · CSM reviews &amp; OKRs</title></head><body><p>Cycle 2026-Q4, due 2026-11-26,"
        " 2026-09: nrr of first_response_hours from kpis/registry.py and export.csv (manager_review)</p>"
        "</body></html>"
    )
    found = problems(page, "cycle")
    for word in ("2026-Q4", "2026-11-26", "2026-09", "nrr", "first_response_hours", "registry.py"):
        assert any(f.endswith(word) for f in found), (word, found)
    assert "code name manager_review" in found and "file name export.csv" in found
    assert any(f.startswith("title") for f in found)
    fine = read(
        "<html><head><title>Q4 2026 review cycle · CSM reviews &amp; OKRs</title></head><body>"
        '<a href="/cycles/?period=2026-Q4">Q4 2026</a> <option value="2026-09">September 2026</option>'
        " due 26 Nov 2026 · MRR retention (NRR) · 12 touchpoints · csm@example.com"
        f" <code>account_external_id</code> · {UPLOADED}</body></html>"
    )
    assert problems(fine, "imports") == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "csm", "manager", "hr", "admin"])
def test_every_page_speaks_the_users_words(client, demo, settings, role):
    settings.TIME_ZONE = "America/New_York"
    if role == "anonymous":
        pages = {"login": reverse("login")}
    else:
        user = User.objects.get(email=f"{role}@example.com")
        client.force_login(user)
        pages = pages_of(role, demo)
    assert Objective.objects.exists() and Review.objects.exists()
    wrong = []
    for name, url in pages.items():
        response = client.get(url, follow=True)
        assert response.status_code == 200, (role, name, url, response.status_code)
        found = problems(read(response.content.decode()), name)
        if found:
            wrong.append(f"{role} · {name} ({url}): {found[:10]}")
    assert not wrong, "\n".join(wrong)
