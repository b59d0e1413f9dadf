#!/usr/bin/env bash
# By hand (needs node and npm; not part of make test): TypeScript types generated from the API's
# schema with openapi-typescript compile under `tsc --strict` for calls that send only the required
# fields (bench/typescript/calls.ts), and a confidence sent as a string does not.
#   bash bench/typescript/check.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/var/typescript"
mkdir -p "$WORK"
cd "$WORK"
[ -x node_modules/.bin/tsc ] || npm install --no-audit --no-fund --silent openapi-typescript@7.13.0 typescript@5.9.3
DJANGO_SETTINGS_MODULE=config.settings.test "$ROOT/.venv/bin/python" "$ROOT/manage.py" spectacular \
  --format openapi-json --file "$WORK/schema.json" --validate --fail-on-warn
node_modules/.bin/openapi-typescript "$WORK/schema.json" -o "$WORK/api.d.ts"
cp "$ROOT/bench/typescript/calls.ts" "$WORK/calls.ts"
node_modules/.bin/tsc --strict --noEmit "$WORK/calls.ts" "$WORK/api.d.ts"
echo "TypeScript types compile under --strict for the required-fields-only calls."
