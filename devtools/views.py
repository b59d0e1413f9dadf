"""The caught-mail page: the messages the local mail catcher kept (local setup and tests only; this
app is never installed in production)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import EVERYONE_ROLES
from devtools import catcher


def _catcher_or_404(request: HttpRequest) -> None:
    """The caught mail exists only in the local setup (config/settings/local.py), for HR (who send
    the reminders and open cycles) and admins: the people who read every review, since the mail
    is everyone's."""
    if not (settings.MAIL_CATCHER_PAGE and settings.MAIL_CATCHER_DIR):
        raise Http404
    user = request.user
    if not (user.is_authenticated and user.is_active and user.role in EVERYONE_ROLES):
        raise Http404


def caught_list(request: HttpRequest) -> HttpResponse:
    _catcher_or_404(request)
    return render(
        request,
        "devtools/caught_list.html",
        {
            "messages_caught": catcher.list_messages(settings.MAIL_CATCHER_DIR),
            "folder": settings.MAIL_CATCHER_DIR,
        },
    )


def caught_detail(request: HttpRequest, name: str) -> HttpResponse:
    _catcher_or_404(request)
    message = catcher.read_message(settings.MAIL_CATCHER_DIR, name)
    if message is None:
        raise Http404
    if request.GET.get("part") == "html" and message.html:
        response = HttpResponse(message.html, content_type="text/html; charset=utf-8")
        # The message's HTML, shown in a frame of the page: no scripts, no forms, nothing else loaded.
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
        )
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response
    return render(request, "devtools/caught_detail.html", {"message": message})
