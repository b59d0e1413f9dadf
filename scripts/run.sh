#!/usr/bin/env bash
# make run: set everything up and run PostgreSQL, Redis, web, Celery worker and beat with a demo
# organisation. DATABASE_URL pointing elsewhere skips the local cluster.
source "$(dirname "$0")/lib.sh"
ensure_venv requirements-dev.txt  # make run is development: honcho and the mail catcher are dev tools
apt_ensure libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-cjk  # WeasyPrint (review PDFs; CJK for Chinese)
PG_PORT=${PG_PORT:-54320}
REDIS_PORT=${REDIS_PORT:-6379}
export PG_PORT REDIS_PORT
# Ctrl-C (or any exit) stops what this script started: the local PostgreSQL cluster, and the Redis it
# started (a Redis that was already running on REDIS_PORT is left running).
STARTED_PG=""
stop_what_we_started() {
  if [ -n "$REDIS_STARTED" ]; then
    log "stopping the Redis started on port $REDIS_STARTED"
    redis_down "$REDIS_STARTED"
  fi
  [ -z "$STARTED_PG" ] || pg_local_stop "$ROOT/var/postgres"
}
trap stop_what_we_started EXIT
if [ -z "${DATABASE_URL:-}" ]; then
  STARTED_PG=1
  pg_local "$ROOT/var/postgres" "$PG_PORT" csm
fi
# The web server's port: the Procfile serves on it and the settings derive SITE_URL (the links in
# emails) from it when SITE_URL is not set.
WEB_PORT=${WEB_PORT:-8000}
export WEB_PORT
redis_up "$REDIS_PORT"
[ -n "$REDIS_STARTED" ] || log "using the Redis already running on port $REDIS_PORT (left running at the end)"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT}/0}"
log "migrating the database"
compile_messages
"$PY" manage.py migrate --noinput -v0
log "seeding the demo organisation (skipped when the database holds data)"
"$PY" manage.py seed_demo --if-empty
log "starting web (http://127.0.0.1:${WEB_PORT}), worker and beat; Ctrl-C stops them all"
# PROCFILE: the processes to run (Procfile; the tests run a smaller one).
"$ROOT/.venv/bin/honcho" start -f "${PROCFILE:-Procfile}"
