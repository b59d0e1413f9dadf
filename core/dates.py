"""One way to write a date for people, on every page, email and PDF: "10 Dec 2026"; a moment adds
the time in the reader's time zone, named: "10 Dec 2026, 14:05 EST". Months come in the reader's
language. Templates use the same through ``{% load dates %}``: ``{{ d|day }}``, ``{{ t|moment }}``.
Machine formats (CSV, API, form values) stay ISO and do not come through here."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format

DAY = "j M Y"
MOMENT = "j M Y, H:i T"


def day(value: datetime.date | datetime.datetime | None) -> str:
    """ "10 Dec 2026" ('' for none); a moment is first put in the reader's time zone."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, DAY)


def moment(value: datetime.date | datetime.datetime | None) -> str:
    """ "10 Dec 2026, 14:05 EST" in the reader's time zone ('' for none; a plain date as ``day``)."""
    if not value:
        return ""
    if not isinstance(value, datetime.datetime):
        return day(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, MOMENT)
