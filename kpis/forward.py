"""Forward, for the CSM: the accounts least likely to still pay at the end of a quarter, and why
(docs/metrics.md, "Accounts at risk this quarter").

The same expectations as the lift (``kpis.engine.expected``), by the same fit: the one the KPI run of
the quarter stored (``ExpectedFit``, fitted on the quarters before it and checked on the latest of
them), applied to each account of the CSM's book at the quarter's start, from what was known then
only (segment, health band at the start, tenure, MRR size). Nothing dated on or after the quarter's
first day is read to score an account or to word its reasons: a health change during the quarter
changes nothing here either. A closed quarter also shows what happened (still paying at its end).

The reasons are the inputs that pull the account's probability down the most against the
organisation's average account at the same start (each input's coefficient for the account's level
minus that input's mean coefficient over the starting cohort), kept as keys and parameters
(``Reason``) and put into words when a page shows them (``Reason.words``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CustomerAccount, Segment
from activity.models import HealthSnapshot
from core import dates
from kpis import book
from kpis.engine import expected, features
from kpis.engine.reasons import in_words as reason_in_words
from kpis.models import ExpectedFit, KpiRun, RunStatus
from kpis.periods import Period, period_label

# Why a forecast lists nothing.
OK, NO_RUN, NO_FIT, WITHHELD, NOT_QUARTER = "ok", "no_run", "no_history", "withheld", "not_quarter"
MAX_REASONS = 3
MIN_PULL = 0.05  # an input pulling the log-odds down by less than this is no reason worth naming


@dataclass(frozen=True)
class Reason:
    """One reason, as stored: a key (the input) and its parameters; words only at display."""

    key: str  # health, tenure, size, segment, or another input of the model by its name
    params: dict[str, Any]
    pull: float  # how much it lowers the log-odds of still paying against the average account

    @property
    def words(self) -> str:
        return reason_words(self.key, self.params)

    def as_dict(self) -> dict[str, Any]:
        params = {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in self.params.items()}
        return {"key": self.key, "params": params}


@dataclass
class AccountRisk:
    account_id: int
    external_id: str
    name: str
    probability: float  # of still paying at the quarter's end, 0 to 1
    reasons: list[Reason] = field(default_factory=list)
    mrr_start: Decimal = Decimal(0)
    still_paying: bool | None = None  # closed quarters only: what happened

    @property
    def percent(self) -> int:
        return round(100 * self.probability)


@dataclass
class Forecast:
    """The accounts of one CSM's book at ``period``'s start, least likely to still pay first."""

    period: Period
    status: str
    reason: str = ""  # why nothing is listed, in words
    accounts: list[AccountRisk] = field(default_factory=list)
    closed: bool = False
    fitted_on: list[str] = field(default_factory=list)
    held_out: str = ""
    version: str = ""

    @property
    def last_day(self) -> datetime.date:
        return self.period.end - datetime.timedelta(days=1)

    def top(self, n: int | None = None) -> list[AccountRisk]:
        return self.accounts[: n or settings.KPI_FORWARD_LIST]

    @property
    def first_three(self) -> list[AccountRisk]:
        """The manager's home lists three per CSM (a team's at a glance)."""
        return self.accounts[:3]

    def tied_after(self, n: int) -> int:
        """How many accounts past the first ``n`` are as likely, in whole percent, as the n-th: a
        hard book often has many alike, and a short list must not pretend its cut means something."""
        if len(self.accounts) <= n:
            return 0
        last = self.accounts[n - 1].percent
        return sum(1 for a in self.accounts[n:] if a.percent == last)

    @property
    def top_tied(self) -> int:
        return self.tied_after(settings.KPI_FORWARD_LIST)

    @property
    def first_three_tied(self) -> int:
        return self.tied_after(3)


def reason_words(key: str, params: dict[str, Any]) -> str:
    """A reason in the reader's language: "poor health since 3 Nov 2026", "under a year a customer"."""
    if key == "health":
        band = str(params.get("band"))
        since = params.get("since")
        if isinstance(since, str):
            since = datetime.date.fromisoformat(since)
        if band == "none":
            return _("no health reading at the quarter's start")
        label = {"good": _("good health"), "average": _("average health"), "poor": _("poor health")}.get(
            band, band
        )
        if since:
            return _("%(band)s since %(day)s") % {"band": label, "day": dates.day(since)}
        return str(label)
    if key == "tenure":
        return {
            "under_1_year": _("under a year a customer"),
            "1_to_2_years": _("one to two years a customer"),
            "over_2_years": _("over two years a customer"),
        }.get(level := params.get("level", ""), level)
    if key == "size":
        return {
            "smallest_quarter": _("among the smallest quarter of accounts by MRR"),
            "second_quarter": _("among the smaller half of accounts by MRR"),
            "third_quarter": _("among the larger half of accounts by MRR"),
            "largest_quarter": _("among the largest quarter of accounts by MRR"),
        }.get(level := params.get("level", ""), level)
    if key == "segment":
        return _("%(segment)s segment") % {
            "segment": dict(Segment.choices).get(level := params.get("level", ""), level)
        }
    return _("%(input)s: %(level)s") % {"input": key, "level": params.get("level", "")}


def published_run(period: Period) -> KpiRun | None:
    """The run the pages read for ``period``: its latest published one."""
    return (
        KpiRun.objects.filter(period=str(period), status=RunStatus.PUBLISHED).order_by("-finished_at").first()
    )


