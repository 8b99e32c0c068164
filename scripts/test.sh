#!/usr/bin/env bash
# Runs every test: type-check, lint, formatting, config schema, API reports,
# unit and integration tests (real registry, real PostgreSQL, real backend),
# the production build, then the end-to-end tests in Chromium. Installs what
# is missing first, so it works on a fresh machine. Usage: scripts/test.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
"$ROOT/scripts/bootstrap.sh"
eval "$("$ROOT/scripts/system-deps.sh")"

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }
started=$SECONDS

step "type-check"
# Not incremental: the declarations the API reports are made from must not
# depend on which files an earlier incremental build re-checked (TypeScript
# orders inferred union members by when it first met them).
yarn tsc --incremental false

step "lint"
yarn backstage-cli repo lint

step "formatting (the repository's prettier config)"
yarn prettier --check .

step "config schema: both app-configs against every package's config.d.ts, unknown keys refused"
# The production file reads its secrets from the environment; stand-in values
# let the check see every key without --lax.
APP_BASE_URL=https://portal.example.com BACKEND_BASE_URL=https://portal.example.com \
  BACKEND_SECRET=check POSTGRES_HOST=db.example.com POSTGRES_PORT=5432 \
  POSTGRES_USER=check POSTGRES_PASSWORD=check AUTH_GITHUB_CLIENT_ID=check \
  AUTH_GITHUB_CLIENT_SECRET=check DHI_USERNAME=check DHI_TOKEN=check \
  GITHUB_ORG=check GITHUB_TOKEN=check \
  yarn backstage-cli config:check --strict --config app-config.yaml --config app-config.production.yaml
yarn backstage-cli config:check --strict --config app-config.yaml

step "API reports: the plugins' public surface is what their report.api.md files say"
# ae-undocumented: members are documented where it helps, not each one;
# ae-wrong-input-file-type: workspace packages resolve to their TypeScript
# sources (types: src/index.ts), which API Extractor flags but reads.
yarn backstage-repo-tools api-reports --ci -o ae-undocumented,ae-wrong-input-file-type \
  plugins/base-images plugins/base-images-backend plugins/base-images-common \
  plugins/scaffolder-backend-module-base-images plugins/tech-insights-backend-module-base-images

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
