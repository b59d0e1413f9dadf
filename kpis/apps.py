from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        from kpis import receivers  # noqa: PLC0415 - imports models: only once the app registry is ready

        receivers.connect()
