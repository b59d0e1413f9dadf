"""The address of a request never carries a NUL character: one rule for every page and endpoint.

PostgreSQL text cannot hold NUL (0x00), and a query parameter often goes straight into a query (a
period, a cycle, a status, a search): ``?period=%00`` answered 500. Django's forms refuse NUL in a
CharField (``ProhibitNullCharactersValidator``), DRF's serializers too; this is the same rule for the
query string (names and values) and the path, before any view runs: 400 with the parameter named
in a sentence (the API's ``{"detail": ...}``, which every endpoint's documented 400 allows; a page
for people), nothing read nor written.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

NUL = "\x00"


def nul_in_address(request: HttpRequest) -> str | None:
    """The query parameter (or ``path``) that holds a NUL character, or None."""
    if NUL in request.path:
        return "path"
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            return name.replace(NUL, "\\0")
    return None


class RefuseNulInAddress:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_in_address(request)
        if where is None:
            return self.get_response(request)
        if where == "path":
            message = _("The address holds a NUL character (%(code)s), which no address may hold.") % {
                "code": "%00"
            }
        else:
            message = _(
                "The parameter %(name)s holds a NUL character (%(code)s), which no parameter may hold."
            ) % {"name": where, "code": "%00"}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        return HttpResponse(render_to_string("400.html", {"message": message}), status=400)
