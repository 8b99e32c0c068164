#!/usr/bin/env bash
# The portal plus a local OCI registry with signed, tampered and slim demo images
# (dhi.io and docker.io are pointed at it), so every status can be seen offline.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
"$ROOT/scripts/bootstrap.sh"
eval "$("$ROOT/scripts/system-deps.sh")"
exec yarn tsx packages/e2e-tests/src/demo.ts
