"""Expected results and lift (docs/metrics.md, "Expected results and lift").

For every account of a quarter's starting cohort, what the organisation's own history says it could
be expected to do, from what was known at the quarter's start only (its segment, its health band at
the start, its tenure since signing and its MRR size; never its CSM):

- logo retention: the probability that it still pays at the quarter's end (an L2-regularised
  logistic regression, scikit-learn);
- gross revenue retention: the expected share of its starting MRR kept (the same regression on the
  kept share, weighted by starting MRR: a quasi-binomial fit);
- net revenue retention: the expected ending MRR over the starting MRR (an L2-regularised Poisson
  GLM with a log link on that ratio, weighted by starting MRR: a quasi-Poisson fit).

The fits use the quarters before the one judged (``KPI_EXPECTED_HISTORY_QUARTERS``, never the quarter
itself); the latest of them is first held out to check the calibration of a fit on the others, then
the model is fitted on all of them and scores the quarter judged. A subject's expected value is the
mean of its accounts' expectations (revenue-weighted for GRR and NRR); the lift is observed minus
expected, in points, shrunk toward 0 by empirical Bayes (``shrink``).

``account_expectations`` gives the rows of one CSM and quarter (features, expectation, outcome) that
add up to the stored expected and observed figures: the drill-down's rows.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from kpis.engine import reasons
from kpis.engine.components import C, PerCsm, add
from kpis.engine.features import AccountRow, Sample, cohort_rows, encoding_of, input_names, one_thread
from kpis.models import ExpectedFit, KpiRun, RunStatus
from kpis.periods import Period

if TYPE_CHECKING:
    import numpy as np

# numpy, scipy and scikit-learn are imported where the model runs, never at this module's import:
# every process imports it (django.setup() reaches it through the pages), and those three take seconds.
# The rows and their design (what was known at each quarter's start, one-hot): kpis.engine.features.

METHOD_VERSION = "expected-1"
OUTCOMES = ("logo_retention", "gross_retention", "nrr")
Z90 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95): a 90 % interval is the estimate +- 1.645 sd


# --- fitting and predicting ---------------------------------------------------------------------------


@dataclass
class Model:
    """A fitted outcome model: what is stored (kpis.models.ExpectedFit) and all scoring needs."""

    outcome: str
    encoding: dict[str, Any]
    intercept: float
    coefficients: list[float]
    dispersion: float
    penalty: float

    def predict(self, rows: list[AccountRow] | Sample) -> np.ndarray:
        import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs

        sample = rows if isinstance(rows, Sample) else Sample(rows)
        eta = self.intercept + sample.design(self.encoding) @ np.array(self.coefficients)
        if self.outcome == "nrr":
            return np.exp(eta)
        return 1.0 / (1.0 + np.exp(-eta))

    def variance(self, predicted: np.ndarray) -> np.ndarray:
        """The variance of one account's outcome around its expectation."""
        if self.outcome == "nrr":
            return self.dispersion * predicted
        return self.dispersion * predicted * (1.0 - predicted)


