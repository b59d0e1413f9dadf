"""Reading a file (or an API body) through a mapping file (``datain.sources.mapping``): each record's
fields taken, mapped and transformed into a row of the kind, for the kind's validator."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from django.utils import timezone

from core.said import Said, said
from datain import words as w
from datain.kinds import kind_for
from datain.sources.base import (
    Bad,
    Crosswalks,
    Item,
    Mapped,
    NotJson,
    Problem,
    Shape,
    SourceCode,
    Translation,
    dig,
    in_years,
    iso,
    load_json,
    local_date,
    plus_minutes,
    records_of,
    source_datetime,
    unix_datetime,
)
from datain.sources.mapping import FieldSpec, Mapping, MappingError, parse_mapping
from datain.validation import (
    Code,
    RowError,
    csv_error,
    parse_date,
    parse_datetime,
)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class MappingReader:
    """The rows of one kind from a CSV or JSON file (or an API body) read through a mapping."""

    def __init__(self, *, kind: str, mapping: str | dict, binary: IO[bytes] | None, items: Any) -> None:
        self.kind = kind
        self.binary = binary
        self.items = items
        try:
            self.mapping: Mapping | None = parse_mapping(mapping, kind)
            self.problems: list[Said] = []
        except MappingError as exc:
            self.mapping, self.problems = None, exc.problems
        title = (
            f"{self.mapping.source.capitalize()} (mapped)"
            if self.mapping and self.mapping.source
            else "Mapped"
        )
        fields = {f.target: f.origin for f in self.mapping.fields} if self.mapping else {}
        self.translation = Translation(title, fields)
        spec = kind_for(kind)
        self.dated = {c.name: c.parse for c in spec.columns if c.parse in (parse_date, parse_datetime)}
        self.today = timezone.localdate()

    def rows(self) -> Iterator[tuple[int, dict[str, str]] | RowError]:
        return self.translation.rows(self._items())

    def finish(self, result: Any) -> Any:
        result.errors[:] = [self.translation.error(e) for e in result.errors]
        result.notes.extend(self.translation.skipped_notes())
        result.skipped += self.translation.skipped_total()
        return result

    def _items(self) -> Iterator[Item | RowError]:
        if self.mapping is None:
            for problem in self.problems:
                yield RowError(
                    0,
                    "mapping",
                    "",
                    SourceCode.UNSUPPORTED,
                    said(w.MAPPING_FILE, problem=problem),
                )
            return
        mapping = self.mapping
        crosswalks = Crosswalks(mapping.source) if mapping.source else None
        records = (
            self._csv(self.binary, mapping)
            if self.binary is not None and mapping.format == "csv"
            else self._json(mapping)
        )
        for item in records:
            if isinstance(item, RowError):
                yield item
                continue
            line, record = item
            label = said(w.L_ROW, line=line)
            try:
                cells = self._map(record, mapping, crosswalks)
            except Bad as bad:
                yield Problem(
                    line,
                    label,
                    bad.field,
                    bad.value,
                    bad.code,
                    said(w.FIELD_PROBLEM, field=bad.field, problem=bad.message),
                )
                continue
            yield Mapped(line, label, cells)

    def _csv(self, binary: IO[bytes], mapping: Mapping) -> Iterator[tuple[int, dict[str, Any]] | RowError]:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text, strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            yield RowError(1, "", "", Code.EMPTY_FILE, said(w.EMPTY_FILE))
            return
        except csv.Error as exc:
            yield csv_error(exc, 1, reader.line_num)
            return
        missing = [c for c in mapping.columns if c not in header]
        if missing:
            for name in missing:
                yield RowError(1, name, "", Code.MISSING_COLUMN, said(w.MISSING_FOR_MAPPING))
            return
        last = reader.line_num
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the reader goes on with the next line
                yield csv_error(exc, last + 1, reader.line_num)
                last = reader.line_num
                continue
            line, last = last + 1, reader.line_num
            if not record or (len(record) == 1 and record[0] == ""):
                continue
            if len(record) != len(header):
                yield RowError(
                    line,
                    "",
                    "",
                    Code.WRONG_FIELD_COUNT,
                    said(w.WRONG_FIELD_COUNT, found=len(record), width=len(header)),
                )
                continue
            if any("\ufffd" in cell for cell in record):
                yield RowError(line, "", "", Code.BAD_ENCODING, said(w.NOT_UTF8))
                continue
            yield line, dict(zip(header, record, strict=True))

    def _json(self, mapping: Mapping) -> Iterator[tuple[int, dict[str, Any]] | RowError]:
        try:
            payload = load_json(self.binary.read() if self.binary is not None else self.items)
        except NotJson as exc:
            yield RowError(1, "", "", SourceCode.NOT_JSON, said(w.NOT_JSON, error=str(exc)))
            return
        try:
            if mapping.records and isinstance(payload, dict):
                records = records_of(payload, (mapping.records,))
            else:
                records = records_of(payload, ("records", "results", "data", "rows"))
        except Shape as exc:
            yield RowError(1, "", "", SourceCode.UNEXPECTED_SHAPE, exc.args[0])
            return
        for line, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                yield RowError(line, "", "", Code.NOT_AN_OBJECT, said(w.NOT_AN_OBJECT))
                continue
            yield line, record

    def _map(self, record: dict[str, Any], mapping: Mapping, crosswalks: Crosswalks | None) -> dict[str, str]:
        cells: dict[str, str] = {c: "" for c in kind_for(self.kind).column_names}
        for spec in mapping.fields:
            value = self._value(spec, record, crosswalks)
            cells[spec.target] = self._text(spec, value)
        return cells

    def _read(self, record: dict[str, Any], column: str) -> Any:
        if column in record:
            return record[column]
        return dig(record, column) if "." in column else None

    def _value(self, spec: FieldSpec, record: dict[str, Any], crosswalks: Crosswalks | None) -> Any:
        field = spec.origin
        if spec.today:
            return self.today
        value = spec.constant if spec.column is None else self._read(record, spec.column)
        if _empty(value) and spec.default is not None:
            value = spec.default
        if _empty(value):
            return None
        if spec.mapping is not None:
            key = str(value).strip()
            if key not in spec.mapping:
                shown = ", ".join(list(spec.mapping)[:10])
                raise Bad(
                    field,
                    value,
                    said(w.NOT_A_MAPPED_VALUE, values=shown),
                )
            value = spec.mapping[key]
            if _empty(value):
                return None
        if spec.multiply is not None:
            try:
                value = Decimal(str(value).strip()) * spec.multiply
            except InvalidOperation:
                raise Bad(field, value, said(w.NOT_A_NUMBER)) from None
        if spec.transform is not None:
            value = self._transform(spec, value, field)
        if spec.plus_minutes is not None:
            base = value if isinstance(value, datetime.datetime) else source_datetime(str(value), field)
            assert base is not None  # the value is not empty (answered above): a moment or a Bad
            minutes = self._read(record, spec.plus_minutes)
            if _empty(minutes):
                return None  # no minutes (e.g. no reply yet): no value
            try:
                amount = Decimal(str(minutes).strip())
                if not amount.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                raise Bad(spec.plus_minutes, minutes, said(w.NOT_MINUTES)) from None
            value = plus_minutes(base, float(amount), spec.plus_minutes)
        if spec.crosswalk is not None and crosswalks is not None:
            value = (
                crosswalks.account(value)
                if spec.crosswalk == "account"
                else (crosswalks.owner(value) or value)
            )
        return value

    def _transform(self, spec: FieldSpec, value: Any, field: str) -> Any:
        transform = spec.transform
        if transform == "unix_seconds":
            return unix_datetime(value, field)
        if transform == "unix_milliseconds":
            return unix_datetime(value, field, scale=1000)
        if transform == "cents":
            try:
                number = Decimal(str(value).strip())
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                raise Bad(field, value, said(w.NOT_CENTS)) from None
            return (number / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if transform in ("date_format", "datetime_format"):
            assert spec.format is not None  # parse_mapping refuses these transforms without one
            try:
                parsed = datetime.datetime.strptime(str(value).strip(), spec.format)
            except (ValueError, re.error):  # the format was checked when the mapping was read
                raise Bad(field, value, said(w.NOT_IN_FORMAT, format=spec.format)) from None
            in_years(parsed, field, value)
            if transform == "date_format":
                return parsed.date()
            if parsed.tzinfo is None:
                parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
            return parsed
        if transform == "round":
            try:
                number = Decimal(str(value).strip())
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                raise Bad(field, value, said(w.NOT_A_NUMBER)) from None
            return int(number.to_integral_value(rounding=ROUND_HALF_UP))
        return str(value).lower()  # lower

    def _text(self, spec: FieldSpec, value: Any) -> str:
        """The cell text the kind's validator reads."""
        if value is None:
            return ""
        parse = self.dated.get(spec.target)
        if isinstance(value, datetime.datetime):
            return local_date(value).isoformat() if parse is parse_date else iso(value)
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            if value == value.to_integral_value() and spec.target not in ("mrr_delta",):
                return str(int(value))
            return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
