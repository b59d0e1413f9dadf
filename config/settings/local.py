"""Local development: one machine, nothing to configure."""

from .base import *  # noqa: F403
from .base import env

# Off unless asked for (DJANGO_DEBUG=1): people see the product's own error pages, never a traceback.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the apps and static/ without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