def fit(outcome: str, rows: list[AccountRow] | Sample, penalty: float | None = None) -> Model:
    """Fit one outcome on ``rows`` with an L2 penalty (``KPI_EXPECTED_L2``: 0.5 x penalty x the sum
    of the squared coefficients is added to the negative log-likelihood; the intercept is free)."""
    import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs
    from sklearn.exceptions import ConvergenceWarning  # noqa: PLC0415 - seconds to import: only here
    from sklearn.linear_model import LogisticRegression, PoissonRegressor  # noqa: PLC0415 - seconds to import: only where the model runs

    penalty = settings.KPI_EXPECTED_L2 if penalty is None else penalty
    sample = rows if isinstance(rows, Sample) else Sample(rows)
    encoding = encoding_of(sample.start)
    x = sample.design(encoding)
    y = sample.outcomes(outcome)
    w = sample.weights(outcome)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Accounts with the same inputs share one row of the design (at most 144): the fit on the
        # cells' summed weights and weighted mean outcomes has the same likelihood, in milliseconds.
        code = x @ np.exp2(np.arange(x.shape[1]))  # a row of 0s and 1s read as a binary number
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        cells, inverse = x[first], inverse.ravel()
        if outcome == "nrr":
            total = np.bincount(inverse, weights=w)
            mean = np.bincount(inverse, weights=w * y) / total
            glm = PoissonRegressor(alpha=penalty / w.sum(), max_iter=1000, tol=1e-10)
            glm.fit(cells, mean, sample_weight=total)
            intercept, coefs = float(glm.intercept_), [float(b) for b in glm.coef_]
        else:
            # The share of the outcome as two weighted rows, kept (y) and lost (1 - y): the binomial
            # likelihood of a share (logo retention: y is 1 or 0, one of the two weighs nothing).
            pos, neg = w * y, w * (1.0 - y)
            if neg.sum() <= 0 or pos.sum() <= 0:
                # The history holds only one outcome: expect it (an intercept-only model at its edge).
                intercept, coefs = (12.0 if neg.sum() <= 0 else -12.0), [0.0] * x.shape[1]
            else:
                logit = LogisticRegression(C=1.0 / penalty, max_iter=1000, tol=1e-10)
                kept, lost = np.bincount(inverse, weights=pos), np.bincount(inverse, weights=neg)
                keep = np.concatenate([kept, lost]) > 0
                logit.fit(
                    np.vstack([cells, cells])[keep],
                    np.concatenate([np.ones(len(cells)), np.zeros(len(cells))])[keep],
                    sample_weight=np.concatenate([kept, lost])[keep],
                )
                intercept, coefs = float(logit.intercept_[0]), [float(b) for b in logit.coef_[0]]
    model = Model(outcome, encoding, intercept, coefs, 1.0, penalty)
    if outcome != "logo_retention":
        mu = model.predict(sample)
        unit = mu if outcome == "nrr" else mu * (1.0 - mu)
        ok = unit > 1e-9
        model.dispersion = float(np.mean((y[ok] - mu[ok]) ** 2 / unit[ok])) if ok.any() else 0.0
    return model


def calibration(model: Model, rows: list[AccountRow] | Sample) -> dict[str, Any]:
    """How the model did on a quarter it was not fitted on: predicted against actual by tenth of
    predicted value, calibration-in-the-large (actual minus predicted, in points), and for logo
    retention the calibration slope and the Hosmer-Lemeshow statistic."""
    import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs
    from scipy import stats  # noqa: PLC0415 - seconds to import: only where the model runs
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415 - seconds to import: only where the model runs

    sample = rows if isinstance(rows, Sample) else Sample(rows)
    predicted = model.predict(sample)
    y = sample.outcomes(model.outcome)
    w = sample.weights(model.outcome)
    order = np.argsort(predicted, kind="stable")
    deciles = []
    hl = 0.0
    for group in np.array_split(order, min(10, len(sample))):
        if not len(group):
            continue
        gw = w[group]
        p_mean = float(np.average(predicted[group], weights=gw))
        o_mean = float(np.average(y[group], weights=gw))
        deciles.append(
            {"accounts": len(group), "predicted": round(100 * p_mean, 2), "actual": round(100 * o_mean, 2)}
        )
        if model.outcome == "logo_retention":
            expected = predicted[group].sum()
            denom = expected * (1 - expected / len(group))
            if denom > 1e-9:
                hl += (y[group].sum() - expected) ** 2 / denom
    out: dict[str, Any] = {
        "accounts": len(sample),
        "predicted": round(100 * float(np.average(predicted, weights=w)), 2),
        "actual": round(100 * float(np.average(y, weights=w)), 2),
        "deciles": deciles,
        "slope": None,
    }
    out["in_the_large"] = round(out["actual"] - out["predicted"], 2)
    if model.outcome == "logo_retention":
        out["hosmer_lemeshow"] = round(hl, 3)
        out["hosmer_lemeshow_p"] = round(float(stats.chi2.sf(hl, max(1, len(deciles) - 2))), 4)
        clipped = np.clip(predicted, 1e-6, 1 - 1e-6)
        if 0 < y.sum() < len(y) and np.ptp(clipped) > 1e-9:
            lr = LogisticRegression(C=np.inf, max_iter=1000)
            lr.fit(np.log(clipped / (1 - clipped)).reshape(-1, 1), y)
            out["slope"] = round(float(lr.coef_[0][0]), 3)
    return out


