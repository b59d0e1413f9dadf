from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """To-dos, notifications, email, reminders and chat, on top of the domain apps: they announce
    what happens through their signals (and model signals); this app decides who is told and how."""

    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications import receivers  # noqa: PLC0415 - imports models: only once the app registry is ready

        receivers.connect()
        # The apps below read a person's language (a PDF in its CSM's language) through accounts.
        from accounts import languages  # noqa: PLC0415 - with services: once the app registry is ready
        from notifications import services  # noqa: PLC0415 - imports models: only once the app registry is ready

        languages.register(services.language_of)
