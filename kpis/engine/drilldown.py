"""The rows behind one number of one CSM, read from the engine's own rows (``kpis.engine.parts``)
filtered to that CSM, and added up with the engine's own definitions: ``Explanation.components``
gives, through the formulas, the stored number (tests/kpis/test_drilldown.py checks every metric).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Assignment, CustomerAccount
from core import dates, formatting
from kpis.engine import blocks, formulas, parts
from kpis.engine.blocks import fetch_dicts
from kpis.engine.components import C, Components, PerCsm
from kpis.engine.drill_cells import CENT, Explanation, accounts_words, money, of, total_label
from kpis.engine.drill_expected import ExpectedDrill
from kpis.engine.formulas import MICROS_PER_HOUR
from kpis.periods import Period
from kpis.registry import EXPECTED_KEYS

REVENUE = {
    "portfolio_growth",
    "portfolio_growth_rate",
    "nrr",
    "gross_retention",
    "logo_retention",
    "starting_mrr",
}
BOOK = {"book_size", "arr_managed"}
SERVICE_TICKETS = {
    "first_response_hours",
    "first_contact_resolution",
    "contacts_to_resolve",
    "escalation_rate",
}
TICKETS_PER_BOOK = {"tickets_per_account", "ticket_reduction"}
SURVEYS = {"nps": "nps", "nps_change": "nps", "csat": "csat"}
HEALTH = {"health_good_share", "health_average_share", "health_poor_share"}
STICKINESS = {"stickiness", "stickiness_change"}
ONBOARDING = {"onboarding_days", "onboardings"}
# Metrics compared with the previous period: their rows include that period's.
WITH_PREVIOUS = {"ticket_reduction", "nps_change", "stickiness_change", "health_mix_change"}


def explain(*, csm_id: int, metric: str, period: Period, as_of: datetime.date | None = None) -> Explanation:
    """The rows behind ``metric`` of one CSM in ``period`` (to date ``as_of``, if before its end)."""
    inputs = parts.Inputs(period=period, as_of=as_of if as_of and as_of < period.end else None)
    explanation = _explain(inputs, csm_id, metric)
    explanation.as_of = inputs.as_of
    return explanation


def _explain(inputs: parts.Inputs, csm_id: int, metric: str) -> Explanation:
    # Owner(a, d) is this CSM only for accounts this CSM was ever assigned: read those alone.
    mine = sorted(set(Assignment.objects.filter(csm_id=csm_id).values_list("account_id", flat=True)))
    d = _Drill(inputs, csm_id, mine, metric)
    if metric in REVENUE:
        return d.cohort()
    if metric in BOOK:
        return d.book()
    if metric in SERVICE_TICKETS or metric in TICKETS_PER_BOOK:
        return d.tickets()
    if metric in SURVEYS:
        return d.surveys(SURVEYS[metric])
    if metric == "adoption_change":
        return d.adoption()
    if metric in HEALTH or metric == "health_mix_change":
        return d.health()
    if metric in STICKINESS:
        return d.usage()
    if metric == "referrals":
        return d.advocacy()
    if metric in ONBOARDING:
        return d.onboardings()
    if metric == "touchpoints":
        return d.touchpoints()
    if metric in EXPECTED_KEYS:
        return d.expected()
    raise KeyError(metric)


class _Drill(ExpectedDrill):
    def __init__(self, inputs: parts.Inputs, csm_id: int, accounts: list[int], metric: str) -> None:
        self.inputs, self.csm, self.accounts, self.metric = inputs, csm_id, accounts, metric
        self.out: PerCsm = {}
        self._names: dict[int, tuple[str, str]] | None = None

    # --- helpers ----------------------------------------------------------------------------------

    def names(self, ids) -> dict[int, tuple[str, str]]:
        """External id and name of each account (one query)."""
        return {
            pk: (ext, name)
            for pk, ext, name in CustomerAccount.objects.filter(pk__in=list(ids)).values_list(
                "pk", "external_id", "name"
            )
        }

    def result(
        self,
        columns: list[str],
        rows: list[list[Any]],
        note: str = "",
        *,
        account: int | None = None,
        totals: list[list[Any]] | None = None,
    ) -> Explanation:
        comps = self.out.get(self.csm, Components())
        return Explanation(self.metric, columns, rows, note, comps, account, totals or [])

    def account(self, names: dict[int, tuple[str, str]], account_id: int) -> list[str]:
        """The account's id and name: two cells."""
        return list(names[account_id])

    def attributed(
        self, events, *, day: str = "day", where: str = "", params: tuple = (), order: str = ""
    ) -> list[dict[str, Any]]:
        """The rows of ``events`` whose owner on their day is this CSM (``where``: more conditions
        on the rows ``r``, with positional ``params``)."""
        if not self.accounts:
            return []  # never assigned an account: no event is theirs
        sql, event_params = blocks.attributed(events, day=day)
        sql = f"SELECT * FROM ({sql}) r WHERE r.csm_id = %s{where}{order}"
        return fetch_dicts(sql, [*event_params, self.csm, *params])

    def balances(self, *statements: str) -> list[list[dict[str, Any]]]:
        """Rows of statements over the balances of this CSM's accounts (named parameter csm)."""
        params = parts.book_params(self.inputs) | {"accounts": self.accounts, "csm": self.csm}
        with blocks.balances_table(params, accounts=True):
            return [
                fetch_dicts(f"SELECT * FROM ({sql}) r WHERE r.csm_id = %(csm)s", params) for sql in statements
            ]

    def book_note(self, book: list[dict], prev_book: list[dict] | None = None) -> str:
        note = _("Book at the end of the period: %(n)s accounts.") % {"n": len(book)}
        if prev_book is not None:
            note += " " + _("Book at the end of the previous period: %(n)s accounts.") % {"n": len(prev_book)}
        return note

    # --- metrics ------------------------------------------------------------------------------------

    def cohort(self) -> Explanation:
        (rows,) = self.balances(parts.COHORT_ROWS)
        parts.accumulate_totals(self.out, parts.COHORT_TOTALS, rows)
        names = self.names(r["account_id"] for r in rows)
        kept = self.metric == "gross_retention"
        table = sorted(
            [
                *self.account(names, r["account_id"]),
                money(r["s"]),
                money(r["e"]),
                money(r["e"] - r["s"]),
                *([money(r["kept"])] if kept else []),
                _("yes") if r["paying"] else _("no"),
            ]
            for r in rows
        )
        c = self.out.get(self.csm, Components())
        total = [
            total_label(),
            accounts_words(len(rows)),
            money(c[C.MRR_START]),
            money(c[C.MRR_END]),
            money(c[C.MRR_END] - c[C.MRR_START]),
            *([money(c[C.MRR_KEPT])] if kept else []),
            of(int(c[C.COHORT_PAYING]), len(rows)),
        ]
        columns = [_("account"), _("account name"), _("starting MRR"), _("ending MRR"), _("change")]
        columns += [_("retained MRR (the smaller)")] if kept else []
        return self.result(
            [*columns, _("still paying")],
            table,
            _("The cohort: the accounts owned on %(day)s with MRR above 0 that day.")
            % {"day": dates.day(self.inputs.start)},
            account=0,
            totals=[total] if rows else [],
        )

    def book(self) -> Explanation:
        (rows,) = self.balances(parts.BOOK_ROWS)
        parts.accumulate_totals(self.out, parts.BOOK_TOTALS, rows)
        names = self.names(r["account_id"] for r in rows)
        table = sorted([*self.account(names, r["account_id"]), money(r["e"])] for r in rows)
        total = [total_label(), accounts_words(len(rows)), money(sum((r["e"] for r in rows), Decimal(0)))]
        return self.result(
            [_("account"), _("account name"), _("ending MRR")],
            table,
            account=0,
            totals=[total] if rows else [],
        )

    def tickets(self) -> Explanation:
        extra = ("external_id", "opened_at", "resolved_at", "customer_contacts", "escalated_at")
        events = parts.ticket_rows(self.inputs, self.accounts, extra=extra)
        previous = self.metric in WITH_PREVIOUS or self.metric in TICKETS_PER_BOOK
        rows = self.attributed(
            events, where="" if previous else " AND r.cur = 1", order=" ORDER BY r.opened_at, r.external_id"
        )
        parts.accumulate_totals(self.out, parts.TICKET_TOTALS, rows)
        parts.accumulate_waits(self.out, rows)
        note = ""
        if self.metric in TICKETS_PER_BOOK:
            book, prev_book = self.balances(parts.BOOK_ROWS, parts.PREV_BOOK_ROWS)
            parts.accumulate_totals(self.out, parts.BOOK_TOTALS[:1], book)
            parts.accumulate_totals(self.out, parts.PREV_BOOK_TOTALS, prev_book)
            note = self.book_note(book, prev_book if self.metric == "ticket_reduction" else None)
        names = self.names(r["account_id"] for r in rows)
        table = []
        for r in rows:
            wait = None if r["wait"] is None else _hours(parts.micros(r["wait"]))
            line = [
                r["external_id"],
                *self.account(names, r["account_id"]),
                r["opened_at"],
                wait,
                r["resolved_at"],
                r["customer_contacts"],
                _("yes") if r["escalated_at"] else _("no"),
            ]
            if previous:
                line.append(_("this period") if r["cur"] else _("previous period"))
            table.append(line)
        columns = [
            _("ticket"),
            _("account"),
            _("account name"),
            _("opened at"),
            _("first response (h)"),
            _("resolved at"),
            _("contacts"),
            _("escalated"),
        ]
        totals = []
        for label, current in (
            (_("Total this period") if previous else total_label(), True),
            (_("Total previous period"), False),
        ):
            mine = [r for r in rows if bool(r["cur"]) == current]
            if not mine:
                continue
            waits = [parts.micros(r["wait"]) for r in mine if r["wait"] is not None]
            middle = formulas.median(waits)
            line = [label, "", ngettext("%(n)s ticket", "%(n)s tickets", len(mine)) % {"n": len(mine)}, ""]
            if current:  # the previous period's tickets count towards tickets per account only
                line += [
                    "" if middle is None else _("median %(h)s") % {"h": formatting.number(_hours(middle), 2)},
                    _("%(k)s resolved before the end") % {"k": sum(r["res"] for r in mine)},
                    _("%(c)s in all; %(k)s resolved with at most one")
                    % {"c": sum(r["res_contacts"] for r in mine), "k": sum(r["fcr"] for r in mine)},
                    of(sum(r["esc"] for r in mine), len(mine)),
                ]
            else:
                line += ["", "", "", ""]
            totals.append(line + ([""] if previous else []))
        return self.result(
            columns + ([_("period")] if previous else []), table, note, account=1, totals=totals
        )

    def surveys(self, kind: str) -> Explanation:
        events = parts.survey_rows(
            self.inputs, self.accounts, extra=("external_id", "kind", "responded_at", "score", "comment")
        )
        previous = self.metric in WITH_PREVIOUS
        params: tuple[object, ...]
        where, params = " AND r.kind = %s", (kind,)
        if not previous:
            where, params = where + " AND r.responded_at >= %s", (kind, blocks.day_start(self.inputs.start))
        rows = self.attributed(
            events, where=where, params=params, order=" ORDER BY r.responded_at, r.external_id"
        )
        parts.accumulate_totals(self.out, parts.SURVEY_TOTALS, rows)
        names = self.names(r["account_id"] for r in rows)
        table = []
        for r in rows:
            line = [
                r["external_id"],
                *self.account(names, r["account_id"]),
                r["responded_at"],
                r["score"],
                r["comment"],
            ]
            if previous:
                line.append(_("previous period") if r["prev_nps_n"] else _("this period"))
            table.append(line)
        c = self.out.get(self.csm, Components())
        counts = [
            (
                total_label() if not previous else _("Total this period"),
                C.NPS_N,
                C.NPS_PROMOTERS,
                C.NPS_DETRACTORS,
            )
        ]
        if previous:
            counts.append(
                (_("Total previous period"), C.PREV_NPS_N, C.PREV_NPS_PROMOTERS, C.PREV_NPS_DETRACTORS)
            )
        totals = []
        for label, n, promoters, detractors in counts:
            if kind == "csat":
                n_, score = int(c[C.CSAT_N]), _("%(k)s scored 4 or 5") % {"k": int(c[C.CSAT_SATISFIED])}
            else:
                n_ = int(c[n])
                p, d = int(c[promoters]), int(c[detractors])
                score = ", ".join(
                    (
                        ngettext("%(n)s promoter", "%(n)s promoters", p) % {"n": p},
                        ngettext("%(n)s detractor", "%(n)s detractors", d) % {"n": d},
                    )
                )
            if n_:
                line = [
                    label,
                    "",
                    ngettext("%(n)s response", "%(n)s responses", n_) % {"n": n_},
                    "",
                    score,
                    "",
                ]
                totals.append(line + ([""] if previous else []))
        columns = [
            _("response"),
            _("account"),
            _("account name"),
            _("responded at"),
            _("score"),
            _("comment"),
        ]
        return self.result(columns + ([_("period")] if previous else []), table, account=1, totals=totals)

    def adoption(self) -> Explanation:
        params = parts.book_params(self.inputs) | {"accounts": self.accounts, "csm": self.csm}
        with blocks.balances_table(params, accounts=True):
            rows = fetch_dicts(f"SELECT * FROM ({parts.adoption_rows()}) r WHERE r.csm_id = %(csm)s", params)
        parts.accumulate_adoption(
            self.out,
            (
                (r["csm_id"], r["start_used"], r["start_available"], r["end_used"], r["end_available"])
                for r in rows
            ),
        )
        names = self.names(r["account_id"] for r in rows)

        def reading(used, available):
            return None if available is None else f"{used}/{available}"

        def change(r) -> Decimal | None:
            if not r["start_available"] or not r["end_available"]:
                return None
            now = Decimal(r["end_used"]) / Decimal(r["end_available"])
            before = Decimal(r["start_used"]) / Decimal(r["start_available"])
            return ((now - before) * formulas.HUNDRED).quantize(CENT)

        table = sorted(
            [
                *self.account(names, r["account_id"]),
                reading(r["start_used"], r["start_available"]),
                reading(r["end_used"], r["end_available"]),
                change(r),
                _("yes") if change(r) is not None else _("no"),
            ]
            for r in rows
        )
        c = self.out.get(self.csm, Components())
        total = [
            total_label(),
            accounts_words(len(rows)),
            "",
            "",
            c[C.ADOPTION_SUM].quantize(CENT),
            of(int(c[C.ADOPTION_N]), len(rows)),
        ]
        return self.result(
            [
                _("account"),
                _("account name"),
                _("reading at start"),
                _("reading at end"),
                _("change (pp)"),
                _("counted"),
            ],
            table,
            _(
                "A reading is the latest usage snapshot of the 30 days up to and including %(start)s (the "
                "start) and %(end)s (the end)."
            )
            % {
                "start": dates.day(self.inputs.start - blocks.ONE_DAY),
                "end": dates.day(self.inputs.end - blocks.ONE_DAY),
            },
            account=0,
            totals=[total] if rows else [],
        )

    def health(self) -> Explanation:
        params = parts.book_params(self.inputs) | {"accounts": self.accounts, "csm": self.csm}
        previous = self.metric in WITH_PREVIOUS
        with blocks.balances_table(params, accounts=True):
            rows = fetch_dicts(f"SELECT * FROM ({parts.health_rows()}) r WHERE r.csm_id = %(csm)s", params)
        if not previous:
            rows = [r for r in rows if r["which"] == "end"]
        parts.accumulate_health(
            self.out,
            ((r["which"], r["csm_id"], r["health"], 1) for r in rows),
        )
        names = self.names(r["account_id"] for r in rows)
        table = []
        for r in sorted(rows, key=lambda r: (r["which"] != "end", names[r["account_id"]][0])):
            line = [
                *self.account(names, r["account_id"]),
                r["date"],
                r["score"],
                r["health"] or _("no reading"),
            ]
            if previous:
                line.append(_("this period") if r["which"] == "end" else _("previous period"))
            table.append(line)
        totals = []
        for which, label in (
            ("end", _("Total this period") if previous else total_label()),
            ("previous", _("Total previous period")),
        ):
            mine = [r for r in rows if r["which"] == which]
            if not mine:
                continue
            bands = [r["health"] for r in mine if r["health"]]
            mix = _("%(n)s with a reading: %(good)s good, %(average)s average, %(poor)s poor") % {
                "n": len(bands),
                "good": bands.count("good"),
                "average": bands.count("average"),
                "poor": bands.count("poor"),
            }
            totals.append([label, accounts_words(len(mine)), "", "", mix, *([""] if previous else [])])
        columns = [_("account"), _("account name"), _("reading date"), _("score"), _("band")]
        return self.result(columns + ([_("period")] if previous else []), table, account=0, totals=totals)

    def usage(self) -> Explanation:
        previous = self.metric in WITH_PREVIOUS
        events = parts.usage_rows(self.inputs, self.accounts, extra=("dau", "mau"))
        rows = self.attributed(
            events, day="date", where="" if previous else " AND r.cur = 1", order=" ORDER BY r.date"
        )
        parts.accumulate_totals(self.out, parts.USAGE_TOTALS, rows)
        names = self.names(r["account_id"] for r in rows)
        table = []
        for r in sorted(rows, key=lambda r: (r["date"], names[r["account_id"]][0])):
            line = [*self.account(names, r["account_id"]), r["date"], r["dau"], r["mau"]]
            if previous:
                line.append(_("this period") if r["cur"] else _("previous period"))
            table.append(line)
        totals = []
        for label, mine in (
            (_("Total this period") if previous else total_label(), [r for r in rows if r["cur"]]),
            *([(_("Total previous period"), [r for r in rows if not r["cur"]])] if previous else []),
        ):
            if mine:
                n = ngettext("%(n)s snapshot", "%(n)s snapshots", len(mine)) % {"n": len(mine)}
                line = [label, "", n, sum(r["dau"] for r in mine), sum(r["mau"] for r in mine)]
                totals.append(line + ([""] if previous else []))
        columns = [
            _("account"),
            _("account name"),
            _("date"),
            _("daily active users"),
            _("monthly active users"),
        ]
        return self.result(
            columns + ([_("period")] if previous else []),
            table,
            _("Snapshots with no monthly active users are skipped."),
            account=0,
            totals=totals,
        )

    def advocacy(self) -> Explanation:
        rows = self.attributed(
            parts.advocacy_rows(self.inputs, self.accounts), day="date", order=" ORDER BY r.date"
        )
        parts.accumulate_advocacy(self.out, ((r["csm_id"], r["kind"], 1) for r in rows))
        names = self.names(r["account_id"] for r in rows)
        table = [[*self.account(names, r["account_id"]), r["date"], r["kind"]] for r in rows]
        total = [total_label(), "", "", ngettext("%(n)s event", "%(n)s events", len(rows)) % {"n": len(rows)}]
        return self.result(
            [_("account"), _("account name"), _("date"), _("kind")],
            table,
            account=0,
            totals=[total] if rows else [],
        )

    def onboardings(self) -> Explanation:
        rows = self.attributed(parts.onboarding_rows(self.inputs, self.accounts), order=" ORDER BY r.day")
        parts.accumulate_onboardings(self.out, ((r["csm_id"], r["signed_on"], r["day"]) for r in rows))
        names = self.names(r["account_id"] for r in rows)
        table = [
            [
                *self.account(names, r["account_id"]),
                r["signed_on"],
                r["day"],
                (r["day"] - r["signed_on"]).days,
            ]
            for r in rows
        ]
        middle = formulas.median([(r["day"] - r["signed_on"]).days for r in rows])
        n = ngettext("%(n)s onboarding", "%(n)s onboardings", len(rows)) % {"n": len(rows)}
        total = [
            total_label(),
            n,
            "",
            "",
            _("median %(d)s") % {"d": "" if middle is None else formatting.number(middle, 2)},
        ]
        return self.result(
            [_("account"), _("account name"), _("signed on"), _("onboarded on"), _("days")],
            table,
            account=0,
            totals=[total] if rows else [],
        )

    def touchpoints(self) -> Explanation:
        rows = list(
            parts.touchpoint_rows(self.inputs, self.csm)
            .order_by("occurred_at")
            .values_list("csm_id", "account_id", "occurred_at", "kind")
        )
        parts.accumulate_touchpoints(self.out, ((csm, kind, 1) for csm, _a, _o, kind in rows))
        names = self.names(a for _c, a, _o, _k in rows)
        table = [[*self.account(names, a), at, kind] for _c, a, at, kind in rows]
        n = ngettext("%(n)s touchpoint", "%(n)s touchpoints", len(rows)) % {"n": len(rows)}
        return self.result(
            [_("account"), _("account name"), _("occurred at"), _("kind")],
            table,
            account=0,
            totals=[[total_label(), "", "", n]] if rows else [],
        )


def _hours(micros: int | Decimal) -> Decimal:
    return (Decimal(micros) / MICROS_PER_HOUR).quantize(CENT)
