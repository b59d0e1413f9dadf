from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataInConfig(AppConfig):
    name = "datain"
    verbose_name = _("Data in (imports and sources)")

    def ready(self) -> None:
        # Every sentence an import or a sync keeps as a key is said in any process (core.said).
        from datain import kinds, words  # noqa: F401, PLC0415 -- the kinds import the models
