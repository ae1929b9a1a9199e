"""Download missing datasets from their pinned upstream commit, resuming partial downloads, verifying content."""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import requests

from ..errors import ChecksumMismatch, TalentflowError
from .catalog import Dataset
from .verify import check, git_blob_sha

RAW_BASE = "https://raw.githubusercontent.com"


@dataclass
class FetchResult:
    dataset: Dataset
    status: str  # present | fetched | skipped
    detail: str = ""


def _download(url: str, part: Path, timeout: float, progress: Callable[[int], None] | None) -> None:
    headers = {}
    have = part.stat().st_size if part.exists() else 0
    if have:
        headers["Range"] = f"bytes={have}-"
    with requests.get(url, headers=headers, stream=True, timeout=timeout) as r:
        if r.status_code == 416:  # already complete
            return
        if r.status_code not in (200, 206):
            raise TalentflowError(f"GET {url} answered HTTP {r.status_code}")
        mode = "ab" if (have and r.status_code == 206) else "wb"
        with part.open(mode) as f:
            for chunk in r.iter_content(1 << 16):
                f.write(chunk)
                if progress:
                    progress(len(chunk))


def fetch_one(ds: Dataset, data_dir: Path, base_url: str = RAW_BASE, force: bool = False, timeout: float = 60,
              progress: Callable[[int], None] | None = None) -> FetchResult:
    target = ds.local(data_dir)
    if not force and check(ds, data_dir, deep=False).status != "missing":
        return FetchResult(ds, "present")
    if not ds.fetchable:
        return FetchResult(ds, "skipped", "no single upstream blob for this file (see its catalog note)")
    url = ds.upstream_url.replace(RAW_BASE, base_url.rstrip("/"), 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    _download(url, part, timeout, progress)
    raw = part.read_bytes()
    got = git_blob_sha(raw)
    if got != ds.blob_sha:
        part.unlink()
        raise ChecksumMismatch(f"{ds.id}: downloaded content has git blob {got}, catalog says {ds.blob_sha}")
    tmp = target.with_name(target.name + ".tmp")
    if target.suffix == ".gz":
        with gzip.open(tmp, "wb", compresslevel=6) as f:
            f.write(raw)
    else:
        tmp.write_bytes(raw)
    os.replace(tmp, target)
    part.unlink()
    return FetchResult(ds, "fetched", url)
