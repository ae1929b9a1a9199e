"""Order-independent table checksums, and the engine's scratch tables.

Two builds hold the same data exactly when every published table has the same row count and checksum. A table's
checksum combines its schema (column names and types, in order) with the sum, modulo 2**64, of one hash per
row: row order does not matter, repeated rows count. Values are hashed exactly (no rounding), so a float that
differs in its last bit shows. Checksums compare builds made with the same engine version (the row hash is the
engine's own); `talentflow data checksum` prints them.
"""

from __future__ import annotations

import hashlib
import re

# Tables that describe the build rather than its data: the time a stage ran differs between identical builds.
NOT_CHECKSUMMED = {"build_state"}
# Engine and stage scratch tables never belong in a published database: splink's working tables, and the
# project's own staging prefixes (every staging table of a stage starts with '_').
SCRATCH = re.compile(r"^(__splink__|_)")
SPLINK = re.compile(r"^__splink__")


def tables(engine) -> list[str]:
    """Persistent base tables of the main schema, sorted (views are derived from them and are left out)."""
    return engine.tables()


def scratch_tables(engine) -> list[str]:
    """Persistent tables that are leftovers of a stage or of the engine (see SCRATCH)."""
    return [t for t in tables(engine) if SCRATCH.match(t)]


def drop_scratch(engine, pattern: re.Pattern = SCRATCH) -> list[str]:
    """Drop every scratch table (and view) of the main schema matching `pattern`; returns what was dropped."""
    dropped = []
    every = sorted([(t, "BASE TABLE") for t in engine.tables()] + [(v, "VIEW") for v in engine.tables("VIEW")])
    for name, kind in every:
        if pattern.match(name):
            engine.execute(f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} IF EXISTS "{name}"')
            dropped.append(name)
    return dropped


def table_checksum(engine, table: str) -> dict:
    """{'table', 'rows', 'columns', 'checksum'} of one table (checksum: 16 hex digits)."""
    cols = engine.table_columns(table)
    rows, row_sum = engine.query(engine.dialect.table_digest(table))[0]
    h = hashlib.sha256(repr(cols).encode())
    h.update(str(int(row_sum or 0)).encode())
    return {"table": table, "rows": int(rows), "columns": len(cols), "checksum": h.hexdigest()[:16]}


def table_checksums(engine, only: list[str] | None = None) -> list[dict]:
    """Checksums of every published table (or of `only`), sorted by table name."""
    names = [t for t in tables(engine) if t not in NOT_CHECKSUMMED and not SCRATCH.match(t)]
    if only:
        from ..errors import UnknownValue

        for t in only:
            if t not in names:
                raise UnknownValue("table", t, names)
        names = [t for t in names if t in only]
    return [table_checksum(engine, t) for t in names]


def compare(a: list[dict], b: list[dict]) -> list[dict]:
    """Tables whose rows or checksum differ between two checksum lists (missing on one side included)."""
    ia, ib = {r["table"]: r for r in a}, {r["table"]: r for r in b}
    out = []
    for t in sorted(set(ia) | set(ib)):
        ra, rb = ia.get(t), ib.get(t)
        if ra is None or rb is None or (ra["rows"], ra["checksum"]) != (rb["rows"], rb["checksum"]):
            out.append({"table": t, "rows_a": ra and ra["rows"], "rows_b": rb and rb["rows"],
                        "checksum_a": ra and ra["checksum"], "checksum_b": rb and rb["checksum"]})
    return out
