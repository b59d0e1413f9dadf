#!/usr/bin/env bash
# make bench: the benchmarks of bench/, against a throwaway PostgreSQL on 127.0.0.1:54330.
# BENCH_SCALE=4 bash bench/run.sh kpis: the KPI run on an organisation 4 times as large (own data folder).
#   bash bench/run.sh [import] [kpis] [pages] [pdfs] [load]   (default: all of them)
source "$(dirname "$0")/../scripts/lib.sh"
ensure_venv requirements-dev.txt
what=" ${*:-all} "
wants() { [[ "$what" == *" $1 "* || "$what" == *" all "* ]]; }
PG_DIR="$ROOT/var/pg-bench"
PG_PORT=${PG_BENCH_PORT:-54330}
REDIS_PORT=${REDIS_BENCH_PORT:-6391}
trap 'pg_down "$PG_DIR"; redis_down "$REDIS_PORT"' EXIT
pg_up "$PG_DIR" "$PG_PORT"
redis_up "$REDIS_PORT"  # the cache of the pages (kpis.pagecache) and the Celery broker of `pdfs`
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/4
runuser -u postgres -- "$(pg_bin)/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres bench 2>/dev/null || \
  "$(pg_bin)/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres bench
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/bench"
ORG="bench/data/org"; [ "${BENCH_SCALE:-1.0}" = "1.0" ] || ORG="bench/data/org-x${BENCH_SCALE}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m); $("$PY" --version)"
if wants import; then
  # The importer's peak RSS must stay flat whatever the file (docs/data-contract.md): 1M and 8M rows,
  # each size on a fresh database. BENCH_ROWS="1000000" for one size; BENCH_RELOAD=0 skips the reload;
  # above 1M rows only the importer's time and peak RSS are measured (no COPY floor or bound).
  for rows in ${BENCH_ROWS:-1000000 8000000}; do
    data="bench/data/import-$rows"
    [ -f "$data/usage.csv" ] || "$PY" bench/gen_import.py --rows "$rows" --accounts 50000 --out "$data"
    "$(pg_bin)/dropdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres --if-exists "import$rows" 2>/dev/null || true
    "$(pg_bin)/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "import$rows"
    "$PY" bench/bench_import.py --pg "postgres://postgres@127.0.0.1:$PG_PORT/import$rows" --data "$data" \
      $([ "${BENCH_RELOAD:-1}" = "0" ] && echo --no-reload) $([ "$rows" -gt 1000000 ] && echo --rss-only)
  done
fi
if wants kpis; then
  [ -f "$ORG/touchpoints.csv" ] || "$PY" bench/gen_org.py --out "$ORG" --scale "${BENCH_SCALE:-1.0}"
  "$PY" bench/bench_kpis.py --pg "$PG_URL" --data "$ORG"
  "$PY" bench/bench_expected.py --pg "$PG_URL"  # issue 26: fit+score, and the run with and without it
fi
if wants pages; then
  [ -f "$ORG/touchpoints.csv" ] || "$PY" bench/gen_org.py --out "$ORG" --scale "${BENCH_SCALE:-1.0}"
  "$PY" bench/bench_pages.py --pg "$PG_URL" --data "$ORG"
fi
if wants pdfs; then
  [ -f "$ORG/touchpoints.csv" ] || "$PY" bench/gen_org.py --out "$ORG" --scale "${BENCH_SCALE:-1.0}"
  "$PY" bench/bench_pages.py --pg "$PG_URL" --data "$ORG" --requests 10 >/dev/null  # loads the organisation when empty
  "$PY" bench/bench_pdfs.py --pg "$PG_URL" --redis "redis://127.0.0.1:$REDIS_PORT/3"
fi
if wants load; then
  [ -f "$ORG/touchpoints.csv" ] || "$PY" bench/gen_org.py --out "$ORG" --scale "${BENCH_SCALE:-1.0}"
  "$PY" bench/bench_pages.py --pg "$PG_URL" --data "$ORG" --requests 10 >/dev/null  # loads the organisation when empty
  apt_install wrk wrk
  "$PY" bench/load.py --pg "$PG_URL"
fi
