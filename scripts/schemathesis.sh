#!/usr/bin/env bash
# API fuzzing (issue 8 §4): schemathesis against /api/openapi.json of a release `yishi demo`
# (fresh demo database per account), signed in (session cookie + X-CSRF-Token header), every
# operation, checks: no server error, documented status codes, content types, response
# schemas (the documented error bodies) and the API.md refusal format (scripts/schemathesis_hooks.py).
#
#   scripts/schemathesis.sh                 # 100 cases per operation, accounts zhangwei sunli xuming secadmin huangxin
#   scripts/schemathesis.sh 1000            # the long run: 1,000 cases per operation
#   SCHEMATHESIS_USERS="sunli" scripts/schemathesis.sh 50
#   SCHEMATHESIS_PHASES=stateful SCHEMATHESIS_USERS=zhangwei scripts/schemathesis.sh 1000   # one phase
#   SCHEMATHESIS_USERS="sysadmin secadmin auditor" SCHEMATHESIS_PHASES=examples,coverage,fuzzing \
#     SCHEMATHESIS_ARGS="--include-path-regex ^/api/v1/(users|policies|audit|units$|units/[^/]+/(members|sections|calendar|settings))" \
#     scripts/schemathesis.sh 1000   # the administrators' operations (the others answer them 403)
#
# The hooks sign in every demo account: most calls on a workflow step go out as the account
# whose turn it is, with a valid body (SCHEMATHESIS_SWITCH, default 0.8; 0 = the fuzzed
# account only), in the phases SCHEMATHESIS_SWITCH_PHASES names (default: stateful, where
# workflows are followed; the fuzzing phase sends every case as the fuzzed account). The
# stateful phase's scenarios have up to SCHEMATHESIS_STEPS calls (default 150; schemathesis'
# own default is 6, too short for a workflow). The demo runs with the test
# clock (YISHI_TEST_CLOCK=1; SCHEMATHESIS_CLOCK=0 without), which only the hooks move: to let a
# publication window close (R16) before its summary. Every call is logged to
# ~/.cache/yishi-bench/schemathesis/<account>.calls.jsonl; the summary counts from it the
# calls on created objects and the state each created object ended in. The summary replaces
# the section `fuzz_api` of docs/performance.md (SCHEMATHESIS_SECTION=0: it does not).
#
# schemathesis runs two workers (SCHEMATHESIS_WORKERS). With two, it sometimes ends an
# operation's fuzzing phase early with success; the operations with input that got fewer cases
# than asked are then fuzzed again with one worker (SCHEMATHESIS_TOPUP=0: not), and the summary
# lists any operation still short (scripts/schemathesis_short.py).
#
# Not fuzzed: DELETE /api/v1/session and POST /api/v1/me/password (they would end the
# fuzzing session itself) and GET /api/v1/events (an endless event stream).
source "$(dirname "$0")/lib.sh"
EXAMPLES="${1:-100}"
USERS="${SCHEMATHESIS_USERS:-zhangwei sunli xuming secadmin huangxin}"
PHASES="${SCHEMATHESIS_PHASES:-examples,coverage,fuzzing,stateful}"
STEPS="${SCHEMATHESIS_STEPS:-150}"
WORKERS="${SCHEMATHESIS_WORKERS:-2}"
CLOCK="${SCHEMATHESIS_CLOCK:-1}"
VENV="$HOME/.cache/yishi-schemathesis"
OUT="$HOME/.cache/yishi-bench/schemathesis"
export CARGO_TARGET_DIR="${YISHI_BENCH_TARGET_DIR:-$HOME/.cache/yishi-target-bench}"
cd "$ROOT"
# The PDF routes answer 503 without the CJK fonts (P01, docs/fonts.md): documented, but then
# the fuzzing would never reach the rendering itself.
ensure_apt fonts-noto-cjk fonts-lxgw-wenkai

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
printf '| account | cases per operation | operations | test cases | unique failures | server errors | failure kinds |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n' > "$summary"
status=0
for user in $USERS; do
  tmp="$(mktemp -d)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  base="http://127.0.0.1:$port"
  YISHI_DATA_DIR="$tmp/data" YISHI_DIST="$tmp/dist" RUST_LOG=warn YISHI_TEST_CLOCK="$([ "$CLOCK" = 1 ] && echo 1)" \
    "$BIN" demo --addr "127.0.0.1:$port" --database-url "sqlite://$tmp/demo.db?mode=rwc" >"$tmp/server.out" 2>"$tmp/server.err" &
  pid=$!
  for _ in $(seq 1 200); do curl -sf "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  # Proposals brought to `ready` (handler → deputy → principal, R02–R05), so that the
  # hooks' meeting creations have agenda items to schedule.
  python3 - "$base" "$PASSWORD" "${SCHEMATHESIS_READY:-100}" <<'PY'
