#!/usr/bin/env bash
# The dashboard's tests: the committed export is fresh, the sources (tests and
# browser specs included) type-check, the unit tests (Vitest) pass, and the
# browser suite (Playwright on Debian's Chromium) passes against a real
# `jarvis serve --sandbox`.
set -euo pipefail
cd "$(dirname "$0")/../web"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 NEXT_TELEMETRY_DISABLED=1

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent check-fresh
# The type check (which alone checks the tests' and browser specs' types: the
# export's build checks only the app's) runs beside the unit tests, which
# leave a core free.
npm run --silent typecheck &
typecheck=$!
npm test
wait "$typecheck" || { echo "typecheck failed"; exit 1; }

if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
  fi
fi
npm run e2e
