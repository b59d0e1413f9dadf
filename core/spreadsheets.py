"""Every CSV the product writes goes through here: a text cell that a spreadsheet would run as a
formula (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``, ``-2+3``, a leading tab or carriage
return) is neutralised with a leading apostrophe (defusedcsv, plus the tab and carriage return it
leaves alone); numbers, and text that is a plain number such as ``-100.00``, stay as they are.

The data export is also an import format: ``restore`` undoes the neutralisation when such a file
comes back, so an export re-imports to the same rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from defusedcsv import csv as defused

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

# What defusedcsv escapes, and what it leaves alone that spreadsheets also act on.
TRIGGERS = ("@", "+", "-", "=", "|", "%")
CONTROL = ("\t", "\r")


def _pre(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(CONTROL):
        return "'" + value
    return value


class _Writer:
    def __init__(self, inner) -> None:
        self._inner = inner

    def writerow(self, row):
        return self._inner.writerow([_pre(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(f: SupportsWrite[str], **kwargs) -> _Writer:
    return _Writer(defused.writer(f, **kwargs))


class DictWriter(defused.DictWriter):
    def writerow(self, rowdict):
        return super().writerow({k: _pre(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts):
        for row in rowdicts:
            self.writerow(row)


def neutralised(value: Any) -> Any:
    """The cell as the writers above write it (for tests and one-off cells)."""
    return defused._escape(_pre(value))


def restore(text: str) -> str:
    """A cell read back from one of our CSV files: the neutralising apostrophe taken off again."""
    if len(text) > 1 and text[0] == "'":
        if text[1] in CONTROL:
            return text[1:]
        if text[1] in TRIGGERS:
            return text[1:].replace("\\|", "|")
    return text
