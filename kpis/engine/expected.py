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
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import ngettext
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, PoissonRegressor

from accounts.models import CustomerAccount, Segment
from activity.models import HealthSnapshot, RevenueEvent
from kpis.engine import blocks
from kpis.engine.components import C, PerCsm, add
from kpis.models import ExpectedFit, KpiRun, RunStatus
from kpis.periods import Period

METHOD_VERSION = "expected-1"
OUTCOMES = ("logo_retention", "gross_retention", "nrr")
OUTCOME_NAMES = {
    "logo_retention": "account retention",
    "gross_retention": "gross revenue retention",
    "nrr": "net revenue retention",
}
HEALTH_LEVELS = ("good", "average", "poor", "none")
TENURE_LEVELS = ("under_1_year", "1_to_2_years", "over_2_years")
TENURE_CUTS_DAYS = (365, 730)
SIZE_LEVELS = ("smallest_quarter", "second_quarter", "third_quarter", "largest_quarter")
HEALTH_WINDOW_DAYS = 31  # the health band at the start: the latest reading in the 31 days before it
Z90 = float(stats.norm.ppf(0.95))  # a 90 % interval is the estimate +- 1.645 standard deviations
TEMP = "kpi_expected_bal"


# --- the rows: one per account of each quarter's starting cohort -------------------------------------


@dataclass
class AccountRow:
    """An account of a quarter's starting cohort: what was known at the start, and the outcome."""

    quarter: str
    csm_id: int
    account_id: int
    segment: str
    health: str  # the band at the start, or "none" without a reading
    tenure_days: int
    mrr_start: Decimal
    mrr_end: Decimal
    name: str = ""

    @property
    def paying(self) -> int:
        return 1 if self.mrr_end > 0 else 0

    @property
    def mrr_kept(self) -> Decimal:
        return min(self.mrr_end, self.mrr_start)

    def outcome(self, outcome: str) -> float:
        """The observed outcome: still paying (1/0), or the kept or ending share of the starting MRR."""
        if outcome == "logo_retention":
            return float(self.paying)
        end = self.mrr_kept if outcome == "gross_retention" else self.mrr_end
        return float(end / self.mrr_start)


def _band_sql() -> str:
    return (
        "CASE WHEN x.score IS NULL THEN 'none' WHEN x.band <> '' THEN x.band "
        "WHEN x.score >= %(good_min)s THEN 'good' WHEN x.score >= %(average_min)s THEN 'average' ELSE 'poor' END"
    )


def cohort_rows(quarters: list[Period], end: datetime.date | None = None) -> dict[str, list[AccountRow]]:
    """The starting cohort of each quarter of ``quarters`` (consecutive, oldest first), with each
    account's start-of-quarter features and its outcome: MRR at the quarter's start and end
    (``end``: the last quarter's P.end', its end by default). The same cohort and the same MRR as
    the revenue metrics (kpis.engine.blocks.COHORT): owned on P.start with MRR(a, P.start) > 0.

    One scan of the revenue events and of the assignments for every quarter, then one statement for
    the rows of every quarter (each with the health reading at its start)."""
    if not quarters:
        return {}
    days = [q.start for q in quarters] + [end or quarters[-1].end]
    n = len(quarters)
    params: dict[str, Any] = {f"d{k}": day for k, day in enumerate(days)}
    params["good_min"] = settings.HEALTH_GOOD_MIN_SCORE
    params["average_min"] = settings.HEALTH_AVERAGE_MIN_SCORE
    mrr = ", ".join(f"SUM(mrr_delta) FILTER (WHERE date < %(d{k})s) AS m{k}" for k in range(n))
    raw = (
        f"SELECT account_id, {mrr}, SUM(mrr_delta) AS m{n} FROM {blocks.qn(RevenueEvent._meta.db_table)} "
        f"WHERE date < %(d{n})s GROUP BY account_id"
    )
    held = ", ".join(
        f"MAX(s.csm_id) FILTER (WHERE {blocks.holds('s', f'%(d{k})s::date')}) AS o{k}" for k in range(n)
    )
    own = f"SELECT s.account_id, {held} FROM ({blocks.spans()}) s GROUP BY s.account_id"
    accounts = blocks.qn(CustomerAccount._meta.db_table)
    out: dict[str, list[AccountRow]] = {str(q): [] for q in quarters}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {TEMP} AS SELECT raw.*, "
            + ", ".join(f"own.o{k}" for k in range(n))
            + f" FROM ({raw}) raw JOIN ({own}) own ON own.account_id = raw.account_id",
            params,
        )
        selects = []
        for k in range(n):
            blocks.reading_window(params, f"h{k}", days[k], HEALTH_WINDOW_DAYS)
            reading = blocks.latest_reading(HealthSnapshot, "b", f"h{k}", "x", "score, band")
            selects.append(
                f"SELECT {k} AS k, b.o{k}, b.account_id, a.segment, a.signed_on, b.m{k}, "
                f"GREATEST(COALESCE(b.m{k + 1}, 0), 0), {_band_sql()}, a.name "
                f"FROM {TEMP} b JOIN {accounts} a ON a.id = b.account_id {reading} "
                f"WHERE b.m{k} > 0 AND b.o{k} IS NOT NULL"
            )
        cursor.execute(" UNION ALL ".join(selects), params)
        for k, csm, account, segment, signed, s, e, band, name in cursor.fetchall():
            quarter = quarters[k]
            out[str(quarter)].append(
                AccountRow(str(quarter), csm, account, segment, band, (days[k] - signed).days, s, e, name)
            )
        cursor.execute(f"DROP TABLE {TEMP}")
    return out


