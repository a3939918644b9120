#!/usr/bin/env bash
# The dashboard's tests: the committed export is fresh, the sources (tests and
# browser specs included) type-check, the unit tests (Vitest) pass, and the
# browser suite (Playwright on Debian's Chromium) passes against a real
# `jarvis serve --sandbox`.
set -euo pipefail
cd "$(dirname "$0")/../web"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 NEXT_TELEMETRY_DISABLED=1

# The Jarvis that the browser suite runs is built meanwhile (npm ci mostly
# waits on the network), unless JARVIS_BIN names one or a server is given;
# so is the Go SDK's MCP client that e2e/mcp-go-sdk.spec.ts drives, unless
# JARVIS_E2E_GOCLIENT names one.
build=
if [ -z "${JARVIS_E2E_GOCLIENT:-}" ] || [ -z "${JARVIS_BIN:-}${JARVIS_E2E_URL:-}" ]; then
  mkdir -p e2e/.tmp
  (
    cd ..
    [ -n "${JARVIS_E2E_GOCLIENT:-}" ] || go build -o web/e2e/.tmp/goclient ./web/e2e/goclient || exit 1
    [ -n "${JARVIS_BIN:-}${JARVIS_E2E_URL:-}" ] || go build -o web/e2e/.tmp/jarvis ./cmd/jarvis || exit 1
  ) >e2e/.tmp/go-build.log 2>&1 &
  build=$!
  trap 'kill "$build" 2>/dev/null || true' EXIT
fi

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
if [ -n "$build" ]; then
  wait "$build" || { cat e2e/.tmp/go-build.log; echo "building jarvis or the Go SDK client failed"; exit 1; }
  [ -n "${JARVIS_BIN:-}${JARVIS_E2E_URL:-}" ] || export JARVIS_BIN="$PWD/e2e/.tmp/jarvis"
  [ -n "${JARVIS_E2E_GOCLIENT:-}" ] || export JARVIS_E2E_GOCLIENT="$PWD/e2e/.tmp/goclient"
fi
npm run e2e
