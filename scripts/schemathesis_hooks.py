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
    # With the test clock, the hooks' record of how far it was moved (_CLOCK_OFFSET).
    return (datetime.datetime.now(datetime.timezone.utc) + _CLOCK_OFFSET + datetime.timedelta(hours=8)).date()


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
        # Proposals the run itself brought to `ready` first (_READY_NEW), then the script's.
        agenda = []
        for _ in range(_RNG.choice([1, 1, 2])):
            pool = _READY_NEW or _READY
            if pool:
                agenda.append(pool.pop())
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


# --- Whose turn it is: the workflows' later steps belong to other people (the deputy approves,
# the principal decides, the office verifies…), so with one fuzzed account the stateful phase
# stopped after a created object's first step (403 for every later one). The hooks sign in
# every demo account; most calls on a workflow step (_SWITCH) go out as the account whose turn
# it is, read from the object (its state, sections, pending steps), with a valid body; the rest
# keep the fuzzed account and the generated body, so refusals stay fuzzed. Every call is
# logged to $YISHI_FUZZ_LOG (operation, account, status, the object's state) for the report.
import threading

import requests

_BASE = os.environ.get("YISHI_FUZZ_BASE", "")
_PASSWORD = os.environ.get("YISHI_FUZZ_PASSWORD", "Yishi@2026demo")
_FUZZED = os.environ.get("YISHI_FUZZ_USER", "")
_CLOCK = os.environ.get("YISHI_FUZZ_CLOCK") == "1"
_SWITCH = float(os.environ.get("YISHI_FUZZ_SWITCH", "0.8"))
# The phases whose calls may switch accounts (default: the stateful one only, where workflows
# are followed). In the fuzzing phase, switched calls moved the demo objects' state on while
# Hypothesis generated; session 14 saw operations end early with it. Session 15 found that
# schemathesis' two workers end some early too, without switching (scripts/schemathesis.sh
# fuzzes those again with one worker).
_SWITCH_PHASES = set(os.environ.get("YISHI_FUZZ_SWITCH_PHASES", "stateful").split(","))
_LOG = open(os.environ["YISHI_FUZZ_LOG"], "a", encoding="utf-8") if os.environ.get("YISHI_FUZZ_LOG") else None
_LOCK = threading.RLock()
_HTTP = requests.Session()

# The demo's people (backend/src/demo.rs): sections with their head, handler and deputy in charge.
_ACCOUNTS = ["zhangwei", "lina", "wangqiang", "liuyang", "chenjing", "zhaomin", "sunli", "mali", "zhoujie", "huangxin",
             "wuhua", "xuming", "zhengkai", "gaofei", "hejun", "luoyan", "songtao"]
_SECTIONS = {"办公室": ("zhaomin", "mali", "lina"), "规划处": ("zhoujie", "huangxin", "wangqiang"),
             "财务处": ("wuhua", "xuming", "lina"), "耕地保护处": ("zhengkai", "gaofei", "wangqiang")}
_MEMBERS_ORDER = [("wangqiang", "deputy"), ("lina", "deputy"), ("liuyang", "member"), ("chenjing", "member")]
_SESSIONS = {}   # username → {"cookie", "csrf", "id"}
_NAME = {}       # user id → username
_SECTION_ID = {}  # section name → id
_SECTION_OF = {}  # section id → (head, handler, deputy)
_UNIT = None
_CLOCK_OFFSET = datetime.timedelta(0)


def _login(user, must=False):
    """Signs `user` in again. The fuzzed `POST /api/v1/session` calls fail on purpose, and the
    server then throttles sign-ins from this address (429) for a while: a refused sign-in keeps
    the account's earlier session (still valid unless it timed out) instead of stopping the hook."""
    r = _HTTP.post(_BASE + "/api/v1/session", json={"username": user, "password": _PASSWORD}, timeout=30)
    if must:
        r.raise_for_status()
    elif r.status_code != 200:
        print(f"schemathesis_hooks: signing {user} in again was refused ({r.status_code}); the earlier session stays")
        return
    body = r.json()
    uid = (body.get("user") or {}).get("id")
    _SESSIONS[user] = {"cookie": "yishi_session=" + r.cookies.get("yishi_session", ""), "csrf": body["csrf_token"], "id": uid}
    if uid:
        _NAME[uid] = user