def calibration_problem(outcome: str, cal: dict[str, Any], quarter: str) -> reasons.Reason | None:
    """Why a fit is too badly calibrated on the held-out ``quarter`` to judge anyone by (a reason key
    and its parameters, kpis.engine.reasons), or None when it is good enough."""
    gap = settings.KPI_EXPECTED_MAX_CALIBRATION_GAP
    low, high = settings.KPI_EXPECTED_SLOPE_RANGE
    said = {"outcome": outcome, "quarter": quarter}
    if abs(cal["in_the_large"]) > gap:
        return reasons.CALIBRATION_GAP, {
            **said,
            "predicted": cal["predicted"],
            "actual": cal["actual"],
            "allowed": gap,
        }
    if cal.get("slope") is not None and not low <= cal["slope"] <= high:
        return reasons.CALIBRATION_SLOPE, {**said, "slope": cal["slope"], "low": low, "high": high}
    return None


# --- one quarter: history, fits, scores -----------------------------------------------------------------


@dataclass
class Fit:
    """The fit of one outcome for one quarter, as stored, and its model (None: no expectation)."""

    outcome: str
    status: str  # ok, withheld, no_history (kpis.models.FitStatus)
    reason: str = ""  # a key of kpis.engine.reasons, with its parameters
    reason_params: dict[str, Any] = field(default_factory=dict)
    model: Model | None = None
    training_quarters: list[str] = field(default_factory=list)
    held_out_quarter: str = ""
    training_accounts: int = 0
    calibration: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""  # of everything the fit depends on (``fingerprint``)


def history_quarters(period: Period) -> list[Period]:
    """The quarters a fit for ``period`` may use: the ones before it, oldest first."""
    n = settings.KPI_EXPECTED_HISTORY_QUARTERS
    return [period.shift(-k) for k in range(n, 0, -1)]


def fit_quarter(period: Period, rows: dict[str, list[AccountRow]]) -> dict[str, Fit]:
    """The fits of every outcome for ``period`` from the cohort rows of the quarters before it."""
    history = [q for q in history_quarters(period) if rows.get(str(q))]
    used = [str(q) for q in history]
    accounts = sum(len(rows[q]) for q in used)
    min_quarters = settings.KPI_EXPECTED_MIN_HISTORY_QUARTERS
    min_accounts = settings.KPI_EXPECTED_MIN_HISTORY_ACCOUNTS
    reason: reasons.Reason | None = None
    if len(history) < min_quarters:
        reason = reasons.FEW_QUARTERS, {"n": len(history), "min": min_quarters}
    elif accounts < min_accounts:
        reason = reasons.FEW_ACCOUNTS, {"n": accounts, "min": min_accounts, "period": str(period)}
    if reason:
        return {
            o: Fit(o, "no_history", *reason, training_quarters=used, training_accounts=accounts)
            for o in OUTCOMES
        }
    held_out = used[-1]
    # Each row set by columns once, shared by the three outcomes' fits and calibrations.
    earlier = Sample([r for q in used[:-1] for r in rows[q]])
    every = Sample([r for q in used for r in rows[q]])
    held = Sample(rows[held_out])
    fits = {}
    with one_thread(fitting=True):
        for outcome in OUTCOMES:
            fits[outcome] = _fit_outcome(outcome, earlier, every, held, used, held_out)
    return fits


def _fit_outcome(
    outcome: str, earlier: Sample, every: Sample, held: Sample, used: list[str], held_out: str
) -> Fit:
    cal = calibration(fit(outcome, earlier), held)
    problem = calibration_problem(outcome, cal, held_out)
    return Fit(
        outcome,
        "withheld" if problem else "ok",
        *(problem or ("", {})),
        fit(outcome, every),
        used,
        held_out,
        len(every),
        cal,
    )


@dataclass
class Expectation:
    """One account of the quarter judged: its features, expectations and outcome (the drill-down)."""

    row: AccountRow
    expected: dict[str, float]  # outcome -> expected value (share: probability or MRR ratio)
    variance: dict[str, float]  # outcome -> variance of the outcome around it

    @property
    def expected_paying(self) -> Decimal:
        return _exact(self.expected["logo_retention"])

    @property
    def expected_kept(self) -> Decimal:
        return _exact(float(self.row.mrr_start) * self.expected["gross_retention"])

    @property
    def expected_end(self) -> Decimal:
        return _exact(float(self.row.mrr_start) * self.expected["nrr"])


def _exact(x: float) -> Decimal:
    """A component is exact: the float rounded to 9 decimals (the sums keep 6 when stored)."""
    return Decimal(f"{x:.9f}")


