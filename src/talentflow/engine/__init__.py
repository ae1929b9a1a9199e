"""The engine seam: stages speak SQL through `Engine`, and reach dialect-specific functions only via `Dialect`.

DuckDB is the embedded default. Other engines plug in behind the same two classes; they are imported lazily so
the package imports without them.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UnknownValue
from .base import Dialect, Engine

ENGINES = ("duckdb",)


def connect(settings, path: Path | None = None, read_only: bool = False) -> Engine:
    """Open the engine named in settings on `path` (default: settings.db_path)."""
    if settings.engine == "duckdb":
        from .duck import DuckEngine

        return DuckEngine(path or settings.db_path, threads=settings.threads,
                          memory_limit=settings.memory_limit, read_only=read_only)
    raise UnknownValue("engine", settings.engine, list(ENGINES))


__all__ = ["Dialect", "Engine", "connect", "ENGINES"]
