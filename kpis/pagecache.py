"""Rendered fragments of the KPI pages, cached until the numbers or the people behind them change.

A scorecard or team dashboard only changes when a KPI run is published or when people, teams or
assignments change. Every fragment key carries a *version* kept in the cache; publishing a run, saving
a person, a team or an assignment, and committing an import replace the version, so every cached
fragment is abandoned at once (it expires after ``FRAGMENT_SECONDS``). Nothing is cached for longer
than that, so a change made behind the application's back is seen within the hour.

After a run is published, a Celery task (``kpis.tasks.warm_pages``, sent by ``kpis.receivers``)
renders the pages of the default period and of the periods published in the last hours again
(``warm``), so that the morning's first viewers do not pay for it. This module sends nothing itself:
the tasks import it, never the other way round.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Role, Team, User
from kpis import dashboard, scorecards
from kpis.models import KpiRun, RunStatus
from kpis.periods import Period

VERSION_KEY = "kpis:pages:version"
FRAGMENT_SECONDS = 3600


def version() -> str:
    """The current version of the KPI pages (created when the cache has none)."""
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex[:16], None)
        current = cache.get(VERSION_KEY) or ""
    return current


def invalidate_for_user(*, update_fields=None, **kwargs) -> None:
    """A person's save abandons the fragments, except a login (``last_login``) or a password change."""
    if update_fields and set(update_fields) <= {"last_login", "password"}:
        return
    invalidate()


def invalidate(**_kwargs) -> None:
    """Abandon every cached fragment (a new version; the old entries expire on their own)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex[:16], None)


def scorecard_key(*, version: str, csm_id: int, period, language: str) -> str:
    """The key the ``{% cache %}`` tag of kpis/scorecard.html uses."""
    return make_template_fragment_key("scorecard", [version, csm_id, period, language])


def team_key(*, version: str, team_id: int, period, segment: str, sort: str, language: str) -> str:
    """The key the ``{% cache %}`` tag of kpis/team_detail.html uses."""
    return make_template_fragment_key("team_dashboard", [version, team_id, period, segment, sort, language])


def periods_to_warm(now: datetime.datetime | None = None) -> list:
    """The default period, and the periods of the runs published in the last six hours."""
    now = now or timezone.now()
    recent = KpiRun.objects.filter(
        status=RunStatus.PUBLISHED, finished_at__gte=now - datetime.timedelta(hours=6)
    ).values_list("period", flat=True)
    periods = {scorecards.default_period(): None}
    for text in recent.order_by("-finished_at"):
        periods.setdefault(Period.parse(text), None)
    return list(periods)


def warm(*, version: str, periods: Iterable) -> int:
    """Render and cache the scorecard of every active CSM and the dashboard of every team for the
    periods. Stops as soon as the version changes (a newer run: its own warm-up does the work)."""
    rendered = 0
    language = settings.LANGUAGE_CODE
    csms = list(User.objects.filter(role=Role.CSM, is_active=True).select_related("team").order_by("pk"))
    teams = list(Team.objects.order_by("pk"))
    with translation.override(language):
        for period in periods:
            for csm in csms:
                if cache.get(VERSION_KEY) != version:
                    return rendered
                html = render_to_string(
                    "kpis/_scorecard_body.html",
                    {"card": scorecards.scorecard(csm=csm, period=period), "csm": csm, "period": period},
                )
                key = scorecard_key(version=version, csm_id=csm.pk, period=period, language=language)
                cache.set(key, html, FRAGMENT_SECONDS)
                rendered += 1
            for team in teams:
                if cache.get(VERSION_KEY) != version:
                    return rendered
                board = dashboard.team_dashboard(team=team, period=period)
                html = render_to_string("kpis/_team_body.html", {"board": board, "period": period})
                key = team_key(
                    version=version, team_id=team.pk, period=period, segment="", sort="", language=language
                )
                cache.set(key, html, FRAGMENT_SECONDS)
                rendered += 1
    return rendered
