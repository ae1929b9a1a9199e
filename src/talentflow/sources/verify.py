"""Presence and checksum verification of mirrored files."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..limits import GZIP_RATIO_MAX, gzip_cap
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


def _chunks(path: Path, cap: int | None = None) -> Iterator[bytes]:
    """The content of `path` (decompressed if .gz) in 1 MiB pieces; InputError naming the file once it passes
    `cap` bytes, so a gzip bomb costs bounded memory and time."""
    n = 0
    with (gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += len(chunk)
            if cap is not None and n > cap:
                raise InputError(str(path), f"decompresses to more than {cap:,} bytes, the cap for this file "
                                            f"({GZIP_RATIO_MAX}× its catalogued gzip size + 1 MiB): refused as a "
                                            "likely gzip bomb, not the catalogued content")
            yield chunk


def content_size(path: Path, cap: int | None = None) -> int:
    return sum(len(c) for c in _chunks(path, cap))


def _blob_sha_of(path: Path, size: int, cap: int | None) -> tuple[str, int]:
    h = hashlib.sha1(b"blob %d\0" % size)
    n = 0
    for c in _chunks(path, cap):
        h.update(c)
        n += len(c)
    return h.hexdigest(), n


def content_blob_sha(path: Path, cap: int | None = None) -> str:
    """git blob id of the file's content (decompressed if .gz), streamed. git hashes the length first: a gzip
    file's trailer gives it (ISIZE, exact for one member under 4 GiB, as `data fetch` writes them); otherwise a
    first pass counts. `cap`: most bytes the content may have (default: limits.gzip_cap of the file's size)."""
    if path.suffix != ".gz":
        return _blob_sha_of(path, path.stat().st_size, None)[0]
    if cap is None:
        cap = gzip_cap(path.stat().st_size)
    with path.open("rb") as f:
        f.seek(max(path.stat().st_size - 4, 0))
        guess = int.from_bytes(f.read(4), "little")
    sha, n = _blob_sha_of(path, guess, cap)
    return sha if n == guess else _blob_sha_of(path, n, cap)[0]


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
            if content_blob_sha(p, gzip_cap(ds.bytes)) == ds.blob_sha:
                return Check(ds, "content-ok", "gzip bytes differ, content matches the upstream blob")
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as e:
            return Check(ds, "mismatch", f"cannot decompress: {e}")
        except InputError as e:
            return Check(ds, "mismatch", e.problem)
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
            if allow_changed and p.suffix == ".gz":
                content_size(p, gzip_cap(p.stat().st_size))
            out.append(InputCheck(d, p, "uncatalogued", file_sha256(p), "read by the build but not in the catalog"))
            continue
        c = check(d, data_dir)
        status = "changed" if c.status == "mismatch" else c.status
        if status == "changed" and allow_changed and p.suffix == ".gz":
            # the build will read this version as it is: bounded by the larger of its catalogued and own size
            content_size(p, gzip_cap(max(d.bytes, p.stat().st_size)))
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