# --- the design: what was known at the start, one-hot ------------------------------------------------


def make_encoding(rows: list[AccountRow]) -> dict[str, Any]:
    """The levels of the inputs; the MRR size bands are the quartiles of the fitted accounts."""
    sizes = np.array([float(r.mrr_start) for r in rows]) if rows else np.array([0.0])
    cuts = [float(x) for x in np.quantile(sizes, [0.25, 0.5, 0.75])]
    return {
        "segment": list(Segment.values),
        "health": list(HEALTH_LEVELS),
        "tenure": list(TENURE_LEVELS),
        "tenure_cuts_days": list(TENURE_CUTS_DAYS),
        "size": list(SIZE_LEVELS),
        "size_cuts": cuts,
    }


def input_names(encoding: dict[str, Any]) -> list[str]:
    return [f"{what}={level}" for what in ("segment", "health", "tenure", "size") for level in encoding[what]]


def levels(row: AccountRow, encoding: dict[str, Any]) -> dict[str, str]:
    """The level of each input of one account."""
    tenure = encoding["tenure"][int(np.searchsorted(encoding["tenure_cuts_days"], row.tenure_days, "right"))]
    size = encoding["size"][int(np.searchsorted(encoding["size_cuts"], float(row.mrr_start), "left"))]
    return {"segment": row.segment, "health": row.health, "tenure": tenure, "size": size}


def design(rows: list[AccountRow], encoding: dict[str, Any]) -> np.ndarray:
    """The one-hot design of ``rows`` (one column per input of ``input_names``), built by columns."""
    names = input_names(encoding)
    x = np.zeros((len(rows), len(names)))
    if not rows:
        return x
    offset = 0
    index = np.arange(len(rows))
    for what, values in (
        ("segment", [r.segment for r in rows]),
        ("health", [r.health for r in rows]),
    ):
        position = {level: offset + i for i, level in enumerate(encoding[what])}
        columns = np.array([position.get(v, -1) for v in values])
        known = columns >= 0
        x[index[known], columns[known]] = 1.0
        offset += len(encoding[what])
    tenure = np.searchsorted(encoding["tenure_cuts_days"], np.array([r.tenure_days for r in rows]), "right")
    x[index, offset + tenure] = 1.0
    offset += len(encoding["tenure"])
    size = np.searchsorted(encoding["size_cuts"], np.array([float(r.mrr_start) for r in rows]), "left")
    x[index, offset + size] = 1.0
    return x


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

    def predict(self, rows: list[AccountRow]) -> np.ndarray:
        eta = self.intercept + design(rows, self.encoding) @ np.array(self.coefficients)
        if self.outcome == "nrr":
            return np.exp(eta)
        return 1.0 / (1.0 + np.exp(-eta))

    def variance(self, predicted: np.ndarray) -> np.ndarray:
        """The variance of one account's outcome around its expectation."""
        if self.outcome == "nrr":
            return self.dispersion * predicted
        return self.dispersion * predicted * (1.0 - predicted)


def _outcomes(rows: list[AccountRow], outcome: str) -> np.ndarray:
    """``AccountRow.outcome`` of every row, by columns."""
    start = np.array([float(r.mrr_start) for r in rows])
    end = np.array([float(r.mrr_end) for r in rows])
    if outcome == "logo_retention":
        return (end > 0).astype(float)
    return (np.minimum(end, start) if outcome == "gross_retention" else end) / start


def _weights(rows: list[AccountRow], outcome: str) -> np.ndarray:
    """Each account counts once for logo retention, by its starting MRR for GRR and NRR (scaled to a
    mean of 1, so the penalty means the same whatever the currency)."""
    if outcome == "logo_retention":
        return np.ones(len(rows))
    w = np.array([float(r.mrr_start) for r in rows])
    return w / w.mean()


