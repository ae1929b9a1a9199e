"""OpenAlex → snapshots: the works of a talentflow venue-year from the API (`/works`, cursor paging), and the
venue → source-id mapping (`openalex_venues.csv`) the sync and the build share.

The request is `GET /works?filter=primary_location.source.id:S1|S2,publication_year:Y&per-page=200&cursor=…`;
the answer is `{"meta": {"count", "next_cursor", "per_page", …}, "results": [work, …]}` and the last page has
`next_cursor: null` (or no results). Work objects are kept as answered, in the same dated snapshot design as the
other syncs (`snapshots.py`): pages staged under `.partial/` with the cursor, so a stopped run resumes, then one
`records.jsonl.gz` sorted by work id and a `manifest.json`. A complete snapshot is the cache: syncing the same
venue-year again makes no request unless `refresh`.

Politeness: at most `rate` requests a second (OpenAlex allows 10 a second and 100,000 a day); 429 waits its
`Retry-After`, 5xx and broken transfers back off exponentially, both bounded; `max_requests` caps a run. The
contact address for the polite pool (`mailto`, env OPENALEX_MAILTO) and an API key (env OPENALEX_API_KEY) go in
the request only — manifests record the endpoint and the filter, never either of them.
"""

from __future__ import annotations

import csv
import io
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import requests

from ..errors import InputError, TalentflowError, UnknownValue
from . import snapshots as snaps
from .openreview import SyncError, SyncResult, SyncStopped, _retry_after

DEFAULT_BASE_URL = "https://api.openalex.org"
VENUES_FILE = Path(__file__).with_name("openalex_venues.csv")
PER_PAGE = 200  # the API's largest page
LICENCE = "OpenAlex data: CC0 1.0"
KIND = "openalex_works"
MAILTO_VAR, KEY_VAR, BASEURL_VAR = "OPENALEX_MAILTO", "OPENALEX_API_KEY", "OPENALEX_BASEURL"
_PREFIX = "https://openalex.org/"

Progress = Callable[[str, int, int | None], None]


def short_id(v: str | None) -> str | None:
    """`https://openalex.org/S4306420609` → `S4306420609` (ids are compared and stored in this form)."""
    if not isinstance(v, str) or not v:
        return None
    return v[len(_PREFIX):] if v.startswith(_PREFIX) else v


@dataclass(frozen=True)
class VenueSource:
    venue: str
    source_id: str
    display_name: str
    years: tuple[int, ...]  # empty: every year
    note: str

    def covers(self, year: int | None) -> bool:
        return not self.years or year is None or year in self.years


def _header(path: Path) -> tuple[list[str], list[str]]:
    """(data lines, comment lines) of the mapping file."""
    data, comments = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        (comments if line.startswith("#") else data).append(line)
    return data, comments


def load_venue_sources(path: Path | None = None) -> list[VenueSource]:
    """The mapping rows, checked: known columns, `S…` ids, integer years, each source id in one row only (a
    work's venue follows from its source)."""
    path = Path(path or VENUES_FILE)
    lines, _ = _header(path)
    out, seen = [], {}
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    for i, row in enumerate(reader, start=2):
        where = f"row {i - 1}"
        try:
            venue, sid = row["venue"].strip(), row["openalex_source_id"].strip()
            years = tuple(int(y) for y in (row.get("years") or "").replace(";", " ").split())
        except (KeyError, AttributeError, ValueError) as e:
            raise InputError(str(path), f"bad row: {e}", record=where)
        if not venue or not sid.startswith("S") or not sid[1:].isdigit():
            raise InputError(str(path), f"not a venue and an OpenAlex source id (S…): {venue!r}, {sid!r}",
                             record=where, field="openalex_source_id")
        if sid in seen:
            raise InputError(str(path), f"source id {sid} is mapped to {seen[sid]} and {venue}", record=where,
                             field="openalex_source_id")
        seen[sid] = venue
        out.append(VenueSource(venue, sid, (row.get("display_name") or "").strip(), years,
                               (row.get("note") or "").strip()))
    return out


def declared_unmapped(path: Path | None = None) -> set[str]:
    """The venues the mapping file says it leaves out on purpose (its `# unmapped:` line)."""
    _, comments = _header(Path(path or VENUES_FILE))
    for c in comments:
        if c.lstrip("# ").startswith("unmapped:"):
            return set(c.split(":", 1)[1].split())
    return set()


def sources_for(venue: str, year: int | None, path: Path | None = None) -> list[VenueSource]:
    rows = load_venue_sources(path)
    venues = sorted({r.venue for r in rows})
    if venue not in venues:
        raise UnknownValue("venue with an OpenAlex source id", venue, venues)
    got = [r for r in rows if r.venue == venue and r.covers(year)]
    if not got:
        raise TalentflowError(f"No OpenAlex source of {venue} is known to hold {year}.",
                              hint=f"The rows for {venue} in {VENUES_FILE.name} are limited to other years.")
    return got


def base_url_of(explicit: str | None, env: dict | None = None) -> str:
    env = os.environ if env is None else env
    return (explicit or env.get(BASEURL_VAR) or DEFAULT_BASE_URL).rstrip("/")


