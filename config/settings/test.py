"""Test settings: fast hashing, eager nothing (Celery tests use a real worker)."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env

# The tests read mail through the local catcher (a real SMTP server on loopback), and check its page.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]

DEBUG = False
SECRET_KEY = "test-only-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The demo logins of the browser tests have no two-factor; tests/accounts/test_mfa.py turns it on.
MFA_REQUIRED = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The throwaway cluster `make test` starts (scripts/test.sh) unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"postgres://postgres@127.0.0.1:{env.int('PG_TEST_PORT', default=54329)}/csm"
    )
}
DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}
# scripts/test.sh migrates one database once and names it here: each test database is created as a
# copy of it (PostgreSQL's CREATE DATABASE ... TEMPLATE), and the migrate that follows finds nothing
# left to apply.
if env("TEST_DB_TEMPLATE", default=""):
    DATABASES["default"]["TEST"] = {"TEMPLATE": env("TEST_DB_TEMPLATE")}
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/15")
# `make test` runs the suite in worker processes side by side (pytest-xdist, PYTEST_XDIST_WORKER gw0,
# gw1, ...): each has its own test database (pytest-django adds the suffix), and here its own Redis
# database (15, 14, ...: the broker of the Celery workers its tests start, flushed by them) and its own
# port for the mail catcher (EMAIL_PORT, +1, ...).
XDIST_WORKER = int(env("PYTEST_XDIST_WORKER", default="gw0").removeprefix("gw"))
if XDIST_WORKER:
    _base, _, _db = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{(int(_db or 0) - XDIST_WORKER) % 16}"
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# Serve static files from the apps and static/ without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = str(VAR_DIR / "test-media")  # noqa: F405
# A test runs inside a transaction that other connections cannot see: one thread, unless a
# transactional test asks for more (tests/kpis/test_runs.py).
KPI_PART_THREADS = 1
# Tests call kpis.pagecache.warm themselves (no warm-up task sent to the broker on every publication).
KPI_WARM_PAGES = False
# Mail stays in memory unless a test starts an SMTP server and points EMAIL_BACKEND/EMAIL_PORT at it
# (tests/notifications): worker processes started by other tests send nothing anywhere.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=2546) + XDIST_WORKER
SITE_URL = "http://testserver"
# The chat tests' channel listens on loopback; tests/notifications/test_chat.py turns this off to
# check the refusals.
CHAT_WEBHOOK_ALLOW_INTERNAL = True