def fit(outcome: str, rows: list[AccountRow], penalty: float | None = None) -> Model:
    """Fit one outcome on ``rows`` with an L2 penalty (``KPI_EXPECTED_L2``: 0.5 x penalty x the sum
    of the squared coefficients is added to the negative log-likelihood; the intercept is free)."""
    penalty = settings.KPI_EXPECTED_L2 if penalty is None else penalty
    encoding = make_encoding(rows)
    x = design(rows, encoding)
    y = _outcomes(rows, outcome)
    w = _weights(rows, outcome)
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
        mu = model.predict(rows)
        unit = mu if outcome == "nrr" else mu * (1.0 - mu)
        ok = unit > 1e-9
        model.dispersion = float(np.mean((y[ok] - mu[ok]) ** 2 / unit[ok])) if ok.any() else 0.0
    return model


def calibration(model: Model, rows: list[AccountRow]) -> dict[str, Any]:
    """How the model did on a quarter it was not fitted on: predicted against actual by tenth of
    predicted value, calibration-in-the-large (actual minus predicted, in points), and for logo
    retention the calibration slope and the Hosmer-Lemeshow statistic."""
    predicted = model.predict(rows)
    y = _outcomes(rows, model.outcome)
    w = _weights(rows, model.outcome)
    order = np.argsort(predicted, kind="stable")
    deciles = []
    hl = 0.0
    for group in np.array_split(order, min(10, len(rows))):
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
        "accounts": len(rows),
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


def calibration_problem(outcome: str, cal: dict[str, Any]) -> str:
    """Why a fit is too badly calibrated to judge anyone by, or "" when it is good enough."""
    gap = settings.KPI_EXPECTED_MAX_CALIBRATION_GAP
    low, high = settings.KPI_EXPECTED_SLOPE_RANGE
    name = OUTCOME_NAMES[outcome]
    if abs(cal["in_the_large"]) > gap:
        return (
            f"On the held-out quarter the model expected {name} of {cal['predicted']:.1f} % and "
            f"{cal['actual']:.1f} % happened: {abs(cal['in_the_large']):.1f} points apart, more than "
            f"the {gap:g} allowed."
        )
    if cal.get("slope") is not None and not low <= cal["slope"] <= high:
        return (
            f"On the held-out quarter the model's {name} separated accounts badly (calibration slope "
            f"{cal['slope']:.2f}, outside {low:g} to {high:g})."
        )
    return ""


# --- one quarter: history, fits, scores -----------------------------------------------------------------


@dataclass
class Fit:
    """The fit of one outcome for one quarter, as stored, and its model (None: no expectation)."""

    outcome: str
    status: str  # ok, withheld, no_history (kpis.models.FitStatus)
    reason: str = ""
    model: Model | None = None
    training_quarters: list[str] = field(default_factory=list)
    held_out_quarter: str = ""
    training_accounts: int = 0
    calibration: dict[str, Any] = field(default_factory=dict)


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
    reason = ""
    if len(history) < min_quarters:
        reason = ngettext(
            "Not enough history: %(n)d earlier quarter with paying accounts, at least %(min)d needed.",
            "Not enough history: %(n)d earlier quarters with paying accounts, at least %(min)d needed.",
            len(history),
        ) % {"n": len(history), "min": min_quarters}
    elif accounts < min_accounts:
        reason = f"Not enough history: {accounts} account-quarters before {period}, at least {min_accounts} needed."
    if reason:
        return {
            o: Fit(o, "no_history", reason, training_quarters=used, training_accounts=accounts)
            for o in OUTCOMES
        }
    held_out = used[-1]
    earlier = [r for q in used[:-1] for r in rows[q]]
    every = [r for q in used for r in rows[q]]
    fits = {}
    for outcome in OUTCOMES:
        cal = calibration(fit(outcome, earlier), rows[held_out])
        problem = calibration_problem(outcome, cal)
        fits[outcome] = Fit(
            outcome,
            "withheld" if problem else "ok",
            problem,
            fit(outcome, every),
            used,
            held_out,
            len(every),
            cal,
        )
    return fits


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
    predicted = {o: m.predict(rows) for o, m in models.items()}
    variances = {o: models[o].variance(p) for o, p in predicted.items()}
    return [
        Expectation(
            row,
            {o: float(p[i]) for o, p in predicted.items()},
            {o: float(v[i]) for o, v in variances.items()},
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


def compute(period: Period, end: datetime.date | None = None) -> tuple[dict[str, Fit], list[Expectation]]:
    """Fit every outcome on the history of ``period`` and score its starting cohort (P.end': ``end``)."""
    quarters = [*history_quarters(period), period]
    rows = cohort_rows(quarters, end or period.end)
    fits = fit_quarter(period, rows)
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
