"""The engine seam: stages write canonical SQL once (engine/render.py) and run it through `Engine`.

DuckDB is the embedded default and runs canonical SQL as written. Spark (the [spark] extra) renders it with
sqlglot; it is imported lazily, so the package imports without pyspark. docs/engines.md says why and how.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import UnknownValue
from .base import Dialect, Engine

ENGINES = ("duckdb", "spark")


def connect(settings, path: Path | None = None, read_only: bool = False) -> Engine:
    """Open the engine named in settings on `path` (default: settings.db_path)."""
    if settings.engine == "duckdb":
        from .duck import DuckEngine

        return DuckEngine(path or settings.db_path, threads=settings.threads,
                          memory_limit=settings.memory_limit, read_only=read_only)
    if settings.engine == "spark":
        try:
            from .spark import SparkEngine
        except ImportError as e:
            raise ImportError("The Spark engine needs the [spark] extra: pip install 'talentflow[spark]'") from e
        return SparkEngine(path or settings.db_path, threads=settings.threads,
                           memory_limit=settings.memory_limit, read_only=read_only)
    raise UnknownValue("engine", settings.engine, list(ENGINES))


# A database on disk: one DuckDB file (and its WAL), or a Spark database directory. The build works on a copy
# and publishes it by renaming, so a failed build leaves the previous database as it was.

def copy_database(src: Path, dst: Path) -> None:
    if src.is_dir():  # Spark: parquet files are never rewritten in place, so hard links make the copy
        shutil.copytree(src, dst, copy_function=os.link)
    else:
        shutil.copyfile(src, dst)


def replace_database(tmp: Path, db: Path) -> None:
    if tmp.is_dir():
        old = db.with_name(db.name + ".old")
        remove_database(old)
        if db.exists():
            os.replace(db, old)
        os.replace(tmp, db)
        remove_database(old)
    else:
        os.replace(tmp, db)


def remove_database(path: Path) -> bool:
    if path.is_dir():
        shutil.rmtree(path)
        return True
    if path.exists():
        path.unlink()
        return True
    return False


__all__ = ["Dialect", "Engine", "connect", "ENGINES", "copy_database", "replace_database", "remove_database"]
