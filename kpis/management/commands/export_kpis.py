import datetime
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from core import spreadsheets
from kpis import selectors
from kpis.models import SubjectType
from kpis.periods import Period, PeriodError


class Command(BaseCommand):
    help = "Write the published KPI values of a period to standard output."
    # The system checks import every URLconf and view (the PDF stack: ~1 s) on each run; they run
    # in `manage.py check` and CI, not on every data command.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True)
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="refuse unless the published run is as of this day",
        )
        parser.add_argument("--level", choices=[c.value for c in SubjectType], default=SubjectType.CSM)
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, period, as_of, level, format, **options):
        try:
            p = Period.parse(period)
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        run = selectors.latest_published_run(period=p)
        if run is None:
            raise CommandError(f"No published run for {p}: run `manage.py compute_kpis --period {p}` first.")
        if as_of and run.as_of != as_of:
            raise CommandError(f"The published run of {p} is as of {run.as_of}, not {as_of}.")
        # The command line is CS ops: everything, as an admin would see it.
        system = User(role="admin", is_active=True)
        rows = selectors.kpi_export_rows(user=system, period=p, level=level)
        if format == "json":
            json.dump(list(rows), sys.stdout, indent=1)
            sys.stdout.write("\n")
            return
        writer = spreadsheets.DictWriter(sys.stdout, fieldnames=selectors.EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
