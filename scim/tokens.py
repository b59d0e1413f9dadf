"""The identity provider's bearer tokens: issued by `manage.py create_scim_token`, stored as a
SHA-256 digest like people's API tokens (accounts.tokens), shown once. A token manages people and
teams through /scim/v2/ and authenticates nowhere else (the API reads `Token` keys, the pages
sessions)."""

from __future__ import annotations

import datetime
import secrets

from django.db.models import Q
from django.utils import timezone

from accounts.tokens import LAST_USED_EVERY, digest
from scim.models import ScimToken

# Every provisioning token starts with it: a secret scanner can recognise them, and a person's read
# token (csmr_) or an integration's (hex) is never mistaken for one.
PREFIX = "csmscim_"


def issue(*, name: str, now: datetime.datetime | None = None) -> tuple[ScimToken, str]:
    """A new provisioning token: the record and the key, which is not stored anywhere."""
    key = PREFIX + secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        name=name, digest=digest(key), hint=key[: len(PREFIX) + 4], created_at=now or timezone.now()
    )
    return token, key


def authenticate(header: str) -> ScimToken | None:
    """The token of an `Authorization: Bearer <key>` header, or None (no header, another scheme,
    a key never issued or revoked)."""
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key.startswith(PREFIX):
        return None
    token = ScimToken.objects.filter(digest=digest(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ScimToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
    return token
