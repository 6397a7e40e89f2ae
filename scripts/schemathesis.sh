#!/usr/bin/env bash
# API fuzzing (issue 8 §4): schemathesis against /api/openapi.json of a release `yishi demo`
# (fresh demo database per account), signed in (session cookie + X-CSRF-Token header), every
# operation, checks: no server error, documented status codes, content types, response
# schemas (the documented error bodies) and the API.md refusal format (scripts/schemathesis_hooks.py).
#
#   scripts/schemathesis.sh                 # 100 cases per operation, accounts zhangwei sunli secadmin huangxin
#   scripts/schemathesis.sh 1000            # the long run: 1,000 cases per operation
#   SCHEMATHESIS_USERS="sunli" scripts/schemathesis.sh 50
#
# Not fuzzed: DELETE /api/v1/session and POST /api/v1/me/password (they would end the
# fuzzing session itself) and GET /api/v1/events (an endless event stream).
source "$(dirname "$0")/lib.sh"
EXAMPLES="${1:-100}"
USERS="${SCHEMATHESIS_USERS:-zhangwei sunli secadmin huangxin}"
VENV="$HOME/.cache/yishi-schemathesis"
OUT="$HOME/.cache/yishi-bench/schemathesis"
export CARGO_TARGET_DIR="${YISHI_BENCH_TARGET_DIR:-$HOME/.cache/yishi-target-bench}"
cd "$ROOT"

if [ ! -x "$VENV/bin/schemathesis" ]; then
  log "creating the schemathesis virtualenv in $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'schemathesis>=4.32,<5'
fi
log "building yishi and yishi-bench (release)"
nice -n 10 cargo build -q --release -p yishi --bin yishi -p yishi-bench --bin yishi-bench
BIN="$CARGO_TARGET_DIR/release/yishi"
mkdir -p "$OUT"
PASSWORD="Yishi@2026demo"
summary="$OUT/summary.md"
printf '| account | cases per operation | operations | test cases | failures (unique) | server errors | checks |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n' > "$summary"
status=0
for user in $USERS; do
  tmp="$(mktemp -d)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  base="http://127.0.0.1:$port"
  YISHI_DATA_DIR="$tmp/data" YISHI_DIST="$tmp/dist" RUST_LOG=warn \
    "$BIN" demo --addr "127.0.0.1:$port" --database-url "sqlite://$tmp/demo.db?mode=rwc" >"$tmp/server.out" 2>"$tmp/server.err" &
  pid=$!
  for _ in $(seq 1 200); do curl -sf "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  resp="$(curl -s -D "$tmp/headers" -H 'content-type: application/json' -d "{\"username\":\"$user\",\"password\":\"$PASSWORD\"}" "$base/api/v1/session")"
  csrf="$(printf '%s' "$resp" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')"
  token="$(grep -i '^set-cookie: yishi_session=' "$tmp/headers" | sed -E 's/^[Ss]et-[Cc]ookie: yishi_session=([^;]*).*/\1/' | tr -d '\r')"
  log "schemathesis as $user ($EXAMPLES cases per operation) against $base"
  set +e
  SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$ROOT/scripts" nice -n 10 "$VENV/bin/schemathesis" run "$base/api/openapi.json" \
    --url "$base" \
    -H "Cookie: yishi_session=$token" -H "X-CSRF-Token: $csrf" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,yishi_error_format \
    --exclude-operation-id delete_api_v1_session --exclude-operation-id post_api_v1_me_password --exclude-path /api/v1/events \
    --max-examples "$EXAMPLES" --workers 2 --seed 1 --no-color \
    --report junit,ndjson --report-dir "$OUT/$user" >"$OUT/$user.log" 2>&1
  rc=$?
  set -e
  [ $rc -eq 0 ] || status=1
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  server_errors="$(grep -c 'Server error' "$OUT/$user.log" || true)"
  python3 - "$OUT/$user" "$user" "$EXAMPLES" "$server_errors" >>"$summary" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
d, user, n, se = sys.argv[1:5]
tests = failures = 0
for f in glob.glob(d + "/*.xml"):
    r = ET.parse(f).getroot()
    for ts in ([r] if r.tag == "testsuite" else r.iter("testsuite")):
        tests += int(ts.get("tests", 0)); failures += int(ts.get("failures", 0)) + int(ts.get("errors", 0))
print(f"| {user} | {n} | {tests} | see log | {failures} | {se} | not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, yishi_error_format |")
PY
  tail -n 25 "$OUT/$user.log" >&2
  rm -rf "$tmp"
done
log "summary ($OUT/summary.md; full logs in $OUT/<account>.log)"
cat "$summary"
"$CARGO_TARGET_DIR/release/yishi-bench" section --key fuzz_api --title "API fuzzing (schemathesis)" --body-file "$summary" || true
exit $status
