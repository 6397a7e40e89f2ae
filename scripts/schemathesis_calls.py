"""What one account's schemathesis run did to the objects it created (scripts/schemathesis.sh):
from the hooks' call log (scripts/schemathesis_hooks.py, $YISHI_FUZZ_LOG) the 2xx answers per
workflow step on created objects, and from the server, still running, the state every created
object ended in. Prints Markdown.

    python3 scripts/schemathesis_calls.py BASE PASSWORD CALLS.jsonl ACCOUNT
"""
import collections
import json
import sys
import urllib.request

base, password, log, account = sys.argv[1:5]
calls = [json.loads(line) for line in open(log, encoding="utf-8") if line.strip()]
# The hooks' own calls: prerequisites they filled in (statements, ballots, an item's conclusion
# before the meeting closes); counted apart from schemathesis' cases.
hooks = collections.Counter()
for c in calls:
    if c.get("hooks"):
        step = c["method"] + " " + "/".join(p for p in c["path"].split("/")[3:] if p and not p[0].isdigit() and len(p) < 20
                                            and p not in ("meetings", "items"))
        hooks[step + " total"] += 1
        hooks[step] += c["status"] // 100 == 2
calls = [c for c in calls if not c.get("hooks")]

CREATION = "/api/v1/units/{unit}/"
KINDS = ["proposals", "meetings", "outgoing", "incoming", "minutes", "publications"]
# Steps that make an object of another kind: (path, kind of the object in the answer).
MADE = {"/api/v1/meetings/{id}/minutes": "minutes", "/api/v1/minutes/{id}/publication": "publications"}
# Each kind's states in workflow order (SPEC.md A and B), the final ones last.
ORDER = {
    "proposals": ["draft", "returned", "submitted", "preconsult", "ready", "scheduled", "voting", "deferred", "rejected", "lapsed",
                  "decided", "pending_superior", "minuted", "published", "confirmed", "archived"],
    "meetings": ["scheduled", "noticed", "open", "closed", "minuted", "archived"],
    "outgoing": ["drafting", "returned", "section_review", "countersigning", "paused", "escalated", "consolidating", "verifying",
                 "signoff", "signed", "numbered", "issued", "archived"],
    "incoming": ["registered", "distributed", "accepted", "in_progress", "instructed", "done", "archived"],
    "minutes": ["draft", "approved", "published", "archived"],
    "publications": ["open", "closed", "summarized", "resolved"],
}

created = {k: set() for k in KINDS}
for c in calls:
    if c["status"] // 100 != 2 or c["method"] != "POST":
        continue
    kind = c["path"][len(CREATION):] if c["path"].startswith(CREATION) else MADE.get(c["path"])
    if kind in created and c.get("made"):
        created[kind].add(c["made"])
objects = set().union(*created.values())

steps = collections.defaultdict(collections.Counter)  # kind → "METHOD step" → [2xx, all]
for c in calls:
    parts = c["path"].split("/")
    if len(parts) < 5 or parts[3] not in created or c.get("id") not in objects:
        continue
    step = c["method"] + " " + ("/".join(parts[5:]) or "{id}")
    steps[parts[3]][step + " total"] += 1
    if c["status"] // 100 == 2:
        steps[parts[3]][step] += 1


def session(user):
    req = urllib.request.Request(base + "/api/v1/session", data=json.dumps({"username": user, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return {"Cookie": r.headers["Set-Cookie"].split(";")[0]}


def get(h, path):
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, headers=h)) as r:
            return json.load(r)
    except Exception:
        return None


states = {k: collections.Counter() for k in KINDS}
unit_proposals = collections.Counter()  # every proposal of the unit at the end (the script's ready ones included)
try:
    inspector, clerk = session("songtao"), session("sunli")
    me = get(inspector, "/api/v1/me") or {}
    for u in me.get("units", []):
        cursor = ""
        for _ in range(100):
            page = get(inspector, f"/api/v1/units/{u['unit_id']}/proposals?limit=100" + (f"&cursor={cursor}" if cursor else "")) or {}
            unit_proposals.update(p.get("state", "?") for p in page.get("items", []))
            cursor = page.get("next_cursor")
            if not cursor:
                break
    for kind in KINDS:
        for oid in created[kind]:
            v = get(clerk if kind in ("minutes", "publications") else inspector, f"/api/v1/{kind}/{oid}") or {}
            states[kind][v.get("state", "?")] += 1
except Exception as e:  # the server is gone: states unknown
    print(f"(final states not read: {e})", file=sys.stderr)

print(f"\n**{account}**: {len(calls)} calls, {sum(1 for c in calls if c['switched'])} as the account whose turn it was; "
      f"created objects: " + ", ".join(f"{k} {len(v)}" for k, v in created.items() if v) + ".\n")
print("| kind | workflow steps on created objects: 2xx / calls | final state of the created objects |")
print("| --- | --- | --- |")
for kind in KINDS:
    if not created[kind]:
        continue
    cnt = steps[kind]
    names = sorted({k[: -len(" total")] for k in cnt if k.endswith(" total")})
    cells = ", ".join(f"{n} {cnt[n]}/{cnt[n + ' total']}" for n in names if not n.startswith("GET"))
    order = ORDER[kind]
    st = ", ".join(f"{s} {n}" for s, n in sorted(states[kind].items(), key=lambda x: order.index(x[0]) if x[0] in order else 99))
    print(f"| {kind} | {cells or '—'} | {st or '—'} |")
if hooks:
    names = sorted({k[: -len(" total")] for k in hooks if k.endswith(" total")})
    print("\nPrerequisites the hooks filled in themselves (2xx / calls): " + ", ".join(f"{n} {hooks[n]}/{hooks[n + ' total']}" for n in names) + ".")
if unit_proposals:
    order = ORDER["proposals"]
    print("\nAll the unit's proposals at the end (the demo's, the 100 the script brought to `ready` for the meetings, the run's): "
          + ", ".join(f"{s} {n}" for s, n in sorted(unit_proposals.items(), key=lambda x: order.index(x[0]) if x[0] in order else 99)) + ".")
