"""Import benchmark (issue: data in). Times `import_data` on tickets and usage files (1M and 8M rows)
into PostgreSQL, with the importer's peak RSS (the data contract: under 300 MB whatever the file
size), against PostgreSQL COPY into a bare table as the floor.

    bash bench/run.sh import            # generates bench/data/import-<rows> on first use
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RSS_LIMIT_MB = 300  # docs/data-contract.md: the importer's peak RSS, whatever the file size
PY = sys.executable

FLOOR_TABLES = {
    "tickets": "external_id text, account_external_id text, opened_at timestamptz, first_response_at timestamptz, "
    "resolved_at timestamptz, customer_contacts int, escalated_at timestamptz, priority text, channel text",
    "usage": "account_external_id text, date date, licensed_seats int, dau int, mau int, features_used int, "
    "features_available int",
}


# The bound: what any importer must at least do with a file on PostgreSQL: COPY it into a staging table
# and insert it into the product's table (its indexes, check and foreign-key constraints), resolving
# the account's external id, with no validation, no duplicate check and no upsert.
BOUND_INSERTS = {
    "tickets": "INSERT INTO activity_ticket (external_id, account_id, opened_at, first_response_at, "
    "resolved_at, customer_contacts, escalated_at, priority, channel) SELECT s.external_id, a.id, "
    "s.opened_at, s.first_response_at, s.resolved_at, s.customer_contacts, s.escalated_at, s.priority, "
    "COALESCE(s.channel, '') FROM bound_stage s JOIN accounts_customeraccount a "
    "ON a.external_id = s.account_external_id",
    "usage": "INSERT INTO activity_usagesnapshot (account_id, date, licensed_seats, dau, mau, features_used, "
    "features_available) SELECT a.id, s.date, s.licensed_seats, s.dau, s.mau, s.features_used, "
    "s.features_available FROM bound_stage s JOIN accounts_customeraccount a "
    "ON a.external_id = s.account_external_id",
}


def copy_file(cur, table: str, path: Path) -> None:
    with cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, path.open("rb") as f:
        while chunk := f.read(1 << 20):
            copy.write(chunk)


def insert_bound(url: str, kind: str, path: Path) -> tuple[float, float]:
    """Two bounds on an empty product table, constraints checked immediately, rolled back:
    (COPY into staging + INSERT ... SELECT resolving the accounts, the write alone: COPY of rows
    whose accounts are already resolved straight into the product table)."""
    insert = BOUND_INSERTS[kind]
    columns = insert[insert.index("(") : insert.index(")") + 1]
    select = insert[insert.index("SELECT") :]
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(f"CREATE TEMPORARY TABLE bound_stage ({FLOOR_TABLES[kind]})")
        start = time.perf_counter()
        copy_file(cur, "bound_stage", path)
        cur.execute(insert)
        staged = time.perf_counter() - start
        conn.rollback()
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(f"CREATE TEMPORARY TABLE bound_stage ({FLOOR_TABLES[kind]})")
        copy_file(cur, "bound_stage", path)
        resolved = bytearray()
        with cur.copy(f"COPY ({select}) TO STDOUT") as out:
            for data in out:
                resolved += data
        start = time.perf_counter()
        with cur.copy(f"COPY {insert.split()[2]} {columns} FROM STDIN") as copy:
            for i in range(0, len(resolved), 1 << 20):
                copy.write(resolved[i : i + (1 << 20)])
        written = time.perf_counter() - start
        conn.rollback()
    return staged, written


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command; return (seconds, peak RSS in MB, output)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out}")
    return elapsed, usage.ru_maxrss / 1024, out


def count_rows(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT / "bench" / "data"))
    parser.add_argument("--pg", required=True, help="postgres://... of an empty database")
    parser.add_argument(
        "--no-reload", action="store_true", help="skip the second load of each file (idempotent reload)"
    )
    parser.add_argument(
        "--rss-only",
        action="store_true",
        help="only the importer's time and peak RSS: no reload, no COPY floor or bound (large files)",
    )
    args = parser.parse_args()
    if args.rss_only:
        args.no_reload = True
    data = Path(args.data)
    results = []
    bounds: dict[str, tuple[float, float]] = {}
    for label, url in (("postgresql", args.pg),):
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings.local")
        run([PY, "manage.py", "migrate", "-v0"], env)
        run([PY, "manage.py", "import_data", "accounts", str(data / "accounts.csv"), "-v0"], env)
        for kind in ("tickets", "usage"):
            rows = count_rows(data / f"{kind}.csv")
            if label == "postgresql" and not args.rss_only:
                bounds[kind] = insert_bound(args.pg, kind, data / f"{kind}.csv")
            seconds, rss, out = run(
                [PY, "manage.py", "import_data", kind, str(data / f"{kind}.csv"), "-v0"], env
            )
            again = float("nan")
            if not args.no_reload:
                again, _, _ = run(
                    [PY, "manage.py", "import_data", kind, str(data / f"{kind}.csv"), "-v0"], env
                )
            results.append(
                (label, kind, rows, seconds, rows / seconds, rss, again, out.strip().splitlines()[-1])
            )
    floors = {}
    with psycopg.connect(args.pg, autocommit=True) as conn:
        for kind, columns in FLOOR_TABLES.items() if not args.rss_only else ():
            conn.execute(f"DROP TABLE IF EXISTS floor_{kind}")
            conn.execute(f"CREATE TABLE floor_{kind} ({columns})")
            start = time.perf_counter()
            with conn.cursor() as cur:
                copy_file(cur, f"floor_{kind}", data / f"{kind}.csv")
            floors[kind] = time.perf_counter() - start
            conn.execute(f"DROP TABLE floor_{kind}")
    print()
    print(
        f"{'database':11} {'kind':8} {'rows':>9} {'seconds':>8} {'rows/s':>8} {'peak RSS MB':>11} {'vs COPY':>8} {'reload s':>8}"
    )
    for label, kind, rows, seconds, rate, rss, again, _ in results:
        ratio = f"{seconds / floors[kind]:.1f}x" if kind in floors else "-"
        print(
            f"{label:11} {kind:8} {rows:>9} {seconds:>8.1f} {rate:>8.0f} {rss:>11.0f} {ratio:>8} {again:>8.1f}"
        )
    for kind, seconds in floors.items():
        print(f"floor: PostgreSQL COPY of {kind} into a bare table: {seconds:.1f} s")
    for kind, (staged, written) in bounds.items():
        print(
            f"bound: COPY of {kind} into staging + INSERT ... SELECT into the product's table "
            f"(indexes, constraints; no validation, no upsert): {staged:.1f} s = {staged / floors[kind]:.1f}x COPY; "
            f"the write alone (COPY of resolved rows into that table): {written:.1f} s = {written / floors[kind]:.1f}x COPY"
        )
    for *_, summary in results:
        print("  ", summary)
    for _label, kind, rows, _s, _r, rss, *_ in results:
        verdict = "under" if rss < RSS_LIMIT_MB else "OVER"
        print(
            f"importer peak RSS, {kind}, {rows} rows: {rss:.0f} MB ({verdict} the {RSS_LIMIT_MB} MB of the data contract)"
        )


if __name__ == "__main__":
    main()
