#!/usr/bin/env bash
# `make screenshots`: runs the browser suite, which photographs each page into
# web/e2e/.tmp/screenshots (ignored), and copies the pictures the README shows
# to web/e2e/screenshots, to be committed. Test runs never write there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=web/e2e/.tmp/screenshots
rm -rf "$out"
./scripts/web-test.sh
names=$(grep -o 'web/e2e/screenshots/[A-Za-z0-9_-]*\.png' README.md | sort -u)
[ -n "$names" ] || { echo "README.md shows no screenshots" >&2; exit 1; }
for p in $names; do
  f=$(basename "$p")
  [ -f "$out/$f" ] || { echo "the browser suite made no $f" >&2; exit 1; }
  cp "$out/$f" "$p"
  echo "updated $p"
done
