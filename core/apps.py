from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The shared kernel, on the ground floor: what every app uses and that knows no app of the
    product (long jobs, numbers and text typed in, dates in words, spreadsheets, the API's pages and
    error bodies). It imports no other app of the product."""

    name = "core"
    verbose_name = _("Shared kernel")

    def ready(self) -> None:
        from core import text  # noqa: PLC0415 -- models are ready now

        # Free text within its limit on every save, whatever the way in (core/text.py).
        pre_save.connect(text.check_on_save, dispatch_uid="core.text.check_on_save")
