#!/usr/bin/env bash
# Installs everything the portal and the tests need that a fresh machine lacks:
# Node 22 (scripts/env.sh), then the workspace's dependencies from the committed yarn.lock.
# Quick when nothing changed: the install is skipped while yarn.lock and every
# package.json hash to the stamp left by the last successful install.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

stamp_file="$ROOT/node_modules/.bootstrap-stamp"
current_stamp="$( { node --version; cat yarn.lock package.json packages/*/package.json plugins/*/package.json; } | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$current_stamp" ]; then
  exit 0
fi
echo "bootstrap: yarn install --immutable" >&2
yarn install --immutable
echo "$current_stamp" > "$stamp_file"
