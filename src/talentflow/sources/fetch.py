"""Download missing datasets from their pinned upstream commit, resuming partial downloads, verifying content.

A download is bounded three ways (limits.py, docs/reliability.md): it may carry at most the most bytes the file's
content can have (`limits.content_cap`: the catalogued size, or 64× it for a file stored gzip-compressed, plus
1 MiB); it must finish within `timeout` seconds in total, however slowly the server trickles; a read that stalls
fails after min(timeout, 60) s. A transfer cut short keeps its `.part` file, and the same command resumes it.
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import requests
import urllib3

from ..errors import ChecksumMismatch, TalentflowError
from ..limits import FETCH_STALL_MAX, FETCH_TIMEOUT, check_seconds, content_cap
from .catalog import Dataset
from .verify import check, content_blob_sha

RAW_BASE = "https://raw.githubusercontent.com"


@dataclass
class FetchResult:
    dataset: Dataset
    status: str  # present | fetched | skipped
    detail: str = ""


class DownloadError(TalentflowError):
    hint = "Run the same `talentflow data fetch` again: a partial download is resumed."


def _cut(r: requests.Response) -> None:
    """Shut the response's socket from the watchdog thread: a blocked read returns at once."""
    sock = getattr(getattr(r.raw, "connection", None), "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _download(url: str, part: Path, cap: int, timeout: float,
              progress: Callable[[int], None] | None, name: str) -> None:
    start = time.monotonic()
    stall = min(timeout, FETCH_STALL_MAX)
    have = part.stat().st_size if part.exists() else 0
    if have > cap:  # a leftover larger than the file can be is not a part of it
        part.unlink()
        have = 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    got, timed_out, watchdog = have, threading.Event(), None

    def expire(r):
        timed_out.set()
        _cut(r)

    try:
        with requests.get(url, headers=headers, stream=True, timeout=(stall, stall)) as r:
            # the total limit: per-read timeouts never fire on a server that sends a byte now and then
            watchdog = threading.Timer(max(timeout - (time.monotonic() - start), 0), expire, [r])
            watchdog.daemon = True
            watchdog.start()
            if r.status_code == 416:  # already complete
                return
            if r.status_code not in (200, 206):
                raise DownloadError(f"{name}: GET {url} answered HTTP {r.status_code}",
                                    hint="Check --base-url and the network.")
            if r.status_code == 200:
                got = 0
            length = r.headers.get("Content-Length", "")
            if length.isdigit() and got + int(length) > cap:
                raise _TooLarge(got + int(length))
            with part.open("ab" if got else "wb") as f:
                # read1: what has arrived, so a transfer cut short keeps every byte received (for the resume)
                while chunk := r.raw.read1(1 << 16, decode_content=True):
                    got += len(chunk)
                    if got > cap:
                        raise _TooLarge(got)
                    f.write(chunk)
                    if progress:
                        progress(len(chunk))
                    if timed_out.is_set():
                        break
            watchdog.cancel()  # a download complete in time is not failed by a watchdog firing now
            if timed_out.is_set():
                raise requests.exceptions.Timeout("total time limit")
    except _TooLarge as e:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{name}: {url} sent more than {cap:,} bytes ({e.args[0]:,} so far), more than this "
                            "file's content can have (its catalogued size with the margin of limits.content_cap): "
                            "refused, nothing kept", hint="Check --base-url: the server does not serve this file."
                            ) from None
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
        if timed_out.is_set() or isinstance(e, (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError)):
            why = (f"took longer than --timeout {timeout:g} s" if timed_out.is_set() else
                   f"stalled for {stall:g} s")
            raise DownloadError(f"{name}: download {why}, {got:,} bytes received and kept") from None
        raise DownloadError(f"{name}: download of {url} failed after {got:,} bytes ({type(e).__name__}: the "
                            "connection broke or the transfer was cut short); the bytes received are kept") from None
    finally:
        if watchdog is not None:
            watchdog.cancel()


class _TooLarge(Exception):
    pass


def fetch_one(ds: Dataset, data_dir: Path, base_url: str = RAW_BASE, force: bool = False,
              timeout: float = FETCH_TIMEOUT, progress: Callable[[int], None] | None = None) -> FetchResult:
    timeout = check_seconds(timeout, "--timeout")
    target = ds.local(data_dir)
    if not force and check(ds, data_dir, deep=False).status != "missing":
        return FetchResult(ds, "present")
    if not ds.fetchable:
        return FetchResult(ds, "skipped", "no single upstream blob for this file (see its catalog note)")
    url = ds.upstream_url.replace(RAW_BASE, base_url.rstrip("/"), 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    _download(url, part, content_cap(ds.bytes, ds.path), timeout, progress, ds.id)
    got = content_blob_sha(part)  # streamed: the file is never held in memory
    if got != ds.blob_sha:
        part.unlink()
        raise ChecksumMismatch(f"{ds.id}: downloaded content has git blob {got}, catalog says {ds.blob_sha}")
    tmp = target.with_name(target.name + ".tmp")
    if target.suffix == ".gz":
        with part.open("rb") as src, gzip.open(tmp, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    else:
        shutil.copyfile(part, tmp)
    os.replace(tmp, target)
    part.unlink()
    return FetchResult(ds, "fetched", url)
