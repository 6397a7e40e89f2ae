#!/usr/bin/env python3
"""Development aid, not a test: serves dist/ with SPA fallback and a canned /api/v1 so
pages can be looked at (headless screenshots) before or without the real backend.
Shapes follow /work/shared/API.md; everything else about the data is invented.

    python3 tests/e2e/mock_api.py [port]      # then open http://127.0.0.1:8099/
Sign in with any username; `must` as username forces the password change screen.
"""
import json, os, sys, time
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
from urllib.parse import urlparse

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dist")
DATA = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mock_data.json"), encoding="utf-8"))
STATE = {"signed_in": os.environ.get("MOCK_SIGNED_IN", "1") == "1", "must": False}

def err(code, status, message, details=None):
    return status, {"error": {"code": code, "message": message, "details": details}}

class H(SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=ROOT, **k)

    def log_message(self, *a):
        pass

    def send_json(self, status, body):
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def api(self, method):
        path = urlparse(self.path).path[len("/api/v1"):]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if path == "/session" and method == "POST":
            req = json.loads(body or b"{}")
            if req.get("password") == "wrong":
                return err("unauthenticated", 401, "用户名或密码错误。")
            STATE["signed_in"] = True
            STATE["must"] = req.get("username") == "must"
            return 200, {"user": me()["user"], "csrf_token": "tok"}
        if path == "/session" and method == "DELETE":
            STATE["signed_in"] = False
            return 204, None
        if not STATE["signed_in"]:
            return err("unauthenticated", 401, "请先登录。")
        if method != "GET" and self.headers.get("X-CSRF-Token") != "tok":
            return err("csrf", 403, "缺少 CSRF 令牌。")
        if path == "/me":
            return 200, me()
        if path == "/me/password":
            STATE["must"] = False
            return 204, None
        if path == "/events":
            return "sse", None
        key = f"{method} {path}"
        if key in DATA:
            return 200, DATA[key]
        if method == "GET":
            # /units/u1/proposals?state=… and other lists fall back to generic keys.
            for k, v in DATA.items():
                if k.startswith("GET ") and "*" in k:
                    pat = k[4:].split("*")
                    if path.startswith(pat[0]) and path.endswith(pat[-1]):
                        return 200, v
            return err("not_found", 404, "对象不存在或您无权查看。")
        if "fail" in path:
            return err("R02", 422, "材料不完整，不能提交。", {"missing": ["research", "recommendation"]})
        return 200, {"ok": True}

    def handle_any(self, method):
        if self.path.startswith("/api/v1"):
            status, body = self.api(method)
            if status == "sse":
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    self.wfile.write(b"data: hello\n\n"); self.wfile.flush()
                    time.sleep(30)
                except Exception:
                    pass
                return
            if status == 204:
                self.send_response(204); self.end_headers(); return
            return self.send_json(status, body)
        if method != "GET":
            return self.send_json(405, {})
        p = urlparse(self.path).path
        if not os.path.isfile(os.path.join(ROOT, p.lstrip("/"))):
            self.path = "/index.html"
        return super().do_GET()

    def do_GET(self): self.handle_any("GET")
    def do_POST(self): self.handle_any("POST")
    def do_PUT(self): self.handle_any("PUT")
    def do_PATCH(self): self.handle_any("PATCH")
    def do_DELETE(self): self.handle_any("DELETE")

def me():
    m = dict(DATA["me"])
    m["user"] = dict(m["user"], must_change_password=STATE["must"])
    return m

H.extensions_map[".wasm"] = "application/wasm"
port = int(sys.argv[1]) if len(sys.argv) > 1 else 8099
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
