"""Loading data: one engine for the command, the upload page and the API (docs/data-contract.md).

All or nothing: the whole load runs in one transaction that is rolled back when any row is
invalid (or on a dry run). Streaming: rows are read, checked and upserted in batches, so memory
does not grow with the file: the keys seen, for duplicates, are kept in a temporary table of the
load's connection, and at most MAX_ERRORS_KEPT errors are kept (all are counted).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from activity.signals import FollowUp, data_imported
from core import spreadsheets
from core.said import Said, said
from datain import words as w
from datain.kinds import KINDS, Context, Counts, Kind, Row, kind_for
from datain.models import ImportRun, ImportStatus
from datain.reading import CsvRows, HeaderProblem, json_rows
from datain.sources.readers import reader_for
from datain.validation import Code, RowError

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
MAX_ERRORS_KEPT = 1000

Progress = Callable[[int, int], None]  # (rows read, bytes read)


class UnknownKind(ValueError):
    """A kind that is none of KINDS; the message names them."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            _("unknown kind %(kind)r: choose one of %(kinds)s") % {"kind": kind, "kinds": ", ".join(KINDS)}
        )


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    # The days the rows touch (organisation time zone), once a load that changed something commits.
    first_day: datetime.date | None = None
    last_day: datetime.date | None = None
    # What the receivers of ``data_imported`` do next (e.g. when the KPIs will be recomputed).
    follow_ups: list[FollowUp] = field(default_factory=list)
    # What a load from another system's format adds (datain.sources): e.g. records skipped.
    notes: list[str] = field(default_factory=list)
    skipped: int = 0  # source records with no place in the kind (counted in the notes)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @staticmethod
    def sort_key(error: RowError) -> int:
        """By row; a row's errors stay in the order they were found (its cells, the rules between
        them, its references, its key). The sort is stable."""
        return error.row

    def add_errors(self, errors: Iterable[RowError]) -> None:
        """Count every error; keep the first MAX_ERRORS_KEPT by row (a bounded list, whatever the file)."""
        for error in errors:
            self.error_count += 1
            self.errors.append(error)
        if len(self.errors) >= 2 * MAX_ERRORS_KEPT:
            self.sort_errors()

    def sort_errors(self) -> None:
        self.errors.sort(key=self.sort_key)
        del self.errors[MAX_ERRORS_KEPT:]

    def add_counts(self, counts: Counts) -> None:
        self.created += counts.created
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows_read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": [e.as_dict() for e in self.errors],
            "follow_ups": [f.as_dict() for f in self.follow_ups],
            "notes": [str(n) for n in self.notes],
            "skipped": self.skipped,
        }


class _Rollback(Exception):
    pass


class _Span:
    """The earliest and latest value of a kind's dated columns over the rows of a load."""

    def __init__(self, kind: Kind) -> None:
        self.columns = kind.dated_columns
        self.lasting = kind.lasting
        self.low: datetime.date | None = None  # a date, or an aware datetime
        self.high: datetime.date | None = None

    def add(self, rows: list[Row]) -> None:
        for column in self.columns:
            values = [v for r in rows if (v := r.values[column]) is not None]
            if values:
                low, high = min(values), max(values)
                self.low = low if self.low is None else min(self.low, low)
                self.high = high if self.high is None else max(self.high, high)

    def days(self, today: datetime.date) -> tuple[datetime.date, datetime.date]:
        """(first, last) day touched. Lasting rows touch up to today; no dated column: today."""
        if self.low is None or self.high is None:
            return today, today
        first, last = _local_day(self.low), _local_day(self.high)
        return first, (max(last, today) if self.lasting else last)


def _local_day(value: datetime.date) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value, timezone.get_default_timezone()).date()
    return value


def _announce(kind: str, result: ImportResult) -> None:
    """After the commit: tell the other apps, keep what they answer for whoever loaded the data."""
    for _receiver, answer in data_imported.send(sender=ImportResult, kind=kind, result=result):
        if isinstance(answer, FollowUp):
            result.follow_ups.append(answer)


