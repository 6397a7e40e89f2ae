#!/usr/bin/env bash
# Benchmarks and robustness harnesses (issue 8). Builds `yishi` and `yishi-bench` in
# release mode (in a separate target directory, so a long release build never holds the
# debug build's lock) and runs `yishi-bench` from the repository root; results go into
# docs/performance.md.
#
#   scripts/bench.sh                     # the benchmark: ceilings, authz, scenarios Q/B/R, memory, PDF
#   scripts/bench.sh run --only q,b      # some steps only (ceilings,authz,q,b,r,pdf)
#   scripts/bench.sh crash --cycles 100  # kill -9 durability (R43) on SQLite and PostgreSQL
#   scripts/bench.sh races --ops 10000   # concurrent ballots/approvals/sign-offs vs invariants (R42)
#   scripts/bench.sh tamper --trials 1000  # audit chain tamper detection (R19)
#   scripts/bench.sh bigdata             # 1,000,000 documents / 10,000 users: list latencies
#   scripts/bench.sh schemathesis        # API fuzzing from /api/openapi.json (scripts/schemathesis.sh)
#   scripts/bench.sh --help
#
# PostgreSQL figures use $YISHI_BENCH_PG (default postgres://postgres@127.0.0.1:5432/postgres)
# when it answers; YISHI_BENCH_PG= skips them.
source "$(dirname "$0")/lib.sh"
export CARGO_TARGET_DIR="${YISHI_BENCH_TARGET_DIR:-$HOME/.cache/yishi-target-bench}"
cd "$ROOT"

if [ "${1:-}" = "schemathesis" ]; then
  shift
  exec "$ROOT/scripts/schemathesis.sh" "$@"
fi

ensure_apt postgresql-client
log "building yishi and yishi-bench (release, $CARGO_TARGET_DIR)"
nice -n 10 cargo build -q --release -p yishi --bin yishi -p yishi-bench --bin yishi-bench

export YISHI_BIN="$CARGO_TARGET_DIR/release/yishi"
[ $# -eq 0 ] && set -- run
log "yishi-bench $*"
exec nice -n 10 "$CARGO_TARGET_DIR/release/yishi-bench" "$@"
