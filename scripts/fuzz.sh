#!/usr/bin/env bash
# Parser fuzzing (issue 8 §7) with cargo-fuzz on the nightly toolchain: every target in
# fuzz/fuzz_targets for a time budget each; crashes are kept in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 600        # 10 minutes per target
#   scripts/fuzz.sh 60 money_parse settings_merge
source "$(dirname "$0")/lib.sh"
SECS="${1:-60}"
shift || true
cd "$ROOT/fuzz"
export CARGO_TARGET_DIR="${YISHI_FUZZ_TARGET_DIR:-$HOME/.cache/yishi-target-fuzz}"
command -v cargo-fuzz >/dev/null || { log "installing cargo-fuzz"; cargo install cargo-fuzz --locked; }
rustup toolchain list | grep -q nightly || { echo "the nightly toolchain is needed: rustup toolchain install nightly" >&2; exit 1; }
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || mapfile -t TARGETS < <(cargo +nightly fuzz list)
log "building fuzz targets (${TARGETS[*]})"
nice -n 10 cargo +nightly fuzz build -O
summary="$HOME/.cache/yishi-bench/fuzz-summary.md"
mkdir -p "$(dirname "$summary")"
printf '| target | what it checks | seconds | executions | corpus | crashes |\n| --- | --- | ---: | ---: | ---: | ---: |\n' > "$summary"
status=0
for t in "${TARGETS[@]}"; do
  log "fuzzing $t for $SECS s"
  mkdir -p "corpus/$t"
  seeds=(); [ -d "seeds/$t" ] && seeds=("seeds/$t")
  set +e
  nice -n 10 cargo +nightly fuzz run -O "$t" "corpus/$t" "${seeds[@]}" -- -max_total_time="$SECS" -print_final_stats=1 >"/tmp/fuzz-$t.log" 2>&1
  rc=$?
  set -e
  execs="$(grep -E '^stat::number_of_executed_units' "/tmp/fuzz-$t.log" | awk '{print $2}' | tail -1)"
  corpus="$(ls "corpus/$t" | wc -l)"
  crashes="$(ls "artifacts/$t" 2>/dev/null | wc -l)"
  what="$(sed -n 's@^//! \{0,1\}@@p' "fuzz_targets/$t.rs" | head -1)"
  printf '| `%s` | %s | %s | %s | %s | %s |\n' "$t" "$what" "$SECS" "${execs:-?}" "$corpus" "$crashes" >> "$summary"
  if [ $rc -ne 0 ]; then status=1; tail -n 30 "/tmp/fuzz-$t.log" >&2; fi
done
cat "$summary"
BENCH="${YISHI_BENCH_TARGET_DIR:-$HOME/.cache/yishi-target-bench}/release/yishi-bench"
[ -x "$BENCH" ] && (cd "$ROOT" && "$BENCH" section --key fuzz_parsers --title "Parser fuzzing (cargo fuzz)" --body-file "$summary" --command "scripts/fuzz.sh $SECS") || true
exit $status
