"""A team's chat channel: a Slack-compatible incoming webhook (a JSON POST of ``{"text": ...}``),
with the standard library's HTTP client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 10


class ChatError(Exception):
    pass


def post(webhook_url: str, text: str, link: str = "") -> None:
    """Post one message; raises ``ChatError`` when the channel does not take it."""
    body = text if not link else f"{text} <{link}>"
    payload = json.dumps({"text": body}).encode("utf-8")
    request = urllib.request.Request(
        webhook_url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "csm-reviews"},
    )
    if not webhook_url.startswith(("https://", "http://")):
        raise ChatError("a webhook URL starts with https://")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) only, checked above
            if not 200 <= response.status < 300:
                raise ChatError(f"the channel answered {response.status}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChatError(str(exc)) from exc
