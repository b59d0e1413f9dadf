"""Production: every secret from the environment, no defaults for them."""

import os

from django.core.exceptions import ImproperlyConfigured

_REQUIRED = ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL")
_missing = [name for name in _REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        (
            "Missing required environment variable"
            if len(_missing) == 1
            else "Missing required environment variables"
        )
        + " for production: "
        + ", ".join(_missing)
    )

from .base import *  # noqa: E402,F403
from .base import env  # noqa: E402

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
# The key signs sessions, CSRF tokens and the unsubscribe links of the emails: a key anyone can read
# (the local default, Django's "django-insecure-" keys) or a short one would let anyone forge them.
KNOWN_INSECURE_KEYS = {"insecure-local-only-key-change-me", "test-only-secret-key"}
SECRET_KEY_MIN_LENGTH = 50
if SECRET_KEY in KNOWN_INSECURE_KEYS or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is a published development key: set a random key of at least "
        f"{SECRET_KEY_MIN_LENGTH} characters, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )
if len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is too short or too plain ({len(SECRET_KEY)} characters): set a random key "
        f"of at least {SECRET_KEY_MIN_LENGTH} characters, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# As everywhere (base.py): PostgreSQL's JIT costs more than it saves on the pages' short queries.
DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
