#!/usr/bin/env bash
# Starts the portal on the embedded default: backend on :7007, frontend on :3000.
# Installs what is missing first. Sign in as guest at http://localhost:3000.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
"$ROOT/scripts/bootstrap.sh"
exec yarn start "$@"