def _headers(user):
    s = _SESSIONS[user]
    return {"Cookie": s["cookie"], "X-CSRF-Token": s["csrf"]}


def _api(user, method, path, body=None):
    """A call of the hooks' own (reading an object to see whose turn it is, moving the clock)."""
    r = _HTTP.request(method, _BASE + path, json=body, headers=_headers(user), timeout=30)
    if r.status_code == 401:
        _login(user)
        r = _HTTP.request(method, _BASE + path, json=body, headers=_headers(user), timeout=30)
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, None


def _setup():
    global _UNIT
    if not _BASE:
        return
    for u in _ACCOUNTS + ([_FUZZED] if _FUZZED and _FUZZED not in _ACCOUNTS else []):
        try:
            _login(u, must=True)
        except Exception as e:  # an account the demo lacks: its turns keep the fuzzed account
            print(f"schemathesis_hooks: cannot sign in {u}: {e}")
    _, me = _api("sunli", "GET", "/api/v1/me")
    _UNIT = me["units"][0]["unit_id"]
    _, secs = _api("sunli", "GET", f"/api/v1/units/{_UNIT}/sections")
    for sec in secs.get("items", []):
        _SECTION_ID[sec["name"]] = sec["id"]
        if sec["name"] in _SECTIONS:
            _SECTION_OF[sec["id"]] = _SECTIONS[sec["name"]]


_setup()


def _now():
    return datetime.datetime.now(datetime.timezone.utc) + _CLOCK_OFFSET


def _advance_clock(days):
    """Moves the server's test clock (YISHI_TEST_CLOCK=1) and signs everyone in again: the
    sessions' idle timeout runs on the same clock."""
    global _CLOCK_OFFSET
    with _LOCK:
        st, _ = _api("sunli", "POST", "/api/v1/_test/clock", {"advance_seconds": int(days * 86400)})
        if st == 200:
            _CLOCK_OFFSET += datetime.timedelta(days=days)
            for u in list(_SESSIONS):
                _login(u)


def _get(kind, oid, user="songtao"):
    st, v = _api(user, "GET", f"/api/v1/{kind}/{oid}")
    return v if st == 200 and isinstance(v, dict) else None


def _section_people(section_id):
    return _SECTION_OF.get(section_id) or ("zhaomin", "mali", "lina")


def _user_section(username):
    for sid, (head, handler, _deputy) in _SECTION_OF.items():
        if username in (head, handler):
            return sid
    return None


# Proposals brought to `ready` during the run go on the next meetings' agendas first.
_READY_NEW = []


def _valid_body_for(things):
    """A creation's valid body and the account that may create it."""
    body = _valid_body(things)
    if body is None:
        return None, None
    if things == "proposals":
        return _RNG.choice(["xuming", "xuming", "huangxin", "gaofei", "mali"]), body
    if things == "outgoing":
        form = _RNG.choice(["bureau_general", "bureau_general", "to_superior", "office_own", "office_for_section", "joint", "office_by_leader"])
        body["issuing_form"] = form
        if form == "to_superior":  # a report to the city government (tests/api/outgoing.rs, doc_req)
            body.update({"doc_type": "report", "series": "文", "recipients": {"main": ["市人民政府"], "cc": []}})
        if form in ("office_own", "office_by_leader"):
            body["series"] = "办发"
        if form == "joint":
            body["joint_departments"] = ["市财政局"]
        if form == "office_by_leader":
            body["signoff_leader_id"] = _SESSIONS.get("wangqiang", {}).get("id")
        return _RNG.choice(["xuming", "xuming", "huangxin", "gaofei", "mali"]), body
    if things == "meetings":
        body["starts_at"] = (_now() + datetime.timedelta(days=14)).isoformat()
        return "sunli", body
    if things == "incoming":
        return "sunli", body
    return None, body  # absences: for oneself, the fuzzed account


# ---- proposals


