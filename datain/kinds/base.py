"""What every kind is made of: a row, the counts of a load, the per-load caches of references, the
base of every kind and of the kinds stored in one table (``FactKind``).

A kind knows its columns, its key, its cross-field rules, how to resolve references, and how to
upsert a validated batch. The engine that drives it lives in ``datain.services``."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import models
from django.utils import timezone

from accounts.models import CustomerAccount, User
from core.said import said
from datain import words as w
from datain.kinds.merge import merge_rows
from datain.validation import (
    CellError,
    Code,
    Column,
    RowError,
    unstorable,
)


@dataclass
class Row:
    """A row whose cells parsed: ``values`` by column name, plus resolved ids."""

    line: int
    values: dict[str, Any]
    ids: dict[str, int] = field(default_factory=dict)
    # A cell failed or a rule is broken: the row is still checked for references and its key, never
    # written. The columns whose cells failed are absent from ``values``.
    broken: bool = False


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


ACCOUNTS_READ_AT_ONCE = 200_000


class Context:
    """Per-load caches of references (one query per batch for what is not cached yet)."""

    def __init__(self) -> None:
        self.accounts: dict[str, int] = {}
        self.users: dict[str, tuple[int, str]] = {}
        self.today = timezone.localdate()
        self._every_account: bool | None = None  # all accounts read at once (None: not decided yet)

    def load_accounts(self, external_ids: set[str]) -> None:
        if self._every_account is None:
            # Up to ACCOUNTS_READ_AT_ONCE accounts, one query reads them all (50,000: ~5 MB) instead
            # of one query per 2,000 new ids in each batch of a million-row load.
            self._every_account = CustomerAccount.objects.count() <= ACCOUNTS_READ_AT_ONCE
            if self._every_account:
                self.accounts.update(CustomerAccount.objects.values_list("external_id", "id"))
        if self._every_account:
            return
        missing = [e for e in external_ids if e not in self.accounts]
        for start in range(0, len(missing), 2000):
            chunk = missing[start : start + 2000]
            self.accounts.update(
                CustomerAccount.objects.filter(external_id__in=chunk).values_list("external_id", "id")
            )

    def load_users(self, emails: set[str]) -> None:
        missing = [e for e in emails if e not in self.users]
        if missing:
            for pk, email, role in User.objects.filter(email__in=missing).values_list("pk", "email", "role"):
                self.users[email] = (pk, role)


class Kind:
    """Base of every kind. Subclasses set ``name``, ``columns`` and ``key_columns``."""

    name: str
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]
    # The columns that place a row in time (dates, or datetimes read in the organisation's time
    # zone): a load touches the days from the earliest to the latest of them (datain.services).
    dated_columns: tuple[str, ...] = ()
    # A row holds from its date on (an MRR change, an owner, an account): the load touches every day
    # from its earliest date up to today. A kind without dated columns (people) touches today.
    lasting: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def _plan(self) -> tuple[tuple[str, Callable[[str], Any], bool], ...]:
        return tuple((c.name, c.parse, c.required) for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.optional_column)

    def parse(self, line: int, raw: dict[str, str]) -> tuple[Row, list[RowError]]:
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        get = raw.get
        for name, parse, required in self._plan:  # the hot loop of a million-row load
            cell = get(name)
            cell = cell.strip() if cell else ""
            if not cell:
                if required:
                    errors.append(RowError(line, name, "", Code.REQUIRED, said(w.REQUIRED)))
                values[name] = None
                continue
            if "\x00" in cell or not cell.isascii():  # the fast test first: a million rows
                problem = unstorable(cell)
                if problem:
                    errors.append(RowError(line, name, cell, Code.BAD_ENCODING, problem))
                    continue
            try:
                values[name] = parse(cell)
            except CellError as exc:
                errors.append(RowError(line, name, cell, exc.code, exc.message))
        row = Row(line, values)
        if errors:
            # The cells that parsed are still checked against the rest (references, the key, the
            # rules between columns that all parsed): every error of a file comes in one pass.
            row.broken = True
            for error in errors:
                values.pop(error.column, None)
            try:
                problems = self.check(values)
            except (KeyError, TypeError):  # a rule reads a cell that failed: nothing more to say
                problems = []
        else:
            problems = self.check(values)
        for column, code, message in problems:
            value = values.get(column)
            errors.append(RowError(line, column, "" if value is None else str(value), code, message))
        if problems:
            row.broken = True
        return row, errors

    def key(self, row: Row) -> tuple[Any, ...] | None:
        """The row's key, or None when a cell of it failed or is empty (no key to compare)."""
        values = row.values
        key = tuple([values.get(c) for c in self.key_columns])
        return None if None in key else key

    def check(self, values: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Cross-field rules of one row: (column, code, message) for each broken one."""
        return []

    def resolve(self, rows: list[Row], ctx: Context) -> list[RowError]:
        return []

    def apply(self, rows: list[Row], ctx: Context, write: bool) -> Counts:
        raise NotImplementedError

    def finish(self, ctx: Context, write: bool) -> tuple[Counts, list[RowError]]:
        """Whole-file rules and deferred writes, once every row has been seen."""
        return Counts(), []

    def export_rows(self):
        raise NotImplementedError


def account_refs(rows: list[Row], ctx: Context, column: str = "account_external_id") -> list[RowError]:
    ctx.load_accounts({v for r in rows if (v := r.values.get(column)) is not None})
    errors = []
    for row in rows:
        ext = row.values.get(column)
        if ext is None:  # its cell failed: already an error
            continue
        if ext in ctx.accounts:
            row.ids["account_id"] = ctx.accounts[ext]
        else:
            errors.append(RowError(row.line, column, ext, Code.UNKNOWN_REFERENCE, said(w.NO_SUCH_ACCOUNT)))
    return errors


def user_refs(rows: list[Row], ctx: Context, column: str, id_name: str, role: str | None) -> list[RowError]:
    ctx.load_users({v for r in rows if (v := r.values.get(column))})
    errors = []
    for row in rows:
        email = row.values.get(column)
        if email is None:
            continue
        found = ctx.users.get(email)
        if found is None:
            errors.append(RowError(row.line, column, email, Code.UNKNOWN_REFERENCE, said(w.NO_SUCH_PERSON)))
        elif role and found[1] != role:
            errors.append(
                RowError(
                    row.line,
                    column,
                    email,
                    Code.WRONG_ROLE,
                    said(w.WRONG_ROLE, role=found[1], wanted=role),
                )
            )
        else:
            row.ids[id_name] = found[0]
    return errors


def iso_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# How a reference is written out: the row of another table by its natural key.
NATURAL_KEYS: dict[type[models.Model], str] = {CustomerAccount: "external_id", User: "email"}


class FactKind(Kind):
    """A kind stored in one table and merged on its key (``merge_rows``). Its model fields, its key
    fields, the text fields that store "" for empty and the columns that place a row in time are
    read from its columns and its model; nothing lists them again."""

    model: type[models.Model]

    @cached_property
    def fields(self) -> dict[str, str]:
        """The model field of each column (account_external_id -> account_id is resolved, not copied)."""
        return {c.name: c.field or c.name for c in self.columns}

    @cached_property
    def key_fields(self) -> tuple[str, ...]:
        return tuple(self.fields[c] for c in self.key_columns)

    @cached_property
    def blank_text_fields(self) -> tuple[str, ...]:
        """Text fields that may be blank store '' rather than NULL for "empty"."""
        meta = self.model._meta
        return tuple(
            f
            for f in self.fields.values()
            if isinstance(model_field := meta.get_field(f), models.CharField | models.TextField)
            and model_field.blank
            and not model_field.null
        )

    @property
    def dated_columns(self) -> tuple[str, ...]:  # type: ignore[override]
        """The column of the model's ``time_field`` (a fact's date or moment), when it has one."""
        time_field = getattr(self.model, "time_field", None)
        return tuple(c for c, f in self.fields.items() if f == time_field)

    @cached_property
    def _references(self) -> dict[str, tuple[str, str]]:
        """Column -> (the model's relation, the natural key of the row it points to)."""
        meta = self.model._meta
        out = {}
        for column, f in self.fields.items():
            model_field = meta.get_field(f)
            if model_field.is_relation and model_field.related_model is not None:
                out[column] = (model_field.name, NATURAL_KEYS[model_field.related_model])
        return out

    def model_values(self, row: Row) -> dict[str, Any]:
        ids, values = row.ids, row.values
        out = {f: ids[f] if f in ids else values[c] for c, f in self.fields.items()}
        for name in self.blank_text_fields:
            if out.get(name) is None:
                out[name] = ""
        return out

    def resolve(self, rows: list[Row], ctx: Context) -> list[RowError]:
        return account_refs(rows, ctx)

    def apply(self, rows: list[Row], ctx: Context, write: bool) -> Counts:
        counts = Counts()
        wanted = [self.model_values(r) for r in rows]
        counts.created, counts.updated = merge_rows(
            self.model, self.key_fields, list(self.fields.values()), wanted, write
        )
        counts.unchanged = len(wanted) - counts.created - counts.updated
        return counts

    def export_queryset(self):
        relations = [relation for relation, _key in self._references.values()]
        return self.model._default_manager.select_related(*relations).order_by(*self.key_fields)

    def export_rows(self):
        references = self._references
        for obj in self.export_queryset().iterator(chunk_size=5000):
            row = {}
            for column, fieldname in self.fields.items():
                if column in references:
                    relation, key = references[column]
                    row[column] = getattr(getattr(obj, relation), key)
                else:
                    row[column] = iso_text(getattr(obj, fieldname))
            yield row
