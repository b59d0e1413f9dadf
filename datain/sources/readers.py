"""Readers: a source's export (``--source zendesk``) or a file with a mapping (``--mapping FILE``)
turned into the rows of one kind, for the engine of ``datain.services``; then the engine's
result told in the source's terms.

The engine calls ``reader_for`` and feeds ``reader.rows()`` to ``data_import``; ``reader.finish``
rewrites the errors (the source's record and field) and adds the notes (records skipped). This
module does not import ``datain.services``: the engine depends on the readers, not the reverse.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any, Protocol

from django.utils.translation import gettext as _

from core.said import said
from datain import words as w
from datain.sources.base import (
    Crosswalks,
    Item,
    NotJson,
    Shape,
    SourceCode,
    SourceNotUsable,
    Translation,
    load_json,
)
from datain.sources.chartmogul import ChartMogul
from datain.sources.delighted import Delighted
from datain.sources.hubspot import HubSpot
from datain.sources.mapped import MappingReader
from datain.sources.salesforce import Salesforce
from datain.sources.zendesk import Zendesk
from datain.validation import RowError


class SourceFormat(Protocol):
    name: str
    title: str

    @property
    def fields(self) -> dict[str, dict[str, str]]: ...

    def normalise(self, source_id: str) -> str: ...

    def items(self, kind: str, payload: Any, crosswalks: Crosswalks) -> Iterator[Item | RowError]: ...


SOURCES: dict[str, SourceFormat] = {
    s.name: s for s in (Zendesk(), Salesforce(), HubSpot(), ChartMogul(), Delighted())
}


def source_kinds(source: str) -> tuple[str, ...]:
    return tuple(SOURCES[source].fields)


def check_source(*, kind: str, source: str) -> None:
    if source not in SOURCES:
        raise SourceNotUsable(
            _("unknown source %(source)r: choose one of %(sources)s")
            % {"source": source, "sources": ", ".join(SOURCES)}
        )
    kinds = source_kinds(source)
    if kind not in kinds:
        raise SourceNotUsable(
            _("%(source)s gives %(kinds)s, not %(kind)s")
            % {"source": SOURCES[source].title, "kinds": ", ".join(kinds), "kind": kind}
        )


class Reader(Protocol):
    def rows(self) -> Iterator[tuple[int, dict[str, str]] | RowError]: ...

    def finish(self, result: Any) -> Any: ...


class SourceReader:
    """The rows of one kind from a source's own JSON (a file's bytes, or an already parsed body)."""

    def __init__(self, *, kind: str, source: str, data: bytes | Any) -> None:
        check_source(kind=kind, source=source)
        self.kind = kind
        self.format = SOURCES[source]
        self.data = data
        self.translation = Translation(self.format.title, self.format.fields[kind])

    def rows(self) -> Iterator[tuple[int, dict[str, str]] | RowError]:
        return self.translation.rows(self._items())

    def _items(self) -> Iterator[Item | RowError]:
        try:
            payload = load_json(self.data)
        except NotJson as exc:
            yield RowError(
                1,
                "",
                "",
                SourceCode.NOT_JSON,
                said(w.NOT_SOURCE_JSON, source=str(self.format.title), error=str(exc)),
            )
            return
        crosswalks = Crosswalks(self.format.name, self.format.normalise)
        try:
            yield from self.format.items(self.kind, payload, crosswalks)
        except Shape as exc:
            yield RowError(
                1,
                "",
                "",
                SourceCode.UNEXPECTED_SHAPE,
                said(w.NOT_SOURCE_SHAPE, source=str(self.format.title), error=exc.args[0]),
            )

    def finish(self, result: Any) -> Any:
        """The engine's result (datain.services.ImportResult) in the source's terms."""
        result.errors[:] = [self.translation.error(e) for e in result.errors]
        result.notes.extend(self.translation.skipped_notes())
        result.skipped += self.translation.skipped_total()
        return result


def reader_for(
    *,
    kind: str,
    source: str = "",
    mapping: str | dict = "",
    binary: IO[bytes] | None = None,
    items: Any = None,
) -> Reader:
    """The reader of a file (``binary``) or an API body (``items``) from ``source`` or through
    ``mapping`` (the text of a mapping file, or its parsed object from an API body)."""
    if mapping:
        return MappingReader(kind=kind, mapping=mapping, binary=binary, items=items)
    data = binary.read() if binary is not None else items
    return SourceReader(kind=kind, source=source, data=data)