def _proposal_turn(step, oid, case):
    p = _get("proposals", oid)
    if p is None:
        return None
    proposer = _NAME.get(p.get("proposer_id"), "xuming")
    deputy = _section_people(p.get("section_id") or _user_section(proposer))[2]
    if step == "" and case.method.upper() == "PATCH":
        return proposer, {"title": f"{p.get('title') or '关于模糊测试议题的请示'}"[:60], "urgent": _RNG.random() < 0.2}
    if step in ("submit", "", "attachments"):
        return proposer, ({} if step == "submit" else None)
    if step == "submission-approval":
        return deputy, {"approve": _RNG.random() < 0.9, "opinion": "同意提交会议研究"}
    if step == "preconsult-records":
        return proposer, {"kind": _RNG.choice(["department", "expert", "legal", "technical"]), "summary": "已征求意见，均无异议。"}
    if step == "premeeting-decision":
        d = _RNG.choices(["to_meeting", "not_ready", "general_business"], [85, 10, 5])[0]
        return "zhangwei", {"decision": d, "reason": "经酝酿，" + {"to_meeting": "提交会议研究", "not_ready": "材料尚需完善", "general_business": "按一般事项办理"}[d]}
    if step == "superior-approval":
        return "sunli", {"document_ref": f"市政复〔2026〕{_RNG.randint(1, 999)}号", "approved_on": _now().date().isoformat()}
    return None


# ---- meetings, minutes, publications


def _meeting_item(m, case):
    """The agenda item the call is on: the linked one if it is on this agenda, else one still open."""
    items = m.get("items") or []
    pid = (case.path_parameters or {}).get("proposal")
    for it in items:
        if it.get("proposal_id") == pid:
            return it
    open_items = [it for it in items if it.get("state") not in ("decided", "deferred")]
    it = (open_items or items or [None])[0]
    if it is not None and case.path_parameters is not None:
        case.path_parameters["proposal"] = it["proposal_id"]
    return it


# --- Prerequisites the hooks fill in (PREREQ, default 0.75 of the calls concerned). An agenda
# item may take a path only after every present eligible member has stated a stance (R12), a
# vote closes best after every ballot, and a meeting closes only when every item has its
# conclusion (R11). A scenario rarely follows the statement link six times for one item, so in
# session 12 most items were deferred and no proposal reached `confirmed`. Before the chair's
# path, the close of a vote or the close of the meeting, the hooks now record what is missing
# themselves, as the clerk and the members (R10's order, the principal last), and log those
# calls apart ("hooks": true); the fuzzed call itself then meets an item that may go on.
_PREREQ = float(os.environ.get("YISHI_FUZZ_PREREQ", "0.75"))
_DEPUTIES = {"wangqiang", "lina"}


def _hook_call(user, method, path, body=None):
    st, v = _api(user, method, path, body)
    if _LOG:
        with _LOCK:
            _LOG.write(json.dumps({"method": method, "path": path, "status": st, "user": user, "hooks": True}, ensure_ascii=False) + "\n")
    return st, v


def _present(m):
    return [a["user_id"] for a in m.get("attendance", []) if a.get("status") == "present" and not a.get("observer")]


def _eligible(m, it):
    """The present members who may speak and vote on the item (not recused, R09)."""
    return [u for u in _present(m) if u not in (it.get("recused") or [])]


def _item(m, pid):
    return next((it for it in m.get("items") or [] if it.get("proposal_id") == pid), None)


def _fill_statements(mid, m, it):
    """Every present eligible member's stance (R12), in R10's order: the proposer presents,
    deputies explain, members speak, the principal last. Mostly 同意, so that the chair may
    choose consensus or a vote; sometimes split."""
    sts = it.get("statements") or []
    if any(s.get("role") == "principal" for s in sts):
        return
    spoken = {s.get("speaker_id") for s in sts}
    chair = _SESSIONS.get("zhangwei", {}).get("id")
    eligible = _eligible(m, it)
    order = [(it.get("proposer_id"), "presenter")] if it.get("proposer_id") not in spoken else []
    order += [(u, "deputy" if _NAME.get(u) in _DEPUTIES else "member") for u in eligible if u != chair and u not in spoken]
    if chair in eligible:
        order.append((chair, "principal"))
    unanimous = _RNG.random() < 0.6
    for uid, role in order:
        stance = "agree" if unanimous or role == "presenter" else _RNG.choices(["agree", "disagree", "none"], [75, 20, 5])[0]
        _hook_call("sunli", "POST", f"/api/v1/meetings/{mid}/items/{it['proposal_id']}/statements",
                   {"speaker_id": uid, "role": role, "stance": stance, "text": "发言：" + {"agree": "同意", "disagree": "不同意", "none": "无明确意见"}[stance]})


