import time

from django.conf import settings
from django.core.management.base import BaseCommand

from devtools import catcher


class Command(BaseCommand):
    help = "Local development: an SMTP server on loopback that keeps every message under var/mail (make run)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.EMAIL_PORT)
        parser.add_argument("--folder", default=str(settings.MAIL_CATCHER_DIR or settings.VAR_DIR / "mail"))

    def handle(self, *args, host, port, folder, **options):
        controller = catcher.start(folder, host=host, port=port)
        self.stdout.write(f"Catching mail on {host}:{port}; every message is kept in {folder}.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
