"""A loopback fake of the OpenReview API v2 and the ORCID public API v3.0, speaking their JSON.

OpenReview: POST /login → {"token", "user": {"profile": {"id"}}}; GET /notes?content.venueid=&offset=&limit=
→ {"notes": [...], "count": N} (at most 1,000 a page); POST /profiles/search {"ids"} → {"profiles": [...]};
GET /profiles?id= → {"profiles": [...]}; anonymous calls → 403 ChallengeRequiredError. ORCID:
GET /v3.0/<iD>/educations|employments → affiliation groups. `faults` is a list of (path prefix, kind) consumed
in order: kind '429' (with Retry-After: 0), '500', 'truncate' (a body cut short of its Content-Length).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

USER, PASSWORD, TOKEN = "tester@example.org", "s3cret-pass", "tok-123"


def v(x):
    return {"value": x}


def note(nid: str, venue_id: str, label: str, authors: list[str], ids: list[str], title: str = "A paper",
         mdate: int = 1700000000000) -> dict:
    return {"id": nid, "forum": nid, "number": 1, "cdate": 1690000000000, "mdate": mdate, "pdate": 1700000000000,
            "invitations": [f"{venue_id}/-/Submission"], "domain": venue_id.split("/-/")[0],
            "content": {"title": v(title), "authors": v(authors), "authorids": v(ids), "venue": v(label),
                        "venueid": v(venue_id), "keywords": v(["diffusion models", "robotics"]),
                        "abstract": v("We study things."), "primary_area": v("generative_models")}}


def profile(pid: str, history: list, names: list[str] | None = None, tmdate: int = 1710000000000,
            orcid: str | None = None) -> dict:
    content = {"names": [{"fullname": pid.strip("~").rstrip("0123456789").replace("_", " "), "username": u,
                          "preferred": i == 0} for i, u in enumerate(names or [pid])],
               "emails": ["****@example.org"], "history": history}
    if orcid:
        content["orcid"] = f"https://orcid.org/{orcid}"
    return {"id": pid, "content": content, "tcdate": 1600000000000, "tmdate": tmdate}


def entry(position, name, domain, start=None, end=None, country=None) -> dict:
    inst = {"name": name, "domain": domain, "department": "Computer Science"}
    if country is not None:
        inst["country"] = country
    return {"position": position, "start": start, "end": end, "institution": inst}


def orcid_section(kind: str, items: list[tuple]) -> dict:
    """items: (role, organisation, country, start year, end year or None)."""
    groups = []
    for i, (role, org, country, start, end) in enumerate(items):
        groups.append({"last-modified-date": {"value": 1}, "external-ids": {"external-id": []}, "summaries": [{
            f"{kind}-summary": {"put-code": 100 + i, "department-name": "Computer Science", "role-title": role,
                                "start-date": {"year": v(str(start)), "month": v("09"), "day": None},
                                "end-date": None if end is None else {"year": v(str(end)), "month": None,
                                                                      "day": None},
                                "organization": {"name": org, "address": {"city": "X", "region": None,
                                                                          "country": country},
                                                 "disambiguated-organization": None},
                                "visibility": "public", "path": f"/0000/{kind}/{100 + i}"}}]})
    return {"last-modified-date": None, "affiliation-group": groups, "path": f"/{kind}s"}


class FakeState:
    def __init__(self, notes: list[dict], profiles: list[dict], orcid: dict | None = None):
        self.notes, self.profiles, self.orcid = notes, profiles, orcid or {}
        self.faults: list[tuple[str, str]] = []
        self.log: list[tuple[str, str]] = []
        self.delay = 0.0
        self.lock = threading.Lock()

    def fault_for(self, path: str) -> str | None:
        with self.lock:
            for i, (prefix, kind) in enumerate(self.faults):
                if path.startswith(prefix):
                    del self.faults[i]
                    return kind
        return None


def send_json(h: BaseHTTPRequestHandler, code: int, obj, headers: dict | None = None, truncate: bool = False) -> None:
    """One JSON answer as the real APIs send it; `truncate` sends half the body and drops the connection."""
    body = json.dumps(obj).encode()
    h.send_response(code)
    h.send_header("Content-Type", "application/json; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    for k, val in (headers or {}).items():
        h.send_header(k, val)
    h.end_headers()
    h.wfile.write(body[: len(body) // 2] if truncate else body)
    if truncate:
        h.close_connection = True


def _handler(state: FakeState):
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _send(self, code: int, obj, headers: dict | None = None, truncate: bool = False):
            send_json(self, code, obj, headers, truncate)

        def _fault(self, path: str) -> bool:
            kind = state.fault_for(path)
            if kind == "429":
                self._send(429, {"name": "RateLimitError", "message": "Too many requests",
                                 "details": {"limit": 100, "remaining": 0, "resetTime": 0}}, {"Retry-After": "0"})
            elif kind == "500":
                self._send(500, {"name": "Error", "message": "Internal"})
            elif kind == "truncate":
                self._send(200, {"notes": [], "profiles": [], "count": 0, "pad": "x" * 200}, truncate=True)
            return kind is not None

        def _authed(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(403, {"name": "ChallengeRequiredError", "message": "Challenge verification required",
                                 "status": 403})
                return False
            return True

        def _body(self) -> dict:
            n = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(n) or b"{}")

        def do_GET(self):
            u = urlparse(self.path)
            q = {k: vals[0] for k, vals in parse_qs(u.query).items()}
            state.log.append(("GET", self.path))
            if state.delay:
                import time
                time.sleep(state.delay)
            if u.path.startswith("/v3.0/"):
                _, _, orcid, section = u.path.split("/")
                if self._fault(u.path):
                    return
                rec = state.orcid.get(orcid)
                if rec is None or section not in rec:
                    return self._send(404, {"response-code": 404, "developer-message": "Not found"})
                return self._send(200, rec[section])
            if not self._authed() or self._fault(u.path):
                return
            if u.path == "/notes":
                sel = [n for n in state.notes if n["content"]["venueid"]["value"] == q.get("content.venueid")]
                off, lim = int(q.get("offset", 0)), min(int(q.get("limit", 1000)), 1000)
                out = {"notes": sel[off:off + lim]}
                if q.get("count") == "true":
                    out["count"] = len(sel)
                return self._send(200, out)
            if u.path == "/profiles":
                return self._send(200, {"profiles": [p for p in state.profiles if p["id"] == q.get("id")]})
            self._send(404, {"name": "NotFoundError", "message": u.path})

        def do_POST(self):
            u = urlparse(self.path)
            body = self._body()
            state.log.append(("POST", u.path))
            if u.path == "/login":
                if body.get("id") == USER and body.get("password") == PASSWORD:
                    return self._send(200, {"token": TOKEN, "user": {"id": USER, "profile": {"id": "~Tester1"}}})
                return self._send(400, {"name": "InvalidError", "message": "Invalid username or password"})
            if not self._authed() or self._fault(u.path):
                return
            if u.path == "/profiles/search":
                ids = set(body.get("ids") or [])
                if len(ids) > 1000:
                    return self._send(400, {"name": "ValidationError", "message": "too many ids"})
                hits = [p for p in state.profiles
                        if p["id"] in ids or any(n.get("username") in ids for n in p["content"].get("names", []))]
                return self._send(200, {"profiles": hits})
            self._send(404, {"name": "NotFoundError", "message": u.path})

    return H


class FakeServer:
    def __init__(self, state: FakeState):
        self.state = state
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
