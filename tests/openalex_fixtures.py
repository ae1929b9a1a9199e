"""OpenAlex test data in the documented shapes: work, authorship, dehydrated institution, author and institution
objects (field names as in the OpenAlex docs), written as a snapshot (`data/<entity>/manifest`,
`updated_date=…/part_NNN.gz`, Redshift-style manifests) or served by a loopback fake of `GET /works`.

The fake answers `{"meta": {"count", "db_response_time_ms", "page", "per_page", "next_cursor"}, "results"}`
with cursor paging (`cursor=*` first; `next_cursor: null` on the last page); `faults` is a list of kinds
consumed in order: '429' (Retry-After: 0), '500', 'truncate' (a body cut short of its Content-Length).
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from fake_openreview import send_json

OA = "https://openalex.org/"
NEURIPS = "S4306420609"  # "Neural Information Processing Systems" (sources/openalex_venues.csv)
ICML = "S4306419644"
ARXIV = "S4306400194"    # any source the mapping does not list

INSTITUTIONS = {
    # id: (display_name, ror, country_code, type, lineage)
    "I99065089": ("Tsinghua University", "https://ror.org/03cve4549", "CN", "education", ["I99065089"]),
    "I1291425158": ("Google (United States)", "https://ror.org/00njsd438", "US", "company", ["I1291425158"]),
    "I5124864": ("École Polytechnique Fédérale de Lausanne", "https://ror.org/02s376052", "CH", "education",
                 ["I5124864"]),
    "I20231570": ("Peking University", "https://ror.org/02v51f717", "CN", "education", ["I20231570"]),
    "I97018004": ("Stanford University", "https://ror.org/00f54p054", "US", "education", ["I97018004"]),
    "I40120149": ("University of Oxford", "https://ror.org/052gg0110", "GB", "education", ["I40120149"]),
}


def dehydrated(iid: str, country: bool = True) -> dict:
    name, ror, cc, typ, lineage = INSTITUTIONS[iid]
    return {"id": OA + iid, "display_name": name, "ror": ror, "country_code": cc if country else None,
            "type": typ, "lineage": [OA + x for x in lineage]}


def authorship(position: str, aid: str, name: str, insts: list[str], raw: list[str] | None = None,
               orcid: str | None = None, country: bool = True) -> dict:
    ds = [dehydrated(i, country) for i in insts]
    return {"author_position": position,
            "author": {"id": OA + aid, "display_name": name,
                       "orcid": f"https://orcid.org/{orcid}" if orcid else None},
            "institutions": ds, "countries": sorted({d["country_code"] for d in ds if d["country_code"]}),
            "is_corresponding": position == "first",
            "raw_author_name": name,
            "raw_affiliation_strings": raw if raw is not None else [d["display_name"] for d in ds],
            "affiliations": [{"raw_affiliation_string": r, "institution_ids": [d["id"] for d in ds]}
                             for r in (raw if raw is not None else [d["display_name"] for d in ds])]}


def work(wid: str, title: str, year: int, source: str | None, authorships: list[dict],
         doi: str | None = None, updated: str = "2024-05-01T00:00:00") -> dict:
    loc = None
    if source:
        loc = {"is_oa": True, "landing_page_url": None, "pdf_url": None, "license": None, "version": None,
               "source": {"id": OA + source, "display_name": "a source", "issn_l": None, "issn": None,
                          "host_organization": None, "type": "conference"}}
    return {"id": OA + wid, "doi": f"https://doi.org/{doi}" if doi else None, "title": title,
            "display_name": title, "publication_year": year, "publication_date": f"{year}-12-01",
            "type": "article", "primary_location": loc, "locations": [loc] if loc else [],
            "authorships": authorships, "countries_distinct_count": 1, "institutions_distinct_count": 1,
            "cited_by_count": 3, "is_retracted": False, "is_paratext": False, "updated_date": updated,
            "created_date": "2023-01-01"}


def institution(iid: str) -> dict:
    name, ror, cc, typ, lineage = INSTITUTIONS[iid]
    return {"id": OA + iid, "ror": ror, "display_name": name, "country_code": cc, "type": typ,
            "lineage": [OA + x for x in lineage], "homepage_url": None, "works_count": 1000,
            "geo": {"city": "X", "geonames_city_id": "1", "region": None, "country_code": cc, "country": "X",
                    "latitude": 0.0, "longitude": 0.0},
            "ids": {"openalex": OA + iid, "ror": ror}, "updated_date": "2024-05-01T00:00:00.000000",
            "created_date": "2016-06-24"}


def author(aid: str, name: str, affiliations: list[tuple[str, list[int]]], orcid: str | None = None) -> dict:
    return {"id": OA + aid, "orcid": f"https://orcid.org/{orcid}" if orcid else None, "display_name": name,
            "display_name_alternatives": [name], "works_count": 12, "cited_by_count": 100,
            "affiliations": [{"institution": dehydrated(i), "years": years} for i, years in affiliations],
            "last_known_institutions": [dehydrated(affiliations[0][0])] if affiliations else [],
            "ids": {"openalex": OA + aid}, "updated_date": "2024-05-01T00:00:00.000000",
            "created_date": "2023-07-21"}


def write_part(path: Path, records: list, raw_lines: list[str] | None = None) -> int:
    """Write records as one gzip JSON Lines part; returns the record count (lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) for r in records] + (raw_lines or [])
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return len(lines)