def score(models: dict[str, Model], rows: list[AccountRow]) -> list[Expectation]:
    sample = Sample(rows)  # one design for the three outcomes (fitted on the same rows: one encoding)
    with one_thread():
        arrays = {o: m.predict(sample) for o, m in models.items()}
    # As Python floats, by outcome (reading numpy's elements one by one is the slow part here).
    predicted = {o: p.tolist() for o, p in arrays.items()}
    variances = {o: models[o].variance(p).tolist() for o, p in arrays.items()}
    return [
        Expectation(
            row,
            {o: p[i] for o, p in predicted.items()},
            {o: v[i] for o, v in variances.items()},
        )
        for i, row in enumerate(rows)
    ]


def accumulate(out: PerCsm, expectations: Iterable[Expectation]) -> None:
    """The components of each CSM's expectations (C.EXP_*)."""
    for e in expectations:
        csm, s = e.row.csm_id, float(e.row.mrr_start)
        add(out, csm, C.EXP_N, 1)
        add(out, csm, C.EXP_PAYING, e.expected_paying)
        add(out, csm, C.EXP_PAYING_VAR, _exact(e.variance["logo_retention"]))
        add(out, csm, C.EXP_KEPT, e.expected_kept)
        add(out, csm, C.EXP_KEPT_VAR, _exact(s * s * e.variance["gross_retention"]))
        add(out, csm, C.EXP_END, e.expected_end)
        add(out, csm, C.EXP_END_VAR, _exact(s * s * e.variance["nrr"]))


