"""ORCID → snapshots: public educations and employments (API v3.0 JSON) of people with an ORCID iD, and a
reader for ORCID's annual Public Data File (summaries, XML) for bulk use.

Who is fetched: ORCID iDs listed beside an OpenReview profile id in the mirror's files (`orcid` aligned with
`or_profile`), and those on synced OpenReview profiles. Each snapshot record keeps the profile id the iD was
found on, so a build links the history to a person without calling anything. Records already in the snapshot
are reused (the snapshot is the cache) unless `refresh`; requests are spaced to stay under `rate` per second.
"""

from __future__ import annotations

import re
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, Iterator

import requests

from ..errors import TalentflowError
from . import snapshots as snaps

DEFAULT_BASE_URL = "https://pub.orcid.org/v3.0"
LICENCE = "ORCID public data: CC0 1.0"
ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


def orcid_pairs(settings) -> list[tuple[str, str]]:
    """(orcid, profile id) pairs from the mirror's files and the database's synced profiles, sorted."""
    import duckdb

    from .catalog import load_catalog

    data = settings.require_data()
    files = [str(d.local(data)) for d in load_catalog(settings.catalog_path)
             if d.group == "conferences" and d.local(data).is_file() and d.path.endswith(".json.gz")]
    pairs: set[tuple[str, str]] = set()
    con = duckdb.connect()
    for f in files:
        try:
            rows = con.execute("""
                WITH r AS (SELECT string_split(j->>'orcid', ';') o, string_split(j->>'or_profile', ';') p
                           FROM read_json_objects(?, format='array') t(j)
                           WHERE j->>'orcid' IS NOT NULL AND j->>'or_profile' IS NOT NULL)
                SELECT DISTINCT trim(o[i]), trim(p[i]) FROM r, range(1, 101) t(i)
                WHERE len(o) = len(p) AND i <= len(o) AND trim(o[i]) <> ''""", [f]).fetchall()
        except duckdb.Error:
            continue  # not an array of records (other file shapes carry no orcid)
        pairs.update((o, p) for o, p in rows if ORCID_RE.match(o) and p.startswith("~"))
    if settings.db_path.exists():
        from ..engine import connect

        with connect(settings, read_only=True) as eng:
            if eng.table_exists("profiles"):
                pairs.update((o, p) for o, p in eng.query(
                    "SELECT orcid, profile_id FROM profiles WHERE orcid IS NOT NULL AND source = 'openreview'"))
    return sorted(pairs)


def _key(r: dict) -> str:
    return f"{r.get('orcid')}|{r.get('person_id')}"


def sync_orcid(data_dir: Path, pairs: list[tuple[str, str]], base_url: str = DEFAULT_BASE_URL,
               rate: float = 8.0, max_requests: int | None = None, refresh: bool = False, timeout: float = 30,
               progress: Callable[[str, int, int], None] | None = None, scope: str = "all",
               sleep: Callable[[float], None] = time.sleep) -> dict:
    """Fetch /educations and /employments per iD into `orcid/<scope>`; resumable, bounded, polite."""
    folder = snaps.snapshot_dir(data_dir, "orcid", scope)
    have: dict[str, dict] = {}
    man_path = folder / snaps.MANIFEST
    if man_path.is_file() and not refresh:
        have = {_key(r): r for r in snaps.read_records(folder / snaps.Manifest.load(man_path).file)}
    st = snaps.Staging(folder, {"pairs": len(pairs), "base_url": base_url})
    staged = {_key(r) for r in st.records()}
    session = requests.Session()
    session.headers.update({"Accept": "application/json", "User-Agent": snaps.tool_version()})
    n_req, last = 0, 0.0
    todo = [(o, p) for o, p in pairs if f"{o}|{p}" not in have and f"{o}|{p}" not in staged]
    for k, (orcid, person) in enumerate(todo):
        rec = {"orcid": orcid, "person_id": person}
        for section in ("educations", "employments"):
            if max_requests is not None and n_req >= max_requests:
                from .openreview import SyncStopped

                raise SyncStopped(f"Stopped after {n_req} ORCID requests (--max-requests).")
            gap = 1.0 / rate - (time.monotonic() - last)
            if gap > 0:
                sleep(gap)
            last = time.monotonic()
            rec[section], tries = _get(session, f"{base_url}/{orcid}/{section}", timeout, sleep)
            n_req += tries
        st.add_page([rec], k + 1)
        if progress:
            progress("orcid", k + 1, len(todo))
    records = list(have.values()) + list(st.records())
    man = snaps.Manifest(kind="orcid_records", producer="ORCID", endpoint=f"{base_url}/{{orcid}}/educations|employments",
                         query={"ids": "ORCID iDs beside OpenReview profile ids", "pairs": len(pairs)},
                         licence=LICENCE)
    status = snaps.write_snapshot(folder, snaps.dedupe(records, _key, lambda r: 0), _key, man)
    st.clear()
    return {"snapshot": f"orcid/{scope}", "status": status, "records": len(records), "requests": n_req,
            "fetched": len(todo)}