def _fill_ballots(mid, m, it):
    """Every present eligible member's ballot, the principal's last (R10)."""
    voted = set(it.get("voted") or [])
    chair = _SESSIONS.get("zhangwei", {}).get("id")
    eligible = _eligible(m, it)
    for uid in [u for u in eligible if u != chair] + ([chair] if chair in eligible else []):
        if uid not in voted and _NAME.get(uid):
            choice = _RNG.choices(["agree", "disagree", "abstain", "defer"], [85, 9, 3, 3])[0]
            _hook_call(_NAME[uid], "POST", f"/api/v1/meetings/{mid}/items/{it['proposal_id']}/ballots", {"choice": choice, "opinion": "同意" if choice == "agree" else "有保留意见"})


def _path_body(m, it):
    """The chair's path that R12 allows for the item's stances."""
    eligible = _eligible(m, it)
    stance = {s.get("speaker_id"): s.get("stance") for s in it.get("statements") or [] if s.get("speaker_id") in eligible}
    agree = sum(1 for v in stance.values() if v == "agree")
    disagree = sum(1 for v in stance.values() if v == "disagree")
    if eligible and agree == len(eligible):
        path = _RNG.choice(["consensus", "vote", "vote"])
    elif abs(agree - disagree) > 1:
        path = "vote"
    else:
        path = _RNG.choices(["defer", "vote"], [80, 20])[0]
    body = {"path": path}
    if path == "vote":
        body["mode"] = _RNG.choice(["named", "written"])
    if path == "defer":
        body["reason"] = "尚需进一步调研"
    return body


def _decision_body(it):
    outcome = "adopted" if it.get("majority") else "rejected"
    if _RNG.random() < 0.05:
        outcome = "deferred"
    return {"outcome": outcome, "text": {"adopted": "会议同意", "rejected": "会议不同意", "deferred": "会议决定缓议"}[outcome]}


def _conclude(mid, m, it):
    """Takes one open agenda item to its conclusion, as the clerk, the members and the chair."""
    base = f"/api/v1/meetings/{mid}/items/{it['proposal_id']}"
    for _ in range(4):
        state = it.get("state")
        if state == "pending":
            _fill_statements(mid, m, it)
            m = _get("meetings", mid, "zhangwei") or m
            it = _item(m, it["proposal_id"]) or it
            _hook_call("zhangwei", "POST", base + "/vote", _path_body(m, it))
        elif state == "voting":
            _fill_ballots(mid, m, it)
            _hook_call("zhangwei", "POST", base + "/close-vote", {})
        elif state == "counted":
            _hook_call("zhangwei", "POST", base + "/decision", _decision_body(it))
        else:
            return
        m = _get("meetings", mid, "zhangwei") or m
        it = _item(m, it["proposal_id"]) or it


