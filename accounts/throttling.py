"""Rate limits of API tokens: each token (a person's read token, an integration's token) may make
API_TOKEN_RATE requests (e.g. "600/min"); one more answers 429 with `Retry-After` (DRF throttling).
People in their browser session are not limited here.

The counts live in the project's cache (Redis). While Redis cannot be reached that cache reads as
empty (config/cache.py), so the limit fails open: an outage lets requests through rather than
refusing every token."""

from __future__ import annotations

from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self) -> str:
        return settings.API_TOKEN_RATE

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth
        if isinstance(token, ApiToken):
            ident = f"read-{token.pk}"
        elif isinstance(token, Token):
            ident = f"integration-{token.user_id}"
        else:
            return None  # a session: not limited
        return self.cache_format % {"scope": self.scope, "ident": ident}
