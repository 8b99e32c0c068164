#!/usr/bin/env bash
# Runs the benchmarks (not part of the tests): scaffolder render speed, and the
# status backend's cold, warm and fleet numbers against a local registry, and
# the fleet page at 10,000 components (API and Chromium).
# Results go to bench/results/*.json. Usage: scripts/bench.sh [render|status|overview]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
"$ROOT/scripts/bootstrap.sh"
eval "$("$ROOT/scripts/system-deps.sh")"
if ! command -v skopeo >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq skopeo >&2 || { apt-get update -qq && apt-get install -y -qq skopeo; } >&2
fi
for bench in "${@:-render status overview}"; do
  for name in $bench; do
    echo "=== bench: $name"
    # Backstage's own node transform (as `backstage-cli package start` uses):
    # the renderer's worker threads inherit it, which tsx's loader does not do
    node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs "bench/$name.bench.ts"
  done
done
