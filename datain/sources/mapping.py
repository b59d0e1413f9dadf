"""Mapping files: a small YAML that reads any system's CSV (or JSON) export as one kind.

::

    kind: usage                     # the kind of docs/data-contract.md the file becomes
    source: pendo                   # the crosswalk's source name (for crosswalk: account / owner)
    format: csv                     # csv (a header row) or json (a list, or an object: records: KEY)
    fields:                         # our column: where its value comes from
      account_external_id: {column: accountId, crosswalk: account}
      date: {column: day, transform: unix_milliseconds}
      licensed_seats: seats         # a bare name is a column taken as it is
      features_available: {constant: 40}

A field takes its value from exactly one of ``column`` (a header of the CSV, a dotted path in JSON),
``constant`` or ``today: true`` (the day of the load), then, in this order: ``default`` (for an empty
value), ``map`` (an enum map, e.g. ``{Green: good, Red: poor}``: a value missing from it is an
error), ``multiply`` (a number), ``transform`` (``unix_seconds``, ``unix_milliseconds``,
``cents``, ``date_format`` / ``datetime_format`` with ``format: "%m/%d/%Y"``, ``round``, ``lower``),
``plus_minutes`` (another column: a datetime plus that many minutes) and ``crosswalk`` (``account``:
the source's account id to ours; ``owner``: the source's owner id to the person's email). A
datetime written to a date column becomes the organisation's day. Columns a kind may leave empty
may be left out. The result goes through the kind's validator like our own files; errors name the
file's row and the source column.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import yaml
from django.utils import timezone

from datain.kinds import KINDS, kind_for
from datain.sources.base import (
    Bad,
    Crosswalks,
    Item,
    Mapped,
    NotJson,
    Problem,
    Shape,
    SourceCode,
    SourceNotUsable,
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
from datain.validation import (
    CellError,
    Code,
    RowError,
    csv_error,
    parse_date,
    parse_datetime,
    source_name,
)

SHIPPED = Path(__file__).resolve().parent.parent / "mappings"
MAX_MAPPING_BYTES = 64 * 1024
TRANSFORMS = (
    "unix_seconds",
    "unix_milliseconds",
    "cents",
    "date_format",
    "datetime_format",
    "round",
    "lower",
)
FIELD_KEYS = {
    "column",
    "constant",
    "today",
    "default",
    "map",
    "transform",
    "format",
    "multiply",
    "plus_minutes",
    "crosswalk",
}
TOP_KEYS = {"kind", "source", "format", "records", "fields", "description"}


class MappingError(SourceNotUsable):
    """A mapping file that cannot be used: every problem, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class FieldSpec:
    target: str
    column: str | None = None
    constant: Any = None
    today: bool = False
    default: Any = None
    mapping: dict[str, Any] | None = None
    transform: str | None = None
    format: str | None = None
    multiply: Decimal | None = None
    plus_minutes: str | None = None
    crosswalk: str | None = None

    @property
    def origin(self) -> str:
        """Where this field comes from (a column, a column plus minutes, a constant), for errors."""
        if self.column is None:
            return "constant" if not self.today else "today"
        return self.column + (f" + {self.plus_minutes}" if self.plus_minutes else "")


@dataclass(frozen=True)
class Mapping:
    kind: str
    source: str
    format: str
    records: str | None
    fields: tuple[FieldSpec, ...]
    description: str = ""

    @property
    def columns(self) -> list[str]:
        """The source columns the mapping reads."""
        out: list[str] = []
        for spec in self.fields:
            for name in (spec.column, spec.plus_minutes):
                if name and name not in out:
                    out.append(name)
        return out


