"""What every source format shares: mapped rows that remember their source record, crosswalk
look-ups, and the translation of the validator's errors back into the source's terms.

A source format turns the source's own export or API JSON into rows of one kind of
docs/data-contract.md (``{column: text}``), which then go through the very validator and all-or-nothing
load of our own files (``datain.services.data_import``). The validator speaks of our columns;
``Translation`` renames them to the source's fields and puts the source record's id in front of
the message, so a person reads "Zendesk ticket 35436 (record 3), field priority ...".
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.said import Said, said
from datain import words as w
from datain.models import SourceAccount, SourceOwner
from datain.validation import Code, RowError


class SourceCode:
    """Error codes of the source formats (next to datain.validation.Code)."""

    NOT_JSON = "not_json"
    UNEXPECTED_SHAPE = "unexpected_shape"
    BAD_SOURCE_VALUE = "bad_source_value"
    NO_MATCH = "no_crosswalk_match"
    UNKNOWN_OWNER = "unknown_owner"
    UNSUPPORTED = "unsupported"


class SourceNotUsable(ValueError):
    """The source (or mapping) cannot give this kind: a sentence for the person who asked."""


class Bad(Exception):
    """A source record's field that cannot be mapped: raised while mapping one record."""

    def __init__(
        self, field: str, value: Any, message: Said, code: str = SourceCode.BAD_SOURCE_VALUE
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = "" if value is None else str(value)
        self.message = message
        self.code = code


@dataclass
class Mapped:
    """One row of our kind, from a source record: ``line`` numbers it in the load's errors."""

    line: int
    label: Said  # the source record, as a person finds it there: "ticket 35436 (record 3)"
    cells: dict[str, str]


@dataclass
class Problem:
    """A source record that cannot become a row (its field, value and why)."""

    line: int
    label: Said
    field: str
    value: str
    code: str
    message: Said


@dataclass
class Skipped:
    """A source record that has no place in the kind (a ticket of no organization, an MRR movement
    of 0): counted and named in the summary, not an error."""

    label: Said
    reason: str  # the key of why (datain.words)


Item = Mapped | Problem | Skipped


def not_a_record(line: int) -> Problem:
    """The source's ``line``-th record is not an object: nothing of it can be read."""
    return Problem(
        line, said(w.L_RECORD, line=line), "", "", SourceCode.UNEXPECTED_SHAPE, said(w.NOT_A_RECORD_OBJECT)
    )


@dataclass
class Translation:
    """What a load needs to tell its errors in the source's terms, filled while the rows stream."""

    source_title: str
    # Our column -> the source field it comes from ("first_response_at" -> "created_at + ...").
    fields: dict[str, str]
    labels: dict[int, Said] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    skipped_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # stored labels
    records: int = 0  # source records read

    def rows(self, items: Iterable[Item | RowError]) -> Iterator[tuple[int, dict[str, str]] | RowError]:
        """The rows for ``data_import``: a mapped row, or the error of a record that could not be."""
        for item in items:
            if isinstance(item, Mapped):
                self.labels[item.line] = item.label
                yield item.line, item.cells
            elif isinstance(item, Problem):
                yield RowError(
                    item.line,
                    item.field,
                    item.value,
                    item.code,
                    said(w.IN_SOURCE, source=str(self.source_title), record=item.label, message=item.message),
                )
            elif isinstance(item, RowError):  # the payload as a whole
                yield item
            else:
                self.skipped[item.reason] += 1
                examples = self.skipped_examples.setdefault(item.reason, [])
                if len(examples) < 5:
                    examples.append(item.label.stored())

    def error(self, error: RowError) -> RowError:
        """The validator's error about a mapped row, in the source's terms."""
        label = self.labels.get(error.row)
        if label is None:  # a problem of the source record itself: already in its terms
            return error
        source_field = self.fields.get(error.column, error.column)
        message = error.said or error.message
        if error.code == Code.UNKNOWN_REFERENCE and error.column == "account_external_id":
            message = said(w.NO_MATCH, field=source_field, value=error.value)
            code = SourceCode.NO_MATCH
        else:
            code = error.code
            if source_field != error.column:
                message = said(w.WITH_COLUMN, message=message, column=error.column)
        return RowError(
            error.row,
            source_field,
            error.value,
            code,
            said(w.IN_SOURCE, source=str(self.source_title), record=label, message=message),
        )

    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skipped_notes(self) -> list[Said]:
        """How many records were skipped and why, each kept as a key and its parameters."""
        return [
            said(
                w.SKIPPED,
                count=n,
                source=str(self.source_title),
                reason=said(reason),
                examples=self.skipped_examples[reason],
            )
            for reason, n in self.skipped.most_common()
        ]


class Crosswalks:
    """The crosswalks of one source, read once per load (they are small: one row per account or
    owner). ``normalise`` makes equal ids look equal (Salesforce's 15 and 18 character ids)."""

    def __init__(self, source: str, normalise: Callable[[str], str] = str) -> None:
        self.source = source
        self.normalise = normalise
        self._accounts: dict[str, str] | None = None
        self._owners: dict[str, str] | None = None

    def account(self, source_id: Any) -> str:
        """Our account's external_id for the source's id: the crosswalk's, else the id itself (an
        account may carry the source's id as its external_id)."""
        if self._accounts is None:
            self._accounts = {
                self.normalise(sid): ext
                for sid, ext in SourceAccount.objects.filter(source=self.source).values_list(
                    "source_id", "account__external_id"
                )
            }
        text = str(source_id).strip()
        return self._accounts.get(self.normalise(text), text)

    def owner(self, source_id: Any) -> str | None:
        """The email of the person the crosswalk gives for the source's owner id, or None."""
        if self._owners is None:
            self._owners = {
                self.normalise(sid): email
                for sid, email in SourceOwner.objects.filter(source=self.source).values_list(
                    "source_id", "person__email"
                )
            }
        return self._owners.get(self.normalise(str(source_id).strip()))


# --- reading the source's values -------------------------------------------------------------


def load_json(data: bytes | str | Any) -> Any:
    """The parsed JSON of a file (bytes or text); an already parsed value passes through."""
    if isinstance(data, bytes | str):
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise NotJson(str(exc)) from None
    return data


class NotJson(Exception):
    pass


def dig(record: Any, path: str) -> Any:
    """``record["a"]["b"]`` for the path ``a.b``; None when any step is missing."""
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def source_datetime(value: Any, field: str) -> datetime.datetime | None:
    """An ISO 8601 timestamp of a source (``2026-07-03T14:05:00Z``, ``...+0000``); None stays None.
    Without an offset the organisation's time zone applies, as in our own files."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Bad(field, value, said(w.NOT_A_TIMESTAMP))
    text = value.strip()
    if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"  # Salesforce writes +0000
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise Bad(field, value, said(w.NOT_AN_ISO_TIMESTAMP)) from None
    in_years(parsed, field, value)
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


def in_years(moment: datetime.datetime, field: str, value: Any) -> None:
    first, last = settings.FIRST_YEAR, settings.LAST_YEAR
    if not first <= moment.year <= last:
        raise Bad(
            field,
            value,
            said(w.OUT_OF_YEARS, first=first, last=last),
        )


def plus_minutes(moment: datetime.datetime, minutes: int | float, field: str) -> datetime.datetime:
    try:
        result = moment + datetime.timedelta(minutes=minutes)
    except (OverflowError, ValueError):
        raise Bad(field, minutes, said(w.TOO_MANY_MINUTES)) from None
    in_years(result, field, minutes)
    return result


def unix_datetime(value: Any, field: str, scale: int = 1) -> datetime.datetime | None:
    """Seconds (``scale`` 1) or milliseconds (1000) since 1970-01-01 UTC, as an aware datetime."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
        moment = datetime.datetime.fromtimestamp(float(number / scale), tz=datetime.UTC)
    except (InvalidOperation, ValueError, OverflowError, OSError, ArithmeticError):
        raise Bad(field, value, said(w.NOT_A_UNIX_TIME)) from None
    in_years(moment, field, value)
    return moment


def iso(value: datetime.datetime | None) -> str:
    """A datetime as our files write it: ISO 8601 in the organisation's time zone."""
    if value is None:
        return ""
    return timezone.localtime(value, timezone.get_default_timezone()).isoformat()


def local_date(value: datetime.datetime) -> datetime.date:
    """The organisation's day a moment falls on."""
    return timezone.localtime(value, timezone.get_default_timezone()).date()


def whole_number(value: Any, field: str, minimum: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Bad(field, value, said(w.NOT_A_WHOLE_NUMBER))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Bad(field, value, said(w.NOT_A_WHOLE_NUMBER)) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise Bad(field, value, said(w.NOT_A_WHOLE_NUMBER))
    result = int(number)
    if minimum is not None and result < minimum:
        raise Bad(field, value, said(w.AT_LEAST, minimum=minimum))
    return result


def cents(value: Any, field: str) -> Decimal | None:
    """An amount in cents (an integer) as an amount with two decimals."""
    number = whole_number(value, field)
    return None if number is None else (Decimal(number) / 100).quantize(Decimal("0.01"))


def records_of(payload: Any, keys: tuple[str, ...]) -> list[Any]:
    """The records of a payload: a list, an object holding the list under one of ``keys``, or a
    list of such objects (several pages of one API saved together)."""
    if isinstance(payload, list):
        if payload and all(isinstance(p, dict) and any(k in p for k in keys) for p in payload):
            out: list[Any] = []
            for page in payload:
                out.extend(records_of(page, keys))
            return out
        return payload
    if isinstance(payload, dict):
        for key in keys:
            if key in payload:
                found = payload[key]
                if isinstance(found, list):
                    return found
                if isinstance(found, dict):
                    return [found]
                raise Shape(said(w.NOT_A_RECORD_LIST, key=key))
    raise Shape(said(w.NO_RECORDS, keys=" | ".join(repr(k) for k in keys)))


class Shape(Exception):
    """The payload is not what the source's API answers."""