class _SeenKeys:
    """The keys of the rows read so far, for duplicates: in a temporary table of the load's
    connection (its primary key finds a key seen before), not in memory, so that a load of any
    size keeps a flat memory. One statement a batch; the table goes with the load's transaction."""

    TABLE = "import_seen_keys"

    def __init__(self) -> None:
        self.ready = False

    def _create(self, cursor) -> None:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.TABLE} (k text PRIMARY KEY, line integer NOT NULL) "
            "ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {self.TABLE}")
        self.ready = True

    def earlier(self, keys: list[str], lines: list[int]) -> dict[int, int]:
        """Record the batch's keys (each once); answer {line: earlier line} for those seen before."""
        with connection.cursor() as cursor:
            if not self.ready:
                self._create(cursor)
            # The SELECT reads the table as it was before this statement's INSERT: earlier batches.
            cursor.execute(
                f"WITH batch AS (SELECT * FROM unnest(%s::text[], %s::integer[]) AS b(k, line)), "
                f"added AS (INSERT INTO {self.TABLE} (k, line) SELECT k, line FROM batch "
                "ON CONFLICT (k) DO NOTHING) "
                f"SELECT b.line, s.line FROM batch b JOIN {self.TABLE} s ON s.k = b.k",
                [keys, lines],
            )
            return dict(cursor.fetchall())


def _key_text(key: tuple) -> str:
    return "\x1f".join(map(str, key))


