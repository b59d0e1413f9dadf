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

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from core.said import Said, said
from datain import words as w
from datain.kinds import KINDS, kind_for
from datain.sources.base import (
    SourceNotUsable,
)
from datain.validation import (
    CellError,
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

    def __init__(self, problems: list[Said]) -> None:
        super().__init__(*problems)
        self.problems = problems

    def __str__(self) -> str:  # in the language active when it is read
        return "; ".join(str(p) for p in self.problems)


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
        raise MappingError([said(w.M_NO_SUCH_SHIPPED, name=name, names=", ".join(shipped_mappings()))])
    return (SHIPPED / f"{name}.yaml").read_text(encoding="utf-8")


def parse_mapping(text: str | dict, kind: str | None = None) -> Mapping:
    """The mapping of a YAML text (or an already parsed object), checked; MappingError otherwise."""
    if isinstance(text, str):
        if len(text.encode("utf-8", "replace")) > MAX_MAPPING_BYTES:
            raise MappingError([said(w.M_TOO_BIG, size=MAX_MAPPING_BYTES // 1024)])
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = str(getattr(exc, "problem", None) or exc)
            raise MappingError(
                [
                    said(w.M_NOT_YAML_AT, line=mark.line + 1, column=mark.column + 1, problem=problem)
                    if mark is not None
                    else said(w.M_NOT_YAML, problem=problem)
                ]
            ) from None
        except RecursionError:
            raise MappingError([said(w.M_TOO_DEEP)]) from None
    else:
        data = text
    if not isinstance(data, dict):
        raise MappingError([said(w.M_NOT_A_MAPPING)])
    problems: list[Said] = []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(said(w.M_UNKNOWN_TOP_KEY, key=key, keys=", ".join(sorted(TOP_KEYS))))
    declared = data.get("kind")
    if declared not in KINDS:
        problems.append(said(w.M_NOT_A_KIND, kind=declared, kinds=", ".join(KINDS)))
        raise MappingError(problems)
    if kind is not None and declared != kind:
        problems.append(said(w.M_OTHER_KIND, declared=declared, kind=kind))
    source = data.get("source") or ""
    if source:
        try:
            source = source_name(str(source))
        except CellError:
            problems.append(said(w.M_NOT_A_SOURCE, source=source))
            source = ""
    file_format = data.get("format") or "csv"
    if file_format not in ("csv", "json"):
        problems.append(said(w.M_FORMAT, format=file_format))
    records = data.get("records")
    if records is not None and not isinstance(records, str):
        problems.append(said(w.M_RECORDS))
    spec = kind_for(declared)
    columns = {c.name: c for c in spec.columns}
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        problems.append(said(w.M_FIELDS))
        raise MappingError(problems)
    parsed: list[FieldSpec] = []
    for target, raw in fields.items():
        where = f"fields.{target}"
        if target not in columns:
            problems.append(said(w.M_NOT_A_COLUMN, where=where, kind=declared, columns=", ".join(columns)))
            continue
        parsed_spec = _field(where, str(target), raw, problems)
        if parsed_spec is not None:
            if parsed_spec.crosswalk and not source:
                problems.append(said(w.M_CROSSWALK_SOURCE, where=where))
            parsed.append(parsed_spec)
    mapped = {f.target for f in parsed} | {str(t) for t in fields if str(t) in columns}
    for column in spec.columns:
        if column.required and column.name not in mapped:
            problems.append(said(w.M_NOT_MAPPED, column=column.name, kind=declared))
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


def _field(where: str, target: str, raw: Any, problems: list[Said]) -> FieldSpec | None:
    if isinstance(raw, str):
        return FieldSpec(target=target, column=raw)
    if not isinstance(raw, dict):
        problems.append(said(w.M_FIELD_SHAPE, where=where))
        return None
    before = len(problems)
    for key in raw:
        if key not in FIELD_KEYS:
            problems.append(
                said(w.M_UNKNOWN_FIELD_KEY, where=where, key=key, keys=", ".join(sorted(FIELD_KEYS)))
            )
    chosen = [k for k in ("column", "constant", "today") if k in raw]
    if len(chosen) != 1:
        problems.append(said(w.M_ONE_OF, where=where))
    column = raw.get("column")
    if "column" in raw and (not isinstance(column, str) or not column):
        problems.append(said(w.M_COLUMN, where=where))
    if "today" in raw and raw["today"] is not True:
        problems.append(said(w.M_TODAY, where=where))
    mapping = raw.get("map")
    if mapping is not None and (
        not isinstance(mapping, dict) or any(isinstance(v, dict | list) for v in mapping.values())
    ):
        problems.append(said(w.M_MAP, where=where))
    transform = raw.get("transform")
    if transform is not None and transform not in TRANSFORMS:
        problems.append(
            said(w.M_TRANSFORM, where=where, transform=transform, transforms=", ".join(TRANSFORMS))
        )
    fmt = raw.get("format")
    if transform in ("date_format", "datetime_format"):
        if not isinstance(fmt, str) or "%" not in fmt:
            problems.append(said(w.M_NEEDS_FORMAT, where=where, transform=transform))
        elif (why := format_problem(fmt)) is not None:
            problems.append(said(w.M_BAD_FORMAT, where=where, format=fmt, why=why))
    elif fmt is not None:
        problems.append(said(w.M_FORMAT_ONLY, where=where))
    multiply = None
    if "multiply" in raw:
        try:
            multiply = Decimal(str(raw["multiply"]))
            if not multiply.is_finite() or isinstance(raw["multiply"], bool):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(said(w.M_MULTIPLY, where=where))
    plus = raw.get("plus_minutes")
    if plus is not None and (not isinstance(plus, str) or not plus):
        problems.append(said(w.M_PLUS_MINUTES, where=where))
    crosswalk = raw.get("crosswalk")
    if crosswalk is not None and crosswalk not in ("account", "owner"):
        problems.append(said(w.M_CROSSWALK, where=where))
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


def format_problem(fmt: str) -> Said | None:
    """Why ``fmt`` cannot read dates (``strptime``), in words; None when it can.

    The format writes a sample moment and must read it back: a directive Python does not know, a
    lone %, or a part given twice (``%Y%Y``, which the regular expression behind ``strptime``
    refuses) are found when the mapping is read, before any row."""
    try:
        written = _SAMPLE_MOMENT.strftime(fmt)
    except ValueError:
        return said(w.F_NOT_A_FORMAT)
    try:
        datetime.datetime.strptime(written, fmt)
    except re.error:
        return said(w.F_TWICE)
    except ValueError as exc:
        text = str(exc)
        if "bad directive" in text or "stray %" in text:
            return said(w.F_UNKNOWN_DIRECTIVE)
        return said(w.F_NO_READ_BACK)
    return None


def check_mapping(*, kind: str, text: str) -> Mapping:
    return parse_mapping(text, kind)
