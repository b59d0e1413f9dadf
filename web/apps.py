from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The web shell on top of the domain apps: navigation, home pages, the account page."""

    name = "web"
    verbose_name = _("Web shell")
