#!/usr/bin/env bash
# Runs the benchmarks (not part of the tests): scaffolder render speed, and the
# status backend's cold, warm and fleet numbers against a local registry.
# Results go to bench/results/*.json. Usage: scripts/bench.sh [render|status]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
"$ROOT/scripts/bootstrap.sh"
eval "$("$ROOT/scripts/system-deps.sh")"
if ! command -v skopeo >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq skopeo >&2 || { apt-get update -qq && apt-get install -y -qq skopeo; } >&2
fi
for bench in "${@:-render status}"; do
  for name in $bench; do
    echo "=== bench: $name"
    yarn tsx "bench/$name.bench.ts"
  done
done
