import os

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from datain import services
from datain.kinds import KINDS
from datain.models import ImportSource
from datain.sources.mapping import MappingError, check_mapping, shipped_mapping_text, shipped_mappings
from datain.sources.readers import SOURCES, SourceNotUsable


class Command(BaseCommand):
    help = (
        "Load one kind of input data from a CSV file, another system's export (--source) or a "
        "file read through a mapping file (--mapping): all or nothing, idempotent."
    )
    # The system checks import every URLconf and view (the PDF stack: ~1 s) on each run; they run
    # in `manage.py check` and CI, not on every data command.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Validate only; write nothing.")
        parser.add_argument(
            "--source",
            choices=list(SOURCES),
            default="",
            help="FILE is that system's own export or API JSON (docs/loading-data.md, 'Data from other systems').",
        )
        parser.add_argument(
            "--mapping",
            default="",
            metavar="MAPPING.yaml",
            help="Read FILE through this mapping file (or a shipped one by name, e.g. pendo-usage).",
        )

    def handle(self, *args, kind, file, dry_run, source="", mapping="", **options):
        if source and mapping:
            raise CommandError("Give --source or --mapping, not both.")
        mapping_text = ""
        if mapping:
            if not os.path.exists(mapping) and mapping in shipped_mappings():
                mapping_text = shipped_mapping_text(mapping)  # e.g. --mapping pendo-usage
            else:
                try:
                    with open(mapping, encoding="utf-8") as handle:
                        mapping_text = handle.read()
                except (OSError, UnicodeDecodeError) as exc:
                    raise CommandError(f"Cannot read {mapping}: {exc}") from exc
            try:
                check_mapping(kind=kind, text=mapping_text)
            except MappingError as exc:
                raise CommandError(
                    f"The mapping file {mapping} cannot be used:\n"
                    + "\n".join(f"- {p}" for p in exc.problems)
                ) from exc
        try:
            size = os.path.getsize(file)
            binary = open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        quiet = options["verbosity"] == 0
        with binary, tqdm(total=size, unit="B", unit_scale=True, desc=kind, disable=quiet) as bar:

            def progress(rows: int, read: int) -> None:
                bar.update(read - bar.n)
                bar.set_postfix(rows=rows, refresh=False)

            try:
                result = services.import_csv(
                    kind=kind,
                    binary=binary,
                    dry_run=dry_run,
                    progress=progress,
                    source_format=source,
                    mapping=mapping_text,
                )
            except SourceNotUsable as exc:
                raise CommandError(str(exc)) from exc
            bar.update(size - bar.n)
        services.import_run_record(
            result=result,
            source=ImportSource.COMMAND,
            filename=os.path.basename(file),
            source_format=source or ("mapping" if mapping else ""),
        )
        for error in result.errors:
            self.stderr.write(str(error))
        for note in result.notes:  # e.g. source records skipped
            self.stdout.write(str(note))
        if result.error_count > len(result.errors):
            self.stderr.write(f"... and {result.error_count - len(result.errors)} more errors")
        verb = "would be" if dry_run else ""
        self.stdout.write(
            f"{kind}: {result.rows_read} rows read, {result.created} {verb} created, "
            f"{result.updated} {verb} updated, {result.unchanged} unchanged, {result.error_count} errors".replace(
                "  ", " "
            )
        )
        if not result.ok:
            raise CommandError(f"{result.error_count} invalid rows: nothing was written.")
        if dry_run:
            self.stdout.write(self.style.SUCCESS("Dry run: the file is valid; nothing was written."))
        for follow_up in result.follow_ups:  # e.g. when the KPIs will be recomputed
            self.stdout.write(follow_up.notice)