def _meeting_turn(step, oid, case):
    m = _get("meetings", oid, "zhangwei")
    if m is None:
        return None
    if m.get("state") == "open" and _RNG.random() < _PREREQ:
        if step == "close":
            for it in list(m.get("items") or []):
                if it.get("state") not in ("decided", "deferred"):
                    _conclude(oid, m, it)
            m = _get("meetings", oid, "zhangwei") or m
        elif step in ("vote", "close-vote"):
            it = _meeting_item(m, case)
            if it is not None and it.get("state") == ("pending" if step == "vote" else "voting"):
                (_fill_statements if step == "vote" else _fill_ballots)(oid, m, it)
                m = _get("meetings", oid, "zhangwei") or m
    present = _present(m)
    should = m.get("should_attend") or []
    if step == "notice":
        return "sunli", {}
    if step.startswith("attendance/"):
        todo = [u for u in should if u not in [a["user_id"] for a in m.get("attendance", []) if a.get("status")]]
        if todo and case.path_parameters is not None:
            case.path_parameters["user"] = todo[0]
        absent_ok = len(present) * 2 > len(should) + 1
        status = "absent" if absent_ok and _RNG.random() < 0.2 else "present"
        return "sunli", ({"status": status, "reason": "因公出差"} if status != "present" else {"status": "present"})
    if step == "observers":
        return "sunli", {"user_id": _SESSIONS.get("xuming", {}).get("id")}
    if step == "written-opinions":
        absent = [a["user_id"] for a in m.get("attendance", []) if a.get("status") in ("absent", "leave")]
        it = _meeting_item(m, case)
        user = _NAME.get(absent[0]) if absent else "liuyang"
        return user, {"proposal_id": it["proposal_id"] if it else "", "text": "书面意见：同意。"}
    if step in ("open",):
        return _RNG.choice(["sunli", "zhangwei"]), {}
    if step in ("close", "record-grants"):
        body = {} if step == "close" else {"user_id": _SESSIONS.get("liuyang", {}).get("id"), "reason": "查阅原始记录"}
        return "zhangwei", body
    if step == "minutes":
        return "sunli", {}
    if step in ("record", "materials", ""):
        return _RNG.choice(["zhangwei", "sunli", "songtao"]), None
    it = _meeting_item(m, case)
    if it is None:
        return None
    if step == "statements":
        spoken = {s.get("speaker_id") for s in it.get("statements", [])}
        order = [(it.get("proposer_id"), "presenter")] + [(_SESSIONS.get(u, {}).get("id"), r) for u, r in _MEMBERS_ORDER]
        order = [(uid, r) for uid, r in order if uid and uid not in spoken and (r == "presenter" or uid in present)]
        speaker, role = order[0] if order else (_SESSIONS["zhangwei"]["id"], "principal")
        stance = _RNG.choices(["agree", "disagree", "none"], [85, 10, 5])[0]
        return "sunli", {"speaker_id": speaker, "role": role, "stance": stance, "text": "发言：" + {"agree": "同意", "disagree": "不同意", "none": "无明确意见"}[stance]}
    if step == "vote":
        return "zhangwei", _path_body(m, it)
    if step == "ballots":
        voted = set(it.get("voted") or [])
        eligible = _eligible(m, it)
        principal = _SESSIONS["zhangwei"]["id"]
        todo = [u for u in eligible if u not in voted and u != principal]
        voter = todo[0] if todo else principal
        return _NAME.get(voter, "zhangwei"), {"choice": _RNG.choices(["agree", "disagree", "abstain", "defer"], [80, 10, 5, 5])[0], "opinion": "同意"}
    if step == "close-vote":
        return "zhangwei", {}
    if step == "decision":
        return "zhangwei", _decision_body(it)
    return None


def _minutes_turn(step, oid, case):
    if step == "approve":
        return "zhangwei", {}
    if step == "revisions":
        return "sunli", {"body": {"opening": "会议研究了以下事项（修订稿）。"}, "reason": "文字修改"}
    if step == "publication":
        return "sunli", {"withheld": []}
    return _RNG.choice(["sunli", "zhangwei"]), None


def _publication_turn(step, oid, case):
    if step == "opinions" and case.method.upper() == "POST":
        return _RNG.choice(["hejun", "luoyan"]), {"text": "无意见。"}
    if step in ("summary", "resolution"):
        pub = _get("publications", oid, "sunli")
        if _CLOCK and pub and pub.get("state", "open") == "open" and step == "summary":
            _advance_clock(5)  # two working days (R16), over a weekend
        if step == "summary":
            return "sunli", {"text": "公示期间未收到反对意见。"}
        return "zhangwei", {"decision": _RNG.choices(["confirm", "adjust", "redeliberate"], [85, 10, 5])[0], "note": "经公示无异议"}
    return _RNG.choice(["sunli", "zhangwei"]), None


# ---- outgoing documents

_OUTGOING_PENDING = {
    "review": "outgoing_review", "countersign-opinions": "outgoing_countersign", "resolve-disagreement": "outgoing_resolve",
    "leader-review": "outgoing_leader_review", "verify": "outgoing_verify", "signoff": "outgoing_signoff", "issue": "outgoing_issue",
}


