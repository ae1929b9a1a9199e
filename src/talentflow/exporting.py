"""Export of the main tables to CSV / JSON Lines / Parquet, streamed by the engine (rows never pass through Python
lists). Authorships carry the resolved columns when the resolution stage has run."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .engine import connect
from .errors import NotBuilt, TalentflowError, UnknownValue
from .limits import check_text, check_year

TABLES = ("authorships", "papers")
FORMATS = ("csv", "jsonl", "parquet")


def export_sql(eng, table: str, venue: str | None, year: int | None, accepted_only: bool) -> tuple[str, list]:
    if table not in TABLES:
        raise UnknownValue("table", table, list(TABLES))
    if venue is not None:
        venues = [v for (v,) in eng.query("SELECT DISTINCT venue FROM papers ORDER BY 1")]
        if venue not in venues:
            raise UnknownValue("venue", venue, venues)
    src = table
    if table == "authorships" and eng.table_exists("authorships_resolved"):
        src = "authorships_resolved"  # same rows plus institution, countries, sector, confidence, reason
    where, params = [], []
    for col, val in (("venue", venue), ("year", year)):
        if val is not None:
            where.append(f"t.{col} = ?")
            params.append(val)
    if table == "papers":
        sql = "SELECT t.* EXCLUDE (unit_id) FROM papers t"
        where += ["t.accepted"] if accepted_only else []
    else:
        sql = (f"SELECT t.* EXCLUDE (unit_id) FROM {src} t JOIN papers p "
               "ON p.venue = t.venue AND p.year = t.year AND p.paper_id = t.paper_id")
        where += ["p.accepted"] if accepted_only else []
    if where:
        sql += " WHERE " + " AND ".join(where)
    order = "t.venue, t.year, t.paper_id" + (", t.author_order" if table != "papers" else "")
    return sql + f" ORDER BY {order}", params


def export_table(settings, table: str, venue=None, year=None, accepted_only=False, fmt="csv", out: Path | None = None) -> None:
    check_text("venue", venue)
    if year is not None:
        year = check_year(year)
    if fmt not in FORMATS:
        raise UnknownValue("format", fmt, list(FORMATS))
    if fmt == "parquet" and out is None:
        raise TalentflowError("Parquet is binary: pass --out FILE.parquet.")
    if not settings.db_path.exists():
        raise NotBuilt(f"No database at {settings.db_path}.")
    with connect(settings, read_only=True) as eng:
        sql, params = export_sql(eng, table, venue, year, accepted_only)
        # COPY takes no bind parameters: materialise the filtered rows as a temp view first
        eng.execute("CREATE TEMP TABLE _export AS " + sql, params)
        if out is not None:
            import duckdb

            try:
                eng.copy_to("SELECT * FROM _export", str(out), fmt)
            except duckdb.IOException as e:  # full disk, no permission: the file and the reason
                raise TalentflowError(f"cannot write {out}: {str(e).splitlines()[0]}") from None
            return
        with tempfile.TemporaryDirectory() as td:
            tmp = os.path.join(td, f"export.{fmt}")
            eng.copy_to("SELECT * FROM _export", tmp, fmt)
            with open(tmp, "rb") as f:
                while chunk := f.read(1 << 20):
                    sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
