"""Cell parsers and error codes shared by every input kind (docs/data-contract.md, "Rules for every kind").

A parser takes the raw text of one cell (never empty: empty cells are null before they get here)
and returns a typed value or raises :class:`CellError` with a code and a sentence a person can act on.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from core.said import Said, said
from core.text import free_text_problem_said, name_problem_said
from datain import words as w


class Code:
    """Error codes: stable identifiers next to the human sentence."""

    UNKNOWN_COLUMN = "unknown_column"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    EMPTY_FILE = "empty_file"
    NOT_A_LIST = "not_a_list"
    TOO_MANY_ROWS = "too_many_rows"
    NOT_AN_OBJECT = "not_an_object"
    NOT_A_VALUE = "not_a_value"
    BAD_ENCODING = "bad_encoding"
    WRONG_FIELD_COUNT = "wrong_field_count"
    UNBALANCED_QUOTE = "unbalanced_quote"
    CONTROL_CHARACTER = "control_character"
    REQUIRED = "required"
    MUST_BE_EMPTY = "must_be_empty"
    INVALID_DATE = "invalid_date"
    INVALID_DATETIME = "invalid_datetime"
    INVALID_DECIMAL = "invalid_decimal"
    INVALID_INTEGER = "invalid_integer"
    OUT_OF_RANGE = "out_of_range"
    INVALID_CHOICE = "invalid_choice"
    INVALID_EMAIL = "invalid_email"
    TOO_LONG = "too_long"
    BEFORE_OPENED = "before_opened_at"
    BEFORE_SIGNED = "before_signed_on"
    BEFORE_START = "before_start_date"
    SIGN_MISMATCH = "sign_mismatch"
    MRR_BELOW_ZERO = "mrr_below_zero"
    GREATER_THAN = "greater_than"
    UNKNOWN_REFERENCE = "unknown_reference"
    WRONG_ROLE = "wrong_role"
    DUPLICATE_KEY = "duplicate_key"
    NOT_TEAM_MANAGER = "not_team_manager"
    TEAM_MANAGER_CONFLICT = "team_manager_conflict"
    DATABASE = "database_refused"


# Text no database column holds: NUL, and the halves of a UTF-16 pair standing alone (a JSON body or
# file may spell them as \u0000 and \ud800). One rule for every way in (file, command, page, API):
# such a cell is a row error, and an error that quotes the input shows them escaped, so that the
# import's history (``ImportRun.errors``) can always be stored.
_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(text: str) -> Said | None:
    """Why ``text`` cannot be stored (a NUL character, a lone surrogate), or None."""
    if "\x00" in text:
        return said(w.NUL)
    if not text.isascii() and (found := _SURROGATE.search(text)):
        return said(w.LONE_SURROGATE, code=ord(found.group()))
    return None


def shown(text: str) -> str:
    """``text`` as it can be stored and read back: NUL as \\0, a lone surrogate as \\udXXX."""
    if "\x00" in text:
        text = text.replace("\x00", "\\0")
    if not text.isascii() and _SURROGATE.search(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class CellError(Exception):
    """A cell refused: its stable ``code`` and its sentence (a key and parameters, ``core.said``; text
    only where a sentence comes from elsewhere, e.g. ``core.text``)."""

    def __init__(self, code: str, message: Said | str) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One problem: the file's line number (header = 1) or the list index from 1 for the API.

    Made with its sentence as a key and parameters (``core.said``): ``said`` keeps them for what is
    stored (``stored``), ``message`` is their words in the language active when it was made (the
    API's caller's, the command's). A sentence that comes from elsewhere (another system's own text)
    is given as text: ``said`` is None and the text is stored as it is."""

    row: int
    column: str
    value: str
    code: str
    message: str | Said  # a Said is put into words when made: ``message`` is then its text
    said: Said | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.message, Said):
            message = self.message
            if any(isinstance(v, str) for v in message.params.values()):
                # The parameters quote the input: never with text no database holds.
                message = Said(
                    message.key, {k: shown(v) if isinstance(v, str) else v for k, v in message.params.items()}
                )
            object.__setattr__(self, "said", message)
            object.__setattr__(self, "message", str(message))
        # The error quotes the input (a column name, a value): never with text no database holds.
        for name in ("column", "value", "message"):
            text = getattr(self, name)
            if isinstance(text, str) and (safe := shown(text)) is not text:
                object.__setattr__(self, name, safe)

    def as_dict(self) -> dict[str, Any]:
        """As the API answers it: the sentence in the language active now (the caller's)."""
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message": self.message,
        }

    def stored(self) -> dict[str, Any]:
        """As an import or a sync keeps it: the sentence as its key and parameters, no words
        (``datain.words.error_words`` says it when read)."""
        where = {"row": self.row, "column": self.column, "value": self.value, "code": self.code}
        if self.said is not None:
            return {**where, **self.said.stored()}
        return {**where, "message": self.message}

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        shown = f" {self.value!r}:" if self.value != "" else ":"
        return f"{where}{shown} {self.message}"


