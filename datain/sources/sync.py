"""Incremental syncs: pull what changed in a source since its cursor, load it as that source's format
through the usual engine (all or nothing), and move the cursor in the same transaction as the load.

A connector that reads several kinds (Salesforce and HubSpot: ``assignments``, then
``account_team``) loads them one after the other in the same transaction: one invalid kind writes
nothing of any, and the cursor stays.

A sync that fails to pull (the source down after every retry, credentials refused) or whose rows are
invalid writes nothing and leaves the cursor where it was: the next sync reads the same changes
again. Every sync is recorded (``SyncRun``): cursors, pages, records, counts, the first errors.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.said import Said, said
from datain import services
from datain import words as w
from datain.models import SyncCursor, SyncRun, SyncStatus
from datain.sources.connectors import CONNECTORS, Connector, NotConfigured
from datain.sources.http import Http, SourceRefused, SourceUnavailable

log = logging.getLogger(__name__)


class SyncBusy(Exception):
    """Another sync of the same source is loading right now."""


def connector_for(source: str, http: Http | None = None) -> Connector:
    if source not in CONNECTORS:
        raise NotConfigured(
            _("unknown source %(source)r: choose one of %(sources)s")
            % {"source": source, "sources": ", ".join(CONNECTORS)}
        )
    return CONNECTORS[source](http)


def sync_run(
    *,
    source: str,
    since: datetime.date | None = None,
    dry_run: bool = False,
    trigger: str = "command",
    http: Http | None = None,
) -> SyncRun:
    """One incremental sync of ``source`` (``since``: read from that day instead of the cursor).

    The cursor moves only with a load that commits (same transaction); a dry run never moves it.
    """
    connector = connector_for(source, http)
    connector.check()
    stored = SyncCursor.objects.filter(source=source).values_list("cursor", flat=True).first() or ""
    run = SyncRun.objects.create(
        source=source,
        kind=connector.kind,
        status=SyncStatus.RUNNING,
        dry_run=dry_run,
        trigger=trigger,
        cursor_from=since.isoformat() if since else stored,
    )
    try:
        pull = connector.pull(stored, since)
    except (SourceUnavailable, SourceRefused) as exc:
        why = exc.args[0] if exc.args and isinstance(exc.args[0], Said) else str(exc)
        return _finish(run, SyncStatus.FAILED, why)
    run.pages, run.records = pull.pages, pull.records
    try:
        with transaction.atomic():
            # One load per source at a time: the cursor row is the lock.
            SyncCursor.objects.get_or_create(source=source)
            try:
                SyncCursor.objects.select_for_update(nowait=True).get(source=source)
            except DatabaseError as exc:
                raise SyncBusy(said(w.SYNC_BUSY, source=str(connector.title))) from exc
            results = []
            for kind, payload in ((connector.kind, pull.payload), *pull.more.items()):
                results.append(
                    services.import_json(kind=kind, items=payload, dry_run=dry_run, source_format=source)
                )
                if not results[-1].ok:
                    break
            if not results[-1].ok:
                transaction.set_rollback(True)  # an earlier kind's rows go too: all or nothing
            elif not dry_run and pull.cursor != stored:
                SyncCursor.objects.filter(source=source).update(cursor=pull.cursor, updated_at=timezone.now())
    except SyncBusy as exc:
        return _finish(run, SyncStatus.FAILED, exc.args[0])
    except DatabaseError as exc:  # the load rolled back; the cursor did not move
        return _finish(run, SyncStatus.FAILED, said(w.SYNC_DATABASE, error=str(exc)))
    except BaseException:
        _finish(run, SyncStatus.FAILED, said(w.SYNC_UNEXPECTED))
        raise
    result = results[-1]
    if not result.ok:
        # What was invalid, of the kind that was: the kinds before it were rolled back.
        run.rows_read, run.error_count = result.rows_read, result.error_count
        run.errors = [e.stored() for e in result.errors]
        run.skipped = result.skipped
        if pull.more:
            message = said(w.SYNC_INVALID_OF_KIND, count=result.error_count, kind=result.kind)
        else:
            message = said(w.SYNC_INVALID, count=result.error_count)
        return _finish(run, SyncStatus.INVALID, message)
    run.rows_read = sum(r.rows_read for r in results)
    run.created = sum(r.created for r in results)
    run.updated = sum(r.updated for r in results)
    run.unchanged = sum(r.unchanged for r in results)
    run.error_count, run.errors = 0, []
    run.skipped = sum(r.skipped for r in results)
    notes = [note for r in results for note in r.notes]
    if dry_run:
        return _finish(run, SyncStatus.CHECKED, notes)
    run.cursor_to = pull.cursor
    told = [*notes, *(f.said or f.notice for r in results for f in r.follow_ups)]
    return _finish(run, SyncStatus.DONE, told)


def _finish(run: SyncRun, status: str, message: Said | str | list) -> SyncRun:
    """The run's outcome: what it says is a key and its parameters (core.said); a list is sentences
    said one after the other (a source's notes, what the load set off)."""
    if isinstance(message, list):
        run.message, run.message_params = services.notices(message)
    elif isinstance(message, Said):
        run.message, run.message_params = message.key, message.params
    else:  # another system's own text (SourceUnavailable, SourceRefused): kept as it is
        run.message, run.message_params = message, {}
    run.status, run.finished_at = status, timezone.now()
    run.save()
    if status == SyncStatus.FAILED:
        log.warning("sync of %s failed: %s", run.source, run.message_words)
    return run


def sync_all(*, trigger: str = "beat") -> list[SyncRun]:
    """Every configured connector, one after the other (a failure of one does not stop the others)."""
    runs = []
    for source, connector_class in CONNECTORS.items():
        if not connector_class().configured():
            continue
        runs.append(sync_run(source=source, trigger=trigger))
    return runs


def next_sync_at(now: datetime.datetime | None = None) -> datetime.datetime:
    """The next nightly sync (SOURCES_SYNC_AT in the organisation's time zone; config/celery.py)."""
    hour, minute = sync_time()
    zone = timezone.get_default_timezone()
    local = timezone.localtime(now or timezone.now(), zone)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = timezone.make_aware(
            datetime.datetime.combine(local.date() + datetime.timedelta(days=1), datetime.time(hour, minute)),
            zone,
        )
    return candidate


def sync_time() -> tuple[int, int]:
    hour, _colon, minute = settings.SOURCES_SYNC_AT.partition(":")
    return int(hour), int(minute or 0)


def sources_overview() -> list[dict]:
    """Each connector: configured or not, its cursor, its last sync and the next run (the page)."""
    last = {}
    for run in SyncRun.objects.order_by("source", "-started_at", "-pk").distinct("source"):
        last[run.source] = run
    cursors = dict(SyncCursor.objects.values_list("source", "cursor"))
    upcoming = next_sync_at()
    rows = []
    for source, connector_class in CONNECTORS.items():
        connector = connector_class()
        rows.append(
            {
                "source": source,
                "title": connector.title,
                "kind": connector.kind,
                "missing": connector.missing(),
                "cursor": cursors.get(source, ""),
                "last": last.get(source),
                "next_run": upcoming if connector.configured() else None,
            }
        )
    return rows
