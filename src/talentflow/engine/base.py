"""Two narrow seams: `Engine` runs canonical SQL and materialises tables; `Dialect` holds what differs in meaning.

Stage SQL is written once in the canonical dialect (engine/render.py, docs/engines.md); each engine renders it.
What no rendering can express goes behind `Engine`: file readers (`json_objects`), table listings, the error
class, writing a database to disk (`flush`) and the record linker (`splink_api`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Sequence


class Dialect(ABC):
    """SQL fragments. The canonical spellings are shared (each engine renders them); only `table_digest`, whose
    hash is each engine's own, differs."""

    def strip_accents(self, expr: str) -> str:
        return f"strip_accents({expr})"

    def list_len(self, expr: str) -> str:
        return f"len({expr})"

    def hash_text(self, expr: str) -> str:
        """Stable hex digest of a text expression (md5: the same digits on every engine)."""
        return f"md5({expr})"

    def unnest_with_index(self, list_expr: str, value_alias: str, index_alias: str) -> str:
        """SELECT-list fragment producing one row per list element and its 1-based position."""
        return f"unnest({list_expr}) AS {value_alias}, generate_subscripts({list_expr}, 1) AS {index_alias}"

    @abstractmethod
    def table_digest(self, table: str) -> str:
        """A one-row query: (row count, sum modulo 2**64 of a hash of every whole row) of `table`."""


class Engine(ABC):
    name: str
    dialect: Dialect
    Error: type | tuple = Exception  # what a failing statement raises (stages catch it to name the bad file)

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
    def json_objects(self, paths: list[str] | str, top: str = "array", filename: bool = False) -> str:
        """A relation with column `json` (and `filename`): every JSON value of the files as its raw text — the
        elements of a top-level array (top='array'), or each top-level value (top='object')."""

    @abstractmethod
    def read_json(self, path: str, fmt: str) -> str:
        """A relation over a JSON file (or glob) with columns inferred from its records; fmt 'array' (a top-level
        array of objects) or 'newline_delimited'."""

    @abstractmethod
    def read_csv(self, path: str, header: bool = True, all_varchar: bool = True, delim: str | None = None,
                 quote: str | None = None, columns: dict[str, str] | None = None) -> str:
        """A relation over a CSV file: every column text (all_varchar), named by the header or by `columns`."""

    @abstractmethod
    def json_entries(self, objects_sql: str) -> str:
        """A relation (key, value) with every member of the JSON objects in column `j` of `objects_sql`, in
        order (a key listed twice is listed twice)."""

    @abstractmethod
    def tables(self, kind: str = "BASE TABLE") -> list[str]:
        """Persistent tables (kind 'VIEW': views) of the database, sorted."""

    @abstractmethod
    def table_columns(self, table: str) -> list[tuple[str, str]]:
        """(column name, engine type name) of a table, in order."""

    @abstractmethod
    def close(self) -> None: ...

    def flush(self) -> None:
        """Make every change durable (DuckDB: CHECKPOINT)."""
        self.execute("CHECKPOINT")

    def cursor(self) -> "Engine":
        """A handle for another thread on the same database."""
        return self

    def expression(self, sql: str) -> str:
        """A canonical SQL expression spelt for this engine (for SQL handed to other libraries: splink)."""
        return sql

    def splink_api(self):
        """splink's database API on this engine's tables."""
        raise NotImplementedError(f"record linkage on {self.name}")

    def interrupt(self) -> None:
        """Stop the running query from another thread (Ctrl-C during a build); engines without it ignore it."""

    def query_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict]:
        cols = self.columns(sql if params is None else sql)
        return [dict(zip(cols, row)) for row in self.query(sql, params)]

    def scalar(self, sql: str, params: Sequence[Any] | None = None):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def table_exists(self, name: str) -> bool:
        return name in self.tables() or name in self.tables("VIEW")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