def _outgoing_turn(step, oid, case):
    d = _get("outgoing", oid)
    if d is None:
        return None
    drafter = _NAME.get(d.get("drafter_id"), "xuming")
    section = d.get("main_section_id")
    head, _, deputy = _section_people(section)
    who = None
    kind = _OUTGOING_PENDING.get(step)
    for p in d.get("pending") or []:
        if p.get("kind") == kind and p.get("assignees"):
            a = p["assignees"][0]
            who = _NAME.get(a.get("acting_id") or a.get("id"))
            break
    n = _RNG.randint(1, 10**6)
    body_text = [{"kind": "paragraph", "text": f"定稿正文（{n}）。"}]
    if step in ("", "submit", "attachments", "consolidate", "external-countersigns", "change-requests", "countersign"):
        if step == "countersign":
            others = [s for s in _SECTION_OF if s != section]
            return _RNG.choice([drafter, head]), {"section_ids": _RNG.sample(others, _RNG.choice([1, 1, 2]))}
        if step == "consolidate":
            return drafter, _RNG.choice([{}, {"body": body_text}])
        if step == "external-countersigns":
            deps = d.get("joint_departments") or ["市财政局"]
            return drafter, {"department": deps[0], "opinion": "同意", "signed_on": _now().date().isoformat()}
        if step == "change-requests":
            return drafter, {"reason": "更正文字错误", "body": body_text}
        if step == "":
            return (drafter, {"title": d.get("title")}) if case.method.upper() == "PATCH" else (drafter, None)
        return drafter, ({} if step == "submit" else None)
    if step == "review":
        return who or head, {"approve": _RNG.random() < 0.9, "opinion": "同意"}
    if step == "countersign-opinions":
        stance = _RNG.choices(["agree", "agree_with_changes", "disagree"], [80, 10, 10])[0]
        return who or head, {"stance": stance, "text": {"agree": "同意", "agree_with_changes": "建议修改第二段", "disagree": "不同意：依据不足"}[stance]}
    if step == "resolve-disagreement":
        return who or deputy, {"ruling": _RNG.choices(["proceed", "return"], [85, 15])[0], "text": "经协调，继续办理"}
    if step == "leader-review":
        return who or deputy, {"approve": _RNG.random() < 0.9, "opinion": "同意"}
    if step == "verify":
        return who or "zhaomin", {"pass": _RNG.random() < 0.9, "opinion": "核稿通过"}
    if step == "signoff":
        signers = [_NAME.get(s.get("id")) for s in (d.get("signoff") or {}).get("signers", []) if isinstance(s, dict)]
        return who or next((s for s in signers if s), deputy), {"opinion": "同意印发"}
    if step == "issue":
        return who or "sunli", {}
    if step == "escalation":
        # D10: the deputy in charge of the main section or the principal; a fund-use category
        # needs the document's amount, so mostly another one.
        category = "large_fund" if d.get("amount") else _RNG.choice(["major_decision", "major_project", "other_major"])
        return _RNG.choice([deputy, "zhangwei"]), {"reason": "涉及重大事项，须集体研究", "category": category}
    return _RNG.choice([drafter, "songtao"]), None


_CHANGE_REQUESTS = {}  # change request id → signer


def _change_request_turn(step, oid, case):
    signer = _CHANGE_REQUESTS.get(oid)
    return (signer, {"approve": _RNG.random() < 0.9, "opinion": "同意修改"}) if signer else None


# ---- incoming documents


def _incoming_turn(step, oid, case):
    d = _get("incoming", oid)
    if d is None:
        return None
    parts = d.get("assignments") or []
    if step == "instructions":
        if d.get("state") == "registered":
            return "zhangwei", {"kind": "opinion", "text": "请财务处牵头办理"}
        leaders = [_NAME.get(x.get("user_id")) for x in d.get("leaders_in_charge") or []]
        leader = next((x for x in leaders if x), "lina")
        kind = "agree" if d.get("doc_type") == "request" else _RNG.choice(["read", "opinion", "agree"])
        return leader, {"kind": kind, "text": "请抓紧办理" if kind != "read" else None}
    if step == "distribution":
        sids = list(_SECTION_OF)
        main = _SECTION_ID.get("财务处") if _RNG.random() < 0.5 else _RNG.choice(sids)
        co = _RNG.sample([s for s in sids if s != main], _RNG.choice([0, 0, 1]))
        return "sunli", {"main_section_id": main, "co_section_ids": co}
    if step == "office-review":
        return "zhaomin", {"opinion": "呈分管领导阅"}
    if step == "archive":
        return "sunli", {}
    if step in ("assignment", "accept", "progress", "complete"):
        want = {"assignment": lambda a: not a.get("handler_id"),
                "accept": lambda a: a.get("handler_id") and not a.get("accepted_at"),
                "progress": lambda a: a.get("accepted_at") and not a.get("done_at"),
                "complete": lambda a: a.get("accepted_at") and not a.get("done_at")}[step]
        todo = [a for a in parts if want(a)]
        todo.sort(key=lambda a: a.get("role") != "main")  # co-handling parts first for completion? keep main first otherwise
        a = (todo or parts or [None])[0]
        if a is None:
            return None
        head, handler, _ = _section_people(a.get("section_id"))
        if step == "assignment":
            return head, {"handler_id": _SESSIONS.get(handler, {}).get("id"), "section_id": a.get("section_id")}
        actor = _NAME.get(a.get("handler_id"), handler)
        if step == "accept":
            return actor, {"section_id": a.get("section_id")}
        if step == "progress":
            return actor, {"note": "正在办理", "section_id": a.get("section_id")}
        return actor, {"result": "已办理完毕", "section_id": a.get("section_id")}
    return "songtao", None


