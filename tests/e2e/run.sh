#!/usr/bin/env bash
# Browser tests for Yishi: starts `yishi demo` (a fresh SQLite database with the demo unit
# and its people) with the test clock enabled, serving dist/, and runs the specs with the
# system chromium through playwright-core. Screenshots go to tests/e2e/artifacts/.
#
#   YISHI_BIN=path/to/yishi tests/e2e/run.sh [spec-file …]
#
# YISHI_BIN defaults to $CARGO_TARGET_DIR/debug/yishi (or target/debug/yishi).
# dist/ is built with `cargo xtask frontend` when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${YISHI_BIN:-$target/debug/yishi}"
[ -x "$bin" ] || { echo "yishi binary not found at $bin (set YISHI_BIN or run: cargo build -p yishi)" >&2; exit 2; }
command -v node >/dev/null || { echo "node is required" >&2; exit 2; }

if [ ! -f "$root/dist/index.html" ]; then
  (cd "$root" && cargo xtask frontend)
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
fi

work="$(mktemp -d /tmp/yishi-e2e.XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$here/artifacts"
rm -f "$here"/artifacts/*.png

YISHI_TEST_CLOCK=1 YISHI_DIST="$root/dist" "$bin" demo --addr "127.0.0.1:$port" \
  --database-url "sqlite://$work/e2e.db?mode=rwc" >"$here/artifacts/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "server exited; see artifacts/server.log" >&2; exit 1; }
  sleep 0.2
done

cd "$here"
if [ "$#" -gt 0 ]; then specs=("$@"); else specs=(specs/*.test.mjs); fi
BASE_URL="http://127.0.0.1:$port" node --test --test-concurrency=1 "${specs[@]}"