import json, sys, urllib.request
base, password, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def session(user):
    req = urllib.request.Request(base + "/api/v1/session", data=json.dumps({"username": user, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        cookie = r.headers["Set-Cookie"].split(";")[0]
        return {"Cookie": cookie, "X-CSRF-Token": json.load(r)["csrf_token"], "Content-Type": "application/json"}
def post(h, path, body):
    with urllib.request.urlopen(urllib.request.Request(base + path, data=json.dumps(body).encode(), headers=h)) as r:
        return json.load(r)
handler, deputy, principal = session("xuming"), session("lina"), session("zhangwei")
me = urllib.request.Request(base + "/api/v1/me", headers=handler)
unit = json.load(urllib.request.urlopen(me))["units"][0]["unit_id"]
for i in range(n):
    pid = post(handler, f"/api/v1/units/{unit}/proposals", {
        "category": "major_decision", "title": f"关于模糊测试准备议题{i}的请示", "flags": {},
        "materials": {"topic": f"研究准备议题{i}", "background": "基本情况：已具备条件。",
                      "research": "调研论证：经专家论证可行。", "recommendation": "处理建议：同意实施。"}})["id"]
    post(handler, f"/api/v1/proposals/{pid}/submit", {})
    post(deputy, f"/api/v1/proposals/{pid}/submission-approval", {"approve": True, "opinion": "同意"})
    post(principal, f"/api/v1/proposals/{pid}/premeeting-decision", {"decision": "to_meeting", "reason": "提交会议"})
print(f"{n} proposals ready for the fuzzed meetings", file=sys.stderr)
PY
  # The demo's objects, for realistic path parameters (scripts/schemathesis_hooks.py), read
  # as the clerk: the administrators are no unit's members and see none of them.
  python3 - "$base" "$PASSWORD" "$tmp/ids.json" <<'PY'
import json, sys, urllib.request
base, password, out = sys.argv[1:4]
req = urllib.request.Request(base + "/api/v1/session", data=json.dumps({"username": "sunli", "password": password}).encode(),
                             headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req) as r:
    cookie = r.headers["Set-Cookie"].split(";")[0]
def get(path):
    req = urllib.request.Request(base + path, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(req) as r:
            return json.load(r)
    except Exception:
        return {}
def items(path):
    v = get(path)
    return v.get("items", []) if isinstance(v, dict) else []
ids = {"units": [], "users": [], "sections": [], "proposals": [], "ready_proposals": [], "meetings": [], "outgoing": [], "incoming": [],
       "minutes": [], "publications": [], "archive": [], "attachments": [], "years": ["2026", "2027"], "versions": ["1", "2"]}
for u in get("/api/v1/me").get("units", []):
    unit = u["unit_id"]
    ids["units"].append(unit)
    ids["users"] += [m.get("user_id") or m.get("id") for m in items(f"/api/v1/units/{unit}/members")]
    ids["sections"] += [s["id"] for s in items(f"/api/v1/units/{unit}/sections")]
    props = items(f"/api/v1/units/{unit}/proposals")
    ids["proposals"] += [p["id"] for p in props]
    ids["ready_proposals"] += [p["id"] for p in props if p.get("state") == "ready"]
    for m in items(f"/api/v1/units/{unit}/meetings"):
        ids["meetings"].append(m["id"])
        mm = get(f"/api/v1/meetings/{m['id']}")
        if mm.get("minutes_id"):
            ids["minutes"].append(mm["minutes_id"])
    ids["outgoing"] += [d["id"] for d in items(f"/api/v1/units/{unit}/outgoing")]
    ids["incoming"] += [d["id"] for d in items(f"/api/v1/units/{unit}/incoming")]
    ids["publications"] += [p["id"] for p in items(f"/api/v1/units/{unit}/publications")]
    for p in items(f"/api/v1/units/{unit}/publications"):
        if p.get("minutes_id"):
            ids["minutes"].append(p["minutes_id"])
    ids["archive"] += [a["id"] for a in items(f"/api/v1/units/{unit}/archive")]
ids = {k: sorted({x for x in v if x}) for k, v in ids.items()}
json.dump(ids, open(out, "w"))
print("real identifiers:", {k: len(v) for k, v in ids.items()}, file=sys.stderr)
PY
  log "schemathesis as $user ($EXAMPLES cases per operation, phases $PHASES, up to $STEPS steps per scenario) against $base"
  printf '[phases.stateful]\nmax-steps = %s\n' "$STEPS" > "$tmp/schemathesis.toml"
  : > "$OUT/$user.calls.jsonl"
  # run_schemathesis LOG PHASES WORKERS [ARGS…]: one schemathesis run against this server,
  # its calls appended to the account's call log.
  run_schemathesis() {
    local out="$1" phases="$2" workers="$3"
    shift 3
    YISHI_FUZZ_IDS="$tmp/ids.json" YISHI_FUZZ_BASE="$base" YISHI_FUZZ_USER="$user" YISHI_FUZZ_PASSWORD="$PASSWORD" \
    YISHI_FUZZ_CLOCK="$CLOCK" YISHI_FUZZ_SWITCH="${SCHEMATHESIS_SWITCH:-0.8}" YISHI_FUZZ_SWITCH_PHASES="${SCHEMATHESIS_SWITCH_PHASES:-stateful}" YISHI_FUZZ_LOG="$OUT/$user.calls.jsonl" \
    SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$ROOT/scripts" nice -n 10 "$VENV/bin/schemathesis" --config-file "$tmp/schemathesis.toml" run "$base/api/openapi.json" \
      --url "$base" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,yishi_error_format \
      --exclude-operation-id delete_api_v1_session --exclude-operation-id post_api_v1_me_password --exclude-path /api/v1/events --exclude-path /api/v1/_test/clock \
      --phases "$phases" --max-examples "$EXAMPLES" --workers "$workers" --seed 1 --no-color \
      --report junit,ndjson --report-dir "$OUT/$user" "$@" >"$out" 2>&1
  }
  set +e
  # shellcheck disable=SC2086 # SCHEMATHESIS_ARGS is a list of options
  run_schemathesis "$OUT/$user.log" "$PHASES" "$WORKERS" ${SCHEMATHESIS_ARGS:-}
  rc=$?
  # With two workers, schemathesis sometimes ends an operation's fuzzing phase (Hypothesis'
  # generation) after a few cases, reporting success: in session 15's long run, 7 of the 102
  # operations with input got 8 to 980 of 1,000 cases, and then 1,000 each with one worker;
  # `POST /change-requests/{cr}/decision` with `POST /incoming/{id}/accept` got 1,000 and 0
  # with two workers, 1,000 each with one.
  # The operations with input that got fewer cases than asked are fuzzed again, one worker.
  : > "$OUT/$user.topup.log"
  if [[ ",$PHASES," == *,fuzzing,* ]] && [ "${SCHEMATHESIS_TOPUP:-1}" = 1 ] && [ "$WORKERS" != 1 ]; then
    mapfile -t short < <(python3 "$ROOT/scripts/schemathesis_short.py" "$base" "$OUT/$user.calls.jsonl" "$EXAMPLES")
    if [ "${#short[@]}" -gt 0 ]; then
      log "fuzzing again, one worker, the ${#short[@]} operations that got fewer than $EXAMPLES cases: ${short[*]}"
      run_schemathesis "$OUT/$user.topup.log" fuzzing 1 $(printf -- '--include-operation-id %s ' "${short[@]}") || rc=1
    fi
  fi
  set -e
  [ $rc -eq 0 ] || status=1
  : > "$OUT/$user.short.md"
  if [[ ",$PHASES," == *,fuzzing,* ]]; then
    python3 "$ROOT/scripts/schemathesis_short.py" "$base" "$OUT/$user.calls.jsonl" "$EXAMPLES" --report >"$OUT/$user.short.md" || true
  fi
  python3 "$ROOT/scripts/schemathesis_calls.py" "$base" "$PASSWORD" "$OUT/$user.calls.jsonl" "$user" >"$OUT/$user.workflows.md" || true
  if kill "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
  else
    # It stopped by itself: a crash (its log is kept for the report).
    wait "$pid" 2>/dev/null && server_rc=0 || server_rc=$?
    log "the server had stopped during the run (exit status $server_rc); its stderr: $OUT/$user.server.err"
    cp "$tmp/server.err" "$OUT/$user.server.err" 2>/dev/null || true
    status=1
  fi
  python3 - "$OUT/$user.log" "$user" "$EXAMPLES" "$OUT/$user.topup.log" >>"$summary" <<'PY'
import re, sys
log, user, n, topup = sys.argv[1:5]
text = open(log, encoding="utf-8", errors="replace").read()
again = open(topup, encoding="utf-8", errors="replace").read()
ops = re.search(r"Tested: (\d+)", text)
cases = [int(m.group(1)) for t in (text, again) for m in [re.search(r"(\d+) generated", t)] if m]
uniq = sum(int(m.group(1)) for t in (text, again) for m in [re.search(r"found (\d+) unique failure", t)] if m)
server = len(re.findall(r"Server error", text + again))
kinds = sorted(set(re.findall(r"❌ (ST\d+ [^:]+|[A-Za-z_ ]+):", text + again)))
total = f"{sum(cases):,}" + (f" ({cases[1]:,} of them fuzzing again, one worker)" if len(cases) > 1 else "") if cases else "?"
print(f"| {user} | {n} | {ops.group(1) if ops else '?'} | {total} | {uniq} | {server} | {'; '.join(kinds) or '—'} |")
PY
  tail -n 25 "$OUT/$user.log" >&2
  rm -rf "$tmp"
done
printf '\nWorkflows of the objects the runs created (scripts/schemathesis_calls.py):\n' >> "$summary"
for user in $USERS; do cat "$OUT/$user.workflows.md" >> "$summary" 2>/dev/null || true; done
for user in $USERS; do
  if [ -s "$OUT/$user.short.md" ]; then
    printf '\n**%s**: operations with input whose fuzzing phase got fewer than %s cases, after fuzzing them again:\n\n| operation | cases |\n| --- | ---: |\n' "$user" "$EXAMPLES" >> "$summary"
    cat "$OUT/$user.short.md" >> "$summary"
  elif [[ ",$PHASES," == *,fuzzing,* ]]; then
    printf '\n**%s**: every operation with input got %s cases or more in the fuzzing phase.\n' "$user" "$EXAMPLES" >> "$summary"
  fi
done
printf '\nChecks: not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance and yishi_error_format (every 4xx/5xx is JSON `{"error": {"code", "message"}}`, scripts/schemathesis_hooks.py); phases '"$PHASES"'; path parameters mostly real demo objects. Full logs: `~/.cache/yishi-bench/schemathesis/<account>.log`.\n' >> "$summary"
log "summary ($OUT/summary.md; full logs in $OUT/<account>.log)"
cat "$summary"
[ "${SCHEMATHESIS_SECTION:-1}" = 0 ] || "$CARGO_TARGET_DIR/release/yishi-bench" section --key fuzz_api --title "API fuzzing (schemathesis)" --body-file "$summary" || true
exit $status
