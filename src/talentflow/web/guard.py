"""`Guard`: the ASGI layer that bounds every API request before and while it runs.

- An /api request naming a query parameter its endpoint does not declare answers 422 listing the accepted ones
  (`venu=nips` used to be ignored and answered for every venue). The accepted names come from the app's own
  OpenAPI schema, so they cannot drift from the endpoints.
- A request still running after `timeout` seconds is answered 503 with a JSON error; the DuckDB query it is
  running is interrupted and it may run no further query (`Deadline`), so the work stops too. Python work between
  two queries runs on to the next one, bounded by the parameter limits (limits.py); its answer is dropped, and
  shutdown waits for it (`Lingering`).
"""

from __future__ import annotations

import asyncio
import json
import threading
from difflib import get_close_matches
from urllib.parse import parse_qsl

from ..errors import TalentflowError


class RequestTimeout(TalentflowError):
    hint = "Narrow the query (a venue, a year), or try again: a repeated query is answered from the cache."


class Deadline:
    """Per request: the cursors it opened (interrupted when time is up) and whether time is up."""

    def __init__(self) -> None:
        self.expired = False
        self._cursors: list = []
        self._lock = threading.Lock()

    def check(self) -> None:
        if self.expired:
            raise RequestTimeout("The request ran out of time; its remaining queries were not run.")

    def register(self, cursor) -> None:
        with self._lock:
            self.check()
            self._cursors.append(cursor)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            cursors = list(self._cursors)
        for c in cursors:
            try:
                c.interrupt()
            except Exception:  # a cursor already closed has nothing left to stop
                pass


def _json(status: int, body: dict) -> tuple[dict, dict]:
    data = json.dumps(body, ensure_ascii=False).encode()
    return ({"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]},
            {"type": "http.response.body", "body": data})


class Lingering:
    """Requests answered 503 whose work is still winding down. Shutdown waits for them (`drain`) before the
    database closes: closing it under a running query would abort the process."""

    def __init__(self) -> None:
        self.tasks: dict[asyncio.Task, Deadline] = {}

    def add(self, task: asyncio.Task, deadline: Deadline) -> None:
        self.tasks[task] = deadline
        task.add_done_callback(lambda t: self.tasks.pop(t, None))

    async def drain(self, timeout: float) -> None:
        for d in list(self.tasks.values()):
            d.expire()
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)


class Guard:
    def __init__(self, app, api, timeout: float, lingering: Lingering | None = None) -> None:
        self.app, self.api, self.timeout = app, api, timeout
        self.lingering = lingering if lingering is not None else Lingering()
        self._accepted: dict[str, set[str]] | None = None

    def accepted(self) -> dict[str, set[str]]:
        """Query parameters of every /api endpoint, from the OpenAPI schema."""
        if self._accepted is None:
            paths = self.api.openapi().get("paths", {})
            self._accepted = {p: {x["name"] for x in ops.get("get", {}).get("parameters", []) if x["in"] == "query"}
                              for p, ops in paths.items() if p.startswith("/api/")}
        return self._accepted

    def unknown(self, scope) -> tuple[dict, dict] | None:
        accepted = self.accepted().get(scope["path"])
        if accepted is None:
            return None
        names = [k for k, _ in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)]
        bad = sorted(set(names) - accepted)
        if not bad:
            return None
        allowed = sorted(accepted)
        detail = []
        for name in bad:
            close = get_close_matches(name[:100], allowed, n=1)
            detail.append({"loc": ["query", name[:100]], "type": "unknown_parameter", "allowed": allowed,
                           "msg": f"Unknown parameter {name[:100]!r}." + (f" Did you mean {close[0]!r}?" if close
                                                                          else "")
                                  + f" {scope['path']} accepts: {', '.join(allowed) or 'no parameters'}."})
        return _json(422, {"detail": detail})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refusal = self.unknown(scope)
        if refusal is not None:
            for m in refusal:
                await send(m)
            return
        deadline = Deadline()
        scope.setdefault("state", {})["deadline"] = deadline
        started = asyncio.Event()
        dropped = False

        async def guarded_send(message):
            if dropped:
                return
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if task in done:
            return task.result()
        if started.is_set():  # the answer is already on its way: let it finish
            return await task
        dropped = True
        deadline.expire()
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # its late error is not news
        self.lingering.add(task, deadline)
        for m in _json(503, {"detail": f"The request took longer than {self.timeout:g} s and was stopped.",
                             "hint": RequestTimeout.hint, "timeout_seconds": self.timeout}):
            await send(m)
