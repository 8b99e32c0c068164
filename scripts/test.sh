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

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

step "unit and integration tests (real registry, PostgreSQL, generated services' own tests)"
CI=true yarn backstage-cli repo test --maxWorkers=2 2>&1 | tee -a "$log"

step "production build (yarn build:backend: the image's bundle, with the built frontend)"
yarn build:backend

step "end to end: the real portal, local registry, production config on PostgreSQL, Chromium"
e2e_started=$SECONDS
CI=true yarn workspace e2e-tests test:e2e 2>&1 | tee -a "$log"
printf '\nend-to-end tests took %ss\n' "$((SECONDS - e2e_started))"

# one closing line over both jest runs
passed="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/^Tests:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^passed/) sum += $i } END { print sum + 0 }')"
printf '\nall tests passed in %ss\n' "$((SECONDS - started))"
echo "tests: ${passed} passed, 0 failed"
