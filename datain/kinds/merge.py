"""Upserting a validated batch into its table: one ``INSERT ... ON CONFLICT`` per batch, through a
temporary staging table filled by a binary COPY."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

from django.db import connection, models, transaction

if TYPE_CHECKING:
    from django.db.models.options import Options

_PG_TYPES: dict[str, list[str]] = {}


def _staging_table(cursor, table: str, columns: list[str]) -> str:
    """A temporary table shaped like ``columns`` of ``table``, emptied, for this transaction."""
    qn = connection.ops.quote_name
    staging = qn(f"staging_{table}")
    cols = ", ".join(qn(c) for c in columns)
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS SELECT {cols} FROM {qn(table)} WITH NO DATA"
    )
    cursor.execute(f"TRUNCATE {staging}")
    key = f"{table}:{cols}"
    if key not in _PG_TYPES:
        cursor.execute(
            "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            [table],
        )
        found = dict(cursor.fetchall())
        _PG_TYPES[key] = ["text" if found[c] == "character varying" else found[c] for c in columns]
    return staging


def _copy_rows(cursor, staging: str, table: str, columns: list[str], params: list[tuple]) -> None:
    """Binary COPY of the batch into the staging table (typed once per table, no text round trip)."""
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with cursor.cursor.copy(f"COPY {staging} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_PG_TYPES[f"{table}:{cols}"])
        for row in params:
            copy.write_row(row)


def _column(meta: Options, name: str) -> str:
    """The database column of a concrete field of the model (a kind names only those)."""
    field = meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{meta.label}.{name} has no column of its own")
    return field.column


def merge_rows(
    model: type[models.Model], key_fields: tuple[str, ...], fields: list[str], rows: list[dict], write: bool
) -> tuple[int, int]:
    """PostgreSQL, one statement per batch: insert new rows, update changed ones, leave the rest.

    ``RETURNING (xmax = 0)`` tells inserted from updated rows; unchanged rows are not touched. On a
    dry run the statement runs inside a savepoint that is rolled back, so the counts are exact and
    nothing stays written. Returns (created, updated).
    """
    qn = connection.ops.quote_name
    meta = model._meta
    table = meta.db_table
    columns = [_column(meta, f) for f in fields]
    keys = [_column(meta, f) for f in key_fields]
    others = [c for c in columns if c not in keys]
    cols = ", ".join(qn(c) for c in columns)
    target = qn(table)
    sql = (
        f"INSERT INTO {target} AS t ({cols}) SELECT {cols} FROM {{staging}} "
        f"ON CONFLICT ({', '.join(qn(k) for k in keys)}) DO UPDATE SET "
        + ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in others)
        + f" WHERE ({', '.join('t.' + qn(c) for c in others)}) IS DISTINCT FROM "
        f"({', '.join('excluded.' + qn(c) for c in others)}) RETURNING (xmax = 0)"
    )
    pick = itemgetter(*fields)  # a tuple: there are always several fields
    params = [pick(row) for row in rows]
    # The COPY goes through psycopg directly: wrap its errors as Django's (DatabaseError & co.).
    with connection.wrap_database_errors, connection.cursor() as cursor:
        staging = _staging_table(cursor, table, columns)
        _copy_rows(cursor, staging, table, columns, params)
        sid = None if write else transaction.savepoint()
        cursor.execute(sql.format(staging=staging))
        flags = [r[0] for r in cursor.fetchall()]
        if sid is not None:
            transaction.savepoint_rollback(sid)
    created = sum(1 for f in flags if f)
    return created, len(flags) - created
