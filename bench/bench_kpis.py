"""KPI engine benchmark (issue: KPI engine). Loads the large organisation of gen_org.py into
PostgreSQL with import_data, times `compute_kpis --period 2026-Q3` with its peak RSS, and
times one hand-tuned PostgreSQL statement computing NRR and tickets per account for every CSM (the floor).

    bash bench/run.sh kpis
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import ROOT, run

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

# The bound: what the spec makes any engine read for one quarter, hand-written in the floor's own
# technique (assignment spans, one range join), each component as cheap as SQL gets it: every ticket,
# usage snapshot and survey response of P and P-1 attributed to its owner on its date (the service
# metrics with the first-response waits of P, stickiness and NPS with their previous-period
# comparisons), and one statement for the balances of every account with the cohort, the books of P
# and P-1 and their latest adoption and health readings. Left out, so that the bound stays below what
# any engine needs: referrals, onboardings, touchpoints, the roll-ups, the medians themselves and
# writing the values. Timed one after the other, and side by side on 2 connections (the machine's
# cores; longest first, each connection taking the next statement when it is free).
SPANS = """WITH asg AS (
  SELECT account_id, csm_id, start_date,
         LEAD(start_date) OVER (PARTITION BY account_id ORDER BY start_date) AS next_start
  FROM accounts_assignment
)"""
HOLDS = "a.start_date <= {d} AND (a.next_start IS NULL OR a.next_start > {d})"
READS_SQL = {
    "tickets": SPANS
    + """
SELECT a.csm_id, COUNT(*) FILTER (WHERE t.opened_at >= %(start)s::timestamptz), COUNT(*),
       COUNT(*) FILTER (WHERE t.opened_at >= %(start)s::timestamptz AND t.escalated_at IS NOT NULL),
       COUNT(*) FILTER (WHERE t.opened_at >= %(start)s::timestamptz AND t.resolved_at < %(end)s::timestamptz),
       COUNT(*) FILTER (WHERE t.opened_at >= %(start)s::timestamptz AND t.resolved_at < %(end)s::timestamptz
                          AND t.customer_contacts <= 1),
       SUM(t.customer_contacts) FILTER (WHERE t.opened_at >= %(start)s::timestamptz
                                          AND t.resolved_at < %(end)s::timestamptz),
       ARRAY_AGG((EXTRACT(EPOCH FROM t.first_response_at - t.opened_at) * 1000000)::bigint)
         FILTER (WHERE t.opened_at >= %(start)s::timestamptz AND t.first_response_at IS NOT NULL)
FROM activity_ticket t JOIN asg a ON a.account_id = t.account_id
 AND """
    + HOLDS.format(d="(t.opened_at AT TIME ZONE 'UTC')::date")
    + """
WHERE t.opened_at >= %(prev)s::timestamptz AND t.opened_at < %(end)s::timestamptz GROUP BY a.csm_id""",
    "usage": SPANS
    + """
SELECT a.csm_id, SUM(u.dau) FILTER (WHERE u.date >= %(start)s), SUM(u.mau) FILTER (WHERE u.date >= %(start)s),
       SUM(u.dau), SUM(u.mau)
FROM activity_usagesnapshot u JOIN asg a ON a.account_id = u.account_id AND """
    + HOLDS.format(d="u.date")
    + """
WHERE u.mau > 0 AND u.date >= %(prev)s AND u.date < %(end)s GROUP BY a.csm_id""",
    "surveys": SPANS
    + """
SELECT a.csm_id, r.kind, r.responded_at >= %(start)s::timestamptz, r.score, COUNT(*)
FROM activity_surveyresponse r JOIN asg a ON a.account_id = r.account_id
 AND """
    + HOLDS.format(d="(r.responded_at AT TIME ZONE 'UTC')::date")
    + """
WHERE r.responded_at >= %(prev)s::timestamptz AND r.responded_at < %(end)s::timestamptz
GROUP BY a.csm_id, r.kind, r.responded_at >= %(start)s::timestamptz, r.score""",
    "books": SPANS
    + """, mrr AS (
  SELECT account_id, GREATEST(COALESCE(SUM(mrr_delta) FILTER (WHERE date < %(start)s), 0), 0) AS s,
         GREATEST(SUM(mrr_delta), 0) AS e
  FROM activity_revenueevent WHERE date < %(end)s GROUP BY account_id
), bal AS MATERIALIZED (
  SELECT m.account_id, m.s, m.e,
         MAX(a.csm_id) FILTER (WHERE """
    + HOLDS.format(d="%(start)s::date")
    + """) AS o_start,
         MAX(a.csm_id) FILTER (WHERE """
    + HOLDS.format(d="%(last)s::date")
    + """) AS o_last,
         MAX(a.csm_id) FILTER (WHERE """
    + HOLDS.format(d="%(prev_last)s::date")
    + """) AS o_prev
  FROM mrr m JOIN asg a USING (account_id) GROUP BY m.account_id, m.s, m.e
)
SELECT 'cohort', o_start, COUNT(*), SUM(s), SUM(e) FROM bal WHERE s > 0 GROUP BY o_start
UNION ALL SELECT 'adoption', b.o_last, COUNT(*),
       SUM(y.features_used::numeric / y.features_available - x.features_used::numeric / x.features_available), 0
