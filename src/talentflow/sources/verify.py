"""Presence and checksum verification of mirrored files."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .catalog import Dataset


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
