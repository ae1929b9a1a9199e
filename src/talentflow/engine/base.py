"""Two narrow seams: `Engine` runs SQL and materialises tables; `Dialect` holds the few function differences."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Sequence


class Dialect(ABC):
    """SQL fragments whose spelling differs between engines. Stages call these instead of engine-only functions."""

    @abstractmethod
    def read_json_records(self, path: str, top_level: str) -> str:
        """A relation with one column `j` (JSON) per record. top_level: 'array' (a JSON array of objects) or
        'object' (one JSON document)."""

    @abstractmethod
    def json_str(self, expr: str, key: str) -> str:
        """Text value of a top-level key ('' and JSON null → NULL is NOT applied here)."""

    @abstractmethod
    def split(self, expr: str, sep: str) -> str:
        """Split a string into a list (NULL stays NULL)."""

    @abstractmethod
    def list_len(self, expr: str) -> str: ...

    @abstractmethod
    def list_at(self, expr: str, index_expr: str) -> str:
        """1-based element access."""

    @abstractmethod
    def unnest_with_index(self, list_expr: str, value_alias: str, index_alias: str) -> str:
        """SELECT-list fragment producing one row per list element and its 1-based position."""

    @abstractmethod
    def strip_accents(self, expr: str) -> str: ...

    @abstractmethod
    def hash_text(self, expr: str) -> str:
        """Stable hex digest of a text expression."""

    @abstractmethod
    def table_digest(self, table: str) -> str:
        """A one-row query: (row count, sum modulo 2**64 of a hash of every whole row) of `table`."""


class Engine(ABC):
    name: str
    dialect: Dialect

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Small results only: reports, lookups, tests."""

    @abstractmethod
    def columns(self, sql: str) -> list[str]: ...

    @abstractmethod
    def arrow(self, sql: str, params: Sequence[Any] | None = None):
        """Result as a pyarrow Table (for export)."""

    @abstractmethod
    def register_arrow(self, name: str, table) -> None:
        """Expose an in-memory Arrow table to SQL as `name`."""

    @abstractmethod
    def copy_to(self, sql: str, path: str, fmt: str) -> None:
        """Write a query result to a file (csv, parquet, jsonl) without passing rows through Python."""

    @abstractmethod
    def close(self) -> None: ...

    def interrupt(self) -> None:
        """Stop the running query from another thread (Ctrl-C during a build); engines without it ignore it."""

    def query_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict]:
        cols = self.columns(sql if params is None else sql)
        return [dict(zip(cols, row)) for row in self.query(sql, params)]

    def scalar(self, sql: str, params: Sequence[Any] | None = None):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def table_exists(self, name: str) -> bool:
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
