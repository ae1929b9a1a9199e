"""OpenReview API v2 → snapshots: the notes of a venue (accepted and every other decision) and the profiles of
their authors, or the profiles of people already in the database.

Login goes through openreview-py (`OpenReviewClient`, POST /login or a token); the requests are made on its
session and the raw JSON is kept. Retries are done here, one policy for GET and POST: 429 waits `Retry-After`,
5xx and broken transfers back off exponentially, both bounded. `max_requests` caps the requests of one run;
a run that stops (cap, kill, error) leaves its pages in the snapshot's staging folder and the next run resumes.
Credentials come from the environment only and are never written: manifests record the endpoint and query.
"""

from __future__ import annotations

import csv
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests

from ..errors import TalentflowError
from . import snapshots as snaps

DEFAULT_BASE_URL = "https://api2.openreview.net"
VENUES_FILE = Path(__file__).with_name("openreview_venues.csv")
PAGE = 1000          # the API's largest page
PROFILE_BATCH = 1000  # ids per POST /profiles/search, as openreview-py batches
LICENCE = "OpenReview public content (openreview.net terms of use)"
DECISION_SUFFIXES = ("", "/Rejected_Submission", "/Withdrawn_Submission", "/Desk_Rejected_Submission")
CRED_VARS = "OPENREVIEW_USERNAME and OPENREVIEW_PASSWORD, or OPENREVIEW_TOKEN"

Progress = Callable[[str, int, int | None], None]


class CredentialsMissing(TalentflowError):
    hint = ("OpenReview answers anonymous requests with 403 ChallengeRequiredError. Create an account at "
            "openreview.net, then export OPENREVIEW_USERNAME and OPENREVIEW_PASSWORD (or OPENREVIEW_TOKEN).")


class SyncError(TalentflowError):
    hint = "Run the same command again: finished pages are kept and the sync resumes where it stopped."


class SyncStopped(TalentflowError):
    """The request cap was reached; progress is kept."""

    hint = "Run the same command again (optionally with a higher --max-requests) to continue."


@dataclass(frozen=True)
class VenueId:
    venue_id: str
    venue: str
    year: int


def load_venues(path: Path | None = None) -> dict[str, VenueId]:
    from ..errors import InputError

    path = Path(path or VENUES_FILE)
    out = {}
    with path.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            try:
                v = VenueId(row["venue_id"].strip(), row["venue"].strip(), int(row["year"]))
            except (KeyError, ValueError) as e:
                raise InputError(str(path), f"bad row: {e}", record=f"line {i}")
            if v.venue_id in out:
                raise InputError(str(path), "venue id listed twice", record=f"line {i}", field="venue_id")
            out[v.venue_id] = v
    return out


def venue_of(venue_id: str, path: Path | None = None) -> VenueId:
    from ..errors import UnknownValue

    venues = load_venues(path)
    if venue_id not in venues:
        raise UnknownValue("OpenReview venue id", venue_id, sorted(venues))
    return venues[venue_id]


@dataclass
class Credentials:
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Credentials":
        env = os.environ if env is None else env
        c = cls(env.get("OPENREVIEW_USERNAME") or None, env.get("OPENREVIEW_PASSWORD") or None,
                env.get("OPENREVIEW_TOKEN") or None)
        if not c.token and not (c.username and c.password):
            raise CredentialsMissing(f"No OpenReview credentials: set {CRED_VARS}.")
        return c


def base_url_of(explicit: str | None, env: dict | None = None) -> str:
    env = os.environ if env is None else env
    return (explicit or env.get("OPENREVIEW_BASEURL") or DEFAULT_BASE_URL).rstrip("/")


