#!/usr/bin/env bash
# make run: set everything up and run PostgreSQL, Redis, web, Celery worker and beat with a demo
# organisation. DATABASE_URL pointing elsewhere skips the local cluster.
source "$(dirname "$0")/lib.sh"
ensure_venv requirements.txt
apt_ensure libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core  # WeasyPrint (review PDFs)
PG_PORT=${PG_PORT:-54320}
export PG_PORT
if [ -z "${DATABASE_URL:-}" ]; then
  pg_local "$ROOT/var/postgres" "$PG_PORT" csm
  trap 'pg_local_stop "$ROOT/var/postgres"' EXIT
fi
# The web server's port: the Procfile serves on it and the settings derive SITE_URL (the links in
# emails) from it when SITE_URL is not set.
WEB_PORT=${WEB_PORT:-8000}
export WEB_PORT
redis_up "${REDIS_PORT:-6379}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}/0}"
log "migrating the database"
"$PY" manage.py migrate --noinput -v0
log "seeding the demo organisation (skipped when the database holds data)"
"$PY" manage.py seed_demo --if-empty
log "starting web (http://127.0.0.1:${WEB_PORT}), worker and beat; Ctrl-C stops them all"
"$ROOT/.venv/bin/honcho" start -f Procfile
