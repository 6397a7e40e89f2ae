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