class Api:
    """Raw-JSON requests on an openreview-py session, with one bounded retry policy and a request cap."""

    def __init__(self, base_url: str, creds: Credentials, max_requests: int | None = None, timeout: float = 60,
                 max_retries: int = 6, max_wait: float = 300, sleep: Callable[[float], None] = time.sleep) -> None:
        from requests.adapters import HTTPAdapter

        self.base_url, self.max_requests, self.timeout = base_url, max_requests, timeout
        self.max_retries, self.max_wait, self.sleep = max_retries, max_wait, sleep
        self.requests = 0
        self.waited = 0.0
        try:
            import openreview  # noqa: F401  (imported lazily: only syncs need it)
            from openreview.api import OpenReviewClient
        except ImportError as e:  # pragma: no cover - a dependency of the package
            raise TalentflowError(f"openreview-py is not installed ({e}).", hint="pip install openreview-py")
        try:
            # openreview-py logs in (POST /login) when given a username and password
            self.client = OpenReviewClient(baseurl=base_url, username=creds.username, password=creds.password,
                                           token=creds.token)
        except requests.RequestException as e:
            raise SyncError(f"Cannot reach {base_url}: {type(e).__name__}.")
        except Exception as e:  # openreview-py raises OpenReviewException(dict) for API errors
            raise CredentialsMissing(f"OpenReview login at {base_url} failed: {_api_message(e)}. "
                                     f"Check {CRED_VARS}.")
        # One retry policy, here: urllib3's own retries would count as one request and print responses.
        for prefix in ("http://", "https://"):
            self.client.session.mount(prefix, HTTPAdapter(max_retries=0))

    def _send(self, method: str, path: str, **kw) -> dict:
        url = self.base_url + path
        for attempt in range(self.max_retries + 1):
            if self.max_requests is not None and self.requests >= self.max_requests:
                raise SyncStopped(f"Stopped after {self.requests} requests (--max-requests).")
            self.requests += 1
            wait = None
            try:
                r = self.client.session.request(method, url, headers=self.client.headers, timeout=self.timeout,
                                                **kw)
                if r.status_code == 429:
                    wait = _retry_after(r.headers.get("Retry-After"), attempt)
                elif r.status_code >= 500:
                    wait = min(2.0 ** attempt, 60)
                elif r.status_code == 403:
                    raise CredentialsMissing(f"{method} {path}: 403 {_body_message(r)}. Check {CRED_VARS}.")
                elif r.status_code >= 400:
                    raise SyncError(f"{method} {path} answered {r.status_code}: {_body_message(r)}")
                else:
                    return r.json()
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
                    requests.exceptions.Timeout, ValueError) as e:
                wait = min(2.0 ** attempt, 60)  # truncated or unreadable body: transient, retried
                last = type(e).__name__
            else:
                last = f"HTTP {r.status_code}"
            if wait > self.max_wait:
                raise SyncError(f"{method} {path}: the server asks to wait {wait:.0f} s (limit {self.max_wait:.0f}).")
            self.waited += wait
            self.sleep(wait)
        raise SyncError(f"{method} {path} failed {self.max_retries + 1} times (last: {last}).")

    def get(self, path: str, params: dict) -> dict:
        return self._send("GET", path, params=params)

    def post(self, path: str, body: dict) -> dict:
        return self._send("POST", path, json=body)


def _retry_after(v: str | None, attempt: int) -> float:
    try:
        return max(0.0, float(v))
    except (TypeError, ValueError):
        return min(2.0 ** attempt, 60)


def _body_message(r) -> str:
    try:
        d = r.json()
        return f"{d.get('name', '')} {d.get('message', '')}".strip()[:200]
    except ValueError:
        return r.text[:200]


def _api_message(e: Exception) -> str:
    a = e.args[0] if e.args else e
    if isinstance(a, dict):
        return f"{a.get('name', '')} {a.get('message', '')}".strip()
    return str(a)[:200]


@dataclass
class SyncResult:
    snapshot: str
    status: str        # new | changed | unchanged
    records: int
    requests: int
    resumed: bool
    extra: dict = field(default_factory=dict)


def _note_key(n: dict) -> str:
    return str(n.get("id"))


def _note_version(n: dict) -> int:
    v = n.get("mdate") or n.get("tmdate") or 0
    return v if isinstance(v, int) else 0


def sync_notes(api: Api, data_dir: Path, venue: VenueId, progress: Progress | None = None) -> SyncResult:
    """Every note whose `content.venueid` is the venue id or one of its other decisions, page by page."""
    folder = snaps.snapshot_dir(data_dir, "openreview", "notes", venue.venue_id)
    groups = [venue.venue_id + s for s in DECISION_SUFFIXES]
    query = {"content.venueid": groups, "limit": PAGE}
    st = snaps.Staging(folder, query)
    resumed = st.resumed
    g, offset = tuple(st.cursor) if st.cursor else (0, 0)
    while g < len(groups):
        page = api.get("/notes", {"content.venueid": groups[g], "offset": offset, "limit": PAGE, "count": "true"})
        notes = page.get("notes")
        if not isinstance(notes, list):
            raise SyncError(f"GET /notes for {groups[g]}: the answer has no `notes` list.")
        total = page.get("count") if isinstance(page.get("count"), int) else None
        offset += len(notes)
        done = len(notes) < PAGE or (total is not None and offset >= total)
        st.add_page(notes, [g + 1, 0] if done else [g, offset])
        if progress:
            progress(f"notes {groups[g].rsplit('/', 1)[-1]}", offset, total)
        g, offset = (g + 1, 0) if done else (g, offset)
    records = snaps.dedupe(st.records(), _note_key, _note_version)
    man = snaps.Manifest(kind="openreview_notes", producer="OpenReview", endpoint=f"{api.base_url}/notes",
                         query=query, licence=LICENCE,
                         extra={"venue_id": venue.venue_id, "venue": venue.venue, "year": venue.year})
    status = snaps.write_snapshot(folder, records, _note_key, man)
    st.clear()
    return SyncResult(folder.relative_to(Path(data_dir) / snaps.LIVE_DIR).as_posix(), status, len(records),
                      api.requests, resumed)


