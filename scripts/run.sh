#!/usr/bin/env bash
# make run: set everything up and run web + Celery worker + beat + Redis with a demo organisation.
source "$(dirname "$0")/lib.sh"
ensure_venv requirements.txt
apt_ensure libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core  # WeasyPrint (review PDFs)
redis_up "${REDIS_PORT:-6379}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}/0}"
mkdir -p var
log "migrating the database"
"$PY" manage.py migrate --noinput -v0
log "seeding the demo organisation (skipped when the database holds data)"
"$PY" manage.py seed_demo --if-empty
log "starting web (http://127.0.0.1:${WEB_PORT:-8000}), worker and beat; Ctrl-C stops them all"
exec "$ROOT/.venv/bin/honcho" start -f Procfile
