from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and book of accounts")

    def ready(self) -> None:
        from accounts import text  # noqa: PLC0415 -- models are ready now

        # Free text within its limit on every save, whatever the way in (accounts/text.py).
        pre_save.connect(text.check_on_save, dispatch_uid="accounts.text.check_on_save")
