"""The API's bodies: JSON only. A body nested too deep for Python's parser answers 400, not 500; a
form or multipart body answers 415 with a sentence saying what to send."""

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ParseError, UnsupportedMediaType
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler as drf_exception_handler


def json_only(media_type: str) -> str:
    return _(
        'The API takes JSON bodies only: send the body as JSON with "Content-Type: application/json". '
        "This one (%(media_type)s) was not read, and nothing was written."
    ) % {"media_type": media_type}


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from None


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with a 415 that says what the API takes instead of only what it refused."""

    def select_parser(self, request, parsers):
        parser = super().select_parser(request, parsers)
        if parser is None:
            media_type = (request.content_type or "").split(";")[0].strip() or "no Content-Type"
            raise UnsupportedMediaType(media_type, detail=json_only(media_type))
        return parser


def exception_handler(exc, context):
    """DRF's, but a ``get_object_or_404`` miss answers DRF's own translated "Not found." instead of
    Django's untranslated "No <Model> matches the given query." (a class name, in English)."""
    if isinstance(exc, Http404):
        exc = NotFound()
    return drf_exception_handler(exc, context)
