from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OkrsConfig(AppConfig):
    name = "okrs"
    verbose_name = _("OKRs")

    def ready(self) -> None:
        from kpis.signals import run_published  # noqa: PLC0415 - app registry must be ready
        from okrs import receivers  # noqa: PLC0415

        run_published.connect(receivers.on_run_published, dispatch_uid="okrs.metric_key_results")
