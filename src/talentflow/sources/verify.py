"""Presence and checksum verification of mirrored files."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .catalog import Dataset


# sha256 by (path, size, mtime, ctime, inode): a build hashes every input once although several steps check it
_SHA_MEMO: dict[tuple, str] = {}


def file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    got = _SHA_MEMO.get(key)
    if got is None:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        got = _SHA_MEMO[key] = h.hexdigest()
    return got


def git_blob_sha(content: bytes) -> str:
    """The id git gives a file's content: lets us check a download against the upstream commit tree."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def content_blob_sha(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return git_blob_sha(raw)


@dataclass
class Check:
    dataset: Dataset
    status: str  # ok | content-ok | missing | mismatch
    detail: str = ""


def check(ds: Dataset, data_dir: Path, deep: bool = True) -> Check:
    p = ds.local(data_dir)
    if not p.is_file():
        return Check(ds, "missing", str(p))
    if file_sha256(p) == ds.sha256:
        return Check(ds, "ok")
    # A re-fetched file is recompressed locally, so its gzip bytes differ; its content must match upstream.
    if deep and ds.blob_sha and len(ds.blob_sha) == 40:
        try:
            if content_blob_sha(p) == ds.blob_sha:
                return Check(ds, "content-ok", "gzip bytes differ, content matches the upstream blob")
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            return Check(ds, "mismatch", f"cannot decompress: {e}")
    return Check(ds, "mismatch", f"sha256 differs from catalog ({ds.sha256[:12]}…)")


@dataclass
class InputCheck:
    """One file a build reads: `status` ok | content-ok | missing | changed (differs from the catalog, used
    under allow_changed) | uncatalogued (read but not in the catalog, used under allow_changed)."""
    dataset: Dataset
    path: Path
    status: str
    sha256: str | None  # of the file as read (None when missing)
    detail: str = ""


def verify_inputs(datasets: list[Dataset], data_dir: Path, allow_changed: bool = False) -> list[InputCheck]:
    """Checksum every file a build is about to read. A file that differs from its catalogued version (or that
    the catalog does not know: empty sha256) raises ChecksumMismatch naming it, unless `allow_changed`; then it
    is returned as 'changed' so the build can record it. Missing files are returned for the stage to decide."""
    from ..errors import ChecksumMismatch

    out: list[InputCheck] = []
    for d in sorted({d.id: d for d in datasets}.values(), key=lambda d: d.id):
        p = d.local(data_dir)
        if not p.is_file():
            out.append(InputCheck(d, p, "missing", None, "not in the data directory"))
            continue
        if not d.sha256:
            out.append(InputCheck(d, p, "uncatalogued", file_sha256(p), "read by the build but not in the catalog"))
            continue
        c = check(d, data_dir)
        status = "changed" if c.status == "mismatch" else c.status
        out.append(InputCheck(d, p, status, file_sha256(p), c.detail))
    bad = [c for c in out if c.status in ("changed", "uncatalogued")]
    if bad and not allow_changed:
        others = ", ".join(c.dataset.path for c in bad[1:4]) + (" …" if len(bad) > 4 else "")
        more = f" (and {len(bad) - 1} more: {others})"
        raise ChecksumMismatch(f"{bad[0].path}: {bad[0].detail}" + (more if len(bad) > 1 else ""),
                               hint="The file differs from the catalogued upstream version: re-fetch it with "
                                    "`talentflow data fetch --force`, or build with --allow-changed to use it "
                                    "anyway (recorded in the database's input_files table).")
    return out