Parser = Callable[[str], Any]


def described(parse: Parser, **schema: Any) -> Parser:
    """``parse`` with the JSON schema of the cells it takes (``parse.schema``): the API's schema
    describes each kind's row from its columns' parsers (datain.apis), so that the rule and its
    description stay in one place."""
    parse.schema = schema  # type: ignore[attr-defined]
    return parse


def schema_of(parse: Parser) -> dict[str, Any]:
    """The JSON schema of a parser's cells (``described``); a parser without one is a mistake."""
    return dict(parse.schema)  # type: ignore[attr-defined]


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")
_DECIMAL = re.compile(r"^[+-]?\d{1,12}(\.\d{1,2})?$")
_INTEGER = re.compile(r"^[+-]?\d{1,12}$")


def _in_years(value):
    """Dates and datetimes fall within the years the product holds (settings FIRST_YEAR to
    LAST_YEAR): the dry run and the write then accept the same rows, far from year 1's overflow."""
    first, last = settings.FIRST_YEAR, settings.LAST_YEAR
    if not first <= value.year <= last:
        raise CellError(Code.OUT_OF_RANGE, said(w.OUT_OF_YEARS, first=first, last=last))
    return value


def parse_date(raw: str) -> datetime.date:
    if not _DATE.match(raw):
        raise CellError(Code.INVALID_DATE, said(w.NOT_A_DATE))
    try:
        value = datetime.date.fromisoformat(raw)
    except ValueError as exc:
        raise CellError(Code.INVALID_DATE, said(w.NOT_A_DATE)) from exc
    return _in_years(value)


described(parse_date, type="string", format="date", description="A date, YYYY-MM-DD.")


def parse_datetime(raw: str) -> datetime.datetime:
    """ISO 8601 with an offset or Z; without an offset the organisation's time zone applies."""
    if not _DATETIME.match(raw):
        raise CellError(
            Code.INVALID_DATETIME,
            said(w.NOT_A_DATETIME),
        )
    try:
        value = datetime.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise CellError(
            Code.INVALID_DATETIME,
            said(w.NOT_A_DATETIME),
        ) from exc
    _in_years(value)
    if value.tzinfo is None:
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


described(
    parse_datetime,
    type="string",
    format="date-time",
    description="An ISO 8601 date and time, such as 2026-07-03T14:05:00+02:00 (without an offset, the "
    "organisation's time zone).",
)


def parse_money(raw: str) -> Decimal:
    if not _DECIMAL.match(raw):
        raise CellError(Code.INVALID_DECIMAL, said(w.NOT_AN_AMOUNT))
    try:
        return Decimal(raw).quantize(Decimal("0.01"))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise CellError(Code.INVALID_DECIMAL, said(w.NOT_AN_AMOUNT)) from exc


described(
    parse_money,
    type="string",
    format="decimal",
    pattern=_DECIMAL.pattern,
    description="An amount as a decimal string, a '.' and at most 2 decimals (1250.00).",
)


