"""Pages: the notifications (the bell's page), marking read, preferences, the one-click unsubscribe
of the emails, and the local mail catcher's messages (only in the local setup)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import tokens
from accounts.models import ApiToken, User
from accounts.requests import PersonRequest
from notifications import mail, services
from notifications.forms import ApiTokenForm, PreferencesForm, kinds_for
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
    form = _preferences_form(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.settings_save(
            person=person, language=form.cleaned_data["language"], time_zone=form.cleaned_data["time_zone"]
        )
        for kind in kinds:
            services.preference_set(person=person, kind=kind, channel=form.cleaned_data[f"kind_{kind}"])
        messages.success(request, _("Your choices are saved."))
        return redirect("notification-preferences")
    return _preferences_page(request, form, ApiTokenForm())


def _preferences_page(request, form, token_form, *, created=None, key="", status=200) -> HttpResponse:
    context = {
        "form": form,
        "token_form": token_form,
        "api_tokens": request.user.api_tokens.all(),
        "token_days": settings.API_TOKEN_DAYS,
        "created": created,
        "key": key,
    }
    response = render(request, "notifications/preferences.html", context, status=status)
    if key:
        response["Cache-Control"] = "no-store"  # the key is shown this once, never from a cache
    return response


def _preferences_form(person, data=None) -> PreferencesForm:
    kinds = kinds_for(person.role)
    current = services.channels_of(person)
    initial = {"language": services.settings_of(person).language, "time_zone": person.time_zone}
    initial.update({f"kind_{k}": current[k] for k in kinds})
    return PreferencesForm(data, kinds=kinds, initial=initial)


@login_required
@require_POST
def api_token_create(request: PersonRequest) -> HttpResponse:
    """A new read-only API token; its key is on this answer only (stored as a digest)."""
    token_form = ApiTokenForm(request.POST)
    if not token_form.is_valid():
        return _preferences_page(request, _preferences_form(request.user), token_form, status=400)
    token, key = tokens.issue(person=request.user, name=token_form.cleaned_data["name"])
    return _preferences_page(request, _preferences_form(request.user), ApiTokenForm(), created=token, key=key)


@login_required
def api_token_revoke(request: PersonRequest, token_id: int) -> HttpResponse:
    """GET asks to confirm; POST revokes: the tools using the token get 401 from then on."""
    token = get_object_or_404(ApiToken, pk=token_id, person=request.user)
    if request.method == "POST":
        tokens.revoke(person=request.user, token_id=token.pk)
        messages.success(
            request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name}
        )
        return redirect(reverse("notification-preferences") + "#api-tokens")
    return render(request, "notifications/api_token_revoke.html", {"token": token})


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
    label = mail.kind_label(kind)  # in the language of whoever opened the link (the page's)
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
