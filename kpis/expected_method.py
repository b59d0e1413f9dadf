"""The page "How expected results are computed": the organisation's model for one quarter, as the
published run fitted it (kpis.models.ExpectedFit): its inputs, its fitted effects in words, its
calibration on the held-out quarter, when and on what it was fitted, and whether its lifts are
withheld and why. It shows no CSM's data: only the organisation's model.

The fitted effects are standardised (docs/metrics.md, "Expected results and lift"): for each level
of an input, what the model expects of the accounts of the latest quarter it was fitted on if all of
them had that level, their other inputs as they were ("an account in poor health at the quarter's
start still pays at its end 71 % of the time; in good health 97 %").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.cache import cache
from django.utils.translation import gettext as _

from core import formatting
from kpis import charts
from kpis.engine import expected, features, reasons, words
from kpis.models import ExpectedFit, KpiRun, RunStatus
from kpis.periods import Period, period_label
from kpis.templatetags.kpi_format import number

INPUTS = ("health", "segment", "tenure", "size")
CACHE_SECONDS = 24 * 3600


@dataclass
class Effect:
    """One input: each of its levels present in the accounts, with the standardised expectation."""

    what: str
    levels: list[tuple[str, float]]  # (level key, expectation in percent)

    @property
    def name(self) -> str:
        return str(words.INPUT_NAMES[self.what])

    @property
    def said(self) -> list[tuple[str, str]]:
        return [(words.level(self.what, k), formatting.percent(v, 0)) for k, v in self.levels]


@dataclass
class OutcomeModel:
    fit: ExpectedFit
    effects: list[Effect] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return self.fit.outcome

    @property
    def name(self) -> str:
        return str(words.OUTCOME_NAMES[self.outcome])

    @property
    def withheld(self) -> str:
        """Why its lifts are withheld, in words ("" when they are shown)."""
        return reasons.in_words(self.fit.reason, self.fit.reason_params) if self.fit.reason else ""

    @property
    def what_is_expected(self) -> str:
        return {
            "logo_retention": _("the share of accounts still paying at the quarter's end"),
            "gross_retention": _("the share of the starting MRR kept, growth not counted"),
            "nrr": _("the ending MRR as a share of the starting MRR"),
        }[self.outcome]

    @property
    def headline(self) -> str:
        """The health effect in one sentence (logo retention, when both good and poor are present)."""
        health = dict(next((e.levels for e in self.effects if e.what == "health"), []))
        if self.outcome != "logo_retention" or "poor" not in health or "good" not in health:
            return ""
        return _(
            "Here an account in poor health at the quarter's start still pays at its end %(poor)s of "
            "the time; in good health %(good)s."
        ) % {"poor": formatting.percent(health["poor"]), "good": formatting.percent(health["good"])}

    @property
    def calibration_words(self) -> str:
        cal = self.fit.calibration
        if not cal:
            return ""
        text = _(
            "On %(quarter)s, held out, a model fitted on the quarters before it expected %(predicted)s "
            "over %(n)s accounts, and %(actual)s happened: %(gap)s points apart."
        ) % {
            "quarter": period_label(self.fit.held_out_quarter),
            "predicted": formatting.percent(cal["predicted"], 1),
            "actual": formatting.percent(cal["actual"], 1),
            "n": number(cal["accounts"], 0),
            "gap": number(abs(cal["in_the_large"]), 1),
        }
        if cal.get("slope") is not None:
            text += " " + _("Calibration slope %(slope)s (1 is perfect).") % {
                "slope": number(cal["slope"], 2)
            }
        return text

    @property
    def chart(self):
        deciles = self.fit.calibration.get("deciles") or []
        if not deciles:
            return ""
        return charts.calibration(
            deciles,
            names=(_("tenths of accounts by predicted value"), _("predicted = actual")),
            title=_("Calibration of %(name)s on %(quarter)s")
            % {"name": self.name, "quarter": period_label(self.fit.held_out_quarter)},
        )


@dataclass
class Method:
    period: Period
    run: KpiRun | None
    models: list[OutcomeModel]

    @property
    def fit(self) -> ExpectedFit | None:
        return self.models[0].fit if self.models else None

    @property
    def quarters(self) -> str:
        fit = self.fit
        if fit is None or not fit.training_quarters:
            return ""
        first, last = fit.training_quarters[0], fit.training_quarters[-1]
        if first == last:
            return period_label(first)
        return _("%(first)s to %(last)s") % {"first": period_label(first), "last": period_label(last)}


def method(period: Period) -> Method:
    """The model of ``period``'s published run (3 queries; the effects are cached with the run)."""
    run = (
        KpiRun.objects.filter(period=str(period), status=RunStatus.PUBLISHED).order_by("-finished_at").first()
    )
    if run is None:
        return Method(period, None, [])
    order = {o: i for i, o in enumerate(expected.OUTCOMES)}
    fits = sorted(ExpectedFit.objects.filter(run=run), key=lambda f: order.get(f.outcome, 9))
    models = [OutcomeModel(f) for f in fits]
    effects = _effects(run, fits)
    for m in models:
        m.effects = [Effect(what, levels) for what, levels in effects.get(m.outcome, [])]
    return Method(period, run, models)


def _effects(run: KpiRun, fits: list[ExpectedFit]) -> dict[str, Any]:
    key = f"kpis:expected-method:{run.pk}"
    found = cache.get(key)
    if found is None:
        found = standardised_effects(fits)
        cache.set(key, found, CACHE_SECONDS)
    return found


def standardised_effects(fits: list[ExpectedFit]) -> dict[str, list[tuple[str, list[tuple[str, float]]]]]:
    """Per outcome, per input, per level present: the mean expectation (in percent; weighted by
    starting MRR for revenue) of the accounts of the latest quarter fitted on, each given that level."""
    quarter = next((f.held_out_quarter for f in fits if f.held_out_quarter), "")
    models = {f.outcome: m for f in fits if (m := expected.model_of(f)) is not None}
    if not quarter or not models:
        return {}
    rows = expected.cohort_rows([Period.parse(quarter)]).get(quarter, [])
    if not rows:
        return {}
    out: dict[str, list] = {}
    for outcome, model in models.items():
        names = expected.input_names(model.encoding)
        x = features.design(rows, model.encoding)
        beta = np.array(model.coefficients)
        weights = (
            np.ones(len(rows))
            if outcome == "logo_retention"
            else np.array([float(r.mrr_start) for r in rows])
        )
        effects = []
        for what in INPUTS:
            block = [i for i, n in enumerate(names) if n.startswith(what + "=")]
            levels = []
            for i in block:
                if not x[:, i].any():
                    continue  # no account of that level: the model knows nothing of it
                given = x.copy()
                given[:, block] = 0.0
                given[:, i] = 1.0
                eta = model.intercept + given @ beta
                mean = np.exp(eta) if outcome == "nrr" else 1.0 / (1.0 + np.exp(-eta))
                levels.append(
                    (names[i].split("=", 1)[1], round(100 * float(np.average(mean, weights=weights)), 2))
                )
            if len(levels) > 1:
                effects.append((what, levels))
        out[outcome] = effects
    return out
