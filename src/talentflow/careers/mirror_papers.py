"""A `papers`-shaped relation read straight from the raw mirror files, for the subfield evaluation sample and for
checking the tier mapping against every raw status before (or independently of) a build.

It mirrors the ingest's choice of paper list per venue-year: the Paper Copilot `<venue><year>.json` files, except
ICLR 2017–2020 (the `.emails.json` files carry the full submission lists) and ICLR 2024–2026 (the chang-xinhai
accepted lists, with status from `iclr<year>.sites_status.json` by normalised title). ECCV 2018/2020 are kept here
(the tier mapping marks them excluded). Paper ids without an upstream `id` are `t:` + a hash of the normalised
title, exactly as the ingest makes them, so evaluation labels join to `papers`.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import DataMissing

MAIN_FILE = re.compile(r"^([a-z0-9]+?)(\d{4})\.json\.gz$")
EMAILS_YEARS = {2017, 2018, 2019, 2020}   # iclr: the .emails file is the complete list
CHANG_YEARS = (2024, 2025, 2026)          # iclr: accepted lists + site status by title


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _norm_title(expr: str) -> str:
    # same key as the ingest's norm_title, so ids of records without an upstream id agree with the papers table
    return f"regexp_replace(lower(strip_accents(coalesce({expr}, ''))), '[^a-z0-9]+', '', 'g')"


def mirror_files(data_dir: Path) -> list[tuple[str, int, Path]]:
    """(venue, year, path) of the paper-list file per venue-year."""
    conf = Path(data_dir) / "conferences"
    if not conf.is_dir():
        raise DataMissing(f"No conferences/ folder under {data_dir}.")
    out = []
    for p in sorted(conf.glob("*/*.json.gz")):
        m = MAIN_FILE.match(p.name)
        if not m:
            continue
        venue, year = m.group(1), int(m.group(2))
        if venue == "iclr" and year in EMAILS_YEARS:
            p = p.with_name(f"iclr{year}.emails.json.gz")
        out.append((venue, year, p))
    return out


def create_mirror_papers(engine, data_dir: Path, table: str = "mirror_papers", reuse: bool = False) -> int:
    """Create temp table `table` (venue, year, paper_id, title, status_raw, track, keywords, primary_area,
    abstract) from the raw files. DuckDB-only (it is an evaluation/hygiene reader, not a pipeline stage).
    reuse: keep an existing table of that name (several evaluations on one connection)."""
    if reuse and engine.table_exists(table):
        return int(engine.scalar(f"SELECT count(*) FROM {table}"))
    files = mirror_files(data_dir)
    blank = lambda e: f"nullif(trim({e}), '')"  # noqa: E731
    parts = []
    for venue, year, path in files:
        parts.append(f"""
        SELECT {_q(venue)} AS venue, {year} AS year,
               coalesce({blank("j->>'$.id'")}, 't' || substr(md5({_norm_title(blank("j->>'$.title'"))}), 1, 12))
                 AS paper_id,
               {blank("j->>'$.title'")} AS title, {blank("j->>'$.status'")} AS status_raw,
               {blank("j->>'$.track'")} AS track, {blank("j->>'$.keywords'")} AS keywords,
               {blank("j->>'$.primary_area'")} AS primary_area, {blank("j->>'$.abstract'")} AS abstract
        FROM (SELECT json AS j FROM read_json_objects({_q(str(path))}, format='array',
                                                      maximum_object_size=268435456))""")
    conf = Path(data_dir) / "conferences" / "iclr"
    for year in CHANG_YEARS:
        chang = conf / f"iclr{year}.chang_authorids.json.gz"
        if not chang.is_file():
            continue
        site = conf / f"iclr{year}.sites_status.json.gz"
        status = track = "CAST(NULL AS VARCHAR)"
        join = ""
        if site.is_file():
            # Titles that occur once in the site list only (as the ingest does).
            join = f"""LEFT JOIN (
                SELECT {_norm_title("nullif(trim(j->>'$.title'), '')")} AS nt, any_value(nullif(trim(j->>'$.status'), '')) AS status,
                       any_value(nullif(trim(j->>'$.track'), '')) AS track
                FROM (SELECT json AS j FROM read_json_objects({_q(str(site))}, format='array',
                                                              maximum_object_size=268435456))
                GROUP BY 1 HAVING count(*) = 1) s ON s.nt = {_norm_title("trim(r->>'$.title')")}"""
            status, track = "s.status", "s.track"
        parts.append(f"""
        SELECT 'iclr' AS venue, {year} AS year,
               coalesce(regexp_extract(r->>'$.paper_url', 'id=([^&]+)', 1), r->>'$.paper_id') AS paper_id,
               trim(r->>'$.title') AS title, {status} AS status_raw, {track} AS track, NULL AS keywords, NULL AS primary_area, NULL AS abstract
        FROM (SELECT unnest(json_extract(json, '$.records[*]')) AS r
              FROM read_json_objects({_q(str(chang))}, format='auto', maximum_object_size=268435456)) c
        {join}""")
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS " + "\nUNION ALL\n".join(parts))
    return int(engine.scalar(f"SELECT count(*) FROM {table}"))
