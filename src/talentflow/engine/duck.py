"""DuckDB engine and dialect: the only module that may spell DuckDB-specific functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import duckdb

from .base import Dialect, Engine


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class DuckDialect(Dialect):
    def read_json_records(self, path: str, top_level: str) -> str:
        fmt = "array" if top_level == "array" else "auto"
        # Files reach ~20 MB uncompressed as one object; lift the default 16 MB object limit.
        return (f"(SELECT json AS j FROM read_json_objects({_q(path)}, format='{fmt}', "
                f"maximum_object_size=268435456))")

    def json_str(self, expr: str, key: str) -> str:
        path = "$." + key if key.isidentifier() else '$."' + key + '"'
        return f"({expr} ->> {_q(path)})"

    def split(self, expr: str, sep: str) -> str:
        return f"string_split({expr}, {_q(sep)})"

    def list_len(self, expr: str) -> str:
        return f"len({expr})"

    def list_at(self, expr: str, index_expr: str) -> str:
        return f"({expr})[{index_expr}]"

    def unnest_with_index(self, list_expr: str, value_alias: str, index_alias: str) -> str:
        return f"unnest({list_expr}) AS {value_alias}, generate_subscripts({list_expr}, 1) AS {index_alias}"

    def strip_accents(self, expr: str) -> str:
        return f"strip_accents({expr})"

    def hash_text(self, expr: str) -> str:
        return f"md5({expr})"

    def table_digest(self, table: str) -> str:
        # hash(t) hashes the row as one struct; summing (not xor) keeps repeated rows from cancelling out
        return (f'SELECT count(*), coalesce(sum(hash(t)), 0) % 18446744073709551616 FROM "{table}" t')


class DuckEngine(Engine):
    name = "duckdb"

    def __init__(self, path: Path | str, threads: int = 2, memory_limit: str = "4GB", read_only: bool = False):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(self.path, read_only=read_only,
                                  config={"threads": threads, "memory_limit": memory_limit})
        self.dialect = DuckDialect()
        self.shared: dict = {}  # state a reader keeps for this connection and its cursors (metrics.rowstore)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, params or [])

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def columns(self, sql: str) -> list[str]:
        return [d[0] for d in self.con.execute(f"SELECT * FROM ({sql}) LIMIT 0").description]

    def query_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict]:
        cur = self.con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def arrow(self, sql: str, params: Sequence[Any] | None = None):
        rel = self.con.sql(sql, params=params or None)  # a relation converts to Arrow without an extra copy
        return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()

    def register_arrow(self, name: str, table) -> None:
        self.con.register(name, table)

    def copy_to(self, sql: str, path: str, fmt: str) -> None:
        opts = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet",
                "jsonl": "FORMAT json"}[fmt]
        self.con.execute(f"COPY ({sql}) TO {_q(path)} ({opts})")

    def cursor(self) -> "DuckEngine":
        """A cheap per-thread/per-request handle on the same database."""
        twin = object.__new__(DuckEngine)
        twin.path, twin.dialect, twin.con, twin.shared = self.path, self.dialect, self.con.cursor(), self.shared
        return twin

    def interrupt(self) -> None:
        self.con.interrupt()

    def close(self) -> None:
        self.con.close()