# ---- uploads (R44): the documented multipart body with a real file (the generated bytes are
# nearly always refused by the content check, so the storing itself would seldom be reached).
_FILES = [
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89",
    "会商材料：预算明细 50 万元。\n".encode(),
]


def _upload_turn(kind, oid):
    """(account, body) of an upload onto a proposal, an outgoing document or the unit."""
    body = {"file": _RNG.choice(_FILES)}
    if kind == "proposals":
        p = _get("proposals", oid) if oid else None
        return (_NAME.get(p.get("proposer_id")) if p else None) or "xuming", body
    if kind == "outgoing":
        d = _get("outgoing", oid) if oid else None
        return (_NAME.get(d.get("drafter_id")) if d else None) or "xuming", body
    return _FUZZED if _FUZZED in _SESSIONS else "xuming", body


_TURNS = {"proposals": _proposal_turn, "meetings": _meeting_turn, "minutes": _minutes_turn, "publications": _publication_turn,
          "outgoing": _outgoing_turn, "incoming": _incoming_turn, "change-requests": _change_request_turn}
_ON_OBJECT = re.compile(r"^/api/v1/(proposals|meetings|minutes|publications|outgoing|incoming|change-requests)/\{(?:id|cr)\}/?(.*)$")


def _phase(case):
    try:
        return str(case.meta.phase.name.value)
    except AttributeError:
        return None


_BRANCHES = {"escalation", "revisions"}
_CALLS = {}  # case id → (account, whether it was switched), from before_call to after_call


