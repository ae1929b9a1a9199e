"""Readers for leaderboard files (LMArena, Artificial Analysis) → staging rows of `leaderboard_entries`.

None of these files has a country; most carry the developer ("organization", "model_creator"). Rows from the
LMArena arena-catalog ratings and the wide Elo history have neither: their organization is looked up by model name
in the LMArena model metadata and the organization-bearing LMArena snapshots (exact, case-insensitive) by the stage.
"""

from __future__ import annotations

from pathlib import Path

from .sqlutil import num, q, read_csv

LB_COLUMNS = ("leaderboard", "category", "date", "published_rank", "model", "score", "score_unit", "votes",
              "organization_raw", "notes", "record_key")


def _json(path: Path) -> str:
    return (f"(SELECT json AS j FROM read_json_objects({q(str(path))}, format='auto', "
            f"maximum_object_size=268435456))")


def _select(leaderboard: str, category: str, date: str, rank: str, model: str, score: str, unit: str, votes: str,
            org: str, notes: str, key: str, src: str) -> str:
    return (f"SELECT {leaderboard} AS leaderboard, {category} AS category, CAST({date} AS DATE) AS date, "
            f"TRY_CAST(TRY_CAST({rank} AS DOUBLE) AS INTEGER) AS published_rank, {model} AS model, "
            f"{score} AS score, {q(unit)} AS score_unit, TRY_CAST({votes} AS BIGINT) AS votes, "
            f"nullif(trim({org}), '') AS organization_raw, {notes} AS notes, {key} AS record_key FROM {src}")


def lmarena_long(path: Path, leaderboard: str, note: str) -> str:
    """Concatenated LMArena text snapshots (fboulnois csv/lmsys.csv history); early snapshots have arena_elo
    instead of arena_score."""
    score = f"coalesce({num('arena_score')}, {num('arena_elo')})"
    return _select(q(leaderboard), "'overall'", "snapshot_commit_date", "rank", "model", score, "arena score",
                   "votes", "organization", q(note), "snapshot_commit_date || ':' || model",
                   f"(SELECT * FROM {read_csv(path)})")


def lmarena_snapshot(path: Path, leaderboard: str, date: str, note: str) -> str:
    return _select(q(leaderboard), "'overall'", q(date), "rank", "model", num("arena_score"), "arena score",
                   "votes", "organization", q(note), "model", f"(SELECT * FROM {read_csv(path)})")


def lmarena_catalog(path: Path, leaderboard: str, date: str, note: str) -> str:
    """arena-catalog leaderboard-*.json: {category: {model: {rating, rating_q025, rating_q975}}}; no organization."""
    src = (f"(SELECT e.key AS category, me.key AS model, me.value AS v FROM (SELECT e, unnest(map_entries("
           f"e.value::MAP(VARCHAR, JSON))) AS me FROM (SELECT unnest(map_entries(j::MAP(VARCHAR, JSON))) AS e "
           f"FROM {_json(path)})))")
    return _select(q(leaderboard), "category", q(date), "NULL", "model", "TRY_CAST(v->>'rating' AS DOUBLE)",
                   "arena rating", "NULL", "NULL", q(note), "category || ':' || model", src)


def lmarena_wide(path: Path, leaderboard: str, note: str) -> str:
    """nakasyou history: rows = dates (YYYYMMDD), columns = models, 0.0 = model absent that day."""
    src = (f"(SELECT * FROM (UNPIVOT (SELECT * FROM {read_csv(path)}) ON COLUMNS(* EXCLUDE (column000)) "
           f"INTO NAME model VALUE v) WHERE TRY_CAST(v AS DOUBLE) IS DISTINCT FROM 0.0)")
    return _select(q(leaderboard), "'overall'", "strptime(column000, '%Y%m%d')", "NULL", "model", num("v"),
                   "Elo", "NULL", "NULL", q(note), "column000 || ':' || model", src)


def aa_arena_json(path: Path, leaderboard: str, date: str, note: str) -> str:
    """Artificial Analysis media arena snapshot: data[] with name, model_creator.name, elo, rank, appearances."""
    src = f"(SELECT unnest(from_json(j->'data', '[\"JSON\"]')) AS x FROM {_json(path)})"
    return _select(q(leaderboard), "'overall'", q(date), "x->>'rank'", "x->>'name'",
                   "TRY_CAST(x->>'elo' AS DOUBLE)", "Elo", "x->>'appearances'", "x->'model_creator'->>'name'",
                   q(note), "x->>'slug'", src)


def aa_llms_json(path: Path, leaderboard: str, date: str, note: str) -> str:
    """Artificial Analysis LLM snapshot: no arena rank; score = Artificial Analysis Intelligence Index."""
    src = f"(SELECT unnest(from_json(j->'data', '[\"JSON\"]')) AS x FROM {_json(path)})"
    return _select(q(leaderboard), "'intelligence_index'", q(date), "NULL", "x->>'name'",
                   "TRY_CAST(x->'evaluations'->>'artificial_analysis_intelligence_index' AS DOUBLE)",
                   "index points", "NULL", "x->'model_creator'->>'name'", q(note), "x->>'slug'", src)


def aa_history(path: Path, leaderboard: str, note: str) -> str:
    """Artificial Analysis arena history (every distinct daily snapshot of the JSON, long format)."""
    return _select(q(leaderboard), "'overall'", "snapshot_commit_date", "rank", "name", num("elo"), "Elo",
                   "appearances", "creator", q(note), "snapshot_commit_date || ':' || slug",
                   f"(SELECT * FROM {read_csv(path)})")


def lmarena_metadata(path: Path) -> str:
    """arena-catalog scatterplot-data.json: model display name and API name → organization (a lookup)."""
    return (f"SELECT x->>'name' AS name, x->>'model_api_name' AS model_api_name, x->>'organization' AS organization "
            f"FROM (SELECT unnest(from_json(j, '[\"JSON\"]')) AS x FROM {_json(path)})")
