# Shared set-up for scripts/demo.sh and scripts/test.sh: installs what the project needs
# on a fresh Debian machine (nothing has to be installed by hand), and points cargo at a
# build cache outside the clone so that repeated runs reuse it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yishi-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log() { printf '\n==> %s\n' "$*" >&2; }

# Debian packages: CJK fonts for the PDFs (P01), poppler for PDF checks, Chromium for browser tests.
ensure_apt() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_rust() {
  command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
    log "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
}

build_frontend() {
  log "building the web app (wasm)"
  (cd "$ROOT" && cargo run -q -p xtask -- frontend --release)
}
