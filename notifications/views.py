"""Pages: the notifications (the bell's page), marking read, preferences, the one-click unsubscribe
of the emails, and the local mail catcher's messages (only in the local setup)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.requests import PersonRequest
from notifications import mail, services
from notifications.forms import PreferencesForm, kinds_for
from notifications.models import Notification

PAGE_SIZE = 50


@login_required
def notification_list(request: PersonRequest) -> HttpResponse:
    qs = Notification.objects.filter(recipient=request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "only_unread": only_unread, "zone": services.zone_of(request.user)},
    )


def _safe_local(request: HttpRequest, url: str) -> str:
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return ""


@login_required
def notification_open(request: PersonRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link, marking it read."""
    notification = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    services.mark_read(person=request.user, notification_ids=[notification.pk])
    return redirect(_safe_local(request, notification.url) or "notification-list")


@login_required
@require_POST
def notification_read(request: PersonRequest) -> HttpResponse:
    """Mark one notification read (``id``) or all of them."""
    raw = request.POST.get("id", "")
    if raw:
        ids = [int(raw)] if raw.isdigit() and len(raw) < 19 else []
        services.mark_read(person=request.user, notification_ids=ids)
    else:
        n = services.mark_read(person=request.user)
        messages.success(request, _("Every notification is marked read (%(n)d).") % {"n": n})
    return redirect(_safe_local(request, request.POST.get("next", "")) or "notification-list")


@login_required
def preferences(request: PersonRequest) -> HttpResponse:
    person = request.user
    kinds = kinds_for(person.role)
    current = services.channels_of(person)
    record = services.settings_of(person)
    initial = {"language": record.language, "time_zone": person.time_zone}
    initial.update({f"kind_{k}": current[k] for k in kinds})
    form = PreferencesForm(request.POST or None, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.settings_save(
            person=person, language=form.cleaned_data["language"], time_zone=form.cleaned_data["time_zone"]
        )
        for kind in kinds:
            services.preference_set(person=person, kind=kind, channel=form.cleaned_data[f"kind_{kind}"])
        messages.success(request, _("Your choices are saved."))
        return redirect("notification-preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@csrf_exempt  # the signed token is the credential: mail clients POST here (RFC 8058), without a session
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click from an email: GET asks to confirm (link checkers open links), POST stops that kind."""
    try:
        person_id, kind = mail.unsubscribe_read(token)
    except signing.SignatureExpired:
        return render(request, "notifications/unsubscribe.html", {"expired": True}, status=400)
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    person = User.objects.filter(pk=person_id, is_active=True).first()
    if person is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    with services.speaking_to(person):
        label = mail.kind_label(kind)
    done = False
    if request.method == "POST":
        mail.unsubscribe(person=person, kind=kind)
        done = True
    return render(
        request,
        "notifications/unsubscribe.html",
        # No name nor address: whoever holds the link (a forwarded email) learns nothing about whose it is.
        {"label": label, "done": done, "token": token},
    )
