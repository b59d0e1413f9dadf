"""The HTTP of the pull connectors: one ``requests`` session, a timeout on every call, and retries
with backoff on 429 and 5xx (and on a connection that fails), honouring ``Retry-After``.

The connectors call the vendors' documented REST endpoints with ``requests`` rather than the vendors'
SDKs: one retry and cursor layer for four sources, and exchanges that the tests record at the HTTP
layer (``responses``), whichever vendor is called.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from core.said import said
from datain import words as w

# The longest wait a Retry-After header may ask for before we give up waiting (seconds).
MAX_WAIT_SECONDS = 300.0


class SourceUnavailable(Exception):
    """The source did not answer usefully after every try (429, 5xx, network): try again later."""


class SourceRefused(Exception):
    """The source refused the request (401, 403, 404, 400...): retrying cannot help."""


def sleep(seconds: float) -> None:
    """Module-level so that tests can record the waits instead of sleeping."""
    time.sleep(seconds)


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


class Http:
    def __init__(self, name: str, session: requests.Session | None = None) -> None:
        self.name = name
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "csm-reviews-sync/1.0")
        self.requests = 0

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        tries = max(1, settings.SOURCES_HTTP_TRIES)
        backoff = settings.SOURCES_HTTP_BACKOFF_SECONDS
        kwargs.setdefault("timeout", settings.SOURCES_HTTP_TIMEOUT_SECONDS)
        for attempt in range(1, tries + 1):
            self.requests += 1
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == tries:
                    raise SourceUnavailable(
                        said(w.SOURCE_UNREACHABLE, source=str(self.name), tries=tries, error=str(exc))
                    ) from None
                sleep(backoff * 2 ** (attempt - 1))
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                if attempt == tries:
                    raise SourceUnavailable(
                        said(
                            w.SOURCE_BUSY,
                            source=str(self.name),
                            status=status,
                            tries=tries,
                            answer=str(_short(response)),
                        )
                    )
                wait = retry_after(response)
                sleep(min(MAX_WAIT_SECONDS, wait if wait is not None else backoff * 2 ** (attempt - 1)))
                continue
            if status >= 400:
                raise SourceRefused(
                    said(
                        w.SOURCE_REFUSED,
                        source=str(self.name),
                        method=method,
                        path=str(_path(url)),
                        status=status,
                        answer=str(_short(response)),
                    )
                )
            return response
        raise SourceUnavailable(
            said(w.SOURCE_SILENT, source=str(self.name))
        )  # pragma: no cover - the loop returns or raises

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise SourceRefused(said(w.ANSWER_NOT_JSON, source=str(self.name), path=_path(url))) from None


def _short(response: requests.Response) -> str:
    return " ".join(response.text[:300].split())


def _path(url: str) -> str:
    return url.split("?", 1)[0]
