"""People's read-only API tokens: issued on the preferences page or by `manage.py create_api_token
--scope read`, stored as a SHA-256 digest (the key is shown once), expiring after API_TOKEN_DAYS.

A read token authenticates as its person, so every GET sees exactly what their session sees (the same
permission classes and `visible_to` querysets decide); any other method answers 403. Integrations'
tokens (service accounts, DRF's authtoken) are read as before."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions

from accounts.models import PERSON_ROLES, ApiToken, User
from core import dates

# Every read token starts with it: the authentication tells them from integration tokens (40 hex
# characters) without a second lookup, and a secret scanner can recognise them.
PREFIX = "csmr_"
# The last use is written at most this often a token, not on every request.
LAST_USED_EVERY = datetime.timedelta(seconds=60)
READ_ONLY = (
    "This token is read-only: it may read (GET) what its person may see, and change nothing. "
    "Write through the pages or with an integration's token."
)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue(*, person: User, name: str, now: datetime.datetime | None = None) -> tuple[ApiToken, str]:
    """A new read token of ``person``: the record and the key, which is not stored anywhere."""
    if person.role not in PERSON_ROLES or not person.is_active:
        raise ValueError(f"{person.email} is not an active person: read tokens are people's.")
    now = now or timezone.now()
    key = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        person=person,
        name=name,
        digest=digest(key),
        hint=key[: len(PREFIX) + 4],
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.API_TOKEN_DAYS),
    )
    return token, key


def revoke(*, person: User, token_id: int) -> bool:
    """Deletes one of ``person``'s tokens: it answers 401 from then on. False: no such token of theirs."""
    deleted, _by_model = ApiToken.objects.filter(person=person, pk=token_id).delete()
    return bool(deleted)


def _touch(token: ApiToken, now: datetime.datetime) -> None:
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        token.last_used_at = now


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: a person's read token, or an integration's token (DRF's)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result and isinstance(result[1], ApiToken) and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied(READ_ONLY)
        return result

    def authenticate_credentials(self, key):
        if not key.startswith(PREFIX):
            return super().authenticate_credentials(key)
        token = ApiToken.objects.select_related("person").filter(digest=digest(key)).first()
        if token is None:  # never issued, or revoked
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("This token expired on %(day)s: create a new one on your preferences page.")
                % {"day": dates.day(token.expires_at)}
            )
        if not token.person.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        _touch(token, now)
        return token.person, token
