"""Cached page fragments (kpis.pagecache): reused while nothing changed, abandoned when a run is
published, a person, team or assignment changes, or an import commits; never by a login."""

import datetime
import re

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from config import cache as cache_backend
from datain import services as activity_services
from kpis import pagecache, scorecards, services, tasks
from kpis.models import KpiRun, KpiValue
from kpis.periods import Period
from kpis.signals import run_published
from reviews.cycles import services as cycle_services
from reviews.models import Review
from tests import factories
from tests.kpis import world

Q3 = Period.parse("2026-Q3")
AS_OF = datetime.date(2026, 11, 1)


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    services.kpi_run_compute(period=Q3, as_of=AS_OF)
    w["manager_a"] = w["team_a"].manager
    return w


def nrr_cell(html: str) -> str:
    return html.split('id="metric-nrr"')[1].split("</tr>")[0]


def test_scorecard_is_reused_until_a_run_is_published(client, w, django_capture_on_commit_callbacks):
    client.force_login(w["manager_a"])
    url = reverse("scorecard", args=[w["bob"].pk]) + "?period=2026-Q3"
    assert "94.44%" in nrr_cell(client.get(url).content.decode())
    # Changed behind the application's back: the cached fragment is still shown.
    KpiValue.objects.filter(csm=w["bob"], metric="nrr", period="2026-Q3").update(value="12.34")
    assert "94.44%" in nrr_cell(client.get(url).content.decode())
    # A published run abandons every fragment.
    run_published.send(sender=KpiRun, run=KpiRun.objects.get(period="2026-Q3"))
    assert "12.34%" in nrr_cell(client.get(url).content.decode())
    # The real thing: a run computed and committed puts the engine's value back on the page.
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_run_compute(period=Q3, as_of=AS_OF)
    assert "94.44%" in nrr_cell(client.get(url).content.decode())


def test_a_cached_scorecard_costs_fewer_queries(client, w):
    client.force_login(w["manager_a"])
    url = reverse("scorecard", args=[w["bob"].pk]) + "?period=2026-Q3"
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as second:
        client.get(url)
    # The card's own queries (values, peers, trend) are skipped: session, user, CSM and freshness remain.
    assert len(second) < len(first)
    assert not any("kpis_kpivalue" in q["sql"] for q in second.captured_queries)


def test_people_changes_abandon_the_team_dashboard(client, w):
    client.force_login(w["manager_a"])
    url = reverse("team-detail", args=[w["team_a"].pk]) + "?period=2026-Q3"
    before = client.get(url).content.decode()
    User.objects.filter(pk=w["bob"].pk).update(name="Robert Quietly")  # no signal: still cached
    assert "Robert Quietly" not in client.get(url).content.decode()
    bob = User.objects.get(pk=w["bob"].pk)
    bob.name = "Roberta Saved"
    bob.save()
    html = client.get(url).content.decode()
    assert "Roberta Saved" in html and html != before


def test_a_login_keeps_the_fragments(client, w):
    version = pagecache.version()
    client.force_login(w["ann"])  # saves last_login only
    user = User.objects.get(pk=w["ann"].pk)
    user.set_password("another-long-password-1")
    user.save(update_fields=["password"])
    assert pagecache.version() == version
    factories.CsmFactory(email="new@example.com", team=w["team_a"])
    assert pagecache.version() != version


def test_a_committed_import_abandons_the_fragments_a_dry_run_does_not(w, django_capture_on_commit_callbacks):
    row = {
        "account_external_id": "X1",
        "csm_email": "bob@example.com",
        "start_date": "2026-10-15",
    }
    version = pagecache.version()
    with django_capture_on_commit_callbacks(execute=True):
        result = activity_services.import_json(kind="assignments", items=[row], dry_run=True)
    assert result.ok and pagecache.version() == version
    with django_capture_on_commit_callbacks(execute=True):
        result = activity_services.import_json(kind="assignments", items=[row])
    assert result.ok and result.created == 1
    assert pagecache.version() != version


def test_the_frozen_numbers_of_a_review_follow_its_version(client, w):
    hr = factories.HrFactory(email="hr@example.com")
    cycle = cycle_services.cycle_create(
        user=hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 10),
        manager_review_due=datetime.date(2026, 10, 20),
    )
    cycle_services.cycle_open(user=hr, cycle=cycle)
    review = Review.objects.get(cycle=cycle, csm=w["bob"])
    client.force_login(w["manager_a"])
    url = reverse("review-detail", args=[review.pk])
    row = lambda html: html.split('id="snap-nrr"')[1].split("</tr>")[0]  # noqa: E731
    assert "94.44%" in row(client.get(url).content.decode())
    snapshot = review.snapshot
    for m in snapshot["metrics"]:
        if m["metric"] == "nrr":
            m["value"] = "50.00"
    Review.objects.filter(pk=review.pk).update(snapshot=snapshot)  # same version: the cached table
    assert "94.44%" in row(client.get(url).content.decode())
    Review.objects.filter(pk=review.pk).update(version=F("version") + 1)  # every save bumps it
    assert "50.00%" in row(client.get(url).content.decode())


