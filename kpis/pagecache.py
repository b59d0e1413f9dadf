"""Rendered fragments of the KPI pages, cached until the numbers or the people behind them change.

A scorecard or team dashboard only changes when a KPI run is published or when people, teams or
assignments change. Every fragment key carries a *version* kept in the cache; publishing a run, saving
a person, a team or an assignment, and committing an import replace the version, so every cached
fragment is abandoned at once (it expires after ``FRAGMENT_SECONDS``). Nothing is cached for longer
than that, so a change made behind the application's back is seen within the hour.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache

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
