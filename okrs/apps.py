from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OkrsConfig(AppConfig):
    name = "okrs"
    verbose_name = _("OKRs")

    def ready(self) -> None:
        from okrs import receivers  # noqa: PLC0415 - imports models: only once the app registry is ready

        receivers.connect()