def shipped_mappings() -> dict[str, str]:
    """The example mappings shipped with the product: name -> description."""
    out = {}
    for path in sorted(SHIPPED.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        out[path.stem] = str(data.get("description") or path.stem) if isinstance(data, dict) else path.stem
    return out


def shipped_mapping_text(name: str) -> str:
    if name not in shipped_mappings():
        raise MappingError(
            [f"no shipped mapping is called {name!r} (there are: {', '.join(shipped_mappings())})"]
        )
    return (SHIPPED / f"{name}.yaml").read_text(encoding="utf-8")


def parse_mapping(text: str | dict, kind: str | None = None) -> Mapping:
    """The mapping of a YAML text (or an already parsed object), checked; MappingError otherwise."""
    if isinstance(text, str):
        if len(text.encode("utf-8", "replace")) > MAX_MAPPING_BYTES:
            raise MappingError([f"a mapping file has at most {MAX_MAPPING_BYTES // 1024} KB"])
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise MappingError([f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"]) from None
        except RecursionError:
            raise MappingError(["not valid YAML: nested too deep"]) from None
    else:
        data = text
    if not isinstance(data, dict):
        raise MappingError(["a mapping file is a YAML mapping with kind, fields and optionally source"])
    problems: list[str] = []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(f"{key}: unknown key (expected: {', '.join(sorted(TOP_KEYS))})")
    declared = data.get("kind")
    if declared not in KINDS:
        problems.append(f"kind: {declared!r} is not a kind (one of {', '.join(KINDS)})")
        raise MappingError(problems)
    if kind is not None and declared != kind:
        problems.append(f"kind: the mapping is for {declared}, not {kind}")
    source = data.get("source") or ""
    if source:
        try:
            source = source_name(str(source))
        except CellError:
            problems.append(f"source: {source!r} is not a source name (letters, digits, - or _)")
            source = ""
    file_format = data.get("format") or "csv"
    if file_format not in ("csv", "json"):
        problems.append(f"format: {file_format!r} must be csv or json")
    records = data.get("records")
    if records is not None and not isinstance(records, str):
        problems.append("records: must be the name of the list in a JSON object, e.g. results")
    spec = kind_for(declared)
    columns = {c.name: c for c in spec.columns}
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        problems.append("fields: must map each column of the kind to where its value comes from")
        raise MappingError(problems)
    parsed: list[FieldSpec] = []
    for target, raw in fields.items():
        where = f"fields.{target}"
        if target not in columns:
            problems.append(f"{where}: not a column of {declared} (its columns: {', '.join(columns)})")
            continue
        parsed_spec = _field(where, str(target), raw, problems)
        if parsed_spec is not None:
            if parsed_spec.crosswalk and not source:
                problems.append(f"{where}: crosswalk needs the mapping's source (e.g. source: pendo)")
            parsed.append(parsed_spec)
    mapped = {f.target for f in parsed} | {str(t) for t in fields if str(t) in columns}
    for column in spec.columns:
        if column.required and column.name not in mapped:
            problems.append(f"fields: {column.name} is required by {declared} and is not mapped")
    if problems:
        raise MappingError(problems)
    return Mapping(
        kind=declared,
        source=source,
        format=file_format,
        records=records,
        fields=tuple(parsed),
        description=str(data.get("description") or ""),
    )


def _field(where: str, target: str, raw: Any, problems: list[str]) -> FieldSpec | None:
    if isinstance(raw, str):
        return FieldSpec(target=target, column=raw)
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a column name or a mapping such as {{column: NAME}}")
        return None
    before = len(problems)
    for key in raw:
        if key not in FIELD_KEYS:
            problems.append(f"{where}.{key}: unknown key (expected: {', '.join(sorted(FIELD_KEYS))})")
    chosen = [k for k in ("column", "constant", "today") if k in raw]
    if len(chosen) != 1:
        problems.append(f"{where}: give exactly one of column, constant or today")
    column = raw.get("column")
    if "column" in raw and (not isinstance(column, str) or not column):
        problems.append(f"{where}.column: must be a column name")
    if "today" in raw and raw["today"] is not True:
        problems.append(f"{where}.today: must be true")
    mapping = raw.get("map")
    if mapping is not None and (
        not isinstance(mapping, dict) or any(isinstance(v, dict | list) for v in mapping.values())
    ):
        problems.append(f"{where}.map: must map each source value to one value, e.g. {{Green: good}}")
    transform = raw.get("transform")
    if transform is not None and transform not in TRANSFORMS:
        problems.append(f"{where}.transform: {transform!r} is not one of {', '.join(TRANSFORMS)}")
    fmt = raw.get("format")
    if transform in ("date_format", "datetime_format"):
        if not isinstance(fmt, str) or "%" not in fmt:
            problems.append(f"{where}.format: {transform} needs a format such as '%m/%d/%Y'")
        elif (why := format_problem(fmt)) is not None:
            problems.append(f"{where}.format: {fmt!r} {why}")
    elif fmt is not None:
        problems.append(f"{where}.format: only for transform date_format or datetime_format")
    multiply = None
    if "multiply" in raw:
        try:
            multiply = Decimal(str(raw["multiply"]))
            if not multiply.is_finite() or isinstance(raw["multiply"], bool):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"{where}.multiply: must be a number")
    plus = raw.get("plus_minutes")
    if plus is not None and (not isinstance(plus, str) or not plus):
        problems.append(f"{where}.plus_minutes: must be the name of the column holding the minutes")
    crosswalk = raw.get("crosswalk")
    if crosswalk is not None and crosswalk not in ("account", "owner"):
        problems.append(f"{where}.crosswalk: must be account or owner")
    if len(problems) > before:
        return None
    return FieldSpec(
        target=target,
        column=column,
        constant=raw.get("constant"),
        today=bool(raw.get("today")),
        default=raw.get("default"),
        mapping={str(k): v for k, v in mapping.items()} if mapping is not None else None,
        transform=transform,
        format=fmt,
        multiply=multiply,
        plus_minutes=plus,
        crosswalk=crosswalk,
    )


# A moment every directive can write and read back (a day above 12, an hour past noon, UTC).
_SAMPLE_MOMENT = datetime.datetime(2026, 7, 23, 14, 5, 6, tzinfo=datetime.UTC)


def format_problem(fmt: str) -> str | None:
    """Why ``fmt`` cannot read dates (``strptime``), in words; None when it can.

    The format writes a sample moment and must read it back: a directive Python does not know, a
    lone %, or a part given twice (``%Y%Y``, which the regular expression behind ``strptime``
    refuses) are found when the mapping is read, before any row."""
    try:
        written = _SAMPLE_MOMENT.strftime(fmt)
    except ValueError:
        return "is not a date format (a % must be followed by a directive such as %Y, %m or %d)"
    try:
        datetime.datetime.strptime(written, fmt)
    except re.error:
        return "gives the same part of the date twice: each directive (%Y, %m, %d, ...) may appear once"
    except ValueError as exc:
        text = str(exc)
        if "bad directive" in text or "stray %" in text:
            return "has a directive Python does not know: use those of strptime, such as %Y, %m, %d, %H, %M"
        return "cannot read back a date it writes: check its directives"
    return None


def check_mapping(*, kind: str, text: str) -> Mapping:
    return parse_mapping(text, kind)


# --- reading a file through a mapping ---------------------------------------------------------


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
            self.problems: list[str] = []
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
                yield RowError(0, "mapping", "", SourceCode.UNSUPPORTED, f"the mapping file: {problem}")
            return
        mapping = self.mapping
        crosswalks = Crosswalks(mapping.source) if mapping.source else None
        records = self._csv() if self.binary is not None and mapping.format == "csv" else self._json()
        for item in records:
            if isinstance(item, RowError):
                yield item
                continue
            line, record = item
            label = f"row {line}"
            try:
                cells = self._map(record, crosswalks)
            except Bad as bad:
                yield Problem(line, label, bad.field, bad.value, bad.code, f"{bad.field} {bad.message}")
                continue
            yield Mapped(line, label, cells)

    def _csv(self) -> Iterator[tuple[int, dict[str, Any]] | RowError]:
        text = io.TextIOWrapper(self.binary, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text, strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            yield RowError(1, "", "", Code.EMPTY_FILE, "the file is empty: a header row is required")
            return
        except csv.Error as exc:
            yield csv_error(exc, 1, reader.line_num)
            return
        missing = [c for c in self.mapping.columns if c not in header]
        if missing:
            for name in missing:
                yield RowError(
                    1, name, "", Code.MISSING_COLUMN, "is missing from the header (the mapping reads it)"
                )
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
                    f"has {len(record)} fields where the header has {len(header)}",
                )
                continue
            if any("\ufffd" in cell for cell in record):
                yield RowError(line, "", "", Code.BAD_ENCODING, "is not valid UTF-8 text")
                continue
            yield line, dict(zip(header, record, strict=True))

    def _json(self) -> Iterator[tuple[int, dict[str, Any]] | RowError]:
        try:
            payload = load_json(self.binary.read() if self.binary is not None else self.items)
        except NotJson as exc:
            yield RowError(1, "", "", SourceCode.NOT_JSON, f"the file is not JSON: {exc}")
            return
        try:
            if self.mapping.records and isinstance(payload, dict):
                records = records_of(payload, (self.mapping.records,))
            else:
                records = records_of(payload, ("records", "results", "data", "rows"))
        except Shape as exc:
            yield RowError(1, "", "", SourceCode.UNEXPECTED_SHAPE, str(exc))
            return
        for line, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                yield RowError(line, "", "", Code.NOT_AN_OBJECT, "must be a JSON object")
                continue
            yield line, record

    def _map(self, record: dict[str, Any], crosswalks: Crosswalks | None) -> dict[str, str]:
        cells: dict[str, str] = {c: "" for c in kind_for(self.kind).column_names}
        for spec in self.mapping.fields:
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
                raise Bad(field, value, f"is not one of the values the mapping knows ({shown})")
            value = spec.mapping[key]
            if _empty(value):
                return None
        if spec.multiply is not None:
            try:
                value = Decimal(str(value).strip()) * spec.multiply
            except InvalidOperation:
                raise Bad(field, value, "is not a number") from None
        if spec.transform is not None:
            value = self._transform(spec, value, field)
        if spec.plus_minutes is not None:
            base = value if isinstance(value, datetime.datetime) else source_datetime(str(value), field)
            minutes = self._read(record, spec.plus_minutes)
            if _empty(minutes):
                return None  # no minutes (e.g. no reply yet): no value
            try:
                amount = Decimal(str(minutes).strip())
                if not amount.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                raise Bad(spec.plus_minutes, minutes, "is not a number of minutes") from None
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
                raise Bad(field, value, "is not an amount in cents") from None
            return (number / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if transform in ("date_format", "datetime_format"):
            try:
                parsed = datetime.datetime.strptime(str(value).strip(), spec.format)
            except (ValueError, re.error):  # the format was checked when the mapping was read
                raise Bad(field, value, f"does not match the format {spec.format}") from None
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
                raise Bad(field, value, "is not a number") from None
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
