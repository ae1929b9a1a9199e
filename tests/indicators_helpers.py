"""Shared helpers for the indicator tests: one build of the indicators stage from the real mirror into a temporary
DuckDB file (seconds), and small fixture catalogs for reader tests."""

from __future__ import annotations

import csv
import gzip
import hashlib
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from talentflow.settings import Settings
from talentflow.sources.catalog import CATALOG_COLUMNS


@lru_cache(maxsize=2)
def built_indicators_db(mirror: str) -> tuple[Path, dict]:
    """Run only the indicators stage on the mirror into a temp DuckDB file; returns (path, stage stats)."""
    from talentflow.engine import connect
    from talentflow.indicators import stage

    tmp = Path(tempfile.mkdtemp(prefix="tf-indicators-"))
    s = Settings(data_dir=Path(mirror), db_path=tmp / "ind.duckdb")
    with connect(s, s.db_path) as eng:
        stats = stage.run(eng, s)
        eng.execute("CHECKPOINT")
    return s.db_path, stats


def write_indicator_mirror(root: Path, files: dict[str, bytes]) -> Settings:
    """Indicator files (mirror-relative path without .gz → raw bytes), gzip-compressed, plus a catalog."""
    rows = []
    for rel, content in files.items():
        p = root / "data" / (rel + ".gz")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(gzip.compress(content, mtime=0))
        rows.append(dict(id=rel, group="indicators", venue="", year="", kind="indicators", path=rel + ".gz",
                         repo="example/repo", commit="0" * 40, src_path=rel, blob_sha="-", license="test licence",
                         sha256=hashlib.sha256(p.read_bytes()).hexdigest(), bytes=p.stat().st_size,
                         note="fixture note"))
    cat = root / "catalog.tsv"
    with cat.open("w", newline="") as f:
        w = csv.DictWriter(f, CATALOG_COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return Settings(data_dir=root / "data", db_path=root / "db" / "t.duckdb", catalog_path=cat)


def copy_db(src: Path, dst_dir: Path) -> Path:
    dst = dst_dir / "copy.duckdb"
    shutil.copyfile(src, dst)
    return dst
