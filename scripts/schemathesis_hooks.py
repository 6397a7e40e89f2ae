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
                if random.random() < 0.85:
                    path_parameters[name] = random.choice(_IDS[kind])
                break
    return path_parameters
