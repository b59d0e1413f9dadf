"""Fresh numbers after an import: one debounced KPI run of each period the import touched.

An import that commits (command, upload page or API) sends ``activity.signals.data_imported`` with the
days its rows touch (``result.first_day`` .. ``result.last_day``, organisation time zone; revenue,
accounts and assignments hold from their date on, so they touch every day up to today; people touch
today). ``on_data_imported`` turns them into periods (``touched_periods``): every month and every
quarter from the first day's to the last day's, and the month and quarter after them (their
``*_change`` metrics and ticket reduction compare with the period before), never after the current
ones and at most the latest ``REFRESH_MONTHS`` months (and the quarters over them); older periods
are left to a recompute from the KPI runs page or ``compute_kpis --backfill``.

Debounce, per period, in Redis (``settings.REDIS_URL``: the broker's Redis):

- ``kpis:refresh:<period>`` holds the deadline: the last import's commit + KPI_IMPORT_DEBOUNCE_SECONDS.
- An import sets it (one Lua script: set, and say whether it was there). It was not: a run of the
  period is sent with that countdown (``compute_period``, trigger ``import``, ``debounced=True``).
  It was: only the deadline moves; the run already on its way waits for it.
- That run, when it fires, ``claim``s the key (another script): deadline not reached (a later import
  moved it): it sends itself again for the new deadline; reached: the key is deleted and the period
  computed. The claim happens after every import that moved the deadline committed, so the run sees
  their rows; an import that commits after the claim finds no key and schedules the next run.

So imports within the debounce give one run per period, started after the last one committed. The
lock still holds: a run that finds the period locked tries again later (``compute_period``). The
key expires ``KEY_MARGIN_SECONDS`` after the deadline, so a run lost on the way (broker flushed) does
not hold the next imports back for long. Redis unreachable: the import stands, a warning is logged
and the nightly run (current and previous month and quarter) picks the numbers up.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Iterable

import redis
from celery import current_app
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activity.signals import FollowUp
from core.said import Said, said, says
from kpis.periods import MONTH, QUARTER, Period, period_label

log = logging.getLogger(__name__)

REFRESH_MONTHS = 12  # an import refreshes at most the latest 12 months and the quarters over them
KEY_MARGIN_SECONDS = 900  # a deadline key outlives its deadline this long
CLAIM_TOLERANCE_SECONDS = 0.2  # a run that fires this close to its deadline does not wait again
QUEUED_SECONDS = 3600  # how long the runs page remembers a recompute it sent
TRIGGER = "import"
COMPUTE_PERIOD_TASK = "kpis.compute_period"  # kpis.tasks.compute_period

# KEYS[1] the period's key, ARGV[1] the new deadline (epoch seconds), ARGV[2] the key's lifetime.
# Answers {1 if a run was already scheduled else 0, the deadline now}. The deadline never moves back.
_MARK = """
local old = redis.call('GET', KEYS[1])
local due = tonumber(ARGV[1])
if old and tonumber(old) and tonumber(old) > due then due = tonumber(old) end
redis.call('SET', KEYS[1], string.format('%.3f', due), 'EX', ARGV[2])
if old then return {1, string.format('%.3f', due)} end
return {0, string.format('%.3f', due)}
"""
# KEYS[1] the period's key, ARGV[1] now (epoch seconds), ARGV[2] the tolerance. Answers the seconds
# left before the deadline, "0" once the key is taken (deleted), "-1" when there was no key.
_CLAIM = """
local v = redis.call('GET', KEYS[1])
if not v then return '-1' end
local wait = tonumber(v) - tonumber(ARGV[1])
if wait > tonumber(ARGV[2]) then return string.format('%.3f', wait) end
redis.call('DEL', KEYS[1])
return '0'
"""

_clients: dict[str, redis.Redis] = {}


def _redis() -> redis.Redis:
    """A client of the broker's Redis (not the Django cache: a local memory cache in the tests)."""
    url = settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    return client


