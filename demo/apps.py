from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo organisation (``manage.py seed_demo``), on top of the domain apps; no models."""

    name = "demo"
    verbose_name = _("Demo organisation")
