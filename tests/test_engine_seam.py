"""The engine seam: stage SQL is canonical (engine/render.py) — every statement a build runs renders for Spark
without a construct only DuckDB understands, and stage modules spell no engine-only SQL or API."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from talentflow.engine import render

SRC = Path(__file__).resolve().parents[1] / "src" / "talentflow"

# Spellings that only DuckDB runs, and engine internals stages must not reach: each has a portable form
# (docs/engines.md) or an Engine method.
FORBIDDEN = {
    r"(?<![.\w])read_json_objects\s*\(": "Engine.json_objects",
    r"(?<![.\w])read_json\s*\(": "Engine.read_json",
    r"(?<![.\w])read_csv(_auto)?\s*\(": "Engine.read_csv",
    r"(?<![.\w])read_parquet\s*\(": "a registered Arrow table",
    r"\bjson_each\s*\(|\bmap_entries\s*\(": "Engine.json_entries",
    r"\blist_zip\s*\(": "one CASE per field",
    r"\bCOLUMNS\s*\(": "the column names, listed",
    r"\*\s*(EXCLUDE\s*\([^)]*\)\s*)?REPLACE\s*\(": "the columns, selected",
    r"\?::": "CAST(? AS …)",
    r"\bstore_rejects\b|\breject_errors\b": "Engine.read_csv",
    r"\.con\b": "an Engine method",
    r"^\s*import duckdb|^\s*from duckdb": "Engine.Error and Engine methods",
    r"\bDuckDBAPI\b": "Engine.splink_api",
}

# Modules that still read files with DuckDB-only table functions, with what stands in their way. The test
# fails when one of them is fixed and not struck from this list, as well as when another module joins it.
PENDING: dict[str, str] = {
    "indicators/sqlutil.py": "strict CSV reading with DuckDB's rejects tables",
    "indicators/tables.py": "CSV readers and UNPIVOT over COLUMNS(…)",
    "indicators/leaderboards.py": "JSON and CSV readers, UNPIVOT over COLUMNS(…), MAP casts",
    "indicators/models.py": "CSV readers",
    "indicators/stage.py": "CSV readers",
    "careers/mirror_papers.py": "JSON readers (evaluation only, not a build stage)",
    "sources/orcid.py": "a private DuckDB connection reading an ORCID dump (sync, not a build stage)",
    "exporting.py": "DuckDB's IOException names a full disk",
}


def _stage_modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "engine" not in p.relative_to(SRC).parts[:1])


def test_stage_modules_spell_no_engine_only_sql():
    hits: dict[str, list[str]] = {}
    for p in _stage_modules():
        rel = p.relative_to(SRC).as_posix()
        text = p.read_text(encoding="utf-8")
        for pat, instead in FORBIDDEN.items():
            for m in re.finditer(pat, text, flags=re.M):
                line = text.count("\n", 0, m.start()) + 1
                hits.setdefault(rel, []).append(f"{rel}:{line}: {m.group(0).strip()!r} (use {instead})")
    new = sorted(f for f in hits if f not in PENDING)
    fixed = sorted(f for f in PENDING if f not in hits)
    assert not new, "engine-only SQL in stage code:\n" + "\n".join(f"- {h}" for f in new for h in hits[f])
    assert not fixed, f"no longer engine-only, strike from PENDING: {fixed}"


def _recorded_build(tmp_path, monkeypatch) -> list[str]:
    """Every SQL text the DuckDB engine is given during a build of the synthetic fixture mirror, with the
    relations its own readers made (Engine.json_objects, …: DuckDB's spelling, rightly) cut out."""
    from test_determinism import _synthetic_mirror

    from talentflow.engine.duck import DuckEngine
    from talentflow.pipeline import build

    seen: list[str] = []
    made: set[str] = set()
    for name in ("execute", "query", "columns", "query_dicts", "arrow"):
        orig = getattr(DuckEngine, name)

        def wrapped(self, sql, *a, _orig=orig, **k):
            seen.append(sql)
            return _orig(self, sql, *a, **k)

        monkeypatch.setattr(DuckEngine, name, wrapped)
    for name in ("json_objects", "read_json", "read_csv", "json_entries"):
        orig = getattr(DuckEngine, name)

        def reader(self, *a, _orig=orig, **k):
            out = _orig(self, *a, **k)
            made.add(out)
            return out

        monkeypatch.setattr(DuckEngine, name, reader)
    s = _synthetic_mirror(tmp_path).with_(n_boot=20)
    build(s)
    out = []
    for sql in seen:
        if sql in made or sql.startswith("SELECT bool_or(len(json_keys(j))"):
            continue  # the engine's own queries
        for frag in sorted(made, key=len, reverse=True):
            sql = sql.replace(frag, "(SELECT 1)" if frag.startswith("SELECT") else "engine_relation")
        out.append(sql)
    return out


def test_every_statement_of_a_build_renders_for_spark(tmp_path, monkeypatch):
    """Each statement is parsed as canonical SQL, checked for constructs no rendering keeps the meaning of,
    and rendered to Spark SQL (splink's own SQL is splink's business and is not seen here)."""
    statements = _recorded_build(tmp_path, monkeypatch)
    assert len(statements) > 200
    bad = {}
    for sql in statements:
        for problem in render.problems(sql):
            bad.setdefault(problem, sql.strip()[:160])
    assert not bad, "non-portable SQL:\n" + "\n".join(f"- {p}\n    in: {s}" for p, s in bad.items())


@pytest.mark.parametrize("sql, problem", [
    ("SELECT * FROM read_json_objects('x.json')", "file reader read_json_objects()"),
    ("SELECT * REPLACE (a + 1 AS a) FROM t", "* REPLACE"),
    ("SELECT COLUMNS('^a') FROM t", "COLUMNS("),
    ("SELECT regexp_replace(a, 'x', 'y') FROM t", "regexp_replace without 'g'"),
    ("SELECT 1 FROM t WHERE (a, b) IN (SELECT (a, b) FROM u)", "(a, b) IN (SELECT (a, b)"),
    ("SELECT list_zip(a, b) FROM t", "function list_zip()"),
    ("SELECT CAST(j AS MAP(VARCHAR, JSON)) FROM t", "CAST to MAP"),
    ("SELECT ?::VARCHAR[]", "does not parse"),
    ("SELECT json_type(r -> 'ids') FROM t", "reads as a lambda"),
])
def test_duckdb_only_constructs_are_reported(sql, problem):
    assert any(problem in p for p in render.problems(sql)), render.problems(sql)


@pytest.mark.parametrize("sql", [
    "SELECT regexp_replace(a, '[0-9]+$', '') FROM t",  # anchored: first match = every match
    "SELECT list_transform(string_split(a, ';'), lambda x: trim(x))[1:2] FROM t",
    "SELECT * EXCLUDE (a) FROM t QUALIFY row_number() OVER (PARTITION BY b) = 1",
    "SELECT unnest(l) AS v, generate_subscripts(l, 1) AS i FROM t",
    "SELECT 1 FROM t WHERE (a, b) IN (SELECT a, b FROM u)",
    "SELECT json_type((r -> 'ids')) FROM t",
])
def test_portable_constructs_are_not_reported(sql):
    assert render.problems(sql) == []


IMPORT_WITHOUT_PYSPARK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "pyspark" or name.startswith("pyspark.") or name == "py4j":
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
import talentflow.cli.main, talentflow.pipeline
from talentflow.engine import connect
from talentflow.settings import Settings
with connect(Settings(), ":memory:") as e:
    assert e.scalar("SELECT 1") == 1
try:
    connect(Settings(engine="spark"), "x")
except ImportError as e:
    print("ImportError:", e)
"""


def test_package_imports_without_pyspark():
    """Spark is imported lazily: the package works without it, and asking for it names the extra."""
    out = subprocess.run([sys.executable, "-c", IMPORT_WITHOUT_PYSPARK], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert "talentflow[spark]" in out
