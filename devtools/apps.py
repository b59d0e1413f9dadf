from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevtoolsConfig(AppConfig):
    """Development tools, installed only by the local and test settings (never in production): the
    local mail catcher of `make run` (an SMTP server on loopback that keeps every message) and the
    caught-mail page that shows them."""

    name = "devtools"
    verbose_name = _("Development tools")
