"""Long jobs run by Celery workers (an upload's check and import, a cycle's zip of PDFs): handing them
to the queue without hanging, their signs of life, and the words a page uses for them.

The states of a job (``ImportRun``, ``CycleExport``) and what moves it:

    queued  --a worker claims it-->                     running (checking / importing / rendering)
    queued  --the queue (Redis) cannot be reached-->    failed  "The job queue (Redis) could not be reached ..."
    queued  --no worker for JOB_STALE_SECONDS (sweep)-> queued, sent again (at most JOB_MAX_SENDS sends)
    queued  --still nobody after the last send-->       failed  "No worker picked this up ..."
    running --its work is done-->                       finished (checked, refused, imported, zipped)
    running --an error in the task-->                   failed  "The worker failed while ...: <error>"
    running --no sign of life for JOB_STALE_SECONDS-->  failed  "The worker stopped while ... (no sign of life since HH:MM)"
    running --its message came back, no sign of life
              for JOB_TAKEOVER_SECONDS-->               running, taken over by the worker the message came back to
    failed  --Retry (a POST by whoever may start it)--> queued, sent again

Every message carries the attempt it was sent for, and a worker only claims a job that is queued for
that very attempt. So a message delivered twice, one the sweep replaced by a new send, or one that comes
back after its worker died (``acks_late``) does nothing to a job that was claimed, finished, failed or
sent again meanwhile. The one exception is a message that comes back to find its job claimed for its own
attempt: the worker that claimed it died (``acks_late`` with ``reject_on_worker_lost``: a pool process
killed, by the kernel's OOM killer for one, gives its message back at once). Once the job has shown no
sign of life for JOB_TAKEOVER_SECONDS, the message's worker takes it over under a new attempt; until
then the message is put back to be looked at again (``take_over``). A job marked failed stays failed
until someone presses Retry: a worker that was
only slow, and reaches the end after the sweep gave up on it, rolls its work back (an import) or throws
its zip away (an export), and the page keeps saying what it said.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from celery import current_app
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from core import dates
from core.said import Said, said, says

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger(__name__)

# Who or what started a run (``KpiRun.trigger``, ``SyncRun.trigger``), in words.
TRIGGERS = {
    "beat": gettext_lazy("Nightly schedule"),
    "command": gettext_lazy("Command on the server"),
    "task": gettext_lazy("Background task"),
    "import": gettext_lazy("After an import"),
    "recompute": gettext_lazy("Recompute from the KPI runs page"),
    "seed_demo": gettext_lazy("Demo builder"),
}


def trigger_label(trigger: str) -> str:
    """ "beat" -> "Nightly schedule"; an unknown trigger as words ("some_job" -> "Some job")."""
    if not trigger:
        return ""
    return str(TRIGGERS.get(trigger, "")) or trigger.replace("_", " ").capitalize()


# What a broker that cannot be reached raises while sending (kombu wraps most of them).
QUEUE_ERRORS = (KombuError, RedisError, OSError)


class QueueUnreachable(Exception):
    """The job could not be handed to the queue: no message was sent. ``reason`` is for people: a key
    and its parameters (``core.said``), which the job stores."""

    def __init__(self, reason: Said) -> None:
        super().__init__(str(reason))
        self.reason = reason


# What a job keeps of why it failed (``ImportRun.message``, ``CycleExport.error``): keys said here, in
# the reader's language when read. ``since`` is a moment in ISO 8601, said as ``clock`` says it.
QUEUE_UNREACHABLE = "core.job_queue_unreachable"
NEVER_PICKED_UP = "core.job_never_picked_up"


def since_words(params: dict[str, Any], name: str = "since") -> str:
    """A moment kept in ISO 8601 (``params[name]``), as a page writes it (``clock``)."""
    return clock(datetime.datetime.fromisoformat(params[name]))


@says(QUEUE_UNREACHABLE)
def _queue_unreachable(p: dict[str, Any]) -> str:
    return _(
        "The job queue (Redis) could not be reached: %(error)s. Nothing was started. Try again in a moment."
    ) % {"error": p["error"]}


@says(NEVER_PICKED_UP)
def _never_picked_up(p: dict[str, Any]) -> str:
    return ngettext(
        "No worker picked this up: it was sent %(sends)s time since %(since)s. The workers may be down. "
        "Retry when they are back.",
        "No worker picked this up: it was sent %(sends)s times since %(since)s. The workers may be down. "
        "Retry when they are back.",
        p["sends"],
    ) % {"sends": p["sends"], "since": since_words(p)}


def send(task_name: str, args: list[Any]) -> str:
    """Send one task message and answer its id, or raise QueueUnreachable within a few seconds.

    A connection of its own, with short timeouts, and one retry: a web request never waits for
    Celery's defaults (about 19 s with the Redis result backend before an exception). Nobody waits for
    the result (the job records its outcome in the database), so the result backend is not touched.
    """
    timeout = settings.JOB_QUEUE_TIMEOUT_SECONDS
    try:
        with current_app.connection_for_write(
            url=settings.CELERY_BROKER_URL,
            connect_timeout=timeout,
            transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
        ) as connection:
            result = current_app.send_task(
                task_name,
                args=args,
                connection=connection,
                ignore_result=True,
                retry=True,
                retry_policy={
                    "max_retries": 1,
                    "interval_start": 0.2,
                    "interval_step": 0,
                    "interval_max": 0.2,
                },
            )
    except QUEUE_ERRORS as exc:
        log.warning("Could not send %s%s: %s", task_name, args, exc)
        why = str(exc).strip().rstrip(".") or type(exc).__name__
        raise QueueUnreachable(said(QUEUE_UNREACHABLE, error=why)) from exc
    return result.id


class Heartbeat:
    """Signs of life of a running job, written into ``heartbeat_at`` of its row at most every
    JOB_HEARTBEAT_SECONDS, on a database connection of its own: an import runs in one long transaction,
    and what it writes on its own connection is seen by nobody until it ends. A sign of life that cannot
    be written (a locked row, a lost connection) is skipped; the next one tries again.

        with Heartbeat(ImportRun, run.pk) as beat:
            for batch in ...:
                beat()
    """

    def __init__(self, model: type[models.Model], pk: int) -> None:
        self.table = model._meta.db_table
        self.pk = pk
        self.every = settings.JOB_HEARTBEAT_SECONDS
        self.last = time.monotonic()  # the claim wrote the first one
        self.connection: BaseDatabaseWrapper | None = None

    def __enter__(self) -> Heartbeat:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def _close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(DatabaseError):
                self.connection.close()
            self.connection = None

    def __call__(self, force: bool = False) -> None:
        if not force and time.monotonic() - self.last < self.every:
            return
        self.last = time.monotonic()
        try:
            if self.connection is None:
                self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
                with self.connection.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '1s'")  # never wait behind our own transaction
            with self.connection.cursor() as cursor:
                quote = self.connection.ops.quote_name
                cursor.execute(
                    f"UPDATE {quote(self.table)} SET {quote('heartbeat_at')} = %s WHERE {quote('id')} = %s",
                    [timezone.now(), self.pk],
                )
        except DatabaseError as exc:
            log.warning("Heartbeat of %s %s skipped: %s", self.table, self.pk, exc)
            self._close()


class Job(models.Model):
    """A job's life on the queue, shared by every kind of long job (an import, a cycle's export): the
    attempt its messages carry (a worker acts on the job only for the current one), how many times it
    was sent since someone asked for it, when it was last sent, and the last sign of life of a worker
    on it. The job's own model adds its ``status``, its start and its outcome."""

    attempt = models.PositiveIntegerField(
        default=0,
        verbose_name=gettext_lazy("attempt"),
        help_text=gettext_lazy("A worker acts on the job only for its current attempt."),
    )
    sends = models.PositiveSmallIntegerField(
        default=0,
        verbose_name=gettext_lazy("times queued"),
        help_text=gettext_lazy("How many times the job was sent to the workers since someone asked for it."),
    )
    queued_at = models.DateTimeField(gettext_lazy("queued"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(gettext_lazy("last sign of life"), null=True, blank=True)

    class Meta:
        abstract = True


# The kind of job one sweep looks at: its callbacks take that very kind (an ImportRun, a CycleExport).
JobT = TypeVar("JobT", bound="Job")


def sweep(
    jobs: QuerySet,
    *,
    queued: str,
    running: list[str],
    failed: str,
    created_field: str,
    message_field: str,
    resend: Callable[[JobT], None],
    silence: Callable[[JobT], tuple[str, dict[str, Any]]],
    now: datetime.datetime | None = None,
) -> dict[str, int]:
    """The beat's look at jobs gone quiet (every JOB_SWEEP_SECONDS), for any kind of job.

    Queued and not picked up: sent again with a new attempt every JOB_STALE_SECONDS (``resend``), then
    failed after JOB_MAX_SENDS sends. Running without a sign of life for JOB_STALE_SECONDS: failed with
    the key and parameters ``silence(job)`` answers, with ``since``, the last sign of life. What a failed job
    says is kept in ``message_field`` (a key) and ``<message_field>_params``. Each change is conditional on the state the sweep read, so a worker that
    claims or finishes the job meanwhile wins."""
    now = now or timezone.now()
    stale = datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)
    counts = {"sent_again": 0, "failed": 0}
    model = jobs.model
    waiting = jobs.filter(status=queued).annotate(since=Coalesce("queued_at", created_field))
    for job in waiting.filter(since__lt=now - stale):
        sends = max(job.sends, 1)
        if now - job.since < sends * stale:
            continue  # the last send is not stale yet
        mine = model.objects.filter(pk=job.pk, status=queued, attempt=job.attempt)
        if sends >= settings.JOB_MAX_SENDS:
            why = {
                message_field: NEVER_PICKED_UP,
                f"{message_field}_params": {"sends": sends, "since": job.since.isoformat()},
            }
            if mine.update(status=failed, finished_at=now, **why):
                counts["failed"] += 1
            continue
        if mine.update(attempt=F("attempt") + 1, sends=sends + 1):
            job.refresh_from_db()
            log.info("%s %s: no worker took it; sent again (attempt %s)", model.__name__, job.pk, job.attempt)
            resend(job)
            counts["sent_again"] += 1
    silent = jobs.filter(status__in=running).annotate(
        last=Coalesce("heartbeat_at", "queued_at", created_field)
    )
    for job in silent.filter(last__lt=now - stale):
        key, params = silence(job)
        why = {message_field: key, f"{message_field}_params": {**params, "since": job.last.isoformat()}}
        if model.objects.filter(
            pk=job.pk, status=job.status, attempt=job.attempt, heartbeat_at=job.heartbeat_at
        ).update(status=failed, finished_at=now, **why):
            log.warning("%s %s: %s (no sign of life since %s)", model.__name__, job.pk, key, job.last)
            counts["failed"] += 1
    return counts


class StillAlive(Exception):
    """The job is claimed for this very attempt and its worker showed a sign of life lately: the message
    is to be looked at again in ``retry_in`` seconds (a second delivery while the first worker lives, or
    a worker that died a moment ago)."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"the job shows signs of life: again in {retry_in:g} s")
        self.retry_in = retry_in


def take_over(
    jobs: QuerySet, *, pk: int, attempt: int | None, running: list[str], now: datetime.datetime | None = None
) -> int | None:
    """A message of ``attempt`` found its job no longer queued. When the job is running for that same
    attempt, the message is a second delivery of the one a worker claimed, and that worker is likely
    dead (its message came back): silent for JOB_TAKEOVER_SECONDS, the job is claimed anew under a new
    attempt (so the first worker, were it only slow, finds the job no longer its own at its end and
    rolls back) and that attempt is answered; with a recent sign of life, ``StillAlive`` (the task puts
    its message back for later). Any other state: None, nothing to do."""
    if attempt is None:
        return None
    now = now or timezone.now()
    job = jobs.filter(pk=pk, attempt=attempt, status__in=running).values("status", "heartbeat_at").first()
    if job is None:
        return None
    quiet = datetime.timedelta(seconds=settings.JOB_TAKEOVER_SECONDS)
    if job["heartbeat_at"] is not None and job["heartbeat_at"] > now - quiet:
        left = (job["heartbeat_at"] + quiet - now).total_seconds()
        raise StillAlive(max(1.0, min(left + 1, settings.JOB_TAKEOVER_SECONDS / 2)))
    mine = jobs.filter(pk=pk, attempt=attempt, status=job["status"], heartbeat_at=job["heartbeat_at"])
    if not mine.update(attempt=F("attempt") + 1, heartbeat_at=now):
        return None  # someone else moved it meanwhile
    log.warning(
        "%s %s: its worker showed no sign of life since %s; taken over (attempt %s)",
        jobs.model.__name__,
        pk,
        job["heartbeat_at"],
        attempt + 1,
    )
    return attempt + 1


def stale_before(now: datetime.datetime | None = None) -> datetime.datetime:
    """Jobs silent since before this are stale (JOB_STALE_SECONDS)."""
    return (now or timezone.now()) - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)


def clock(moment: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """HH:MM in the current time zone; the day and the zone too ("28 Nov 2026, 14:05 CET") when it is
    not today, as every page writes a moment (core.dates)."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(now or timezone.now()).date():
        return f"{local:%H:%M}"
    return dates.moment(local)


def waiting_hint(queued_at: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """What to say of a job queued for a while without a worker picking it up ('' when not yet)."""
    now = now or timezone.now()
    if queued_at is None or (now - queued_at).total_seconds() < settings.JOB_PICKUP_HINT_SECONDS:
        return ""
    return _("No worker has picked this up yet; if this lasts, the workers may be down.")


def silence_hint(heartbeat_at: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """What to say of a running job that has not shown a sign of life for a while ('' when it has)."""
    now = now or timezone.now()
    if heartbeat_at is None or (now - heartbeat_at).total_seconds() < settings.JOB_SILENCE_HINT_SECONDS:
        return ""
    deadline = heartbeat_at + datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)
    return _(
        "No sign of life from the worker since %(since)s. If it stopped, this job will be marked failed "
        "around %(deadline)s and can then be retried."
    ) % {"since": clock(heartbeat_at, now), "deadline": clock(deadline, now)}
