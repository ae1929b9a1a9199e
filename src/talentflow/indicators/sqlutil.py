"""Small SQL helpers shared by the indicator readers (DuckDB spelling, kept to the indicators stage)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..errors import InputError

# Tokens meaning "no value" in the NCSES/OWID/Epoch exports: skipped and counted, never quarantined.
# NCSES: NA = not available, D = suppressed for disclosure; `-` and `—` appear as "none" in some extracts.
MISSING_TOKENS = ("", "NA", "N/A", "D", "-", "—", "nan")


def q(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def read_csv(path: Path | str) -> str:
    """Every column as text: values are parsed explicitly so a bad cell is quarantined with its record key,
    not silently turned into NULL by type sniffing. Ragged lines (wrong number of fields, broken quoting) are kept
    out of the result and recorded by DuckDB's rejects tables; `run` copies them to `_csv_rejects` so the stage
    quarantines and counts them with their line number."""
    return (f"read_csv({q(str(path))}, header=true, all_varchar=true, strict_mode=true, delim=',', quote='\"', "
            f"escape='\"', sample_size=-1, store_rejects=true)")


def num(expr: str) -> str:
    """Text → DOUBLE (thousands separators removed); NULL when not a number."""
    return f"TRY_CAST(replace(trim({expr}), ',', '') AS DOUBLE)"


def missing(expr: str) -> str:
    toks = ", ".join(q(t) for t in MISSING_TOKENS)
    return f"({expr} IS NULL OR trim({expr}) IN ({toks}))"


def run(engine, path: Path | str, sql: str, params=None) -> None:
    """Execute reader SQL; a malformed file becomes an InputError naming the file (DuckDB's message carries the
    line and column)."""
    try:
        engine.execute(sql, params)
        if "store_rejects" in sql:
            engine.execute("CREATE TEMP TABLE IF NOT EXISTS _csv_rejects (file_path VARCHAR, line BIGINT, "
                           "column_name VARCHAR, error_type VARCHAR, csv_line VARCHAR, error_message VARCHAR)")
            engine.execute("INSERT INTO _csv_rejects SELECT s.file_path, e.line, e.column_name, e.error_type, "
                           "e.csv_line, e.error_message FROM reject_errors e JOIN reject_scans s "
                           "ON s.scan_id = e.scan_id AND s.file_id = e.file_id")
    except duckdb.Error as e:
        msg = str(e).strip().splitlines()
        raise InputError(str(path), " ".join(m.strip() for m in msg[:6] if m.strip())) from e


def field_case(expr: str, mapping: dict[str, str]) -> str:
    """CASE expression mapping known labels to short slugs; unknown labels fall back to a lower-case slug."""
    whens = " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in mapping.items())
    fallback = f"trim(regexp_replace(lower({expr}), '[^a-z0-9]+', '_', 'g'), '_')"
    return f"(CASE trim({expr}) {whens} ELSE {fallback} END)"