def _contributions(model: expected.Model, rows: list[expected.AccountRow]) -> tuple[list, dict]:
    """Each row's levels, and each input's mean coefficient over ``rows`` (the average account)."""
    coef = dict(zip(expected.input_names(model.encoding), model.coefficients, strict=True))
    row_levels = [features.levels(r, model.encoding) for r in rows]
    totals: dict[str, float] = defaultdict(float)
    for lv in row_levels:
        for what, level in lv.items():
            totals[what] += coef.get(f"{what}={level}", 0.0)
    mean = {what: total / len(rows) for what, total in totals.items()} if rows else {}
    return row_levels, {"coef": coef, "mean": mean}


def _since(account_ids: list[int], start: datetime.date, bands: dict[int, str]) -> dict[int, datetime.date]:
    """For each account, the first day of its unbroken run of readings in the band it had at
    ``start`` (readings before ``start`` only)."""
    out: dict[int, datetime.date] = {}
    broken: set[int] = set()
    readings = (
        HealthSnapshot.objects.filter(account_id__in=account_ids, date__lt=start)
        .order_by("account_id", "-date")
        .values_list("account_id", "date", "score", "band")
    )
    for account_id, day, score, band in readings:
        if account_id in broken:
            continue
        if book.health_band(score, band) == bands[account_id]:
            out[account_id] = day
        else:
            broken.add(account_id)
    return out


def forecasts(
    *, csm_ids: list[int], period: Period, today: datetime.date | None = None
) -> dict[int, Forecast]:
    """The forecast of each CSM of ``csm_ids`` for ``period`` (one fit read, one scoring of the
    starting cohort, one query for the health runs, whatever the number of CSMs)."""
    today = today or timezone.localdate()
    if not period.is_quarter:
        return {
            c: Forecast(period, NOT_QUARTER, _("Accounts at risk are forecast for whole quarters only."))
            for c in csm_ids
        }
    closed = period.is_closed(today)
    run = published_run(period)
    fit = ExpectedFit.objects.filter(run=run, outcome="logo_retention").first() if run else None
    if fit is None:
        words = _("The expected results of %(period)s are not computed yet.") % {
            "period": period_label(period)
        }
        return {c: Forecast(period, NO_RUN, words, closed=closed) for c in csm_ids}
    base = {"closed": closed, "fitted_on": fit.training_quarters, "held_out": fit.held_out_quarter}
    model = expected.model_of(fit)
    if fit.status != OK or model is None:
        status = WITHHELD if fit.status == WITHHELD else NO_FIT
        if status == WITHHELD:
            words = _(
                "No forecast this quarter: the model did not predict the quarter held out to check it well "
                "enough. %(reason)s"
            ) % {"reason": reason_in_words(fit.reason, fit.reason_params)}
        else:
            # In our own words: the fit's reason names the quarter by its code.
            words = _(
                "Not enough history to forecast %(period)s: the quarters before it hold %(n)d "
                "account-quarters in %(q)d quarters, too few for the model."
            ) % {"period": period_label(period), "n": fit.training_accounts, "q": len(fit.training_quarters)}
        return {c: Forecast(period, status, words, version=fit.version, **base) for c in csm_ids}
    # The cohort at the start, every CSM's (the average account is the organisation's); its outcome
    # is read only for a closed quarter, and only to say what happened.
    rows = expected.cohort_rows([period], period.end if closed else period.start)[str(period)]
    probabilities: Any = model.predict(rows) if rows else []  # numpy's floats, one per row
    row_levels, parts = _contributions(model, rows)
    wanted = set(csm_ids)
    mine = [i for i, r in enumerate(rows) if r.csm_id in wanted]
    since = _since(
        [rows[i].account_id for i in mine], period.start, {rows[i].account_id: rows[i].health for i in mine}
    )
    out = {c: Forecast(period, OK, version=fit.version, **base) for c in csm_ids}
    external = dict(
        CustomerAccount.objects.filter(pk__in=[rows[i].account_id for i in mine]).values_list(
            "pk", "external_id"
        )
    )
    for i in mine:
        r = rows[i]
        reasons = []
        for what, level in row_levels[i].items():
            pull = parts["mean"][what] - parts["coef"].get(f"{what}={level}", 0.0)
            if pull < MIN_PULL:
                continue
            params: dict[str, Any] = {"level": level}
            if what == "health":
                params = {"band": level, "since": since.get(r.account_id)}
            reasons.append(Reason(what, params, pull))
        reasons.sort(key=lambda x: -x.pull)
        out[r.csm_id].accounts.append(
            AccountRisk(
                account_id=r.account_id,
                external_id=external.get(r.account_id, ""),
                name=r.name,
                probability=float(probabilities[i]),
                reasons=reasons[:MAX_REASONS],
                mrr_start=r.mrr_start,
                still_paying=bool(r.paying) if closed else None,
            )
        )
    for f in out.values():
        # Least likely first; among accounts as likely, the larger MRR first (more is at stake).
        f.accounts.sort(key=lambda a: (a.probability, -a.mrr_start, a.name.lower(), a.account_id))
    return out


def forecast(*, csm_id: int, period: Period, today: datetime.date | None = None) -> Forecast:
    return forecasts(csm_ids=[csm_id], period=period, today=today)[csm_id]


def as_dict(f: Forecast) -> dict[str, Any]:
    """A forecast as data (keys and parameters, no words but the reason for an empty one)."""
    return {
        "period": str(f.period),
        "status": f.status,
        "reason": f.reason,
        "accounts": [
            {
                "account": a.external_id,
                "name": a.name,
                "probability": round(a.probability, 4),
                "reasons": [r.as_dict() for r in a.reasons],
            }
            for a in f.accounts
        ],
    }
