"""Words for people in review templates: dates in the reader's time zone, metric names."""

from django import template

from core import dates
from reviews import wording

register = template.Library()


@register.filter
def when(value) -> str:
    """A moment in the reader's time zone, to the minute: "30 Nov 2026, 14:05 EST"."""
    return dates.moment(value)


@register.filter
def css_string(text) -> str:
    """Text for a CSS string (a PDF's running header), every quote and hyphen printed as itself."""
    return wording.css_text(text)


@register.filter
def expected_model(snapshot) -> str:
    """The model a review's expected results came from, in words ("" when the snapshot has none)."""
    return wording.expected_model_words(snapshot or {})


@register.filter
def metric_name(key: str) -> str:
    return wording.metric_name(key)


@register.filter
def opened_despite(cycle) -> str:
    """What a cycle was opened despite, in the reader's words."""
    return wording.opened_despite_words(cycle)
