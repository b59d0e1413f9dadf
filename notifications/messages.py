"""What a notification says, kept as a key and its parameters and put into words when read, in the
reader's language (the notifications page, emails): a stored notification holds no sentence.

Parameters are JSON and never words: a quarter's key (``2026-Q3``), dates in ISO (``2026-07-10``),
a metric's key, a kind of data's key, numbers; people's names, a file's name and a key result's title
are as people wrote them. ``words(key, params)`` says it; a key it does not know says nothing ("")."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.labels import data_kind_label, date_label, metric_label, period_label
from reviews.workflow import Actor

Params = dict
Message = tuple[str, Params]

MESSAGES: dict[str, Callable[[Params], str]] = {}


def message(key: str, **params) -> Message:
    if key not in MESSAGES:
        raise KeyError(f"no notification message {key!r}")
    return key, params


def words(key: str, params: Params) -> str:
    said = MESSAGES.get(key)
    try:
        return said(params) if said else ""
    except (KeyError, TypeError, ValueError):  # parameters it cannot read: said as stored instead
        return ""


def _day(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _date(params: Params, name: str = "date") -> str:
    return date_label(_day(params.get(name)))


def _period(params: Params) -> str:
    return period_label(params.get("period") or "")


def _in_days(params: Params) -> str:
    """When something is due, counted from the day it was said (``on``): today, tomorrow, in 3 days."""
    due, on = _day(params["due"]), _day(params["on"])
    left = (due - on).days if due and on else 0
    if left == 0:
        return _("today")
    if left == 1:
        return _("tomorrow")
    return ngettext("in %(n)d day (%(date)s)", "in %(n)d days (%(date)s)", left) % {
        "n": left,
        "date": date_label(due),
    }


def _said(key: str):
    def register(fn: Callable[[Params], str]) -> Callable[[Params], str]:
        MESSAGES[key] = fn
        return fn

    return register


# --- reviews ------------------------------------------------------------------------------------


@_said("cycle_opened_csm")
def _cycle_opened_csm(p: Params) -> str:
    return _("The %(period)s review cycle is open. Your self-review is due on %(date)s.") % {
        "period": _period(p),
        "date": _date(p),
    }


@_said("cycle_opened_reviewer")
def _cycle_opened_reviewer(p: Params) -> str:
    return ngettext(
        "The %(period)s review cycle is open: %(count)d review is yours to write, due on %(date)s.",
        "The %(period)s review cycle is open: %(count)d reviews are yours to write, due on %(date)s.",
        p["count"],
    ) % {"period": _period(p), "count": p["count"], "date": _date(p)}


# Each step of the review workflow that tells someone (``reviews.workflow.STEPS``), per person told,
# with the step's words: ``period``, ``csm`` (the CSM's name), ``self_due`` and ``manager_due``.
STEP_TEXTS: dict[tuple[str, Actor], Callable[[dict], str]] = {
    ("send_to_csm", Actor.CSM): lambda w: (
        _("Your %(period)s self-review is ready to write. It is due on %(self_due)s.") % w
    ),
    ("submit_self", Actor.REVIEWER): lambda w: (
        _("%(csm)s submitted their %(period)s self-review. Your review is next, due on %(manager_due)s.") % w
    ),
    ("submit", Actor.CSM): lambda w: (
        _("Your %(period)s review is ready. Read it, flag any number that looks wrong, then acknowledge it.")
        % w
    ),
    ("acknowledge", Actor.REVIEWER): lambda w: _("%(csm)s acknowledged their %(period)s review.") % w,
    ("reopen", Actor.CSM): lambda w: (
        _("Your %(period)s review was reopened. Your manager will submit it again for you to acknowledge.")
        % w
    ),
    ("reopen", Actor.REVIEWER): lambda w: (
        _("The %(period)s review of %(csm)s was reopened. It is back with you to submit again.") % w
    ),
}


def step_key(action: str, actor: Actor) -> str:
    return f"step_{action}_{actor.value}"


def _step(text: Callable[[dict], str]) -> Callable[[Params], str]:
    return lambda p: text(
        {
            "period": _period(p),
            "csm": p.get("csm", ""),
            "self_due": _date(p, "self_due"),
            "manager_due": _date(p, "manager_due"),
        }
    )


for (_action, _actor), _text in STEP_TEXTS.items():
    MESSAGES[step_key(_action, _actor)] = _step(_text)


@_said("flag_raised")
def _flag_raised(p: Params) -> str:
    return _("%(csm)s flagged “%(metric)s” in their %(period)s review. It waits for your answer.") % {
        "csm": p["csm"],
        "period": _period(p),
        "metric": metric_label(p["metric"]),
    }


@_said("flag_answered")
def _flag_answered(p: Params) -> str:
    return _("%(manager)s answered what you flagged about “%(metric)s” in your %(period)s review.") % {
        "manager": p["manager"],
        "metric": metric_label(p["metric"]),
        "period": _period(p),
    }


@_said("calibrated_reviewer")
def _calibrated_reviewer(p: Params) -> str:
    return _("Calibration changed the rating of the %(period)s review of %(csm)s.") % {
        "csm": p["csm"],
        "period": _period(p),
    }


@_said("calibrated_csm")
def _calibrated_csm(p: Params) -> str:
    return _("Calibration changed the rating of your %(period)s review. Open it to see the change.") % {
        "period": _period(p)
    }


# --- CS ops -------------------------------------------------------------------------------------


@_said("kpi_run_failed")
def _kpi_run_failed(p: Params) -> str:
    return _(
        "The KPI run of %(period)s failed. The previous numbers stay on the pages until a run succeeds."
    ) % {"period": _period(p)}


@_said("import_failed")
def _import_failed(p: Params) -> str:
    if p.get("file"):
        return _("The import of %(kind)s from %(file)s failed: nothing was written.") % {
            "kind": data_kind_label(p["kind"]),
            "file": p["file"],
        }
    return _("An import of %(kind)s failed: nothing was written.") % {"kind": data_kind_label(p["kind"])}


# --- input from colleagues ----------------------------------------------------------------------


@_said("input_requested")
def _input_requested(p: Params) -> str:
    return _(
        "%(by)s asks for your input on the %(period)s review of %(csm)s: a few short questions, by %(date)s."
    ) % {"by": p.get("by") or _("HR"), "period": _period(p), "csm": p["csm"], "date": _date(p)}


@_said("input_closed")
def _input_closed(p: Params) -> str:
    w = {"who": p.get("who", ""), "csm": p["csm"], "period": _period(p)}
    if p.get("anonymous"):
        if p.get("answered"):
            return _("A colleague answered your request for input on the %(period)s review of %(csm)s.") % w
        return _("A colleague declined your request for input on the %(period)s review of %(csm)s.") % w
    if p.get("answered"):
        return _("%(who)s gave their input on the %(period)s review of %(csm)s.") % w
    return _("%(who)s declined to give input on the %(period)s review of %(csm)s.") % w


# --- reminders ----------------------------------------------------------------------------------


@_said("remind_self_review")
def _remind_self_review(p: Params) -> str:
    if p.get("overdue"):
        return _("Your %(period)s self-review was due on %(date)s: please submit it.") % {
            "period": _period(p),
            "date": _date(p, "due"),
        }
    return _("Your %(period)s self-review is due %(when)s.") % {"period": _period(p), "when": _in_days(p)}


@_said("remind_manager_review")
def _remind_manager_review(p: Params) -> str:
    args = {"csm": p["csm"], "period": _period(p)}
    if p.get("draft"):
        what = _("Send the %(period)s review of %(csm)s to them for their self-review") % args
    else:
        what = _("Write the %(period)s review of %(csm)s: their self-review is in") % args
    if p.get("overdue"):
        return _("%(what)s. It was due on %(date)s.") % {"what": what, "date": _date(p, "due")}
    return _("%(what)s. It is due %(when)s.") % {"what": what, "when": _in_days(p)}


@_said("remind_acknowledgement")
def _remind_acknowledgement(p: Params) -> str:
    return _(
        "Your %(period)s review is waiting for your acknowledgement. Read it, flag any number "
        "that looks wrong, then acknowledge it."
    ) % {"period": _period(p)}


@_said("remind_input")
def _remind_input(p: Params) -> str:
    w = {"csm": p["csm"], "period": _period(p)}
    if p.get("overdue"):
        return _("Your input on the %(period)s review of %(csm)s was due on %(date)s.") % {
            **w,
            "date": _date(p, "due"),
        }
    return _("Your input on the %(period)s review of %(csm)s is due %(when)s.") % {**w, "when": _in_days(p)}


@_said("remind_key_result")
def _remind_key_result(p: Params) -> str:
    return _("No check-in for %(days)d days on “%(kr)s”: check in to keep it on track.") % {
        "days": p["days"],
        "kr": p["kr"],
    }


@_said("reminder_from_hr")
def _reminder_from_hr(p: Params) -> str:
    """HR's reminder from the cycle page: who sent it, then the reminder itself (``reminder``: a
    message's key and parameters)."""
    key, params = p["reminder"]
    return _("%(person)s (HR) sent you a reminder. %(text)s") % {
        "person": p["person"],
        "text": words(key, params),
    }
