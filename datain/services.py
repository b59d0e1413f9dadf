"""Loading data: one engine for the command, the upload page and the API (docs/data-contract.md).

All or nothing: the whole load runs in one transaction that is rolled back when any row is
invalid (or on a dry run). Streaming: rows are read, checked and upserted in batches, so memory
does not grow with the file: the keys seen, for duplicates, are kept in a temporary table of the
load's connection, and at most MAX_ERRORS_KEPT errors are kept (all are counted).
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from activity.signals import FollowUp, data_imported
from core import jobs, spreadsheets
from datain.kinds import KINDS, Context, Counts, Kind, Row, kind_for
from datain.models import ImportRun, ImportSource, ImportStatus
from datain.sources.readers import reader_for
from datain.validation import Code, RowError, csv_error

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
MAX_ERRORS_KEPT = 1000
API_MAX_ROWS = 10_000

Progress = Callable[[int, int], None]  # (rows read, bytes read)


class UnknownKind(ValueError):
    pass


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
            "notes": list(self.notes),
            "skipped": self.skipped,
        }


class _Rollback(Exception):
    pass


class HeaderProblem(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("header")
        self.errors = errors


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it, for progress bars."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n


def check_header(kind: Kind, header: list[str]) -> list[RowError]:
    errors = []
    known = set(kind.column_names)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, name, Code.DUPLICATE_COLUMN, "appears twice in the header"))
        seen.add(name)
        if name not in known:
            errors.append(
                RowError(
                    1,
                    name,
                    name,
                    Code.UNKNOWN_COLUMN,
                    f"is not a column of {kind.name} (expected: {', '.join(kind.column_names)})",
                )
            )
    for name in kind.required_columns:
        if name not in seen:
            errors.append(RowError(1, name, "", Code.MISSING_COLUMN, "is missing from the header"))
    return errors


class CsvRows:
    """The rows of a CSV file as (line number, {column: text}); the header is line 1."""

    def __init__(self, kind: Kind, binary: IO[bytes]) -> None:
        self.kind = kind
        self.counter = _CountingReader(binary)
        self.text = io.TextIOWrapper(
            io.BufferedReader(self.counter, buffer_size=1 << 16),
            encoding="utf-8-sig",
            errors="replace",
            newline="",
        )

    @property
    def bytes_read(self) -> int:
        return self.counter.bytes_read

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]] | RowError]:
        reader = csv.reader(self.text, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise HeaderProblem(
                [RowError(1, "", "", Code.EMPTY_FILE, "the file is empty: a header row is required")]
            ) from None
        except csv.Error as exc:
            raise HeaderProblem([csv_error(exc, 1, reader.line_num)]) from None
        header = [h.strip() for h in header]
        if any("\ufffd" in h for h in header):
            raise HeaderProblem([RowError(1, "", "", Code.BAD_ENCODING, "the header is not valid UTF-8")])
        problems = check_header(self.kind, header)
        if problems:
            raise HeaderProblem(problems)
        width = len(header)
        last_line = reader.line_num
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the reader goes on with the next line
                yield csv_error(exc, last_line + 1, reader.line_num)
                last_line = reader.line_num
                continue
            line = last_line + 1
            last_line = reader.line_num
            if not record or (len(record) == 1 and record[0] == ""):
                continue  # blank line
            if len(record) != width:
                yield RowError(
                    line,
                    "",
                    "",
                    Code.WRONG_FIELD_COUNT,
                    f"has {len(record)} fields where the header has {width}",
                )
                continue
            joined = "".join(record)
            if "\ufffd" in joined:  # one test per row; the column only when there is one
                bad = next(h for h, cell in zip(header, record, strict=True) if "\ufffd" in cell)
                yield RowError(line, bad, "", Code.BAD_ENCODING, "is not valid UTF-8 text")
                continue
            if "'" in joined:  # a cell our own export neutralised for spreadsheets
                record = [spreadsheets.restore(cell) for cell in record]
            yield line, dict(zip(header, record, strict=False))  # equal widths: checked above


def json_rows(kind: Kind, items: Any) -> Iterator[tuple[int, dict[str, str]] | RowError]:
    """The rows of an API request as (index from 1, {column: text}); same rules as a CSV row."""
    if not isinstance(items, list):
        raise HeaderProblem([RowError(0, "", "", Code.NOT_A_LIST, "the body must be a JSON list of objects")])
    if len(items) > API_MAX_ROWS:
        raise HeaderProblem(
            [
                RowError(
                    0, "", "", Code.TOO_MANY_ROWS, f"at most {API_MAX_ROWS} rows a request (got {len(items)})"
                )
            ]
        )
    known = set(kind.column_names)
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield RowError(index, "", "", Code.NOT_AN_OBJECT, "must be a JSON object")
            continue
        unknown = [k for k in item if k not in known]
        missing = [k for k in kind.required_columns if k not in item]
        if unknown or missing:
            for k in unknown:
                yield RowError(index, str(k), "", Code.UNKNOWN_COLUMN, f"is not a field of {kind.name}")
            for k in missing:
                yield RowError(index, k, "", Code.MISSING_COLUMN, "is missing")
            continue
        nested = [k for k, v in item.items() if isinstance(v, (list, dict))]
        if nested:  # its text would be Python's repr of it: "['T1']"
            for k in nested:
                yield RowError(
                    index,
                    k,
                    "",
                    Code.NOT_A_VALUE,
                    "must be one value (text, a number, true, false or null), not a JSON list or object",
                )
            continue
        yield index, {k: _json_cell(v) for k, v in item.items()}


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


def _json_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
        raise UnknownKind(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
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
                    " / ".join(map(str, spec.key(row))),
                    Code.DUPLICATE_KEY,
                    f"appears earlier in this load with the same key (row {before})",
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
                            f"the database refused rows {batch[0].line}-{batch[-1].line}: {exc}",
                        )
                    ]
                )
        batch.clear()
        if progress:
            progress(result.rows_read)

    try:
        with transaction.atomic():
            try:
                for item in rows:
                    result.rows_read += 1
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
        raise UnknownKind(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
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
        raise UnknownKind(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
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
    run.errors = [e.as_dict() for e in result.errors]
    if not result.ok:
        run.status = ImportStatus.INVALID
    elif result.dry_run:
        run.status = ImportStatus.VALID
    else:
        run.status = ImportStatus.DONE
    run.finished_at = timezone.now()
    if run.status == ImportStatus.DONE:
        run.message = _follow_up_text(result)
    run.save()
    if run.status == ImportStatus.DONE:
        # Inside a transaction the receivers answer at its commit, after this: note it then.
        transaction.on_commit(lambda: _note_follow_ups(run, result))
    return run


def _follow_up_text(result: ImportResult) -> str:
    return " ".join(f.notice for f in result.follow_ups)


def _note_follow_ups(run: ImportRun, result: ImportResult) -> None:
    text = _follow_up_text(result)
    if text != run.message:
        run.message = text
        ImportRun.objects.filter(pk=run.pk).update(message=text)


def data_export(*, kind: str, out: IO[str]) -> int:
    """Write every stored row of ``kind`` in the import format; returns the number of rows."""
    if kind not in KINDS:
        raise UnknownKind(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    spec = kind_for(kind)
    writer = spreadsheets.DictWriter(out, fieldnames=list(spec.column_names), lineterminator="\n")
    writer.writeheader()
    n = 0
    for row in spec.export_rows():
        writer.writerow(row)
        n += 1
    return n


def _progress_key(run_id: int) -> str:
    return f"import-progress:{run_id}"


def import_progress(*, run_id: int) -> dict[str, int]:
    return cache.get(_progress_key(run_id)) or {}


def import_upload_create(
    *, user: User, kind: str, upload: IO[bytes], filename: str, source_format: str = "", mapping: str = ""
) -> ImportRun:
    """Store an uploaded file and queue its check (a dry run); the page follows its progress.

    When the queue cannot be reached the run is failed at once with the reason (the page offers Retry).
    """
    if kind not in KINDS:
        raise UnknownKind(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    with path.open("wb") as out:
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            out.write(chunk)
    run = ImportRun.objects.create(
        kind=kind,
        source=ImportSource.UPLOAD,
        status=ImportStatus.QUEUED,
        dry_run=True,
        created_by=user,
        filename=filename[:255],
        stored_file=str(path),
        source_format=source_format,
        mapping=mapping,
        attempt=1,
        sends=1,
        queued_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue(_task_for(run), run))
    return run


def import_upload_confirm(*, run: ImportRun) -> ImportRun:
    """Queue the write of a file whose check passed. Refused unless the check passed."""
    updated = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.VALID).update(
        status=ImportStatus.QUEUED, dry_run=False, **_queued_now()
    )
    if not updated:
        raise ValueError("Only a checked file without errors can be imported.")
    run.refresh_from_db()
    transaction.on_commit(lambda: _enqueue(_task_for(run), run))
    return run


def import_run_can_retry(run: ImportRun) -> bool:
    return (
        run.status == ImportStatus.FAILED
        and run.source == ImportSource.UPLOAD
        and bool(run.stored_file)
        and Path(run.stored_file).exists()
    )


def import_run_retry(*, run: ImportRun) -> ImportRun:
    """Queue again the step of an upload that failed: its check, or its import (all or nothing, so an
    import that stopped half way wrote nothing, and one that did write finds its rows unchanged)."""
    if run.status == ImportStatus.FAILED and not import_run_can_retry(run):
        raise ValueError("The uploaded file is gone: upload it again.")
    updated = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.FAILED).update(
        status=ImportStatus.QUEUED, **_queued_now()
    )
    if not updated:
        raise ValueError("Only a failed import can be retried.")
    run.refresh_from_db()
    transaction.on_commit(lambda: _enqueue(_task_for(run), run))
    return run


def _queued_now() -> dict[str, Any]:
    """The fields of a step someone just asked for: a new attempt, sent once, no outcome yet."""
    return {
        "attempt": F("attempt") + 1,
        "sends": 1,
        "queued_at": timezone.now(),
        "heartbeat_at": None,
        "finished_at": None,
        "message": "",
    }


def _task_for(run: ImportRun) -> str:
    return "activity.import_validate" if run.dry_run else "activity.import_commit"


def _enqueue(task_name: str, run: ImportRun) -> None:
    """Send the run's current attempt; when the queue cannot be reached, the run fails with the reason."""
    try:
        task_id = jobs.send(task_name, [run.pk, run.attempt])
    except jobs.QueueUnreachable as exc:
        ImportRun.objects.filter(pk=run.pk, status=ImportStatus.QUEUED, attempt=run.attempt).update(
            status=ImportStatus.FAILED, message=exc.reason, finished_at=timezone.now()
        )
        return
    ImportRun.objects.filter(pk=run.pk).update(task_id=task_id)


