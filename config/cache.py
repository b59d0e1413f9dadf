"""The cache backend: Django's Redis cache, with an unreachable Redis read as an empty cache.

Pages cache their rendered fragments and long tasks their progress in Redis. When Redis cannot be
reached, reads answer a miss and writes are dropped, so the pages keep working (slower) instead of
answering 500; Celery, which needs Redis too, reports its own errors. Sessions never live in this
cache (they are in the database): a logout must not depend on Redis being up.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
_last_warning = 0.0


def _warn(exc: Exception) -> None:
    """One line a minute, not a traceback per request (the cause is known: Redis is down)."""
    global _last_warning  # noqa: PLW0603 - one warning a minute, not one per request
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        log.warning("Redis cannot be reached (%s): the cache is bypassed", exc)


def _safe(fallback):
    """Wrap a cache method: an unreachable Redis answers ``fallback(args)`` instead of raising."""

    def wrap(method):
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                _warn(exc)
                return fallback(*args, **kwargs)

        wrapper.__name__ = method.__name__
        wrapper.__doc__ = method.__doc__
        return wrapper

    return wrap


class ResilientRedisCache(RedisCache):
    """Reads miss, writes are dropped while Redis is unreachable (``incr`` still raises)."""

    get = _safe(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _safe(lambda keys, version=None: {})(RedisCache.get_many)
    has_key = _safe(lambda key, version=None: False)(RedisCache.has_key)
    add = _safe(lambda *a, **k: False)(RedisCache.add)
    set = _safe(lambda *a, **k: None)(RedisCache.set)
    set_many = _safe(lambda data, *a, **k: list(data))(RedisCache.set_many)
    touch = _safe(lambda *a, **k: False)(RedisCache.touch)
    delete = _safe(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _safe(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _safe(lambda *a, **k: None)(RedisCache.clear)
