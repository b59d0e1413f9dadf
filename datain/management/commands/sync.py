import datetime

from django.core.management.base import BaseCommand, CommandError

from datain.models import SyncStatus
from datain.sources.connectors import CONNECTORS, NotConfigured
from datain.sources.sync import sync_all, sync_run


class Command(BaseCommand):
    help = (
        "Pull what changed in a source since its last sync and load it (all or nothing); the cursor "
        "moves only with a load that commits. SOURCE 'all' syncs every configured source."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("source", choices=[*CONNECTORS, "all"])
        parser.add_argument(
            "--since",
            type=datetime.date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="Read from this day (organisation time zone) instead of the stored cursor.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Pull and check; write nothing, move no cursor."
        )

    def handle(self, *args, source, since=None, dry_run=False, **options):
        if source == "all":
            if since or dry_run:
                raise CommandError("--since and --dry-run apply to one source.")
            runs = sync_all(trigger="command")
            if not runs:
                raise CommandError(
                    "No source is configured: set its credentials (docs/loading-data.md, 'Pull connectors')."
                )
        else:
            try:
                runs = [sync_run(source=source, since=since, dry_run=dry_run, trigger="command")]
            except NotConfigured as exc:
                raise CommandError(str(exc)) from exc
        failed = False
        for run in runs:
            for error in run.shown_errors:
                self.stderr.write(
                    f"row {error['row']}"
                    + (f", {error['column']}" if error["column"] else "")
                    + (f" {error['value']!r}" if error["value"] else "")
                    + f": {error['message']}"
                )
            self.stdout.write(
                f"{run.source} ({run.kind}): {run.get_status_display()}; {run.pages} pages, "
                f"{run.records} records, {run.skipped} skipped, {run.created} created, {run.updated} updated, "
                f"{run.unchanged} unchanged, {run.error_count} errors; cursor {run.cursor_from or '(start)'} -> "
                f"{run.cursor_to or '(unchanged)'}"
            )
            if run.message:
                self.stdout.write(run.message_words)
            failed = failed or run.status in (SyncStatus.FAILED, SyncStatus.INVALID)
        if failed:
            raise CommandError("A sync failed: nothing of it was written and its cursor did not move.")