def content(html: str) -> str:
    """The page without the navigation (the log-out form carries a fresh CSRF token each time) and
    with the charts' random element ids made equal."""
    return re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", html.split("<main")[1]
    )


def test_warmed_pages_are_what_a_first_view_renders(client, w):
    client.force_login(w["manager_a"])
    card = reverse("scorecard", args=[w["bob"].pk]) + "?period=2026-Q3"
    board = reverse("team-detail", args=[w["team_a"].pk]) + "?period=2026-Q3"
    rendered = (content(client.get(card).content.decode()), content(client.get(board).content.decode()))
    pagecache.invalidate()
    # 4 CSMs x 1 period + 2 teams x 1 period.
    assert pagecache.warm(version=pagecache.version(), periods=[Q3]) == 6
    with CaptureQueriesContext(connection) as ctx:
        warmed = (content(client.get(card).content.decode()), content(client.get(board).content.decode()))
    assert warmed == rendered
    assert not any("kpis_kpivalue" in q["sql"] for q in ctx.captured_queries)  # served from the cache


def test_a_warm_up_stops_when_a_newer_version_arrives(w):
    old = pagecache.version()
    pagecache.invalidate()
    assert pagecache.warm(version=old, periods=[Q3]) == 0
    assert tasks.warm_pages.run(old) == "stale"


def test_a_warm_up_overtaken_between_scorecards_and_team_dashboards_stops_there(w, monkeypatch):
    scorecard = scorecards.scorecard
    calls = []

    def scorecard_then_newer_run(**kwargs):
        calls.append(kwargs["csm"])
        if len(calls) == 4:  # the last of the 4 CSMs: a newer run is published meanwhile
            pagecache.invalidate()
        return scorecard(**kwargs)

    monkeypatch.setattr(scorecards, "scorecard", scorecard_then_newer_run)
    # The 4 scorecards under way are cached, none of the 2 team dashboards.
    assert pagecache.warm(version=pagecache.version(), periods=[Q3]) == 4


def test_periods_to_warm_are_the_default_and_the_recent_runs(w):
    # w published 2026-Q3 just now; today's quarter is the default period.
    today = Period.containing(timezone.localdate(), "quarter")
    periods = pagecache.periods_to_warm()
    assert periods[0] == today and Q3 in periods
    KpiRun.objects.update(finished_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    assert pagecache.periods_to_warm() == [today]


def test_a_publication_schedules_the_warm_up(
    w, settings, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    settings.KPI_WARM_PAGES = True
    sent = []
    monkeypatch.setattr(tasks.warm_pages, "apply_async", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_run_compute(period=Q3, as_of=AS_OF)
    assert sent == [{"args": [pagecache.version()], "countdown": settings.KPI_WARM_DELAY_SECONDS}]
    # A broker that cannot be reached does not fail the publication.
    monkeypatch.setattr(tasks.warm_pages, "apply_async", lambda **kw: (_ for _ in ()).throw(OSError("down")))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.kpi_run_compute(period=Q3, as_of=AS_OF)
    assert run.status == "published"
    # ... and says so in one line (the cause, no traceback).
    [warning] = [r for r in caplog.records if "warm-up" in r.getMessage()]
    assert warning.getMessage() == "could not schedule the warm-up of the KPI pages: down"
    assert warning.exc_info is None


def test_pages_work_while_redis_cannot_be_reached(client, w, settings, caplog, monkeypatch):
    monkeypatch.setattr(cache_backend, "_last_warning", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client.force_login(w["manager_a"])
    url = reverse("scorecard", args=[w["bob"].pk]) + "?period=2026-Q3"
    for _ in range(2):  # rendered each time: nothing can be cached
        response = client.get(url)
        assert response.status_code == 200 and "94.44%" in nrr_cell(response.content.decode())
    board = client.get(reverse("team-detail", args=[w["team_a"].pk]) + "?period=2026-Q3")
    assert board.status_code == 200 and "96.97%" in board.content.decode()
    # Said once (a minute), in one line with the cause, not a traceback per cache call.
    warnings = [r for r in caplog.records if r.name == "config.cache"]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert warnings[0].getMessage().startswith("Redis cannot be reached (")