def fingerprint(period: Period, history: str) -> str:
    """What a fit for ``period`` depends on: the digest of its history's rows (``cohort_rows``), the
    quarters they belong to, the method, its settings and the version of scikit-learn. The same
    fingerprint gives the same fits: a run reuses the stored ones instead of fitting again (the
    history of a quarter seldom changes; when a fact of it does, so does the digest)."""
    from importlib.metadata import version  # noqa: PLC0415 - only where a fit is looked for

    parts = [
        METHOD_VERSION,
        str(period),
        [str(q) for q in history_quarters(period)],
        history,
        settings.KPI_EXPECTED_L2,
        settings.KPI_EXPECTED_MIN_HISTORY_QUARTERS,
        settings.KPI_EXPECTED_MIN_HISTORY_ACCOUNTS,
        settings.KPI_EXPECTED_MAX_CALIBRATION_GAP,
        list(settings.KPI_EXPECTED_SLOPE_RANGE),
        version("scikit-learn"),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def stored_fits(period: Period, fingerprint: str) -> dict[str, Fit] | None:
    """The latest stored fits of every outcome for ``period`` with this fingerprint, or None."""
    found: dict[str, Any] = {}
    stored = ExpectedFit.objects.filter(period=str(period), version=METHOD_VERSION, fingerprint=fingerprint)
    for f in stored.order_by("-fitted_at", "-id"):
        found.setdefault(f.outcome, f)
    if set(found) != set(OUTCOMES):
        return None
    return {
        o: Fit(
            o,
            f.status,
            f.reason,
            f.reason_params,
            model_of(f),
            list(f.training_quarters),
            f.held_out_quarter,
            f.training_accounts,
            f.calibration,
            fingerprint,
        )
        for o, f in found.items()
    }


def compute(period: Period, end: datetime.date | None = None) -> tuple[dict[str, Fit], list[Expectation]]:
    """Fit every outcome on the history of ``period`` (or reuse the stored fits of the same
    fingerprint) and score its starting cohort (P.end': ``end``)."""
    quarters = [*history_quarters(period), period]
    reused: dict[str, dict[str, Fit] | None] = {}
    keys: list[str] = []

    def reuse(history: str) -> bool:
        keys.append(fingerprint(period, history))
        reused["fits"] = stored_fits(period, keys[0])
        return reused["fits"] is not None

    rows = cohort_rows(quarters, end or period.end, reuse)
    fits = reused.get("fits")
    if fits is None:
        fits = fit_quarter(period, rows)
        for f in fits.values():
            f.fingerprint = keys[0] if keys else ""
    models = {o: f.model for o, f in fits.items() if f.model is not None}
    if len(models) < len(OUTCOMES):
        return fits, []
    return fits, score(models, rows[str(period)])


def model_of(stored: Any) -> Model | None:
    """The model of a stored fit (kpis.models.ExpectedFit)."""
    if stored.intercept is None:
        return None
    coefs = [stored.coefficients[name] for name in stored.inputs]
    return Model(
        stored.outcome, stored.encoding, stored.intercept, coefs, stored.dispersion or 0.0, stored.penalty
    )


# --- empirical-Bayes shrinkage ---------------------------------------------------------------------------


@dataclass
class Shrunk:
    lift: float
    low: float
    high: float
    weight: float  # tau^2 / (tau^2 + se^2): how much of the raw lift is kept


def between_variance(raw: list[float], variances: list[float]) -> float:
    """tau^2, the variance of the true lifts around 0, by the method of moments: the mean squared
    raw lift less the mean sampling variance (never below 0)."""
    import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs

    if not raw:
        return 0.0
    return max(0.0, float(np.mean(np.square(raw)) - np.mean(variances)))


def shrink(raw: list[float], ses: list[float]) -> tuple[float, list[Shrunk]]:
    """Each raw lift shrunk toward 0 by ``w = tau^2 / (tau^2 + se^2)``, with its 90 % posterior
    interval. The posterior variance is ``w x se^2``, plus, with more than 2 subjects, Morris's (1983)
    allowance for tau^2 being estimated: ``2 / (J - 2) x (1 - w)^2 x raw^2`` (it widens the interval
    of a lift that was pulled in a lot)."""
    variances = [se * se for se in ses]
    tau2 = between_variance(raw, variances)
    subjects = len(raw)
    out = []
    for lift, var in zip(raw, variances, strict=True):
        weight = tau2 / (tau2 + var) if tau2 + var > 0 else 0.0
        posterior = weight * var
        if subjects > 2:
            posterior += 2.0 / (subjects - 2) * (1.0 - weight) ** 2 * lift * lift
        mean, sd = weight * lift, math.sqrt(posterior)
        out.append(Shrunk(mean, mean - Z90 * sd, mean + Z90 * sd, weight))
    return tau2, out


# --- storing the fits of a run ----------------------------------------------------------------------------


def store_fits(run_id: int, period: Period, fits: dict[str, Fit]) -> None:
    """Keep the fits with their run (one row per outcome; computing the part again replaces them, in
    one transaction).
    They count once the run is published, like its values."""
    stored = []
    for outcome, f in fits.items():
        m = f.model
        names = input_names(m.encoding) if m else []
        stored.append(
            ExpectedFit(
                run_id=run_id,
                outcome=outcome,
                period=str(period),
                version=METHOD_VERSION,
                status=f.status,
                reason=f.reason,
                reason_params=f.reason_params,
                training_quarters=f.training_quarters,
                held_out_quarter=f.held_out_quarter,
                inputs=names,
                encoding=m.encoding if m else {},
                coefficients=dict(zip(names, m.coefficients, strict=True)) if m else {},
                intercept=m.intercept if m else None,
                dispersion=m.dispersion if m else None,
                penalty=m.penalty if m else None,
                training_accounts=f.training_accounts,
                calibration=f.calibration,
                fingerprint=f.fingerprint,
            )
        )
    with transaction.atomic():
        ExpectedFit.objects.filter(run_id=run_id).delete()
        ExpectedFit.objects.bulk_create(stored)


def part_expected(inputs: Any) -> PerCsm:
    """The part of a KPI run (kpis.engine.parts.PARTS): fit on the history, score the cohort, keep
    the fits with the run. Quarters only: a month has no expectation."""
    out: PerCsm = {}
    if not inputs.period.is_quarter:
        return out
    fits, expectations = compute(inputs.period, inputs.end)
    if inputs.run_id:
        store_fits(inputs.run_id, inputs.period, fits)
    accumulate(out, expectations)
    return out


def account_expectations(*, csm_id: int, period: Period) -> list[Expectation]:
    """The drill-down: one row per account of the CSM's starting cohort in ``period`` with its
    start-of-quarter features, its expectations by the published run's fits, and its outcome. The
    rows add up to the stored expected and observed figures (tests/kpis/test_expected.py). Empty
    when the period has no published run or no model."""
    run = (
        KpiRun.objects.filter(period=str(period), status=RunStatus.PUBLISHED).order_by("-finished_at").first()
    )
    if run is None or not period.is_quarter:
        return []
    stored = {f.outcome: model_of(f) for f in ExpectedFit.objects.filter(run=run)}
    models = {outcome: m for outcome, m in stored.items() if m is not None}
    if len(models) < len(OUTCOMES) or len(models) < len(stored):
        return []
    end = period.end_to_date(run.as_of if run.as_of < period.end else None)
    rows = [r for r in cohort_rows([period], end)[str(period)] if r.csm_id == csm_id]
    return score(models, sorted(rows, key=lambda r: r.account_id))
