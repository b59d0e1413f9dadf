"""A team's chat channel: a Slack-compatible incoming webhook (a JSON POST of ``{"text": ...}``),
with the standard library's HTTP client.

A webhook URL is typed by a person, and the server posts to it: it must never reach the server's own
machine or its private network (SSRF). ``check_target`` refuses anything but https and any host that
resolves to an address that is not public (loopback, private, link-local, shared, reserved,
multicast, unspecified): when the channel is saved, and again before each post (the name may point
elsewhere by then). Redirects are not followed. ``CHAT_WEBHOOK_ALLOW_INTERNAL`` relaxes both rules
for development and tests, where the channel is a local catcher on loopback."""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 10


class ChatError(Exception):
    pass


class ChatRefused(ChatError):
    """The target is not allowed (not https, or an internal address): trying again will not help."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not public
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(url: str) -> None:
    """Raise ``ValidationError`` with a sentence for a person unless ``url`` is an https URL whose host
    resolves only to public addresses (or the setting allows internal targets)."""
    allow_internal = getattr(settings, "CHAT_WEBHOOK_ALLOW_INTERNAL", False)
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ValidationError(_("This is not a web address."), code="invalid") from exc
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(_("A webhook address starts with https://."), code="scheme")
    if allow_internal:
        return
    if parts.scheme != "https":
        raise ValidationError(
            _("A webhook address must use https:// (the messages would travel unencrypted)."), code="scheme"
        )
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise ValidationError(
            _("The host %(host)s could not be found: check the address.") % {"host": host},
            code="unknown_host",
        ) from exc
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(_is_public(a) for a in addresses):
        raise ValidationError(
            _(
                "%(host)s points to an address inside a private network or this server; a chat "
                "webhook must be a public https:// address (Slack, Mattermost, Rocket.Chat...)."
            )
            % {"host": host},
            code="internal",
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead to an internal address the check never saw: treat it as a refusal."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise ChatRefused(f"the channel answered a redirect ({code}), which is not followed")


_opener = urllib.request.build_opener(_NoRedirects)


def post(webhook_url: str, text: str, link: str = "") -> None:
    """Post one message; raises ``ChatRefused`` for a target that is not allowed and ``ChatError``
    when the channel does not take it."""
    try:
        check_target(webhook_url)
    except ValidationError as exc:
        raise ChatRefused(" ".join(exc.messages)) from exc
    body = text if not link else f"{text} <{link}>"
    payload = json.dumps({"text": body}).encode("utf-8")
    request = urllib.request.Request(
        webhook_url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "csm-reviews"},
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:  # http(s) only, checked above
            if not 200 <= response.status < 300:
                raise ChatError(f"the channel answered {response.status}")
    except ChatError:
        raise
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChatError(str(exc)) from exc