class _NoLongerOurs(Exception):
    """The run was failed (or sent again) while this worker was still at it: its work is rolled back."""


def _fail(run_id: int, status: str, message: str) -> bool:
    """Mark a run failed if it is still in ``status``; a database that cannot be reached is logged."""
    try:
        return bool(
            ImportRun.objects.filter(pk=run_id, status=status).update(
                status=ImportStatus.FAILED, message=message[:4000], finished_at=timezone.now()
            )
        )
    except DatabaseError:
        log.exception("Import run %s could not be marked failed: %s", run_id, message)
        return False


def import_run_execute(*, run_id: int, dry_run: bool, attempt: int | None = None) -> str:
    """Run the check or the write of a stored upload, publishing progress, recording the outcome.

    The worker first claims the run: it must be queued for this step and, when the message says so, for
    this attempt. Any other message (delivered twice, replaced by the sweep's new send, or redelivered
    after its worker died while the run was marked failed meanwhile) does nothing and answers the
    run's status (core/jobs.py), unless it finds the run claimed for its own attempt by a worker that
    died: it takes the run over (``jobs.take_over``). While it runs, the run shows signs of life (``heartbeat_at``); the
    load and its outcome commit together, and only if the run is still this worker's then.
    """
    running = ImportStatus.VALIDATING if dry_run else ImportStatus.IMPORTING
    claim = ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED, dry_run=dry_run)
    if attempt is not None:
        claim = claim.filter(attempt=attempt)
    claimed = bool(claim.update(status=running, heartbeat_at=timezone.now()))
    if not claimed:
        # Its message came back to a run claimed for this attempt: its worker died (taken over once
        # silent for JOB_TAKEOVER_SECONDS; jobs.StillAlive before that, for the task to ask again).
        claimed = (
            jobs.take_over(
                ImportRun.objects.filter(dry_run=dry_run), pk=run_id, attempt=attempt, running=[running]
            )
            is not None
        )
    if not claimed:
        run = ImportRun.objects.filter(pk=run_id).only("status", "attempt").first()
        log.info(
            "Import run %s: a message for attempt %s found it %s (attempt %s): nothing done",
            run_id,
            attempt,
            run.status if run else "deleted",
            run.attempt if run else None,
        )
        return run.status if run else "gone"
    run = ImportRun.objects.get(pk=run_id)
    path = Path(run.stored_file)
    if not path.exists():
        _fail(run.pk, running, "The uploaded file is gone. Upload it again.")
        return ImportStatus.FAILED
    step = "checking the file" if dry_run else "importing"
    total = path.stat().st_size

    with jobs.Heartbeat(ImportRun, run.pk) as beat:

        def progress(rows: int, read: int) -> None:
            cache.set(_progress_key(run.pk), {"rows": rows, "bytes": read, "total": total}, 3600)
            beat()

        try:
            with transaction.atomic():
                with path.open("rb") as binary:
                    result = import_csv(
                        kind=run.kind,
                        binary=binary,
                        dry_run=dry_run,
                        progress=progress,
                        source_format=run.source_format,
                        mapping=run.mapping,
                    )
                current = ImportRun.objects.select_for_update().only("status", "attempt").get(pk=run.pk)
                if (current.status, current.attempt) != (running, run.attempt):
                    raise _NoLongerOurs(current.status)
                import_run_record(result=result, source=run.source, run=run)
        except _NoLongerOurs as gone:
            log.warning(
                "Import run %s was marked %s while this worker was %s: its work is rolled back",
                run.pk,
                gone,
                step,
            )
            return str(gone)
        except Exception as exc:
            written = "Nothing was written: the import is all-or-nothing." if not dry_run else ""
            _fail(run.pk, running, f"The worker failed while {step}: {exc}. {written}".strip())
            raise
    cache.set(_progress_key(run.pk), {"rows": result.rows_read, "bytes": total, "total": total}, 3600)
    if run.status in (ImportStatus.DONE, ImportStatus.INVALID):
        path.unlink(missing_ok=True)
    return run.status


def import_runs_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Runs on their way that went quiet (Celery beat; ``core.jobs.sweep``): queued and not picked
    up, sent again, then failed; checking or importing without a sign of life, failed (a worker that
    died took its transaction with it: nothing was written)."""

    def silence(run: ImportRun, since: str) -> str:
        if run.status == ImportStatus.IMPORTING:
            return (
                f"The worker stopped while importing (no sign of life since {since}). "
                "Nothing was written: the import is all-or-nothing. Retry."
            )
        return f"The worker stopped while checking the file (no sign of life since {since}). Nothing was written. Retry."

    return jobs.sweep(
        ImportRun.objects.all(),
        queued=ImportStatus.QUEUED,
        running=[ImportStatus.VALIDATING, ImportStatus.IMPORTING],
        failed=ImportStatus.FAILED,
        created_field="started_at",
        message_field="message",
        resend=lambda run: _enqueue(_task_for(run), run),
        silence=silence,
        now=now,
    )