def _set_session(case, user):
    """Signs the call in as `user`. The CLI passes no session of its own (a header given with
    `-H` would override the case's), so every call, in every phase, is signed in here."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("cookie", "x-csrf-token")}
    if user in _SESSIONS:
        headers.update(_headers(user))
    case.headers = headers


@schemathesis.hook
def before_call(ctx, case, kwargs):
    path = getattr(case.operation, "path", "") or ""
    user, body = _FUZZED, None
    switched = False
    try:
        if _RNG.random() < _SWITCH and _phase(case) in _SWITCH_PHASES:
            m = _CREATION.match(path)
            o = _ON_OBJECT.match(path)
            if path.endswith("/attachments") and case.method.upper() == "POST":
                kind = path.split("/")[3]
                user, body = _upload_turn(kind, (case.path_parameters or {}).get("id"))
                switched = True
            elif m and case.method.upper() == "POST":
                who, body = _valid_body_for(m.group(1))
                if body is not None:
                    user, switched = who or _FUZZED, True
            elif o:
                params = case.path_parameters or {}
                oid = params.get("cr" if o.group(1) == "change-requests" else "id")
                step = o.group(2)
                # `items/{proposal}/vote` → `vote`; `attendance/{user}` stays as it is
                if step.startswith("items/"):
                    step = step.split("/")[-1]
                # Side branches (an escalation pauses a document, a revision supersedes approved
                # minutes) are taken by the right account less often, so that most objects go on
                # along the main path; the other calls keep the fuzzed account (mostly refused).
                if step in _BRANCHES and _RNG.random() >= 0.2:
                    oid = None
                turn = _TURNS[o.group(1)](step, oid, case) if oid else None
                if turn and turn[0]:
                    user, body, switched = turn[0], turn[1], True
    except Exception as e:  # the hooks must not stop the run: this call keeps the fuzzed account
        print(f"schemathesis_hooks: {path}: {e!r}")
        user, body, switched = _FUZZED, None, False
    if switched and body is not None and case.method.upper() != "GET":
        case.body = body
    _set_session(case, user if user in _SESSIONS else _FUZZED)
    with _LOCK:
        _CALLS[case.id] = (user if switched else _FUZZED, switched)




@schemathesis.hook
def after_call(ctx, case, response):
    path = getattr(case.operation, "path", "") or ""
    with _LOCK:
        user, switched = _CALLS.pop(case.id, (_FUZZED, False))
    status = response.status_code
    body = None
    if 200 <= status < 300 and "json" in _header(response, "content-type"):
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
    state = body.get("state") if isinstance(body, dict) else None
    with _LOCK:
        if isinstance(body, dict):
            if path.endswith("/premeeting-decision") and state == "ready":
                _READY_NEW.append(body.get("id") or (case.path_parameters or {}).get("id"))
            if path.endswith("/change-requests") and body.get("id"):
                doc = body.get("document") or {}
                _CHANGE_REQUESTS[body["id"]] = _NAME.get(doc.get("signed_by")) or "lina"
            if path.endswith("/escalation") and isinstance(body.get("proposal"), dict):
                state = (body.get("document") or {}).get("state")
        if _LOG:
            _LOG.write(json.dumps({
                "method": case.method.upper(), "path": path, "status": status, "user": user, "switched": switched,
                "id": (case.path_parameters or {}).get("id") or (case.path_parameters or {}).get("cr"),
                "made": body.get("id") if isinstance(body, dict) else None,
                "state": state, "phase": _phase(case),
            }, ensure_ascii=False) + "\n")
            _LOG.flush()
        # A 401 from the sign-in itself is the fuzzed sign-in's refusal, not an expired session.
        if status == 401 and user in _SESSIONS and path != "/api/v1/session":
            _login(user)


# --- Scenarios start where no earlier state is needed: `/me` and the creations. The workflow
# steps carry links too (to the steps that may follow), which would make every one of them a
# scenario's possible first call (schemathesis counts any POST with links as a likely root) on
# a random object, crowding out the chains of created objects. Operations on one object are
# reached through links only.
try:
    import schemathesis.specs.openapi.stateful as _stateful

    _likely_root = _stateful.is_likely_root_transition

    def _root_without_object(operation, node, produced_anywhere):
        if re.search(r"\{(id|cr|proposal)\}", operation.path):
            return False
        return _likely_root(operation, node, produced_anywhere)

    _stateful.is_likely_root_transition = _root_without_object
except (ImportError, AttributeError) as e:  # another schemathesis: its own roots
    print(f"schemathesis_hooks: roots unchanged ({e!r})")


# --- The stateful phase runs its scenarios to the end (--max-examples of them). Hypothesis
# replays the start of earlier scenarios to explore new ones; against a server whose state moved
# on (objects created, workflows advanced, a proposal already on an agenda) the replay takes
# another path, Hypothesis calls it "inconsistent data generation" (Flaky), and schemathesis
# ended the whole phase there: 20–60 scenarios whatever --max-examples said (docs/performance.md,
# "API fuzzing", session 7's unexplained short run 2). Such a suite is now followed by another
# one (a fresh seed, as after a failure) until the scenarios asked for have run.
try:
    from hypothesis.errors import Flaky as _Flaky

    import schemathesis.engine.run.stateful._executor as _executor

    _classify_suite_error = _executor._classify_suite_error

    def _classify_suite_error_go_on(exc, *, ctx, engine, state, settings):
        status, retry, events_ = _classify_suite_error(exc, ctx=ctx, engine=engine, state=state, settings=settings)
        flaky = isinstance(exc, _Flaky) or _executor.is_inconsistent_replay(exc)
        if (flaky and not retry and not engine.has_reached_the_failure_limit and not events_
                and state.unrecoverable_network_error is None and ctx.completed_scenarios < settings.max_examples):
            retry = True
        return status, retry, events_

    _executor._classify_suite_error = _classify_suite_error_go_on
except (ImportError, AttributeError) as e:  # another schemathesis: it stops where it stops
    print(f"schemathesis_hooks: the stateful phase may stop early ({e!r})")


# --- Scenarios as long as asked (SCHEMATHESIS_STEPS). Hypothesis ends a scenario once its data
# passes 80% of its buffer (8,192 choices), and every step's generated body uses many: the
# scenarios stopped after 16 steps on average (3 to 46), too few to follow a workflow. The
# buffer is made eight times larger.
try:
    import hypothesis.internal.conjecture.engine as _conjecture_engine
    import hypothesis.stateful as _hypothesis_stateful

    _conjecture_engine.BUFFER_SIZE = _hypothesis_stateful.BUFFER_SIZE = 8 * _conjecture_engine.BUFFER_SIZE
except (ImportError, AttributeError) as e:
    print(f"schemathesis_hooks: scenarios may stop early ({e!r})")
