"""The drill-down of the expected results and lifts (kpis.engine.drilldown): the starting cohort,
each account with what was known of it at the quarter's start, its expected result by the
published run's fits and its outcome; the total row adds up to the stored expected and observed
figures (kpis.engine.expected.account_expectations)."""

from __future__ import annotations

from bisect import bisect_right
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from kpis.engine import expected, features, formulas, reasons, words
from kpis.engine.components import C, Components
from kpis.engine.drill_cells import accounts_words, money, of, total_label
from kpis.models import ExpectedFit, KpiRun, RunStatus

if TYPE_CHECKING:
    from kpis.engine.drill_cells import Explanation


def outcome_of(metric: str) -> str:
    """The outcome of an expected-results key: "nrr_lift_low" -> "nrr"."""
    return next(o for o in expected.OUTCOMES if metric.startswith(o + "_"))


def _percent(num: Decimal, den: Decimal | int = 1) -> Decimal | None:
    """num / den in percent, rounded as the stored values are (half up, to the cent)."""
    return formulas.round2(formulas.ratio(Decimal(num), Decimal(den)))


def withheld_words(period_key: str, outcome: str) -> str:
    """Why the published run of the quarter has no model for ``outcome``, in words ("" if it has one)."""
    run = (
        KpiRun.objects.filter(period=period_key, status=RunStatus.PUBLISHED).order_by("-finished_at").first()
    )
    fit = ExpectedFit.objects.filter(run=run, outcome=outcome).first() if run else None
    if fit is None:
        return reasons.in_words(reasons.NO_MODEL)
    return reasons.in_words(fit.reason, fit.reason_params) if fit.reason else ""


class ExpectedDrill:
    """The expected-results drill-down, a part of ``kpis.engine.drilldown._Drill``."""

    csm: int
    metric: str
    out: Any
    inputs: Any

    def expected(self) -> Explanation:
        """One row per account of the cohort: its segment, health band at the start, time since
        signing and starting MRR (the model's inputs), the expected result of the metric's outcome
        and the outcome itself. The lift is not a sum: it is the observed minus the expected of the
        total row, pulled toward 0 with every other book's (docs/metrics.md)."""
        explanation = self.cohort()  # type: ignore[attr-defined]
        outcome = outcome_of(self.metric)
        rows = expected.account_expectations(csm_id=self.csm, period=self.inputs.period)
        expected.accumulate(self.out, rows)
        if not rows:  # no model for the quarter: the cohort it would be read on, and why
            why = withheld_words(str(self.inputs.period), outcome)
            explanation.note = " ".join(x for x in (explanation.note, why) if x)
            return explanation
        names = self.names(r.row.account_id for r in rows)  # type: ignore[attr-defined]
        logo = outcome == "logo_retention"
        table = []
        for r in rows:
            tenure = features.TENURE_LEVELS[bisect_right(features.TENURE_CUTS_DAYS, r.row.tenure_days)]
            line = [
                *self.account(names, r.row.account_id),  # type: ignore[attr-defined]
                words.level("segment", r.row.segment),
                words.level("health", r.row.health),
                words.level("tenure", tenure),
                money(r.row.mrr_start),
            ]
            if logo:
                line += [_percent(r.expected_paying), _("yes") if r.row.paying else _("no")]
            else:
                exp = r.expected_kept if outcome == "gross_retention" else r.expected_end
                got = r.row.mrr_kept if outcome == "gross_retention" else r.row.mrr_end
                line += [_percent(exp, r.row.mrr_start), money(exp), money(got)]
            table.append(line)
        c = self.out.get(self.csm, Components())
        n, start = int(c[C.EXP_N]), c[C.MRR_START]
        total = [total_label(), accounts_words(n), "", "", "", money(start)]
        if logo:
            total += [_percent(c[C.EXP_PAYING], n), of(int(c[C.COHORT_PAYING]), n)]
            outcome_columns = [_("expected to still pay (%)"), _("still paying")]
        else:
            exp_key, got_key = (
                (C.EXP_KEPT, C.MRR_KEPT) if outcome == "gross_retention" else (C.EXP_END, C.MRR_END)
            )
            total += [_percent(c[exp_key], start), money(c[exp_key]), money(c[got_key])]
            outcome_columns = (
                [_("expected to keep (%)"), _("expected retained MRR"), _("retained MRR (the smaller)")]
                if outcome == "gross_retention"
                else [_("expected ending MRR (%)"), _("expected ending MRR"), _("ending MRR")]
            )
        columns = [
            _("account"),
            _("account name"),
            _("segment"),
            _("health at the start"),
            _("time since signing"),
            _("starting MRR"),
            *outcome_columns,
        ]
        note = _(
            "%(cohort)s Each account's expected result comes from what was known of it at the quarter's "
            "start (segment, health, time since signing, MRR size), by the model fitted on the earlier "
            "quarters; never from its CSM."
        ) % {"cohort": explanation.note}
        return self.result(columns, table, note, account=0, totals=[total])  # type: ignore[attr-defined]
