"""DuckDB engine: runs canonical SQL as written (the canonical dialect is DuckDB's spelling, engine/render.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import duckdb

from .base import Dialect, Engine


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class DuckDialect(Dialect):
    def table_digest(self, table: str) -> str:
        # hash(t) hashes the row as one struct; summing (not xor) keeps repeated rows from cancelling out
        return (f'SELECT count(*), coalesce(sum(hash(t)), 0) % 18446744073709551616 FROM "{table}" t')


class DuckEngine(Engine):
    name = "duckdb"
    Error = duckdb.Error

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

    def json_objects(self, paths: list[str] | str, top: str = "array", filename: bool = False) -> str:
        # 'unstructured' reads a file's top-level value as it is: an array where an object belongs stays one
        # value of the wrong type. Files reach ~20 MB uncompressed as one object: lift the 16 MB object limit.
        src = _q(paths) if isinstance(paths, str) else "[" + ", ".join(_q(p) for p in paths) + "]"
        fmt = "array" if top == "array" else "unstructured"
        return (f"read_json_objects({src}, format='{fmt}', {'filename=true, ' if filename else ''}"
                f"maximum_object_size=536870912)")

    def read_json(self, path: str, fmt: str) -> str:
        return f"read_json({_q(path)}, format='{fmt}')"

    def read_csv(self, path: str, header: bool = True, all_varchar: bool = True, delim: str | None = None,
                 quote: str | None = None, columns: dict[str, str] | None = None) -> str:
        opts = [f"header={str(header).lower()}"]
        if delim is not None:
            opts.append(f"delim={_q(delim)}")
        if quote is not None:
            opts.append(f"quote={_q(quote)}")
        if all_varchar:
            opts.append("all_varchar=true")
        if columns:
            opts.append("columns={" + ", ".join(f"{_q(k)}: {_q(v)}" for k, v in columns.items()) + "}")
        return f"read_csv({_q(path)}, {', '.join(opts)})"

    def json_entries(self, objects_sql: str) -> str:
        # A cast to MAP fails on a key listed twice; json_each copies the whole document per entry (1.3 MB →
        # 2 GB), so it is only used for objects whose keys repeat.
        dup = self.scalar(f"SELECT bool_or(len(json_keys(j)) <> len(list_distinct(json_keys(j)))) FROM ({objects_sql})")
        if dup:
            return f"SELECT e.key, e.value FROM ({objects_sql}) t, json_each(t.j) e"
        return f"SELECT unnest(map_entries(CAST(j AS MAP(VARCHAR, JSON))), recursive := true) FROM ({objects_sql})"

    def tables(self, kind: str = "BASE TABLE") -> list[str]:
        return [t for (t,) in self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_type = ? AND table_schema = 'main' "
            "AND table_catalog = current_database() ORDER BY table_name", [kind])]

    def table_columns(self, table: str) -> list[tuple[str, str]]:
        return [tuple(r) for r in self.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = 'main' AND table_catalog = current_database() ORDER BY ordinal_position",
            [table])]

    def table_exists(self, name: str) -> bool:  # temporary tables count
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))

    def splink_api(self):
        from splink import DuckDBAPI

        return DuckDBAPI(connection=self.con)

    def cursor(self) -> "DuckEngine":
        """A cheap per-thread/per-request handle on the same database."""
        twin = object.__new__(DuckEngine)
        twin.path, twin.dialect, twin.con, twin.shared = self.path, self.dialect, self.con.cursor(), self.shared
        return twin

    def interrupt(self) -> None:
        self.con.interrupt()

    def close(self) -> None:
        self.con.close()
