"""KPI engine benchmark (issue: KPI engine). Loads the large organisation of gen_org.py into
PostgreSQL and SQLite with import_data, times `compute_kpis --period 2026-Q3` with its peak RSS, and
times one hand-tuned PostgreSQL statement computing NRR and tickets per account for every CSM (the floor).

    bash bench/run.sh kpis
"""

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import ROOT, run  # noqa: E402

PY = sys.executable
KINDS = (
    "people",
    "accounts",
    "assignments",
    "revenue",
    "tickets",
    "surveys",
    "usage",
    "health",
    "advocacy",
    "touchpoints",
)

FLOOR_SQL = """
WITH asg AS (
  SELECT account_id, csm_id, start_date,
         LEAD(start_date) OVER (PARTITION BY account_id ORDER BY start_date) AS next_start
  FROM accounts_assignment
), mrr AS (
  SELECT account_id,
         GREATEST(COALESCE(SUM(mrr_delta) FILTER (WHERE date < %(start)s), 0), 0) AS s,
         GREATEST(SUM(mrr_delta), 0) AS e
  FROM activity_revenueevent WHERE date < %(end)s GROUP BY account_id
), cohort AS (
  SELECT a.csm_id, SUM(m.s) AS s, SUM(m.e) AS e
  FROM asg a JOIN mrr m USING (account_id)
  WHERE a.start_date <= %(start)s AND (a.next_start IS NULL OR a.next_start > %(start)s) AND m.s > 0
  GROUP BY a.csm_id
), book AS (
  SELECT a.csm_id, COUNT(*) AS n
  FROM asg a JOIN mrr m USING (account_id)
  WHERE a.start_date <= %(last)s AND (a.next_start IS NULL OR a.next_start > %(last)s) AND m.e > 0
  GROUP BY a.csm_id
), tickets AS (
  SELECT a.csm_id, COUNT(*) AS n
  FROM activity_ticket t JOIN asg a ON a.account_id = t.account_id
   AND a.start_date <= (t.opened_at AT TIME ZONE 'UTC')::date
   AND (a.next_start IS NULL OR a.next_start > (t.opened_at AT TIME ZONE 'UTC')::date)
  WHERE t.opened_at >= %(start)s::timestamptz AND t.opened_at < %(end)s::timestamptz
  GROUP BY a.csm_id
)
SELECT c.csm_id, ROUND(c.e / NULLIF(c.s, 0) * 100, 2) AS nrr, ROUND(t.n::numeric / NULLIF(b.n, 0), 2) AS tpa
FROM cohort c LEFT JOIN book b USING (csm_id) LEFT JOIN tickets t USING (csm_id)
"""