def data_import(
    *,
    kind: str,
    rows: Iterable[tuple[int, dict[str, str]] | RowError],
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate every row of one kind and, when all are valid and this is no dry run, upsert them.

    Nothing is written when any row is invalid: the transaction is rolled back and every error is
    answered at once (row, column, value, reason), sorted by row: a row whose cells fail is still
    checked for its references and its key, so that one pass finds every error of the file.
    """
    if kind not in KINDS:
        raise UnknownKind(kind)
    spec = kind_for(kind)
    result = ImportResult(kind=kind, dry_run=dry_run)
    ctx = Context()
    span = _Span(spec)
    seen = _SeenKeys()
    batch: list[Row] = []
    found: list[RowError] = []  # the errors of the batch: added, sorted, when it is flushed
    key_label = "+".join(spec.key_columns)

    def duplicates() -> None:
        """The rows of the batch whose key appears earlier, in this batch or an earlier one."""
        first: dict[str, int] = {}
        repeats: list[tuple[Row, str, int]] = []
        for row in batch:
            key = spec.key(row)
            if key is None:
                continue
            text = _key_text(key)
            if text in first:
                repeats.append((row, text, first[text]))
            else:
                first[text] = row.line
        if first:
            earlier = seen.earlier(list(first), list(first.values()))
            if earlier:
                at = {r.line: r for r in batch}
                repeats.extend((at[line], "", before) for line, before in earlier.items())
        for row, _text, before in repeats:
            row.broken = True
            found.append(
                RowError(
                    row.line,
                    key_label,
                    " / ".join(map(str, spec.key(row) or ())),  # a repeated row has a key
                    Code.DUPLICATE_KEY,
                    said(w.DUPLICATE_KEY, row=before),
                )
            )

    def flush() -> None:
        if batch:
            found.extend(spec.resolve(batch, ctx))
            duplicates()
        if found:
            result.add_errors(sorted(found, key=result.sort_key))
            found.clear()
        if batch and result.ok:
            span.add(batch)
            try:
                with transaction.atomic():
                    result.add_counts(spec.apply(batch, ctx, write=not dry_run))
            except (IntegrityError, DatabaseError) as exc:
                result.add_errors(
                    [
                        RowError(
                            batch[0].line,
                            "",
                            "",
                            Code.DATABASE,
                            said(
                                w.DATABASE_REFUSED, first=batch[0].line, last=batch[-1].line, error=str(exc)
                            ),
                        )
                    ]
                )
        batch.clear()
        if progress:
            progress(result.rows_read)

    try:
        with transaction.atomic():
            try:
                last_line = None
                for item in rows:
                    # A record with several problems comes as several errors of one line: one row.
                    line = item.row if isinstance(item, RowError) else item[0]
                    if line != last_line:
                        result.rows_read += 1
                        last_line = line
                    if isinstance(item, RowError):  # a record that did not become a row
                        found.append(item)
                    else:
                        row, errors = spec.parse(*item)
                        found.extend(errors)
                        batch.append(row)
                    if len(batch) >= BATCH_SIZE or len(found) >= BATCH_SIZE:
                        flush()
                flush()
            except HeaderProblem as problem:
                result.add_errors(problem.errors)
            if result.ok:
                counts, errors = spec.finish(ctx, write=not dry_run)
                result.add_errors(errors)
                result.add_counts(counts)
            if not result.ok or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    result.sort_errors()
    if not result.ok:
        result.created = result.updated = result.unchanged = 0
    elif not dry_run:
        if result.created or result.updated:  # a load that changed nothing touches no day
            result.first_day, result.last_day = span.days(ctx.today)
        transaction.on_commit(lambda: _announce(kind, result))
    return result


def import_csv(
    *,
    kind: str,
    binary: IO[bytes],
    dry_run: bool = False,
    progress: Progress | None = None,
    source_format: str = "",
    mapping: str = "",
) -> ImportResult:
    """A file of ours, or another system's export (``source_format``, e.g. zendesk) or a file read
    through a mapping (the text of a mapping file): datain.sources."""
    if kind not in KINDS:
        raise UnknownKind(kind)
    if source_format or mapping:
        return _import_read(
            kind,
            reader_for(kind=kind, source=source_format, mapping=mapping, binary=binary),
            dry_run,
            progress,
        )
    source = CsvRows(kind_for(kind), binary)
    report = (lambda n: progress(n, source.bytes_read)) if progress else None
    return data_import(kind=kind, rows=source, dry_run=dry_run, progress=report)


def import_json(
    *, kind: str, items: Any, dry_run: bool = False, source_format: str = "", mapping: str = ""
) -> ImportResult:
    if kind not in KINDS:
        raise UnknownKind(kind)
    if source_format or mapping:
        return _import_read(
            kind, reader_for(kind=kind, source=source_format, mapping=mapping, items=items), dry_run
        )
    return data_import(kind=kind, rows=json_rows(kind_for(kind), items), dry_run=dry_run)


def _import_read(kind: str, reader, dry_run: bool, progress: Progress | None = None) -> ImportResult:
    """The rows of a reader (datain.sources) through the engine, the result in the reader's terms."""
    report = (lambda n: progress(n, 0)) if progress else None
    return reader.finish(data_import(kind=kind, rows=reader.rows(), dry_run=dry_run, progress=report))


def import_run_record(
    *,
    result: ImportResult,
    source: str,
    user: User | None = None,
    filename: str = "",
    run: ImportRun | None = None,
    source_format: str = "",
) -> ImportRun:
    """Record (or complete) the ImportRun of a load: counts, the first errors, outcome."""
    run = run or ImportRun(
        kind=result.kind, source=source, created_by=user, filename=filename, source_format=source_format
    )
    run.dry_run = result.dry_run
    run.rows_read = result.rows_read
    run.created, run.updated, run.unchanged = result.created, result.updated, result.unchanged
    run.error_count = result.error_count
    run.errors = [e.stored() for e in result.errors]
    if not result.ok:
        run.status = ImportStatus.INVALID
    elif result.dry_run:
        run.status = ImportStatus.VALID
    else:
        run.status = ImportStatus.DONE
    run.finished_at = timezone.now()
    if run.status == ImportStatus.DONE:
        run.message, run.message_params = _follow_ups_said(result)
    run.save()
    if run.status == ImportStatus.DONE:
        # Inside a transaction the receivers answer at its commit, after this: note it then.
        transaction.on_commit(lambda: _note_follow_ups(run, result))
    return run


def notices(sayings: Iterable[Said | str]) -> tuple[str, dict[str, Any]]:
    """Sentences said one after the other, as a run keeps them (``message``, ``message_params``):
    nothing when there are none."""
    kept = [n.stored() if isinstance(n, Said) else str(n) for n in sayings]
    return (w.FOLLOW_UPS, {"notices": kept}) if kept else ("", {})


def _follow_ups_said(result: ImportResult) -> tuple[str, dict[str, Any]]:
    return notices(f.said or f.notice for f in result.follow_ups)


def _note_follow_ups(run: ImportRun, result: ImportResult) -> None:
    message, params = _follow_ups_said(result)
    if (message, params) != (run.message, run.message_params):
        run.message, run.message_params = message, params
        ImportRun.objects.filter(pk=run.pk).update(message=message, message_params=params)


def data_export(*, kind: str, out: IO[str]) -> int:
    """Write every stored row of ``kind`` in the import format; returns the number of rows."""
    if kind not in KINDS:
        raise UnknownKind(kind)
    spec = kind_for(kind)
    writer = spreadsheets.DictWriter(out, fieldnames=list(spec.column_names), lineterminator="\n")
    writer.writeheader()
    n = 0
    for row in spec.export_rows():
        writer.writerow(row)
        n += 1
    return n
