"""The rows and the design of the expected-results models (kpis.engine.expected): one row per
account of each quarter's starting cohort, with what was known at the quarter's start (segment,
health band, tenure since signing, MRR size) and its outcome, read in one statement; and the one-hot
design of a row set, built once per encoding and shared by every fit, calibration and score of it.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction

from accounts.models import CustomerAccount, Segment
from activity.models import HealthSnapshot, RevenueEvent
from kpis.engine import blocks
from kpis.periods import Period

if TYPE_CHECKING:
    import numpy as np

# numpy and scikit-learn are imported where they run (seconds of every process start otherwise).

HEALTH_LEVELS = ("good", "average", "poor", "none")
TENURE_LEVELS = ("under_1_year", "1_to_2_years", "over_2_years")
TENURE_CUTS_DAYS = (365, 730)
SIZE_LEVELS = ("smallest_quarter", "second_quarter", "third_quarter", "largest_quarter")
HEALTH_WINDOW_DAYS = 31  # the health band at the start: the latest reading in the 31 days before it
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


def cohort_rows(
    quarters: list[Period], end: datetime.date | None = None, reuse: Callable[[str], bool] | None = None
) -> dict[str, list[AccountRow]]:
    """The starting cohort of each quarter of ``quarters`` (consecutive, oldest first), with each
    account's start-of-quarter features and its outcome: MRR at the quarter's start and end
    (``end``: the last quarter's P.end', its end by default). The same cohort and the same MRR as
    the revenue metrics (kpis.engine.blocks.COHORT): owned on P.start with MRR(a, P.start) > 0.

    ``reuse``: called with the digest of the rows of every quarter but the last (what a fit for the
    last one is fitted on: ``fingerprint``); when it answers true only the last quarter's rows are read
    (the other quarters' lists stay empty).

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
                f"SELECT {k} AS k, b.o{k} AS csm, b.account_id, a.segment, a.signed_on, b.m{k} AS s, "
                f"GREATEST(COALESCE(b.m{k + 1}, 0), 0) AS e, {_band_sql()} AS band, a.name "
                f"FROM {TEMP} b JOIN {accounts} a ON a.id = b.account_id {reading} "
                f"WHERE b.m{k} > 0 AND b.o{k} IS NOT NULL"
            )
        if reuse is not None and n > 1:
            # Everything a fit reads of a row (never its CSM), hashed; the history's digest is the
            # count and two sums of 60 bits of the rows' hashes (whatever their order: no sort).
            cursor.execute(
                "SELECT COUNT(*), SUM(('x' || substr(h, 1, 15))::bit(60)::bigint), "
                "SUM(('x' || substr(h, 16, 15))::bit(60)::bigint) FROM (SELECT "
                "md5(concat_ws('|', k, account_id, segment, signed_on, s, e, band)) AS h "
                f"FROM ({' UNION ALL '.join(selects[:-1])}) rows) h",
                params,
            )
            if reuse(":".join(str(x) for x in cursor.fetchone())):
                selects = selects[-1:]
        cursor.execute(" UNION ALL ".join(selects), params)
        labels = [str(q) for q in quarters]
        for k, csm, account, segment, signed, s, e, band, name in cursor.fetchall():
            out[labels[k]].append(
                AccountRow(labels[k], csm, account, segment, band, (days[k] - signed).days, s, e, name)
            )
        cursor.execute(f"DROP TABLE {TEMP}")
    return out


# --- the design: what was known at the start, one-hot ------------------------------------------------


def make_encoding(rows: list[AccountRow]) -> dict[str, Any]:
    """The levels of the inputs; the MRR size bands are the quartiles of the fitted accounts."""
    import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs

    sizes = np.array([float(r.mrr_start) for r in rows]) if rows else np.array([0.0])
    return encoding_of(sizes)


def encoding_of(sizes: np.ndarray) -> dict[str, Any]:
    """``make_encoding`` from the fitted accounts' starting MRR."""
    import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs

    cuts = [float(x) for x in np.quantile(sizes if len(sizes) else np.array([0.0]), [0.25, 0.5, 0.75])]
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
    tenure = encoding["tenure"][bisect_right(list(encoding["tenure_cuts_days"]), row.tenure_days)]
    size = encoding["size"][bisect_left(list(encoding["size_cuts"]), float(row.mrr_start))]
    return {"segment": row.segment, "health": row.health, "tenure": tenure, "size": size}


def one_thread(fitting: bool = False) -> Any:
    """numpy's and scikit-learn's thread pools (OpenBLAS, OpenMP) held to one thread: the fits are of
    at most 288 cells, where a second thread only waits, and on a busy machine (a worker beside the
    database, the other parts of the run) the threads spinning for each other made every fit 40
    times slower (4.3 s against 0.1 s for a pair of fits at a load of 14 on 2 cores). ``fitting``:
    scikit-learn's pools too (a pool loaded after the limit is set would not be held)."""
    import numpy  # noqa: F401, PLC0415 - loads OpenBLAS before the limit is set, only where it runs
    from threadpoolctl import threadpool_limits  # noqa: PLC0415 - only where the model runs

    if fitting:
        import sklearn.linear_model  # noqa: F401, PLC0415 - loads OpenMP before the limit is set

    return threadpool_limits(limits=1)


class Sample:
    """A row set by columns, each built once: its starting and ending MRR, and its one-hot design for
    each encoding asked (the fit, the dispersion, the calibration and the scores of one quarter's
    rows share them, instead of reading 450,000 rows again for each)."""

    def __init__(self, rows: list[AccountRow]) -> None:
        import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs

        self.rows = rows
        self.start = np.array([float(r.mrr_start) for r in rows])
        self.end = np.array([float(r.mrr_end) for r in rows])
        self._designs: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def design(self, encoding: dict[str, Any]) -> np.ndarray:
        """The one-hot design of the rows (one column per input of ``input_names``), built by columns."""
        import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs

        key = repr(sorted(encoding.items()))
        if key in self._designs:
            return self._designs[key]
        rows = self.rows
        x = np.zeros((len(rows), len(input_names(encoding))))
        self._designs[key] = x
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
        tenure = np.searchsorted(
            encoding["tenure_cuts_days"], np.array([r.tenure_days for r in rows]), "right"
        )
        x[index, offset + tenure] = 1.0
        offset += len(encoding["tenure"])
        x[index, offset + np.searchsorted(encoding["size_cuts"], self.start, "left")] = 1.0
        return x

    def outcomes(self, outcome: str) -> np.ndarray:
        """``AccountRow.outcome`` of every row, by columns."""
        import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs

        if outcome == "logo_retention":
            return (self.end > 0).astype(float)
        return (np.minimum(self.end, self.start) if outcome == "gross_retention" else self.end) / self.start

    def weights(self, outcome: str) -> np.ndarray:
        """Each account counts once for logo retention, by its starting MRR for GRR and NRR (scaled to
        a mean of 1, so the penalty means the same whatever the currency)."""
        import numpy as np  # noqa: PLC0415 - seconds to import: only where the model runs

        if outcome == "logo_retention":
            return np.ones(len(self.rows))
        return self.start / self.start.mean()


def design(rows: list[AccountRow], encoding: dict[str, Any]) -> np.ndarray:
    """The one-hot design of ``rows`` (one column per input of ``input_names``)."""
    return Sample(rows).design(encoding)
