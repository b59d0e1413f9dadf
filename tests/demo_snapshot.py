"""The demo organisation seeded once per test session and copied back for each test that reads it.

``seed_demo`` (60 accounts, 8 quarters and 12 months of KPI runs with their expected-results fits,
OKRs, reviews) takes most of a browser test's time, and seven browser tests start from the same
one. The first test that asks for a demo seeds it for real (``seed_demo``, then the KPI runs it
asks for) and keeps a copy of every table it filled (PostgreSQL's COPY, in memory); a later test
asking for the same demo (same day, size and runs) gets the tables copied back, row for row with the
same ids, and the sequences moved past them: the database the test sees is the one ``seed_demo``
made. Tests of the seed itself (tests/demo) still call it.

``built_once`` does the same for any fixture that builds a small world the same way for every test
of a file (``tests/kpis/world.py``, a KPI run, a cycle opened): the first test builds it, the
others get its tables and a deep copy of the objects it returned.

The copy is of the database only: the seed mails nobody and writes no file (tests/demo), and each
test starts with an empty cache (conftest.py).
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from typing import TypeVar

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

# Filled again by Django after a transactional test empties the database (post_migrate), with
# ids of their own: never copied (a seed that filled a table pointing to them is refused below).
NOT_COPIED = {"django_migrations", "django_content_type", "auth_permission"}
POINT_TO_CONTENT_TYPES = {"auth_group_permissions", "accounts_user_user_permissions", "django_admin_log"}

_copies: dict[tuple, dict[str, bytes]] = {}
T = TypeVar("T")


def demo_database(today: datetime.date, accounts: int = 60, kpis: tuple[str, ...] = ()) -> None:
    """The database as ``seed_demo --today today --accounts accounts`` then ``compute_kpis`` of each
    period of ``kpis`` leave it, in the test's (empty) database."""
    key = (today, accounts, kpis)
    if key in _copies:
        _restore(_copies[key])
        return
    base = (today, accounts, ())
    if base in _copies:
        _restore(_copies[base])
    else:
        call_command("seed_demo", today=today, accounts=accounts, verbosity=0)
        _copies[base] = _dump()
    for period in kpis:
        call_command("compute_kpis", period=period, verbosity=0)
    _copies[key] = _dump()


_built: dict[tuple, tuple[dict[str, bytes], object]] = {}


def built_once(key: tuple, build: Callable[[], T]) -> T:
    """What ``build()`` returns, and the database as it leaves it, in the test's (empty) database:
    the first test with this key builds it for real and keeps a copy of the tables it filled and of
    what it returned; a later one gets the tables copied back (same ids) and a deep copy of the
    returned objects (model instances of those rows), as Django's ``setUpTestData`` gives each test.
    ``key`` names everything ``build`` depends on besides the code (the fixture, its settings);
    ``build`` must write no file and fill no table that points to content types or permissions."""
    if key in _built:
        tables, value = _built[key]
        _restore(tables)
        return copy.deepcopy(value)  # type: ignore[return-value]
    value = build()
    _built[key] = (_dump(), copy.deepcopy(value))
    return value


def _tables() -> list[str]:
    return [t for t in connection.introspection.django_table_names(only_existing=True) if t not in NOT_COPIED]


def _dump() -> dict[str, bytes]:
    out = {}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table in _tables():
            with raw.copy(f'COPY "{table}" TO STDOUT') as copy:
                data = b"".join(bytes(block) for block in copy)
            if data:
                out[table] = data
    assert not set(out) & POINT_TO_CONTENT_TYPES, f"the demo fills {set(out) & POINT_TO_CONTENT_TYPES}"
    return out


def _restore(tables: dict[str, bytes]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')
            assert cursor.fetchone() is None, (
                f"{table} is not empty: the demo is copied into an empty database"
            )
        cursor.execute("SET session_replication_role = replica")  # the rows are consistent: no FK checks
        try:
            raw = cursor.cursor
            for table, data in tables.items():
                with raw.copy(f'COPY "{table}" FROM STDIN') as copy:
                    copy.write(data)
        finally:
            cursor.execute("SET session_replication_role = origin")
        models = apps.get_models(include_auto_created=True)
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