# What the spec makes any engine read for one quarter beyond the floor's two values: every ticket,
# usage snapshot and survey response of P and P-1 attributed to its owner on its date (the service
# metrics, stickiness and NPS, with their previous-period comparisons). Hand-written, counts and
# sums only: no medians, no health, no revenue, no publication. Timed one after the other.
SPANS = """WITH asg AS (
  SELECT account_id, csm_id, start_date,
         LEAD(start_date) OVER (PARTITION BY account_id ORDER BY start_date) AS next_start
  FROM accounts_assignment
)"""
READS_SQL = {
    "tickets": SPANS
    + """
SELECT a.csm_id, COUNT(*) FILTER (WHERE t.opened_at >= %(start)s::timestamptz), COUNT(*)
FROM activity_ticket t JOIN asg a ON a.account_id = t.account_id
 AND a.start_date <= (t.opened_at AT TIME ZONE 'UTC')::date
 AND (a.next_start IS NULL OR a.next_start > (t.opened_at AT TIME ZONE 'UTC')::date)
WHERE t.opened_at >= %(prev)s::timestamptz AND t.opened_at < %(end)s::timestamptz GROUP BY a.csm_id""",
    "usage": SPANS
    + """
SELECT a.csm_id, SUM(u.dau) FILTER (WHERE u.date >= %(start)s), SUM(u.mau) FILTER (WHERE u.date >= %(start)s),
       SUM(u.dau), SUM(u.mau)
FROM activity_usagesnapshot u JOIN asg a ON a.account_id = u.account_id
 AND a.start_date <= u.date AND (a.next_start IS NULL OR a.next_start > u.date)
WHERE u.mau > 0 AND u.date >= %(prev)s AND u.date < %(end)s GROUP BY a.csm_id""",
    "surveys": SPANS
    + """
SELECT a.csm_id, COUNT(*) FILTER (WHERE r.responded_at >= %(start)s::timestamptz), COUNT(*)
FROM activity_surveyresponse r JOIN asg a ON a.account_id = r.account_id
 AND a.start_date <= (r.responded_at AT TIME ZONE 'UTC')::date
 AND (a.next_start IS NULL OR a.next_start > (r.responded_at AT TIME ZONE 'UTC')::date)
WHERE r.responded_at >= %(prev)s::timestamptz AND r.responded_at < %(end)s::timestamptz GROUP BY a.csm_id""",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT / "bench" / "data" / "org"))
    parser.add_argument("--pg", required=True)
    parser.add_argument("--sqlite", default=str(ROOT / "var" / "bench-kpis.sqlite3"))
    parser.add_argument("--period", default="2026-Q3")
    args = parser.parse_args()
    data = Path(args.data)
    results = []
    for label, url in (("postgresql", args.pg), ("sqlite", f"sqlite:///{args.sqlite}")):
        if label == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(args.sqlite + suffix).unlink(missing_ok=True)
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings.local")
        run([PY, "manage.py", "migrate", "-v0"], env)
        load = 0.0
        for kind in KINDS:
            seconds, _, out = run(
                [PY, "manage.py", "import_data", kind, str(data / f"{kind}.csv"), "-v0"], env
            )
            load += seconds
            print(f"{label}: {out.strip().splitlines()[-1]} ({seconds:.0f} s)", flush=True)
        if label == "postgresql":
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
        timings = []
        for _ in range(2):
            seconds, rss, out = run([PY, "manage.py", "compute_kpis", "--period", args.period, "-v0"], env)
            timings.append((seconds, rss, out.strip().splitlines()[-1]))
        results.append((label, load, timings))
    with psycopg.connect(args.pg, autocommit=True) as conn:
        floors = []
        for jit in ("on", "off", "on", "off", "on", "off"):  # the best of either: a hand-tuned floor
            conn.execute(f"SET jit = {jit}")
            start = time.perf_counter()
            rows = conn.execute(
                FLOOR_SQL, {"start": "2026-07-01", "end": "2026-10-01", "last": "2026-09-30"}
            ).fetchall()
            floors.append(time.perf_counter() - start)
    floor = min(floors)
    reads = {}
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute("SET jit = off")
        params = {"prev": "2026-04-01", "start": "2026-07-01", "end": "2026-10-01"}
        for name, sql in READS_SQL.items():
            best = []
            for _ in range(3):
                start = time.perf_counter()
                conn.execute(sql, params).fetchall()
                best.append(time.perf_counter() - start)
            reads[name] = min(best)
    print()
    print(
        f"{'database':11} {'load s':>7} {'process s (1st, 2nd)':>22} {'run s (1st, 2nd)':>18} "
        f"{'peak RSS MB':>11} {'run vs floor':>12}"
    )
    for label, load, timings in results:
        # "run s": the command's own figure (compute and publish), without starting Python and Django.
        runs = [float(t[2].rsplit(", ", 1)[1].rstrip(" s")) for t in timings]
        ratio = f"{min(runs) / floor:.1f}x" if label == "postgresql" else "-"
        print(
            f"{label:11} {load:>7.0f} {timings[0][0]:>10.1f} {timings[1][0]:>10.1f} {runs[0]:>8.2f} {runs[1]:>8.2f} "
            f"{max(t[1] for t in timings):>11.0f} {ratio:>12}"
        )
        print(f"            {timings[-1][2]}")
    print(
        f"floor: one hand-tuned PostgreSQL statement (NRR + tickets per account, {len(rows)} CSMs): {floor:.2f} s"
    )
    total = sum(reads.values())
    print(
        "reads: the events of P and P-1 by owner, hand-written (counts and sums only): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in reads.items())
        + f"; together {total:.2f} s = {total / floor:.1f}x the floor (one after the other)"
    )


if __name__ == "__main__":
    main()
