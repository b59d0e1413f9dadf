"""Reading the rows of a load: a CSV file (its header checked against the kind's columns, every
record as text) or the JSON list of an API request, as (line, {column: text}) for the engine
(``datain.services``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from core import spreadsheets
from core.said import said
from datain import words as w
from datain.kinds import Kind
from datain.validation import Code, RowError, csv_error

API_MAX_ROWS = 10_000


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
            errors.append(RowError(1, name, name, Code.DUPLICATE_COLUMN, said(w.DUPLICATE_COLUMN)))
        seen.add(name)
        if name not in known:
            errors.append(
                RowError(
                    1,
                    name,
                    name,
                    Code.UNKNOWN_COLUMN,
                    said(w.UNKNOWN_COLUMN, kind=kind.name, columns=list(kind.column_names)),
                )
            )
    for name in kind.required_columns:
        if name not in seen:
            errors.append(RowError(1, name, "", Code.MISSING_COLUMN, said(w.MISSING_FROM_HEADER)))
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
            raise HeaderProblem([RowError(1, "", "", Code.EMPTY_FILE, said(w.EMPTY_FILE))]) from None
        except csv.Error as exc:
            raise HeaderProblem([csv_error(exc, 1, reader.line_num)]) from None
        header = [h.strip() for h in header]
        if any("\ufffd" in h for h in header):
            raise HeaderProblem([RowError(1, "", "", Code.BAD_ENCODING, said(w.HEADER_NOT_UTF8))])
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
                    said(w.WRONG_FIELD_COUNT, found=len(record), width=width),
                )
                continue
            joined = "".join(record)
            if "\ufffd" in joined:  # one test per row; the column only when there is one
                bad = next(h for h, cell in zip(header, record, strict=True) if "\ufffd" in cell)
                yield RowError(line, bad, "", Code.BAD_ENCODING, said(w.NOT_UTF8))
                continue
            if "'" in joined:  # a cell our own export neutralised for spreadsheets
                record = [spreadsheets.restore(cell) for cell in record]
            yield line, dict(zip(header, record, strict=False))  # equal widths: checked above


def json_rows(kind: Kind, items: Any) -> Iterator[tuple[int, dict[str, str]] | RowError]:
    """The rows of an API request as (index from 1, {column: text}); same rules as a CSV row."""
    if not isinstance(items, list):
        raise HeaderProblem([RowError(0, "", "", Code.NOT_A_LIST, said(w.NOT_A_LIST))])
    if len(items) > API_MAX_ROWS:
        raise HeaderProblem(
            [
                RowError(
                    0,
                    "",
                    "",
                    Code.TOO_MANY_ROWS,
                    said(w.TOO_MANY_ROWS, limit=API_MAX_ROWS, found=len(items)),
                )
            ]
        )
    known = set(kind.column_names)
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield RowError(index, "", "", Code.NOT_AN_OBJECT, said(w.NOT_AN_OBJECT))
            continue
        unknown = [k for k in item if k not in known]
        missing = [k for k in kind.required_columns if k not in item]
        if unknown or missing:
            for k in unknown:
                yield RowError(
                    index,
                    str(k),
                    "",
                    Code.UNKNOWN_COLUMN,
                    said(w.UNKNOWN_FIELD, kind=kind.name),
                )
            for k in missing:
                yield RowError(index, k, "", Code.MISSING_COLUMN, said(w.MISSING))
            continue
        nested = [k for k, v in item.items() if isinstance(v, (list, dict))]
        if nested:  # its text would be Python's repr of it: "['T1']"
            for k in nested:
                yield RowError(
                    index,
                    k,
                    "",
                    Code.NOT_A_VALUE,
                    said(w.NOT_A_VALUE),
                )
            continue
        yield index, {k: _json_cell(v) for k, v in item.items()}


def _json_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
