from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataInConfig(AppConfig):
    name = "datain"
    verbose_name = _("Data in (imports and sources)")