def write_snapshot(root: Path, entities: dict[str, dict[str, list]], counts: dict[str, int] | None = None,
                   old_names: bool = False) -> Path:
    """entities: {entity: {"updated_date=YYYY-MM-DD": [records, …]}} → root/data/<entity>/… with manifests.
    `counts` overrides a part's manifest record_count (by "<entity>/<rel>") to simulate a bad manifest."""
    counts = counts or {}
    for entity, partitions in entities.items():
        d = root / "data" / entity
        entries, total_bytes, total = [], 0, 0
        for part_no, (partition, records) in enumerate(sorted(partitions.items())):
            name = f"{part_no:04d}_part_00.gz" if old_names else f"part_{part_no:03d}.gz"
            rel = f"{partition}/{name}"
            n = write_part(d / rel, records)
            n = counts.get(f"{entity}/{rel}", n)
            size = (d / rel).stat().st_size
            entries.append({"url": f"s3://openalex/data/{entity}/{rel}",
                            "meta": {"content_length": size, "record_count": n}})
            total_bytes, total = total_bytes + size, total + n
        (d / "manifest").write_text(json.dumps({"entries": entries, "meta": {"content_length": total_bytes,
                                                                              "record_count": total}}, indent=2))
    return root


class FakeOpenAlex:
    """GET /works?filter=primary_location.source.id:S1|S2,publication_year:Y&per-page=N&cursor=C."""

    def __init__(self, works: list[dict], per_page_max: int = 200):
        self.works, self.per_page_max = works, per_page_max
        self.faults: list[str] = []
        self.log: list[dict] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _select(self, flt: str) -> list[dict]:
        conds = dict(c.split(":", 1) for c in flt.split(",") if ":" in c)
        sources = set(conds.get("primary_location.source.id", "").split("|"))
        year = conds.get("publication_year")
        out = []
        for w in self.works:
            src = ((w.get("primary_location") or {}).get("source") or {}).get("id", "")
            if src.rsplit("/", 1)[-1] in sources and (year is None or str(w.get("publication_year")) == year):
                out.append(w)
        return sorted(out, key=lambda w: w["id"])

    def _handler(self):
        fake = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, obj, headers=None, truncate=False):
                send_json(self, code, obj, headers, truncate)

            def do_GET(self):
                u = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(u.query).items()}
                with fake.lock:
                    fake.log.append({"path": u.path, **q})
                    fault = fake.faults.pop(0) if fake.faults else None
                if fault == "429":
                    return self._send(429, {"error": "Rate limit exceeded"}, {"Retry-After": "0"})
                if fault == "500":
                    return self._send(500, {"error": "Internal Server Error"})
                if u.path != "/works":
                    return self._send(404, {"error": "Not found", "message": u.path})
                per = int(q.get("per-page", 25))
                if per > fake.per_page_max:
                    return self._send(400, {"error": "Invalid query parameters error.",
                                            "message": "per-page parameter must be between 1 and 200"})
                sel = fake._select(q.get("filter", ""))
                cur = q.get("cursor")
                if cur is None:
                    return self._send(400, {"error": "use cursor paging in this fake"})
                off = 0 if cur == "*" else int(json.loads(base64.b64decode(cur)))
                page = sel[off:off + per]
                nxt = base64.b64encode(json.dumps(off + per).encode()).decode() if page else None
                body = {"meta": {"count": len(sel), "db_response_time_ms": 12, "page": None, "per_page": per,
                                 "next_cursor": nxt, "groups_count": None},
                        "results": page, "group_by": []}
                self._send(200, body, truncate=fault == "truncate")

        return H

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
