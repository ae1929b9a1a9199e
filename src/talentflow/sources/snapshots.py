"""Dated snapshots of live sources (OpenReview, ORCID, profile dumps) under `<data>/live/`.

A sync writes what an API answered; a build only reads snapshots, so the same snapshots always give the same
tables. Each snapshot is a folder holding one `records.jsonl.gz` (one API object per line, sorted by its key,
written byte-for-byte reproducibly) and a `manifest.json` origin record: kind, producer, endpoint and query,
fetched_at, record_count, sha256, licence and the talentflow version that wrote it.

A sync in progress keeps its pages in `<snapshot>/.partial/` with a `state.json`; a killed sync resumes from
there, and the pages are merged (duplicates dropped by key) only when the sync completes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import InputError, TalentflowError
from .verify import file_sha256

LIVE_DIR = "live"
RECORDS = "records.jsonl.gz"
MANIFEST = "manifest.json"
PARTIAL = ".partial"
LIVE_KINDS = ("openreview_notes", "openreview_profiles", "orcid_records")  # read by the `live` stage
KINDS = LIVE_KINDS + ("openalex_works",)  # openalex_works: read by the `openalex` stage
MAX_LINE_BYTES = 8 << 20  # one API object; a longer line is a corrupt file, not a record


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"talentflow {version('talentflow')}"
    except PackageNotFoundError:
        return "talentflow (source tree)"


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def dumps(rec: object) -> str:
    """The one serialisation of a record: sorted keys, no spaces — the same object always gives the same bytes."""
    return json.dumps(rec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


def snapshot_dir(data_dir: Path, *parts: str) -> Path:
    """`<data>/live/<parts…>`; every part is checked so a venue id like `NeurIPS.cc/2025/Conference` maps to
    nested folders and nothing can point outside the data directory."""
    flat: list[str] = []
    for p in parts:
        flat += [x for x in str(p).split("/") if x]
    bad = [x for x in flat if not _SAFE_PART.match(x) or x in (".", "..")]
    if bad or not flat:
        raise TalentflowError(f"Not a valid snapshot path component: {bad or parts!r}")
    return Path(data_dir) / LIVE_DIR / Path(*flat)


@dataclass
class Manifest:
    kind: str
    producer: str
    endpoint: str
    query: dict
    licence: str
    fetched_at: str = ""
    record_count: int = 0
    sha256: str = ""
    bytes: int = 0
    file: str = RECORDS
    tool: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "producer": self.producer, "endpoint": self.endpoint, "query": self.query,
                "licence": self.licence, "fetched_at": self.fetched_at, "record_count": self.record_count,
                "sha256": self.sha256, "bytes": self.bytes, "file": self.file, "tool": self.tool, **self.extra}

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(str(path), f"unreadable manifest: {e}")
        missing = [k for k in ("kind", "endpoint", "fetched_at", "record_count", "sha256") if k not in d]
        if missing:
            raise InputError(str(path), f"manifest lacks {missing}", field=missing[0])
        if d["kind"] not in KINDS:
            raise InputError(str(path), f"unknown snapshot kind {d['kind']!r} (known: {', '.join(KINDS)})",
                             field="kind")
        known = {"kind", "producer", "endpoint", "query", "licence", "fetched_at", "record_count", "sha256",
                 "bytes", "file", "tool"}
        return cls(kind=d["kind"], producer=d.get("producer", ""), endpoint=d["endpoint"], query=d.get("query", {}),
                   licence=d.get("licence", ""), fetched_at=d["fetched_at"], record_count=int(d["record_count"]),
                   sha256=d["sha256"], bytes=int(d.get("bytes", 0)), file=d.get("file", RECORDS),
                   tool=d.get("tool", ""), extra={k: v for k, v in d.items() if k not in known})


@dataclass(frozen=True)
class Snapshot:
    id: str          # folder relative to <data>/live, e.g. openreview/notes/NeurIPS.cc/2025/Conference
    path: Path       # the folder
    manifest: Manifest

    @property
    def records_path(self) -> Path:
        return self.path / self.manifest.file

    def as_row(self) -> dict:
        m = self.manifest
        return {"id": f"live:{self.id}", "kind": m.kind, "producer": m.producer, "endpoint": m.endpoint,
                "query": dumps(m.query), "fetched_at": m.fetched_at, "record_count": m.record_count,
                "sha256": m.sha256, "bytes": m.bytes, "licence": m.licence, "tool": m.tool,
                "path": f"{LIVE_DIR}/{self.id}/{m.file}"}


def list_snapshots(data_dir: Path | None, kind: str | None = None) -> list[Snapshot]:
    """Every completed snapshot under `<data>/live`, sorted by id (a folder without manifest is not one)."""
    if data_dir is None:
        return []
    root = Path(data_dir) / LIVE_DIR
    if not root.is_dir():
        return []
    out = []
    for m in sorted(root.rglob(MANIFEST)):
        if PARTIAL in m.parts:
            continue
        man = Manifest.load(m)
        if kind is None or man.kind == kind:
            out.append(Snapshot(m.parent.relative_to(root).as_posix(), m.parent, man))
    return out


def verify_snapshot(snap: Snapshot) -> tuple[str, str]:
    """(status, detail): ok | missing | mismatch — streamed, never the whole file in memory."""
    p = snap.records_path
    if not p.is_file():
        return "missing", f"{p} is absent"
    got = file_sha256(p)
    if got != snap.manifest.sha256:
        return "mismatch", f"sha256 {got[:12]}… ≠ manifest {snap.manifest.sha256[:12]}…"
    return "ok", ""


def fingerprint(data_dir: Path | None, kinds: tuple[str, ...] | None = None) -> str:
    """Digest of every snapshot's manifest checksum (and its file's size and mtime), or of those of `kinds`: a
    build reruns what reads snapshots when one changes."""
    h = hashlib.sha256()
    for s in list_snapshots(data_dir):
        if kinds is not None and s.manifest.kind not in kinds:
            continue
        # size and mtime too: a records file edited behind its manifest reruns the stage, which then refuses it
        st = s.records_path.stat() if s.records_path.exists() else None
        h.update(f"{s.id}|{s.manifest.kind}|{s.manifest.sha256}|{st and st.st_size}|{st and st.st_mtime_ns}\n"
                 .encode())
    return h.hexdigest()


def iter_jsonl(path: Path) -> Iterator[tuple[int, object | None, str | None]]:
    """(line number, object, error) for each line of a (gzip) JSON Lines file, streamed; a line that is not
    JSON gives (n, None, reason) so the caller can report it by line and go on."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw:
        f = io.BufferedReader(raw) if not isinstance(raw, io.BufferedReader) else raw
        n = 0
        while True:
            line = f.readline(MAX_LINE_BYTES + 1)
            if not line:
                break
            n += 1
            if len(line) > MAX_LINE_BYTES:
                yield n, None, f"line longer than {MAX_LINE_BYTES} bytes"
                while line and not line.endswith(b"\n"):
                    line = f.readline(MAX_LINE_BYTES)
                continue
            text = line.decode("utf-8-sig" if n == 1 else "utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                yield n, json.loads(text), None
            except ValueError as e:
                yield n, None, f"not JSON: {e}"


def read_records(path: Path) -> list[dict]:
    """The records of a snapshot file this project wrote (known good: its checksum is verified first)."""
    return [o for _, o, err in iter_jsonl(path) if err is None]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def encode_records(records: Iterable[dict], key: Callable[[dict], str]) -> tuple[bytes, int]:
    """Sorted by key, one line each, gzip without timestamp or name: reproducible bytes."""
    lines = sorted((key(r), dumps(r)) for r in records)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        for _, line in lines:
            gz.write(line.encode("utf-8") + b"\n")
    return buf.getvalue(), len(lines)


def write_snapshot(folder: Path, records: Iterable[dict], key: Callable[[dict], str], manifest: Manifest) -> str:
    """Write (or keep) a snapshot. Returns 'new', 'changed' or 'unchanged': when the records are the same as
    the snapshot already there, nothing on disk changes (its fetched_at stays the first time it was seen)."""
    data, n = encode_records(records, key)
    sha = hashlib.sha256(data).hexdigest()
    man_path = folder / MANIFEST
    status = "new"
    if man_path.is_file():
        old = Manifest.load(man_path)
        rec = folder / old.file
        if old.sha256 == sha and rec.is_file() and file_sha256(rec) == sha:
            return "unchanged"
        status = "changed"
    manifest.record_count, manifest.sha256, manifest.bytes = n, sha, len(data)
    manifest.fetched_at = manifest.fetched_at or now_utc()
    manifest.tool = manifest.tool or tool_version()
    _atomic_write(folder / manifest.file, data)
    _atomic_write(man_path, (json.dumps(manifest.as_dict(), indent=1, sort_keys=True) + "\n").encode())
    return status


class Staging:
    """Pages of a sync in progress: written atomically, listed in state.json, resumable after a kill."""

    def __init__(self, folder: Path, query: dict) -> None:
        self.dir = folder / PARTIAL
        self.state_path = self.dir / "state.json"
        self.query_key = dumps(query)
        self.state: dict = {"query": self.query_key, "pages": [], "cursor": None, "started_at": now_utc()}
        if self.state_path.is_file():
            try:
                st = json.loads(self.state_path.read_text(encoding="utf-8"))
            except ValueError:
                st = {}
            if st.get("query") == self.query_key:
                self.state = st
            else:  # a different query's leftovers: start clean
                shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def resumed(self) -> bool:
        return bool(self.state["pages"])

    @property
    def cursor(self):
        return self.state.get("cursor")

    def add_page(self, records: list[dict], cursor) -> None:
        name = f"page-{len(self.state['pages']):06d}.jsonl.gz"
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
            for r in records:
                gz.write(dumps(r).encode("utf-8") + b"\n")
        _atomic_write(self.dir / name, buf.getvalue())
        self.state["pages"].append(name)
        self.state["cursor"] = cursor
        _atomic_write(self.state_path, json.dumps(self.state, indent=1).encode())

    def records(self) -> Iterator[dict]:
        for name in self.state["pages"]:
            yield from read_records(self.dir / name)

    def clear(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def dedupe(records: Iterable[dict], key: Callable[[dict], str], version: Callable[[dict], object]) -> list[dict]:
    """One record per key: the highest `version` (e.g. modification date), then the greatest serialisation, so
    the choice never depends on page order."""
    best: dict[str, tuple] = {}
    for r in records:
        k = key(r)
        cand = (version(r), dumps(r))
        if k not in best or cand > best[k][0]:
            best[k] = (cand, r)
    return [v[1] for _, v in sorted(best.items())]