def debounce_seconds() -> int:
    return int(getattr(settings, "KPI_IMPORT_DEBOUNCE_SECONDS", 60))


def _key(period: Period) -> str:
    return f"kpis:refresh:{period}"


def _queued_key(period: Period) -> str:
    return f"kpis:recompute:{period}"


def _today() -> datetime.date:
    return timezone.localdate()


def _now() -> float:
    return time.time()


def touched_periods(
    first: datetime.date, last: datetime.date, today: datetime.date
) -> tuple[list[Period], Period | None]:
    """The months, then the quarters, to recompute for rows dated ``first`` .. ``last``, and the
    earliest month kept when the cap left older ones out (None when none was left out)."""
    current_month = Period.containing(today, MONTH)
    current_quarter = Period.containing(today, QUARTER)
    first_month = Period.containing(first, MONTH)
    if first_month > current_month:
        return [], None  # every row is dated after today
    last_month = min(Period.containing(last, MONTH).next(), current_month)
    months = Period.range(first_month, last_month)
    cut = months[-REFRESH_MONTHS] if len(months) > REFRESH_MONTHS else None
    months = months[-REFRESH_MONTHS:]
    first_quarter = max(Period.containing(first, QUARTER), Period.containing(months[0].start, QUARTER))
    last_quarter = min(Period.containing(last, QUARTER).next(), current_quarter)
    quarters = Period.range(first_quarter, last_quarter) if first_quarter <= last_quarter else []
    return months + quarters, cut


def schedule(periods: Iterable[Period]) -> datetime.datetime:
    """Debounce a run of each period (module docstring); answers when they are due, about.
    Raises when Redis or the broker cannot be reached."""
    # The task by its name in the Celery app (as datain.import_runs and reviews.output.exports send theirs):
    # kpis.tasks imports this module (``claim``), so this module does not import kpis.tasks.
    compute_period = current_app.tasks[COMPUTE_PERIOD_TASK]
    client = _redis()
    mark = client.register_script(_MARK)
    delay = debounce_seconds()
    now = _now()
    due = now + delay
    for period in periods:
        key = _key(period)
        existed, deadline = mark(keys=[key], args=[f"{now + delay:.3f}", delay + KEY_MARGIN_SECONDS])
        due = max(due, float(deadline))
        if existed:
            continue  # a run is on its way: it waits for the new deadline
        try:
            compute_period.apply_async(
                args=(str(period), None, TRIGGER), kwargs={"debounced": True}, countdown=delay
            )
        except Exception:
            client.delete(key)  # no run is coming: the next import must schedule one
            raise
    return datetime.datetime.fromtimestamp(due, tz=datetime.UTC)


def claim(period: Period) -> float:
    """For a debounced run when it fires: 0 to compute now (the key taken, or gone), or the seconds
    to wait because a later import moved the deadline. Redis unreachable: compute now."""
    try:
        answer = _redis().register_script(_CLAIM)(
            keys=[_key(period)], args=[f"{_now():.3f}", CLAIM_TOLERANCE_SECONDS]
        )
    except redis.exceptions.RedisError as exc:
        log.warning("KPI refresh of %s: Redis cannot be reached (%s); computing now", period, exc)
        return 0.0
    return max(float(answer), 0.0)


@says("kpis.refresh_nothing_changed")
def _nothing_changed(p: dict) -> str:
    return _("Nothing changed: the KPIs stay as they are.")


@says("kpis.refresh_not_scheduled")
def _not_scheduled(p: dict) -> str:
    return _(
        "The KPIs of %(periods)s could not be scheduled for a recompute now (the task queue "
        "cannot be reached). The nightly run refreshes the current and previous month and "
        "quarter; start a recompute on the KPI runs page for the others."
    ) % {"periods": join(label(Period.parse(k)) for k in p["periods"])}


