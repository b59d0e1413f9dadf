# Shared helpers of the project scripts (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p "$ROOT/var"
PY="$ROOT/.venv/bin/python"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
  # apt_install CMD PACKAGE...: install Debian packages when CMD is missing.
  local cmd=$1; shift
  if ! command -v "$cmd" >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/"$cmd" >/dev/null 2>&1; then
    log "installing $* with apt-get"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
  fi
}

apt_ensure() {
  # apt_ensure PACKAGE...: install the Debian packages that are not installed yet (libraries).
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} with apt-get"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

compile_messages() {
  # The catalogs in locale/ compiled for Django (.mo files are built, never committed).
  apt_install msgfmt gettext
  "$PY" manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=var -v0
}

ensure_venv() {
  # ensure_venv REQUIREMENTS_FILE: create .venv and install the pinned requirements when they changed.
  local req=$1
  if [ ! -x "$PY" ]; then
    log "creating .venv"
    python3 -m venv "$ROOT/.venv"
  fi
  local stamp="$ROOT/.venv/.installed-$(basename "$req")"
  local digest
  digest=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
  # The test requirements include the runtime ones: installed, they do for `make run` too.
  if [ "$req" = requirements.txt ] && [ "$(cat "$ROOT/.venv/.installed-requirements-dev.txt" 2>/dev/null)" = "$digest" ]; then
    return 0
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    log "installing $req into .venv"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q --require-hashes -r "$req"  # locked: every file checked against its hash
    echo "$digest" > "$stamp"
  fi
}

REDIS_STARTED=""  # the port of the Redis that redis_up started ("" when one answered already)

redis_up() {
  # redis_up PORT: start a Redis on 127.0.0.1:PORT unless one answers there already; REDIS_STARTED
  # says which (the port when this call started it).
  local port=$1
  apt_install redis-server redis-server
  if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then return 0; fi
  REDIS_STARTED=$port
  mkdir -p "$ROOT/var/redis-$port"
  redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --save "" --appendonly no \
    --dir "$ROOT/var/redis-$port" --pidfile "$ROOT/var/redis-$port/redis.pid" \
    --logfile "$ROOT/var/redis-$port/redis.log"
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "Redis did not start on port $port" >&2; return 1
}

redis_down() {
  local port=$1
  redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

pg_up() {
  # pg_up DIR PORT: a throwaway PostgreSQL cluster on 127.0.0.1:PORT, trust auth, owned by 'postgres'.
  local dir=$1 port=$2
  apt_install initdb postgresql
  local bin; bin=$(pg_bin)
  local as=""
  if [ "$(id -u)" -eq 0 ]; then as="runuser -u postgres --"; fi
  rm -rf "$dir"; mkdir -p "$dir"
  [ -z "$as" ] || chown postgres "$dir"
  $as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  $as "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
}

pg_down() {
  local dir=$1
  local bin; bin=$(pg_bin 2>/dev/null) || return 0
  local as=""
  if [ "$(id -u)" -eq 0 ]; then as="runuser -u postgres --"; fi
  [ -d "$dir/data" ] && $as "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

pg_local() {
  # pg_local DIR PORT DBNAME: the persistent local cluster of `make run` under DIR on 127.0.0.1:PORT
  # (trust auth on loopback, superuser 'postgres'): created on first use, started unless it runs,
  # the database created when missing. Data survives restarts; pg_local_stop stops it.
  local dir=$1 port=$2 db=$3
  apt_install initdb postgresql
  local bin; bin=$(pg_bin)
  local as=""
  if [ "$(id -u)" -eq 0 ]; then as="runuser -u postgres --"; fi
  mkdir -p "$dir"
  [ -z "$as" ] || chown postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "creating the local PostgreSQL cluster in ${dir#"$ROOT"/}"
    $as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  fi
  if ! $as "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$port"
    $as "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-h 127.0.0.1 -p $port -k $dir" start >/dev/null
  fi
  if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" postgres | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
  fi
}

pg_local_stop() {
  local dir=$1
  local bin; bin=$(pg_bin 2>/dev/null) || return 0
  local as=""
  if [ "$(id -u)" -eq 0 ]; then as="runuser -u postgres --"; fi
  [ -f "$dir/data/PG_VERSION" ] && $as "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
}
