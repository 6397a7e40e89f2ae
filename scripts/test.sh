#!/usr/bin/env bash
# Runs the whole test suite: unit and integration tests on SQLite, the same tests on
# PostgreSQL when one answers at 127.0.0.1:5432 (or YISHI_TEST_DATABASE_URL), and the
# browser tests in headless Chromium.
source "$(dirname "$0")/lib.sh"
ensure_apt fonts-noto-cjk fonts-lxgw-wenkai poppler-utils chromium
ensure_rust
cd "$ROOT"
status=0

log "building the server binary (process-level tests start it)"
cargo build -q -p yishi --bin yishi

log "tests on SQLite"
cargo test --no-fail-fast || status=1

PG_URL="${YISHI_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  log "integration tests on PostgreSQL ($PG_URL)"
  YISHI_TEST_DATABASE_URL="$PG_URL" cargo test -p yishi-tests --no-fail-fast || status=1
else
  log "PostgreSQL not reachable at 127.0.0.1:5432: skipping the PostgreSQL run"
fi

if [ -x "$ROOT/tests/e2e/run.sh" ]; then
  build_frontend
  # Browser specs that pass gate the run. The specs listed in tests/e2e/KNOWN_FAILING
  # (issue 6 is still open for them) run too and are reported, without failing CI.
  e2e="$ROOT/tests/e2e"
  known="$(grep -v '^#' "$e2e/KNOWN_FAILING" 2>/dev/null | tr '\n' ' ' || true)"
  gating=()
  for f in "$e2e"/specs/*.test.mjs; do
    case " $known " in *" $(basename "$f") "*) ;; *) gating+=("$f") ;; esac
  done
  log "browser tests (headless Chromium): ${#gating[@]} gating specs"
  YISHI_BIN="$CARGO_TARGET_DIR/debug/yishi" "$e2e/run.sh" "${gating[@]}" || status=1
  if [ -n "${known// }" ]; then
    log "browser specs known to fail (issue 6 open, not gating): $known"
    ( cd "$e2e" && YISHI_BIN="$CARGO_TARGET_DIR/debug/yishi" ./run.sh $(for k in $known; do printf 'specs/%s ' "$k"; done) ) \
      || log "known-failing browser specs still fail (see tests/e2e/artifacts)"
  fi
fi

if [ $status -ne 0 ]; then
  log "SOME TESTS FAILED"
else
  log "all tests passed"
fi
exit $status
