"""The operations one account's fuzzing phase gave fewer cases than asked (scripts/schemathesis.sh):
from the hooks' call log, schemathesis' own calls in the fuzzing phase per operation, against the
operations of the running server's OpenAPI document that take any input (a parameter or a body:
an operation without input has one possible request, and Hypothesis rightly stops after it).

    python3 scripts/schemathesis_short.py BASE CALLS.jsonl CASES [--report]

Prints the short operations' ids, one per line; with --report, a Markdown line per operation
with its count instead.
"""
import collections
import json
import sys
import urllib.request

base, log, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
report = "--report" in sys.argv[4:]
with urllib.request.urlopen(base + "/api/openapi.json") as r:
    doc = json.load(r)
# schemathesis' own calls (the hooks' calls, `"hooks": true`, are prerequisites they made).
calls = [c for c in map(json.loads, filter(str.strip, open(log, encoding="utf-8"))) if not c.get("hooks")]
counts = collections.Counter((c["method"].upper(), c["path"]) for c in calls if c.get("phase") == "fuzzing")
# The operations the run asked for: those it called in any phase (a run limited by
# --include-… calls only those).
called = {(c["method"].upper(), c["path"]) for c in calls}
for path, item in sorted(doc["paths"].items()):
    for method, op in sorted(item.items()):
        key = (method.upper(), path)
        if key not in called or not (op.get("parameters") or op.get("requestBody")):
            continue
        if counts[key] < wanted:
            print(f"| `{method.upper()} {path}` | {counts[key]} |" if report else op["operationId"])
