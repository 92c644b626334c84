#!/usr/bin/env bash
# Installs the npm dependencies with `npm ci` unless node_modules already matches package-lock.json:
# the lockfile's SHA-256 is stored in node_modules/.voc-lock-sha256 after a successful install, so a
# second `npm run quickstart` starts the engine at once instead of reinstalling (about 4 minutes).
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
marker=node_modules/.voc-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -d node_modules ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then
  echo "setup: node_modules matches package-lock.json, skipping npm ci"
  exit 0
fi
npm ci --no-audit --no-fund
echo "$want" > "$marker"
