"""The language a person reads in, for the apps below notifications that write for someone other than
the person asking (a cycle's zip holds each review PDF in its CSM's language).

The choice itself is kept by notifications (``PersonSettings.language``, "Your preferences"), which
sits above every domain app: it registers its reader here when the apps are ready
(notifications/apps.py). Without it, everybody reads the organisation's language (``LANGUAGE_CODE``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from django.conf import settings
from django.utils import translation

from accounts.models import User

_reader: Callable[[User], str] | None = None


def register(reader: Callable[[User], str]) -> None:
    global _reader  # noqa: PLW0603 - one reader, registered once at start-up
    _reader = reader


def language_of(person: User | None) -> str:
    """The person's language: their choice, else (or for nobody) the organisation's."""
    return (_reader(person) if _reader is not None and person is not None else "") or settings.LANGUAGE_CODE


@contextlib.contextmanager
def reading_as(person: User | None) -> Iterator[None]:
    """Translations, numbers and dates in ``person``'s language while the block runs."""
    with translation.override(language_of(person)):
        yield
