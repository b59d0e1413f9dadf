import sys

from django.core.management.base import BaseCommand

from datain import services
from datain.kinds import KINDS


class Command(BaseCommand):
    help = "Write every stored row of one kind as CSV in the import format (to standard output)."
    # The system checks import every URLconf and view (the PDF stack: ~1 s) on each run; they run
    # in `manage.py check` and CI, not on every data command.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("--output", "-o", help="A file to write instead of standard output.")

    def handle(self, *args, kind, output, **options):
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                n = services.data_export(kind=kind, out=out)
            self.stderr.write(f"{n} {kind} rows written to {output}")
        else:
            services.data_export(kind=kind, out=sys.stdout)
