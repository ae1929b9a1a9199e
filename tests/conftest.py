"""Shared fixtures: a tiny hand-written mirror for unit tests, and one full build of the real mirror per session
for integration tests (TALENTFLOW_DATA; CI always sets it)."""

from __future__ import annotations

import csv
import fcntl
import gzip
import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from talentflow.settings import Settings
from talentflow.sources.catalog import CATALOG_COLUMNS, classify

MIRROR = os.environ.get("TALENTFLOW_DATA")


def write_mirror(root: Path, files: dict[str, object], raw: dict[str, bytes] | None = None) -> Path:
    """Write conference files (relative path → JSON-able object, or raw bytes) gzip-compressed under root, plus a
    catalog TSV describing them. Returns the catalog path."""
    rows = []
    items = {**{k: json.dumps(v).encode() for k, v in files.items()}, **(raw or {})}
    for rel, content in items.items():
        p = root / "conferences" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(gzip.compress(content, mtime=0))
        venue, year, kind = classify(p.name)
        rows.append(dict(id=re.sub(r"\.json\.gz$|\.gz$", "", p.name), group="conferences", venue=venue, year=year,
                         kind=kind, path=f"conferences/{rel}", repo="example/repo", commit="0" * 40,
                         src_path=rel.removesuffix(".gz"),
                         blob_sha=hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest(),
                         license="test", sha256=hashlib.sha256(p.read_bytes()).hexdigest(),
                         bytes=p.stat().st_size, note="fixture"))
    cat = root / "catalog.tsv"
    with cat.open("w", newline="") as f:
        w = csv.DictWriter(f, CATALOG_COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return cat


def fixture_settings(tmp_path: Path, files: dict, raw: dict | None = None, **kw) -> Settings:
    data = tmp_path / "data"
    cat = write_mirror(data, files, raw)
    return Settings(data_dir=data, db_path=tmp_path / "db" / "t.duckdb", catalog_path=cat, **kw)


def pytest_configure(config):
    # Two test processes share two cores: OpenBLAS threads would spin waiting for work and cost CPU time without
    # saving any (the bootstrap's products are exact integer sums: the same numbers with one thread).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    if not MIRROR:
        if os.environ.get("CI"):
            pytest.fail("CI must set TALENTFLOW_DATA: mirror integration tests may not be skipped there")
        pytest.skip("TALENTFLOW_DATA is not set (CI sets it to ../shared/data)")
    p = Path(MIRROR).resolve()
    assert p.is_dir(), f"TALENTFLOW_DATA={MIRROR} is not a directory"
    return p


@pytest.fixture(scope="session")
def mirror_settings(mirror_dir, tmp_path_factory, worker_id) -> Settings:
    """One full build of the real mirror (every stage of the DAG), shared by the session's integration tests — and,
    under pytest-xdist, by every worker: the first to take the lock builds, the others wait and read the same file
    (tests only open it read-only)."""
    from talentflow.pipeline import build

    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # the directory all workers of this run share
    s = Settings(data_dir=mirror_dir, db_path=root / "mirror-build" / "talentflow.duckdb")
    done = s.db_path.with_name("built")
    s.db_path.parent.mkdir(exist_ok=True)
    with open(root / "mirror-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            build(s)
            done.touch()
    return s


@pytest.fixture()
def mirror_engine(mirror_settings):
    from talentflow.engine import connect

    with connect(mirror_settings, read_only=True) as eng:
        yield eng