FROM bal b
JOIN (SELECT DISTINCT ON (account_id) * FROM activity_usagesnapshot
      WHERE date >= %(start)s::date - 30 AND date < %(start)s ORDER BY account_id, date DESC) x USING (account_id)
JOIN (SELECT DISTINCT ON (account_id) * FROM activity_usagesnapshot
      WHERE date >= %(end)s::date - 30 AND date < %(end)s ORDER BY account_id, date DESC) y USING (account_id)
WHERE b.e > 0 AND x.features_available > 0 AND y.features_available > 0 GROUP BY b.o_last
UNION ALL SELECT 'health', b.o_last, COUNT(*), SUM(h.score), 0 FROM bal b
JOIN (SELECT DISTINCT ON (account_id) * FROM activity_healthsnapshot
      WHERE date >= %(end)s::date - 31 AND date < %(end)s ORDER BY account_id, date DESC) h USING (account_id)
WHERE b.e > 0 GROUP BY b.o_last
UNION ALL SELECT 'prev_health', b.o_prev, COUNT(*), SUM(h.score), 0 FROM bal b
JOIN (SELECT DISTINCT ON (account_id) * FROM activity_healthsnapshot
      WHERE date >= %(start)s::date - 31 AND date < %(start)s ORDER BY account_id, date DESC) h USING (account_id)
WHERE b.s > 0 GROUP BY b.o_prev""",
}
READS_PARAMS = {
    "prev": "2026-04-01",
    "start": "2026-07-01",
    "end": "2026-10-01",
    "last": "2026-09-30",
    "prev_last": "2026-06-30",
}


def _drain(conn: psycopg.Connection, queue: list[str], lock: threading.Lock) -> None:
    """Run the queue's statements on this connection until the queue is empty."""
    while True:
        with lock:
            if not queue:
                return
            name = queue.pop(0)
        conn.execute(READS_SQL[name], READS_PARAMS).fetchall()


def time_reads(url: str) -> tuple[dict[str, float], float]:
    """The bound's statements one after the other (best of 3 each), and side by side on 2
    connections (best of 3 walls)."""
    alone = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET jit = off")
        for name, sql in READS_SQL.items():
            best = []
            for _ in range(3):
                start = time.perf_counter()
                conn.execute(sql, READS_PARAMS).fetchall()
                best.append(time.perf_counter() - start)
            alone[name] = min(best)
    order = sorted(alone, key=alone.get, reverse=True)
    walls = []
    conns = [psycopg.connect(url, autocommit=True) for _ in range(2)]
    try:
        for conn in conns:
            conn.execute("SET jit = off")
        for _ in range(3):
            queue, lock = list(order), threading.Lock()
            threads = [threading.Thread(target=_drain, args=(conn, queue, lock)) for conn in conns]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            walls.append(time.perf_counter() - start)
    finally:
        for conn in conns:
            conn.close()
    return alone, min(walls)


def time_write(url: str, period: str) -> tuple[int, float]:
    """The database's share of publishing: replace the period's values with the same rows, inside
    the database (no client), and commit (best of 3)."""
    best = []
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TEMPORARY TABLE saved AS SELECT * FROM kpis_kpivalue WHERE period = %s", [period]
        )
        count = conn.execute("SELECT COUNT(*) FROM saved").fetchone()[0]
        conn.commit()
        for _ in range(3):
            start = time.perf_counter()
            conn.execute("DELETE FROM kpis_kpivalue WHERE period = %s", [period])
            conn.execute("INSERT INTO kpis_kpivalue SELECT * FROM saved")
            conn.commit()
            best.append(time.perf_counter() - start)
    return count, min(best)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT / "bench" / "data" / "org"))
    parser.add_argument("--pg", required=True)
    parser.add_argument("--period", default="2026-Q3")
    args = parser.parse_args()
    data = Path(args.data)
    results = []
    for label, url in (("postgresql", args.pg),):
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
    reads, side_by_side = time_reads(args.pg)
    written, write = time_write(args.pg, args.period)
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
        "bound: what any engine must read for the quarter, hand-written (no medians, roll-ups or writes): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in reads.items())
        + f"; one after the other {total:.2f} s = {total / floor:.1f}x the floor; "
        f"side by side on 2 connections {side_by_side:.2f} s = {side_by_side / floor:.1f}x the floor"
    )
    print(
        f"writing the {written} values inside the database (delete, insert, commit): {write:.2f} s; "
        f"bound side by side plus the write: {side_by_side + write:.2f} s = "
        f"{(side_by_side + write) / floor:.1f}x the floor"
    )


if __name__ == "__main__":
    main()
