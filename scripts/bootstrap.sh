#!/usr/bin/env bash
# Installs everything the portal and the tests need that a fresh machine lacks:
# Node 22 (scripts/env.sh), then the workspace's dependencies from the committed yarn.lock.
# Quick when nothing changed: the install is skipped while yarn.lock and every
# package.json hash to the stamp left by the last successful install.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

# Renovate's JSON schema, read by the test of the skeletons' renovate.json: one
# file from the renovate npm package, checked against a pinned hash.
RENOVATE_VERSION=44.121.2
RENOVATE_SCHEMA_SHA256=989a29d9d8f1c421436b68de9472898283b55db6c5cf98fb243489e40e338a02
if [ ! -f "$TOOLS/renovate-schema.json" ]; then
  echo "bootstrap: fetching renovate-schema.json from renovate@$RENOVATE_VERSION" >&2
  schema_tmp="$(mktemp -d)"
  trap 'rm -rf "$schema_tmp"' EXIT
  (cd "$schema_tmp" && npm pack --silent --ignore-scripts "renovate@$RENOVATE_VERSION" >/dev/null)
  tar -xzf "$schema_tmp/renovate-$RENOVATE_VERSION.tgz" -C "$schema_tmp" package/renovate-schema.json
  echo "$RENOVATE_SCHEMA_SHA256  $schema_tmp/package/renovate-schema.json" | sha256sum --check --quiet
  mv "$schema_tmp/package/renovate-schema.json" "$TOOLS/renovate-schema.json"
fi

stamp_file="$ROOT/node_modules/.bootstrap-stamp"
current_stamp="$( { node --version; cat yarn.lock package.json packages/*/package.json plugins/*/package.json; } | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$current_stamp" ]; then
  exit 0
fi
echo "bootstrap: yarn install --immutable" >&2
yarn install --immutable
echo "$current_stamp" > "$stamp_file"
