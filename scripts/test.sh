#!/usr/bin/env bash
# Runs every test: type-check, lint, unit and integration tests (real registry,
# real PostgreSQL, real backend), then the browser tests. Installs what is
# missing first, so it works on a fresh machine. Usage: scripts/test.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
"$ROOT/scripts/bootstrap.sh"
eval "$("$ROOT/scripts/system-deps.sh")"

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }
started=$SECONDS

step "type-check"
yarn tsc

step "lint"
yarn backstage-cli repo lint

step "unit and integration tests"
CI=true yarn backstage-cli repo test --maxWorkers=2

printf '\nall tests passed in %ss\n' "$((SECONDS - started))"
