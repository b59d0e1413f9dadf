"""One way to write a date for people, on every page, email and PDF: "10 Dec 2026"; a moment adds
the time in the reader's time zone, named: "10 Dec 2026, 14:05 EST". Months come in the reader's
language. Templates use the same through ``{% load dates %}``: ``{{ d|day }}``, ``{{ t|moment }}``.
Machine formats (CSV, API, form values) stay ISO and do not come through here. Written by
core.formatting (Babel): "7 de diciembre de 2026" in Spanish, "2026年12月7日" in Chinese."""

import datetime

from core import formatting


def day(value: datetime.date | datetime.datetime | None) -> str:
    """ "10 Dec 2026" ('' for none); a moment is first put in the reader's time zone."""
    return formatting.day(value)


def moment(value: datetime.date | datetime.datetime | None) -> str:
    """ "10 Dec 2026, 14:05 EST" in the reader's time zone ('' for none; a plain date as ``day``)."""
    return formatting.moment(value)
