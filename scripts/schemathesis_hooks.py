"""Schemathesis hooks for Yishi (scripts/schemathesis.sh): a check that every refusal
is in the documented API.md format: JSON `{"error": {"code": "...", "message": "..."}}`
with a non-empty code and message, whatever the status (4xx and 5xx)."""
import json

import schemathesis


def _header(response, name):
    value = response.headers.get(name) or response.headers.get(name.lower()) or ""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return value


@schemathesis.check
def yishi_error_format(ctx, response, case):
    if response.status_code < 400:
        return None
    ctype = _header(response, "content-type")
    if not ctype.startswith("application/json"):
        raise AssertionError(f"refusal {response.status_code} is not JSON (content-type {ctype!r})")
    try:
        body = json.loads(response.content)
    except ValueError as e:
        raise AssertionError(f"refusal {response.status_code} has an unparsable body: {e}")
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        raise AssertionError(f"refusal {response.status_code} without an `error` object: {body!r}")
    code, message = err.get("code"), err.get("message")
    if not isinstance(code, str) or not code:
        raise AssertionError(f"refusal {response.status_code} without an error code: {body!r}")
    if not isinstance(message, str) or not message:
        raise AssertionError(f"refusal {response.status_code} ({code}) without a message: {body!r}")
    return None


# --- Real identifiers: without them almost every `/…/{id}` case is a 404 and the handlers
# behind the gate are never reached. scripts/schemathesis.sh collects the demo's objects
# into $YISHI_FUZZ_IDS; most generated path parameters are replaced by one of them (the
# rest stay random, so the 404 path is fuzzed too).
import os
import random

_IDS = {}
if os.environ.get("YISHI_FUZZ_IDS"):
    with open(os.environ["YISHI_FUZZ_IDS"], encoding="utf-8") as f:
        _IDS = json.load(f)

# (path prefix, parameter) → kind of object
_KINDS = [
    ("/api/v1/proposals/", "id", "proposals"),
    ("/api/v1/meetings/", "id", "meetings"),
    ("/api/v1/meetings/", "proposal", "proposals"),
    ("/api/v1/meetings/", "user", "users"),
    ("/api/v1/outgoing/", "id", "outgoing"),
    ("/api/v1/incoming/", "id", "incoming"),
    ("/api/v1/minutes/", "id", "minutes"),
    ("/api/v1/publications/", "id", "publications"),
    ("/api/v1/archive/", "id", "archive"),
    ("/api/v1/attachments/", "id", "attachments"),
    ("", "unit", "units"),
    ("", "user", "users"),
    ("", "section", "sections"),
    ("", "year", "years"),
    ("", "a", "versions"),
    ("", "b", "versions"),
]


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    if not path_parameters or not _IDS:
        return path_parameters
    path = getattr(getattr(ctx, "operation", None), "path", "") or ""
    for name in list(path_parameters):
        for prefix, param, kind in _KINDS:
            if param == name and path.startswith(prefix) and _IDS.get(kind):
                if _RNG.random() < 0.85:
                    path_parameters[name] = _RNG.choice(_IDS[kind])
                break
    return path_parameters


# --- Valid creations: a generated creation body is nearly always refused (422 by
# validation), so the stateful phase never reached the operations on a created object
# (docs/performance.md, "API fuzzing"). Most creation calls are sent with a valid body
# instead; the operations linked from the answer (OpenAPI links, id = the answer's `id`)
# then act on a real object. The rest keep their generated bodies, so validation is still
# fuzzed.
import datetime
import re

_CREATION = re.compile(r"^/api/v1/units/\{unit\}/([a-z_-]+)$")
# Hypothesis seeds the `random` module for every example, so that it would hand out the same
# "random" proposal again and again: the hooks' choices come from a generator of their own.
_RNG = random.Random(os.urandom(16))
# Each ready proposal goes on one meeting's agenda only (R06 refuses it on a second one).
_READY = list(_IDS.get("ready_proposals") or [])
_RNG.shuffle(_READY)


def _today():
    # The server's own day (Asia/Shanghai), whatever the machine's zone.
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()


def _valid_body(things):
    n = _RNG.randint(1, 10**6)
    today = _today()
    if things == "proposals":
        return {
            "category": "major_decision",
            "title": f"关于模糊测试议题{n}的请示",
            "materials": {
                "topic": f"研究模糊测试议题{n}",
                "background": "基本情况：已具备条件。",
                "research": "调研论证：经专家论证可行。",
                "recommendation": "处理建议：同意实施。",
            },
            "flags": {},
        }
    if things == "meetings":
        agenda = [_READY.pop() for _ in range(min(len(_READY), _RNG.choice([1, 1, 2])))]
        return {
            "type": "party_group",
            "title": f"党组会议（模糊测试{n}）",
            "starts_at": (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=14)).isoformat(),
            "location": "三楼会议室",
            "agenda": agenda,
            "attendees": [],
        }
    if things == "incoming":
        return {
            "source_unit": "省自然资源厅",
            "source_number": f"省自然资发〔2026〕{n}号",
            "title": "关于开展土地变更调查工作的通知",
            "secrecy": "none",
            "urgency": _RNG.choice(["urgent", "expedited", "normal"]),
            "received_on": today.isoformat(),
            "kind": _RNG.choice(["approval", "non_approval"]),
            "doc_type": "notice",
        }
    if things == "outgoing":
        return {
            "title": f"关于开展耕地保护专项检查（{n}）的通知",
            "doc_type": "notice",
            "issuing_form": "bureau_general",
            "series": "发",
            "recipients": {"main": ["各县（市、区）国土资源局"], "cc": ["局领导"]},
            "body": [{"kind": "paragraph", "text": "第一段。"}, {"kind": "paragraph", "text": "第二段。"}],
            "urgency": "normal",
        }
    if things == "absences":
        start = today + datetime.timedelta(days=_RNG.randint(0, 30))
        return {"from": start.isoformat(), "to": (start + datetime.timedelta(days=_RNG.randint(0, 3))).isoformat(), "reason": "出差"}
    return None


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.method.upper() != "POST" or _RNG.random() >= 0.8:
        return
    m = _CREATION.match(getattr(case.operation, "path", "") or "")
    if not m:
        return
    body = _valid_body(m.group(1))
    if body is not None:
        case.body = body