def _get(session, url: str, timeout: float, sleep, retries: int = 5) -> tuple[dict | None, int]:
    """(JSON or None for an unknown iD, requests made)."""
    for attempt in range(retries + 1):
        try:
            r = session.get(url, timeout=timeout)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                requests.exceptions.ChunkedEncodingError):
            sleep(min(2.0 ** attempt, 30))
            continue
        if r.status_code == 404:
            return None, attempt + 1  # deactivated or unknown iD: recorded as absent
        if r.status_code == 429 or r.status_code >= 500:
            ra = r.headers.get("Retry-After")
            sleep(float(ra) if ra and ra.replace(".", "", 1).isdigit() else min(2.0 ** attempt, 30))
            continue
        if r.status_code >= 400:
            raise TalentflowError(f"GET {url} answered {r.status_code}.")
        try:
            return r.json(), attempt + 1
        except ValueError:
            sleep(min(2.0 ** attempt, 30))
    raise TalentflowError(f"GET {url} failed {retries + 1} times.",
                          hint="Run the same command again: records already fetched are kept.")


# ORCID Public Data File: one XML record per file in a tar.gz; element names in the record-3.0 schema.
NS = {"common": "http://www.orcid.org/ns/common", "education": "http://www.orcid.org/ns/education",
      "employment": "http://www.orcid.org/ns/employment", "record": "http://www.orcid.org/ns/record",
      "activities": "http://www.orcid.org/ns/activities"}


def _t(el, path: str) -> str | None:
    x = el.find(path, NS) if el is not None else None
    return x.text.strip() if x is not None and x.text and x.text.strip() else None


def _summary_json(s, kind: str) -> dict:
    """One XML affiliation summary in the shape of the API's JSON, so both take the same parser."""
    def date(tag):
        d = s.find(f"common:{tag}", NS)
        return None if d is None else {"year": {"value": _t(d, "common:year")}}

    org = s.find("common:organization", NS)
    addr = org.find("common:address", NS) if org is not None else None
    return {f"{kind}-summary": {
        "role-title": _t(s, "common:role-title"), "department-name": _t(s, "common:department-name"),
        "start-date": date("start-date"), "end-date": date("end-date"),
        "organization": {"name": _t(org, "common:name"),
                         "address": {"city": _t(addr, "common:city"), "region": _t(addr, "common:region"),
                                     "country": _t(addr, "common:country")}}}}


def parse_summary_xml(data: bytes) -> tuple[str | None, dict]:
    """(orcid, {"educations": …, "employments": …}) of one Public Data File summary record."""
    root = ET.fromstring(data)
    path = root.get("path") or _t(root, "common:orcid-identifier/common:path")
    out = {}
    for kind, plural in (("education", "educations"), ("employment", "employments")):
        groups = []
        for s in root.iter(f"{{{NS[kind]}}}{kind}-summary"):
            groups.append({"summaries": [_summary_json(s, kind)]})
        out[plural] = {"affiliation-group": groups}
    return (path.strip("/") if path else None), out


def iter_summaries(tar_path: Path, wanted: dict[str, str]) -> Iterator[dict]:
    """Stream a Public Data File tar.gz; yield snapshot records for the iDs in `wanted` (orcid → profile id)."""
    with tarfile.open(tar_path, "r|gz") as tar:
        for m in tar:
            if not m.isfile() or not m.name.endswith(".xml"):
                continue
            orcid = Path(m.name).stem
            if orcid not in wanted:
                continue
            f = tar.extractfile(m)
            if f is None:
                continue
            got, rec = parse_summary_xml(f.read(16 << 20))
            yield {"orcid": got or orcid, "person_id": wanted[orcid], **rec}


def import_summaries(data_dir: Path, tar_path: Path, pairs: list[tuple[str, str]]) -> dict:
    if not Path(tar_path).is_file():
        raise TalentflowError(f"{tar_path} does not exist.")
    wanted = {o: p for o, p in sorted(pairs, reverse=True)}  # one profile per iD: the smallest id wins
    records = list(iter_summaries(Path(tar_path), wanted))
    folder = snaps.snapshot_dir(data_dir, "orcid", "public-data-file", re.sub(r"[^A-Za-z0-9._-]", "_",
                                                                               Path(tar_path).name))
    man = snaps.Manifest(kind="orcid_records", producer="ORCID Public Data File", endpoint=f"file:{Path(tar_path).name}",
                         query={"ids": len(wanted)}, licence=LICENCE,
                         extra={"source_sha256": snaps.file_sha256(Path(tar_path))})
    status = snaps.write_snapshot(folder, records, _key, man)
    return {"snapshot": folder.name, "status": status, "records": len(records)}
