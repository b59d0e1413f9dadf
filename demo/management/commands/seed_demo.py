import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import CustomerAccount, Team, User
from demo import okrs as okr_demo
from demo import organisation
from demo import reviews as review_demo
from demo.builders import DEMO_PASSWORD
from kpis import services as kpi_services
from kpis.models import KpiRun, KpiValue
from kpis.periods import Period
from notifications.services import delivery_paused
from okrs.models import Objective, OkrQuarter
from reviews.models import FeedbackNote, ReviewCycle, ReviewTemplate


class Command(BaseCommand):
    help = "Build the deterministic demo organisation (3 teams, 20 CSMs, ~600 accounts, 18 months)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete every person and account first.")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The day the data ends on (default: today). Same day, same data.",
        )
        parser.add_argument("--accounts", type=int, default=600)
        # The seed whose demo tells the lift's story (docs/guide/manager.md; tests/demo/test_demo_story.py).
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (exit 0) when the database already holds people.",
        )

    def handle(self, *args, reset, today, accounts, seed, if_empty, **options):
        populated = User.objects.exists() or CustomerAccount.objects.exists()
        if populated and if_empty and not reset:
            self.stdout.write("The database already holds data: demo seed skipped.")
            return
        if populated and not reset:
            raise CommandError(
                "The database is not empty. Run with --reset to replace everything with the demo."
            )
        if reset:
            with transaction.atomic():
                ReviewCycle.objects.all().delete()
                FeedbackNote.objects.all().delete()
                ReviewTemplate.objects.all().delete()
                KpiValue.objects.all().delete()
                KpiRun.objects.all().delete()
                Objective.objects.all().delete()
                OkrQuarter.objects.all().delete()
                CustomerAccount.objects.all().delete()
                Team.objects.all().delete()
                User.objects.all().delete()
        today = today or timezone.localdate()
        # The demo's past is stored on the notifications pages, but nobody is mailed about it.
        with delivery_paused():
            summary = self._build(today=today, accounts=accounts, seed=seed, verbosity=options["verbosity"])
        for key, value in sorted(summary.counts.items()):
            self.stdout.write(f"  {key:18} {value:>8}")
        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready. Logins (password {DEMO_PASSWORD}):"))
        for email, role in organisation.DEMO_LOGINS:
            self.stdout.write(f"  {email:24} {role.label}")

    def _build(self, *, today, accounts, seed, verbosity):
        options = {"verbosity": verbosity}
        with tqdm(total=accounts, desc="accounts", unit="acct", disable=options["verbosity"] == 0) as bar:
            summary = organisation.demo_organisation_build(
                today=today, accounts=accounts, seed=seed, progress=lambda done, total: bar.update(1)
            )
        periods = [*Period.containing(today).last(8), *Period.containing(today, "month").last(12)]
        with tqdm(total=len(periods), desc="KPIs", unit="period", disable=options["verbosity"] == 0) as bar:
            for period in periods:
                kpi_services.kpi_run_compute(period=period, as_of=today, trigger="seed_demo")
                bar.update(1)
        # The OKRs and reviews draw from the stream they always had (2026 with the default seed):
        # the organisation's seed changed to tell the lift's story, their to-dos did not.
        summary.counts.update(okr_demo.demo_okrs_build(today=today, seed=seed + 2025))
        summary.counts.update(review_demo.demo_reviews_build(today=today, seed=seed + 2025))
        return summary
