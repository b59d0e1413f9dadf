from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and book of accounts")

    def ready(self) -> None:
        # The sign-in records and the two-factor set-up listen to Django's login signals.
        # Imported once the apps are ready: their modules read allauth's models.
        from accounts import mfa, signins  # noqa: F401, PLC0415 -- their receivers need the models loaded