@says("kpis.refresh_scheduled")
def _scheduled(p: dict) -> str:
    due_at = datetime.datetime.fromisoformat(p["due_at"])
    notice = _("The KPIs of %(periods)s will be recomputed %(when)s (around %(time)s).") % {
        "periods": join(label(Period.parse(k)) for k in p["periods"]),
        "when": _in_about(p["seconds"]),
        "time": timezone.localtime(due_at).strftime("%H:%M"),
    }
    if p.get("cut"):
        notice += " " + _(
            "Periods before %(month)s are not recomputed automatically: start a recompute on the "
            "KPI runs page."
        ) % {"month": label(Period.parse(p["cut"]))}
    return notice


def _follow_up(notice: Said, **more) -> FollowUp:
    return FollowUp(str(notice), said=notice, **more)


def on_data_imported(sender, kind: str, result, **kwargs) -> FollowUp | None:
    """Receiver of ``data_imported``: schedule the runs, say when the numbers will refresh (a key and
    its parameters, ``core.said``: an import keeps it). Never raises: the import has committed
    whatever happens here."""
    try:
        if result.first_day is None:
            return _follow_up(said("kpis.refresh_nothing_changed"))
        periods, cut = touched_periods(result.first_day, result.last_day, _today())
        if not periods:
            return None
        keys = [str(p) for p in periods]
        try:
            due_at = schedule(periods)
        except Exception as exc:  # Redis or the broker down: the import stands
            log.warning(
                "KPI refresh after a %s import: runs of %s not scheduled (%s); the nightly run will pick "
                "the numbers up",
                kind,
                ", ".join(map(str, periods)),
                exc,
            )
            return _follow_up(said("kpis.refresh_not_scheduled", periods=keys))
        notice = said(
            "kpis.refresh_scheduled",
            periods=keys,
            seconds=debounce_seconds(),
            due_at=due_at.isoformat(),
            cut=str(cut) if cut is not None else "",
        )
        return _follow_up(notice, periods=tuple(keys), due_at=due_at)
    except Exception:
        log.exception("KPI refresh after a %s import failed; the nightly run will pick the numbers up", kind)
        return None


def note_queued(period: Period, by: str) -> None:
    """Remember for the runs page that a recompute was sent (best effort)."""
    try:
        _redis().set(_queued_key(period), json.dumps({"at": _now(), "by": by}), ex=QUEUED_SECONDS)
    except redis.exceptions.RedisError as exc:
        log.warning("Redis cannot be reached (%s): the runs page will not show the queued run", exc)


def waiting(
    periods: list[Period],
) -> tuple[dict[str, datetime.datetime], dict[str, tuple[datetime.datetime, str]]]:
    """For the runs page, in one round trip: the periods with a refresh scheduled after an import
    (their deadline) and those a recompute was sent for (when, by whom). Redis down: nothing."""
    try:
        values = _redis().mget([_key(p) for p in periods] + [_queued_key(p) for p in periods])
    except redis.exceptions.RedisError:
        return {}, {}
    scheduled, queued = {}, {}
    for period, value in zip(periods, values[: len(periods)], strict=True):
        if value is not None:
            scheduled[str(period)] = datetime.datetime.fromtimestamp(float(value), tz=datetime.UTC)
    for period, value in zip(periods, values[len(periods) :], strict=True):
        if value is not None:
            data = json.loads(value)
            queued[str(period)] = (datetime.datetime.fromtimestamp(data["at"], tz=datetime.UTC), data["by"])
    return scheduled, queued


def label(period: Period) -> str:
    """``July 2026``; ``Q3 2026``; with a fiscal year that starts in April, ``Q1 FY2026 (April to June 2026)``."""
    return period_label(period)


def join(names: Iterable[str]) -> str:
    """``a, b and c``."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return _("%(items)s and %(last)s") % {"items": ", ".join(names[:-1]), "last": names[-1]}


def _in_about(seconds: int) -> str:
    if seconds < 45:
        return _("in a few seconds")
    minutes = max(1, round(seconds / 60))
    if minutes == 1:
        return _("in about a minute")
    return ngettext("in about %(n)d minute", "in about %(n)d minutes", minutes) % {"n": minutes}