def author_ids(records: list[dict]) -> list[str]:
    """Distinct OpenReview profile ids (`~…`) among the notes' authorids; e-mail ids are never kept."""
    ids = set()
    for n in records:
        v = (n.get("content") or {}).get("authorids")
        v = v.get("value") if isinstance(v, dict) else v
        if isinstance(v, list):
            ids.update(a for a in v if isinstance(a, str) and a.startswith("~"))
    return sorted(ids)


def _profile_version(p: dict) -> int:
    v = p.get("tmdate") or 0
    return v if isinstance(v, int) else 0


def sync_profiles(api: Api, data_dir: Path, ids: list[str], scope: tuple[str, ...], extra: dict | None = None,
                  progress: Progress | None = None, batch: int = PROFILE_BATCH) -> SyncResult:
    """Profiles of `ids` (POST /profiles/search, ≤ batch ids a request) into `openreview/profiles/<scope>`."""
    folder = snaps.snapshot_dir(data_dir, "openreview", "profiles", *scope)
    ids = sorted(set(ids))
    query = {"ids": f"{len(ids)} ids", "ids_sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
             "batch": batch}
    st = snaps.Staging(folder, query)
    resumed = st.resumed
    start = st.cursor or 0
    for b in range(start, len(ids), batch):
        ans = api.post("/profiles/search", {"ids": ids[b:b + batch]})
        profiles = ans.get("profiles")
        if not isinstance(profiles, list):
            raise SyncError("POST /profiles/search: the answer has no `profiles` list.")
        st.add_page(profiles, b + batch)
        if progress:
            progress("profiles", min(b + batch, len(ids)), len(ids))
    records = [p for p in snaps.dedupe(st.records(), lambda p: str(p.get("id")), _profile_version)]
    found = {u for p in records for u in _usernames(p)}
    man = snaps.Manifest(kind="openreview_profiles", producer="OpenReview",
                         endpoint=f"{api.base_url}/profiles/search", query=query, licence=LICENCE,
                         extra={**(extra or {}), "ids_requested": len(ids),
                                "ids_without_profile": sum(1 for i in ids if i not in found)})
    status = snaps.write_snapshot(folder, records, lambda p: str(p.get("id")), man)
    st.clear()
    return SyncResult(folder.relative_to(Path(data_dir) / snaps.LIVE_DIR).as_posix(), status, len(records),
                      api.requests, resumed, {"ids_requested": len(ids),
                                              "ids_without_profile": man.extra["ids_without_profile"]})


def _usernames(p: dict) -> set[str]:
    out = {p.get("id")} if isinstance(p.get("id"), str) else set()
    names = (p.get("content") or {}).get("names") if isinstance(p.get("content"), dict) else None
    for n in names if isinstance(names, list) else []:
        if isinstance(n, dict) and isinstance(n.get("username"), str):
            out.add(n["username"])
    return out


def notes_snapshot_ids(data_dir: Path, venue: VenueId) -> list[str]:
    folder = snaps.snapshot_dir(data_dir, "openreview", "notes", venue.venue_id)
    man = folder / snaps.MANIFEST
    if not man.is_file():
        return []
    return author_ids(snaps.read_records(folder / snaps.Manifest.load(man).file))


def import_profile_dump(data_dir: Path, path: Path) -> dict:
    """A dump of OpenReview profile objects (API JSON, one per line, .jsonl or .jsonl.gz) → a snapshot under
    `imports/profiles/<file name>`. Lines that are not JSON objects with a profile id are reported by line and
    left out; field problems inside a profile are reported here and quarantined (by profile and field) at build."""
    from ..ingest.profiles import Parsed, parse_openreview_profile

    path = Path(path)
    if not path.is_file():
        raise TalentflowError(f"{path} does not exist.")
    good, bad, check = [], [], Parsed()
    for line, obj, err in snaps.iter_jsonl(path):
        pid = obj.get("id") if isinstance(obj, dict) else None
        if err or not isinstance(pid, str) or not pid.startswith("~"):
            bad.append({"line": line, "id": pid if isinstance(pid, str) else None,
                        "problem": err or "not a profile object with an id"})
            continue
        parse_openreview_profile(obj, "import", line, check)
        good.append(obj)
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in path.name)
    folder = snaps.snapshot_dir(data_dir, "imports", "profiles", name)
    man = snaps.Manifest(kind="openreview_profiles", producer="OpenReview (profile dump)",
                         endpoint=f"file:{path.name}", query={"file": path.name}, licence=LICENCE,
                         extra={"source_sha256": snaps.file_sha256(path), "lines_rejected": len(bad)})
    records = snaps.dedupe(good, lambda p: str(p.get("id")), _profile_version)
    status = snaps.write_snapshot(folder, records, lambda p: str(p.get("id")), man)
    return {"snapshot": folder.relative_to(Path(data_dir) / snaps.LIVE_DIR).as_posix(), "status": status,
            "profiles": len(records), "rejected": bad, "field_problems": check.quarantine}
