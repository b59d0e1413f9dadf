#!/usr/bin/env bash
# make test: lint, migrations check, then the whole suite once, against a throwaway PostgreSQL,
# with a real Redis (and the Celery workers the integration tests start) on loopback.
source "$(dirname "$0")/lib.sh"
ensure_venv requirements-dev.txt
REDIS_TEST_PORT=${REDIS_TEST_PORT:-6390}
PG_TEST_PORT=${PG_TEST_PORT:-54329}
PG_DIR="$ROOT/var/pg-test-$PG_TEST_PORT"  # one per port: two runs side by side keep their own
cleanup() { redis_down "$REDIS_TEST_PORT"; pg_down "$PG_DIR"; }
trap cleanup EXIT

log "ruff"
"$ROOT/.venv/bin/ruff" check .
"$ROOT/.venv/bin/ruff" format --check .
# The test databases are copies of one migrated database (CREATE DATABASE ... TEMPLATE, a second or
# two): the migrations run once, here, while the checks below run, instead of once in each pytest
# process (about 45 s each). config/settings/test.py reads TEST_DB_TEMPLATE.
pg_up "$PG_DIR" "$PG_TEST_PORT"
TEST_DB_TEMPLATE=csm_template
MIGRATE_LOG="$PG_DIR/migrate.log"
"$(pg_bin)/createdb" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres "$TEST_DB_TEMPLATE"
DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL="postgres://postgres@127.0.0.1:$PG_TEST_PORT/$TEST_DB_TEMPLATE" \
  "$PY" manage.py migrate --no-input >"$MIGRATE_LOG" 2>&1 &
MIGRATE_PID=$!
log "import contracts (layers, no tests in production code)"
"$ROOT/.venv/bin/lint-imports" --no-cache
log "types (mypy with the Django and DRF stubs; production code, cache in var/mypy-cache)"
"$ROOT/.venv/bin/mypy"
log "documentation site (mkdocs --strict: every internal link and anchor resolves)"
NO_MKDOCS_2_WARNING=1 "$ROOT/.venv/bin/mkdocs" build --strict --quiet --site-dir "$ROOT/var/site-test-$PG_TEST_PORT"
rm -rf "$ROOT/var/site-test-$PG_TEST_PORT"
log "check --deploy with the production settings"
DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY="ci-$(head -c 64 /dev/urandom | base64 -w0 | tr -d '/+=')" \
  DJANGO_ALLOWED_HOSTS=csm.example.com DATABASE_URL=postgres://u:p@127.0.0.1:5432/csm \
  "$PY" manage.py check --deploy --fail-level WARNING
log "makemigrations --check"
DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL="postgres://postgres@127.0.0.1:$PG_TEST_PORT/$TEST_DB_TEMPLATE" \
  "$PY" manage.py makemigrations --check --dry-run

apt_install chromium chromium chromium-driver
apt_install pdftoppm poppler-utils
# tests/test_typescript_types.py: openapi-typescript and tsc (pinned in tests/typescript/, npm ci).
apt_install node nodejs npm
apt_install npm npm  # a Node.js without its npm (some builds ship them apart)
apt_install xmlsec1 xmlsec1  # the tests' SAML identity provider (pysaml2) signs with it
apt_ensure libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-cjk  # PDFs; Chinese needs a CJK font
compile_messages
redis_up "$REDIS_TEST_PORT"
export REDIS_URL="redis://127.0.0.1:$REDIS_TEST_PORT/15"

log "migrations into the template of the test databases"
if ! wait "$MIGRATE_PID"; then cat "$MIGRATE_LOG"; exit 1; fi
export TEST_DB_TEMPLATE
log "pytest"
# Coverage is measured on every run; the floor applies to the whole suite (no arguments) only.
COVERAGE_FLOOR=${COVERAGE_FLOOR:-90}  # measured 93 % (2026-12-07)
export COVERAGE_FILE="$ROOT/var/.coverage-$PG_TEST_PORT"
# The whole suite runs in two processes side by side (pytest-xdist, one a core; PYTEST_WORKERS says
# how many), a test file to a process (and every test that starts Celery workers or a Redis of its own
# to one same process: conftest.py), each process with its own test database (test_csm_gw0, ...),
# Redis database and mail port (config/settings/test.py). Files named on the command line run in one
# process unless PYTEST_WORKERS says otherwise.
# The API fuzzer runs after, in this one process: schemathesis gives its 46 operations one node id,
# and pytest-xdist would run one of them (conftest.py refuses such a collection in a worker).
if [ $# -eq 0 ]; then WORKERS=${PYTEST_WORKERS:-2}; else WORKERS=${PYTEST_WORKERS:-0}; fi
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_TEST_PORT/csm"
if [ $# -eq 0 ]; then
  "$PY" -m pytest --cov --cov-report= -n "$WORKERS" --dist loadgroup --ignore=tests/test_api_fuzz.py
  "$PY" -m pytest --cov --cov-append --cov-report= tests/test_api_fuzz.py
else
  "$PY" -m pytest --cov --cov-report= -n "$WORKERS" --dist loadgroup "$@"
fi
if [ $# -eq 0 ]; then
  log "coverage (floor ${COVERAGE_FLOOR} %)"
  "$PY" -m coverage report --skip-covered --sort=cover --fail-under="$COVERAGE_FLOOR" | tail -n 12
fi
log "all green"
