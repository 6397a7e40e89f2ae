#!/usr/bin/env bash
# Builds everything (frontend included) and starts `yishi demo` on SQLite.
# Usage: scripts/demo.sh [--addr 127.0.0.1:8080]
source "$(dirname "$0")/lib.sh"
ensure_apt fonts-noto-cjk fonts-lxgw-wenkai
ensure_rust
build_frontend
log "building the server"
cd "$ROOT"
cargo build -q -p yishi --bin yishi
exec "$CARGO_TARGET_DIR/debug/yishi" demo "$@"