# The largest whole number the database's integer columns hold.
INTEGER_MAX = 2_147_483_647


def integer(minimum: int | None = None, maximum: int | None = INTEGER_MAX) -> Parser:
    def parse(raw: str) -> int:
        if not _INTEGER.match(raw):
            raise CellError(Code.INVALID_INTEGER, said(w.NOT_A_WHOLE_NUMBER))
        value = int(raw)
        if minimum is not None and value < minimum:
            raise CellError(Code.OUT_OF_RANGE, said(w.AT_LEAST, minimum=minimum))
        if maximum is not None and value > maximum:
            raise CellError(Code.OUT_OF_RANGE, said(w.AT_MOST, maximum=maximum))
        return value

    bounds = {"minimum": minimum, "maximum": maximum}
    return described(
        parse,
        type="integer",
        **{k: v for k, v in bounds.items() if v is not None},
        description="A whole number.",
    )


def choice(values: Iterable[str]) -> Parser:
    allowed = tuple(values)

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise CellError(Code.INVALID_CHOICE, said(w.NOT_A_CHOICE, values=list(allowed)))
        return raw

    return described(parse, type="string", enum=list(allowed), description="One of the values listed.")


def text(max_length: int, *, free: bool = False) -> Parser:
    """One line of text (a name, an id: core.text.name_problem), or ``free`` text, which may keep
    line breaks and tabs (a survey comment): the rule of every other way in."""
    problem_of = free_text_problem_said if free else name_problem_said

    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise CellError(Code.TOO_LONG, said(w.TOO_LONG, length=max_length))
        if not raw.isprintable() and (problem := problem_of(raw)):  # the fast test first
            raise CellError(Code.CONTROL_CHARACTER, problem)
        return raw

    lines = "Text, line breaks allowed" if free else "One line of text"
    return described(
        parse, type="string", maxLength=max_length, description=f"{lines}, at most {max_length} characters."
    )


_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def source_name(raw: str) -> str:
    """The name of a source system in the crosswalks: zendesk, salesforce, pendo, ..."""
    value = raw.lower()
    if not _SOURCE_NAME.match(value):
        raise CellError(Code.INVALID_CHOICE, said(w.NOT_A_SOURCE_NAME))
    return value


described(
    source_name,
    type="string",
    maxLength=32,
    description="A source system's name: a letter, then letters, digits, - or _ (read in lower case), "
    "e.g. zendesk.",
)


def parse_email(raw: str) -> str:
    try:
        validate_email(raw)
    except ValidationError as exc:
        raise CellError(Code.INVALID_EMAIL, said(w.NOT_AN_EMAIL)) from exc
    return raw.lower()


described(parse_email, type="string", format="email", description="An email address (read in lower case).")


@dataclass(frozen=True)
class Column:
    """A column of a kind: its parser, whether a value is required, whether it may be left out, and
    the model field a kind stored in one table keeps it in: a reference (``account_external_id``) is
    stored as the id it resolves to (``account_id``); empty means the field of the column's name."""

    name: str
    parse: Parser
    required: bool = True
    optional_column: bool = False
    field: str = ""


def csv_error(exc: csv.Error, line: int, last_line: int) -> RowError:
    """The error of a record the CSV reader (``strict=True``) refused: ``line`` is where the record
    starts, ``last_line`` where the reader stopped. An unbalanced quote is named by the line it opens on:
    read leniently, it would swallow the rest of the file into one cell and the check would pass."""
    text = str(exc)
    if "unexpected end of data" in text or "field larger than field limit" in text:
        message = said(w.UNCLOSED_QUOTE, line=last_line)
    elif "expected after" in text:
        message = said(w.TEXT_AFTER_QUOTE)
    else:
        return RowError(line, "", "", Code.WRONG_FIELD_COUNT, said(w.NOT_CSV, error=text))
    return RowError(line, "", "", Code.UNBALANCED_QUOTE, message)
