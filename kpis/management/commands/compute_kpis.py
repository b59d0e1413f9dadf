import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kpis import services
from kpis.engine.parts import PARTS
from kpis.periods import Period, PeriodError


class Command(BaseCommand):
    help = "Compute and publish every KPI of a period (or a range of periods), as the nightly job does."
    # The system checks import every URLconf and view (the PDF stack: ~1 s) on each run; they run
    # in `manage.py check` and CI, not on every data command.
    requires_system_checks = []

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--period", help="2026-Q3 or 2026-09")
        group.add_argument("--backfill", help="a range: 2025-Q1..2026-Q3")
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="compute to date as of this day (default: today)",
        )

    def handle(self, *args, period, backfill, as_of, **options):
        try:
            periods = Period.parse_range(backfill) if backfill else [Period.parse(period)]
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        steps = len(periods) * len(PARTS)
        with tqdm(total=steps, desc="kpis", unit="part", disable=options["verbosity"] == 0) as bar:
            for p in periods:
                bar.set_description(str(p))
                started = time.perf_counter()
                try:
                    run = services.kpi_run_compute(
                        period=p, as_of=as_of, trigger="command", progress=lambda name: bar.update(1)
                    )
                except services.RunInProgress as exc:
                    raise CommandError(str(exc)) from exc
                self.stdout.write(
                    f"{p}: run {run.pk} published, {run.csm_count} CSMs, {run.value_count} values, "
                    f"{run.query_count} queries, {time.perf_counter() - started:.2f} s"
                )
