"""Words for the data-loading pages: a kind of data, a source system or format, what started a sync."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from core.jobs import trigger_label
from datain.forms import SOURCE_FORMATS
from datain.kinds import kind_label
from datain.sources.connectors import CONNECTORS
from datain.sources.readers import SOURCES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

register = template.Library()


@register.filter(name="kind_label")
def kind_label_filter(name: str) -> StrOrPromise:
    """``touchpoints`` -> "Touchpoints", ``source_accounts`` -> "Account crosswalk"."""
    return kind_label(name)


@register.filter
def source_label(name: str) -> str:
    """A connected system by its name: ``zendesk`` -> "Zendesk"."""
    found = CONNECTORS.get(name) or SOURCES.get(name)
    return str(found.title) if found else name


@register.filter
def source_format_label(value: str) -> str:
    """How an uploaded file was read, in the words of the upload form's picker."""
    return str(dict(SOURCE_FORMATS).get(value, value)) if value else ""


@register.filter(name="trigger_label")
def trigger_label_filter(trigger: str) -> str:
    return trigger_label(trigger)
