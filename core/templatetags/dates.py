"""``{% load dates %}``: ``{{ d|day }}`` "10 Dec 2026", ``{{ t|moment }}`` "10 Dec 2026, 14:05 EST"
(core.dates: the one date format of pages, emails and PDFs)."""

from django import template

from core import dates

register = template.Library()
register.filter("day", dates.day)
register.filter("moment", dates.moment)
