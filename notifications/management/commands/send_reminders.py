import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications import reminders


class Command(BaseCommand):
    help = (
        "Send today's reminders now (the same as the morning beat task): due and late reviews, reviews "
        "waiting, key results without a check-in. Run twice in a day, it sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be sent; send and record nothing."
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The day to remind for (default: today).",
        )

    def handle(self, *args, dry_run, today, **options):
        today = today or timezone.localdate()
        report = reminders.run(today=today, dry_run=dry_run)
        verb = "Would send" if dry_run else "Sent"
        n = report.message_count
        self.stdout.write(
            f"{verb} {n} message{'s' if n != 1 else ''} to {len(report.by_person)} "
            f"{'person' if len(report.by_person) == 1 else 'people'} for {today.isoformat()} "
            f"({report.reminders} reminder{'s' if report.reminders != 1 else ''} in all, on the notifications pages too)."
        )
        for email, count in sorted(report.by_person.items()):
            self.stdout.write(f"  {email}: {count}")
        for email, count in sorted(report.failed.items()):
            self.stderr.write(f"  {email}: {count} could not be sent (tried again by the next sweep)")
