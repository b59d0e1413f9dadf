"""Words for people in review templates: dates in the reader's time zone, metric names."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from reviews import wording

register = template.Library()


@register.filter
def when(value) -> str:
    """A moment in the reader's time zone, to the minute: "30 Nov 2026, 14:05 EST"."""
    if not value:
        return ""
    if hasattr(value, "tzinfo") and timezone.is_aware(value):
        value = timezone.localtime(value)
        return date_format(value, "j M Y, H:i T")
    return date_format(value, "j M Y")


@register.filter
def css_string(text) -> str:
    """Text for a CSS string (a PDF's running header), every quote and hyphen printed as itself."""
    return wording.css_text(text)


@register.filter
def metric_name(key: str) -> str:
    return wording.metric_name(key)