class Api:
    """GET requests to the OpenAlex API with one bounded retry policy, a request cap and a rate limit."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, mailto: str | None = None, api_key: str | None = None,
                 rate: float = 5.0, max_requests: int | None = None, timeout: float = 60, max_retries: int = 6,
                 max_wait: float = 300, sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url, self.rate, self.max_requests, self.timeout = base_url.rstrip("/"), rate, max_requests, timeout
        self.max_retries, self.max_wait, self.sleep = max_retries, max_wait, sleep
        self._secret = {k: v for k, v in (("mailto", mailto), ("api_key", api_key)) if v}
        self.requests, self.waited, self._last = 0, 0.0, 0.0
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": snaps.tool_version()})

    @classmethod
    def from_env(cls, base_url: str | None = None, env: dict | None = None, **kw) -> "Api":
        env = os.environ if env is None else env
        return cls(base_url_of(base_url, env), env.get(MAILTO_VAR) or None, env.get(KEY_VAR) or None, **kw)

    @property
    def polite(self) -> bool:
        return "mailto" in self._secret or "api_key" in self._secret

    def _pace(self) -> None:
        gap = 1.0 / self.rate - (time.monotonic() - self._last)
        if gap > 0:
            self.sleep(gap)
        self._last = time.monotonic()

    def get(self, path: str, params: dict) -> dict:
        url = self.base_url + path
        last = ""
        for attempt in range(self.max_retries + 1):
            if self.max_requests is not None and self.requests >= self.max_requests:
                raise SyncStopped(f"Stopped after {self.requests} OpenAlex requests (--max-requests).")
            self._pace()
            self.requests += 1
            try:
                r = self.session.get(url, params={**params, **self._secret}, timeout=self.timeout)
                if r.status_code == 429:
                    wait = _retry_after(r.headers.get("Retry-After"), attempt)
                elif r.status_code >= 500:
                    wait = min(2.0 ** attempt, 60)
                elif r.status_code >= 400:
                    raise SyncError(f"GET {path} answered {r.status_code}: {_message(r)}")
                else:
                    return r.json()
                last = f"HTTP {r.status_code}"
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
                    requests.exceptions.Timeout, ValueError) as e:
                wait, last = min(2.0 ** attempt, 60), type(e).__name__  # truncated or unreadable: transient
            if wait > self.max_wait:
                raise SyncError(f"GET {path}: the server asks to wait {wait:.0f} s (limit {self.max_wait:.0f}).")
            self.waited += wait
            self.sleep(wait)
        raise SyncError(f"GET {path} failed {self.max_retries + 1} times (last: {last}).")


def _message(r) -> str:
    try:
        d = r.json()
        return str(d.get("message") or d.get("error") or d)[:200]
    except ValueError:
        return r.text[:200]


def _work_key(w: dict) -> str:
    return str(w.get("id"))


def _work_version(w: dict) -> str:
    v = w.get("updated_date")
    return v if isinstance(v, str) else ""


def works_filter(sources: list[VenueSource], year: int) -> str:
    ids = "|".join(sorted({s.source_id for s in sources}))
    return f"primary_location.source.id:{ids},publication_year:{int(year)}"


def sync_works(api: Api, data_dir: Path, venue: str, year: int, progress: Progress | None = None,
               venues_file: Path | None = None, refresh: bool = False) -> SyncResult:
    """Every work of the venue's sources published in `year`, into `openalex/works/<venue>/<year>`. A complete
    snapshot of the same query is the cache: it is kept, without a request, unless `refresh`."""
    sources = sources_for(venue, year, venues_file)
    folder = snaps.snapshot_dir(data_dir, "openalex", "works", venue, str(int(year)))
    query = {"filter": works_filter(sources, year), "per-page": PER_PAGE}
    rel = folder.relative_to(Path(data_dir) / snaps.LIVE_DIR).as_posix()
    if not refresh and (folder / snaps.MANIFEST).is_file():
        man = snaps.Manifest.load(folder / snaps.MANIFEST)
        if man.query == query and snaps.verify_snapshot(snaps.Snapshot(rel, folder, man))[0] == "ok":
            return SyncResult(rel, "cached", man.record_count, 0, False,
                              {"meta_count": man.extra.get("meta_count"), "fetched_at": man.fetched_at})
    st = snaps.Staging(folder, query)
    resumed = st.resumed
    state = st.cursor or {"next": "*", "done": False, "n": 0}
    total = None
    while not state["done"]:
        page = api.get("/works", {**query, "cursor": state["next"]})
        results, meta = page.get("results"), page.get("meta")
        if not isinstance(results, list) or not isinstance(meta, dict):
            raise SyncError("GET /works: the answer has no `results` list and `meta` object.")
        total = meta.get("count") if isinstance(meta.get("count"), int) else total
        nxt = meta.get("next_cursor")
        done = not results or not isinstance(nxt, str) or not nxt
        state = {"next": None if done else nxt, "done": done, "n": state["n"] + len(results)}
        if not all(isinstance(w, dict) and isinstance(w.get("id"), str) for w in results):
            raise SyncError("GET /works: a result is not a work object with an id.")
        st.add_page(results, state)
        if progress:
            progress(f"works {venue} {year}", state["n"], total)
    records = snaps.dedupe(st.records(), _work_key, _work_version)
    man = snaps.Manifest(kind=KIND, producer="OpenAlex", endpoint=f"{api.base_url}/works", query=query,
                         licence=LICENCE,
                         extra={"venue": venue, "year": int(year), "source_ids": sorted({s.source_id for s in sources}),
                                "meta_count": total, "polite_pool": api.polite})
    status = snaps.write_snapshot(folder, records, _work_key, man)
    st.clear()
    return SyncResult(rel, status, len(records), api.requests, resumed, {"meta_count": total})
