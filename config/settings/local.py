"""Local development: one machine, nothing to configure."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env

# The development tools: the local mail catcher and its caught-mail page (never in production).
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]

# Off unless asked for (DJANGO_DEBUG=1): people see the product's own error pages, never a traceback.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The demo's HR and admin log in with their password and no phone: two-factor is asked of nobody
# locally unless MFA_REQUIRED=1 (README, "Demo logins"). Production asks it of HR and admins.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the apps and static/ without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Email goes to the catcher that `make run` starts on loopback (Procfile: mail); every message is
# kept under var/mail and shown to HR and admins at /notifications/caught-mail/.
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
MAIL_CATCHER_DIR = env("MAIL_CATCHER_DIR", default=str(VAR_DIR / "mail"))  # noqa: F405
MAIL_CATCHER_PAGE = True
# A chat channel on this machine (a local catcher) may be used: production refuses internal targets.
CHAT_WEBHOOK_ALLOW_INTERNAL = env.bool("CHAT_WEBHOOK_ALLOW_INTERNAL", default=True)
# Persistent database connections, as in production (CONN_MAX_AGE=60 there): asked for by
# gunicorn here (bench/load.py). runserver opens a thread per request, where they would not help.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
