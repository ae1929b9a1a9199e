"""Pipeline stage `openalex`: an OpenAlex snapshot (works, authors, institutions) and synced OpenAlex works →
tables. With neither present the stage makes no table at all, so a build without OpenAlex data is unchanged.

Tables (ids in OpenAlex's short form, `W…`, `A…`, `I…`, `S…`):
- `openalex_inputs` — every part and synced snapshot read: entity, origin (snapshot | api), path,
  updated_date, records the manifest lists, records read, bytes;
- `openalex_works(work_id, doi, title, publication_year, type, source_id, source_name, venue, updated_date,
  n_authorships, origin, dataset_id)` — one row per work (the newest copy when several parts hold it); `venue`
  is the talentflow venue its source maps to in `sources/openalex_venues.csv`, else NULL;
- `openalex_authorships(work_id, author_order, author_position, author_id, author_name, raw_author_name, orcid,
  is_corresponding, raw_affiliation_strings, countries, n_institutions, dataset_id)`;
- `openalex_authorship_institutions(work_id, author_order, inst_order, institution_id, ror, institution_name,
  country_code, country_source, type, lineage, dataset_id)` — the dehydrated institutions of each authorship;
  `country_source` says whether the country is the authorship's own or the institutions entity's;
- `openalex_institutions(institution_id, ror, display_name, country_code, type, lineage, updated_date,
  dataset_id)` — the institutions entity (`geo.country_code`);
- `openalex_authors(author_id, display_name, orcid, works_count, updated_date, dataset_id)`;
- `openalex_career_observations(author_id, person_id, year, institution_id, ror, institution_name,
  country_code, type, source, basis, derived_from, dataset_id)` — an author's institution in a year, from the
  authors entity's `affiliations[].years` or else from the works' authorships: years an author *published*
  with that affiliation (`basis = 'publication'`, `source = 'openalex'`), not a CV. `person_id` is the
  talentflow profile id of the linked authorships when they agree on one; these rows do not feed the careers
  stage (see docs/openalex.md);
- `openalex_paper_links`, `openalex_authorship_links` (links.py);
- `openalex_quarantine(dataset_id, record_key, field, problem, raw_value)` — values not used, and why.
"""

from __future__ import annotations

from ..errors import ChecksumMismatch, InputError
from ..pipeline.stage import Stage
from ..sources import openalex as oa_src
from ..sources import snapshots as snaps
from . import layout as lay
from . import links, sql

VERSION = "1"
TABLES = ("openalex_inputs", "openalex_works", "openalex_authorships", "openalex_authorship_institutions",
          "openalex_institutions", "openalex_authors", "openalex_career_observations", "openalex_paper_links",
          "openalex_authorship_links", "openalex_quarantine")


def params(settings) -> str:
    """The snapshot's manifests and parts (size and mtime) and the synced works snapshots."""
    return lay.fingerprint(settings) + snaps.fingerprint(settings.data_dir, (oa_src.KIND,))


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _inputs(settings, layout) -> list[dict]:
    """Every file to read: snapshot parts (checked against their manifest) and synced works snapshots."""
    rows = []
    for p in layout.all_parts() if layout else []:
        rows.append({"file": str(p.path), "entity": p.entity, "origin": "snapshot", "dataset_id": p.dataset_id,
                     "path": f"{p.entity}/{p.rel}", "updated_date": p.updated_date,
                     "records_expected": p.record_count, "bytes": p.content_length})
    for s in snaps.list_snapshots(settings.data_dir, oa_src.KIND):
        status, detail = snaps.verify_snapshot(s)
        if status != "ok":
            raise ChecksumMismatch(f"snapshot {s.records_path}: {detail}",
                                   hint="Run the same `talentflow sync openalex` again, or delete the folder.")
        rows.append({"file": str(s.records_path), "entity": "works", "origin": "api", "dataset_id": f"live:{s.id}",
                     "path": f"{snaps.LIVE_DIR}/{s.id}/{s.manifest.file}", "updated_date": s.manifest.fetched_at[:10],
                     "records_expected": s.manifest.record_count, "bytes": s.manifest.bytes})
    return rows


def _arrow(rows: list[dict], cols: dict):
    import pyarrow as pa

    return pa.table({c: pa.array([r.get(c) for r in rows], type=t) for c, t in cols.items()})


def _stage_entity(eng, entity: str, staging, files: list[str]) -> None:
    """`_oa_<entity>_raw`: one row per line of the entity's files (an empty table of the same shape if none)."""
    if files:
        lines = sql.read_lines("[" + ", ".join(_q(f) for f in files) + "]")
        src = (f"(SELECT r.filename AS file, f.dataset_id, f.origin, r.json AS j FROM {lines} r "
               f"JOIN _oa_files f ON f.file = r.filename)")
    else:
        src = ("(SELECT CAST(NULL AS VARCHAR) AS file, CAST(NULL AS VARCHAR) AS dataset_id, "
               "CAST(NULL AS VARCHAR) AS origin, CAST(NULL AS JSON) AS j WHERE 1 = 0)")
    try:
        eng.execute(f"CREATE OR REPLACE TEMP TABLE _oa_{entity}_raw AS {staging(src)}")
    except Exception as e:
        bad = [f for f in files if f in str(e)]
        if not bad:
            raise
        # a corrupt part (not JSON, a broken gzip stream): the engine's message names the file and line
        raise InputError(bad[0], f"cannot read this OpenAlex {entity} part: {str(e).splitlines()[0]}")
    bad = eng.query(f"""SELECT f.path, f.records_expected, count(r.file) FROM _oa_files f
        LEFT JOIN _oa_{entity}_raw r ON r.file = f.file WHERE f.entity = ?
        GROUP BY f.path, f.records_expected HAVING count(r.file) <> f.records_expected ORDER BY f.path""", [entity])
    if bad:
        path, want, got = bad[0]
        raise InputError(path, f"{got} records read, the manifest says {want}"
                         + (f" ({len(bad) - 1} more parts differ)" if len(bad) > 1 else ""),
                         field="record_count")


def _keep_newest(eng, raw: str, kept: str, key: str) -> int:
    """One row per id: the newest updated_date, then the greatest dataset id (a total order). Returns the number
    of rows dropped as older copies."""
    eng.execute(f"""CREATE OR REPLACE TEMP TABLE {kept} AS SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY updated_date DESC NULLS LAST, dataset_id DESC,
                                     file DESC) AS rn
        FROM {raw} WHERE {key} IS NOT NULL) t WHERE rn = 1""")
    return int(eng.scalar(f"SELECT (SELECT count(*) FROM {raw} WHERE {key} IS NOT NULL) - "
                          f"(SELECT count(*) FROM {kept})"))


def _quarantine(eng, select: str) -> None:
    eng.execute(f"INSERT INTO _oa_quar {select}")


def drop_tables(eng) -> list[str]:
    gone = [t for t in TABLES if eng.table_exists(t)]
    for t in gone:
        eng.execute(f"DROP TABLE IF EXISTS {t}")
    return gone


def run(eng, settings, progress) -> dict:
    layout = lay.discover(settings)
    rows = _inputs(settings, layout)
    if not rows:
        gone = drop_tables(eng)  # data removed since the last build: its tables go too
        return {"openalex": "no OpenAlex snapshot or synced works", **({"dropped": len(gone)} if gone else {})}
    import pyarrow as pa

    eng.register_arrow("_oa_files", _arrow(rows, {
        "file": pa.string(), "entity": pa.string(), "origin": pa.string(), "dataset_id": pa.string(),
        "path": pa.string(), "updated_date": pa.string(), "records_expected": pa.int64(), "bytes": pa.int64()}))
    venues = [{"venue": v.venue, "source_id": v.source_id, "year": y}
              for v in oa_src.load_venue_sources() for y in (v.years or (None,))]
    eng.register_arrow("_oa_venues", _arrow(venues, {"venue": pa.string(), "source_id": pa.string(),
                                                     "year": pa.int32()}))
    eng.execute("""CREATE OR REPLACE TEMP TABLE _oa_quar (dataset_id VARCHAR, record_key VARCHAR, field VARCHAR,
                                                      problem VARCHAR, raw_value VARCHAR)""")
    stats: dict = {"parts": sum(1 for r in rows if r["origin"] == "snapshot"),
                   "api_snapshots": sum(1 for r in rows if r["origin"] == "api"),
                   "parts_not_in_manifest": sum(len(v) for v in (layout.unlisted.values() if layout else []))}
    for k, (entity, staging) in enumerate((("works", sql.works_staging), ("institutions", sql.institutions_staging),
                                           ("authors", sql.authors_staging))):
        progress(f"openalex: {entity}", k, 4)
        _stage_entity(eng, entity, staging, [r["file"] for r in rows if r["entity"] == entity])
    eng.execute("""CREATE OR REPLACE TABLE openalex_inputs AS
        SELECT f.entity, f.origin, f.dataset_id, f.path, f.updated_date, f.records_expected, f.records_expected
               AS records_read, f.bytes FROM _oa_files f ORDER BY f.entity, f.path""")  # counts checked above
    stats.update(_institutions(eng))
    stats.update(_works(eng))
    stats.update(_authors(eng))
    progress("openalex: links", 3, 4)
    stats.update(links.build_links(eng))
    stats.update(_observations(eng))
    eng.execute("CREATE OR REPLACE TABLE openalex_quarantine AS SELECT * FROM _oa_quar "
                "ORDER BY dataset_id, record_key, field, problem, raw_value")
    stats["quarantined"] = int(eng.scalar("SELECT count(*) FROM openalex_quarantine"))
    for t in ("works", "institutions", "authors"):
        eng.execute(f"DROP TABLE IF EXISTS _oa_{t}_raw")
    for t in ("_oa_works_kept", "_oa_institutions_kept", "_oa_authors_kept", "_oa_authorships_raw",
              "_oa_inst_raw", "_oa_affil_raw", "_oa_quar"):
        eng.execute(f"DROP TABLE IF EXISTS {t}")
    return stats


def _institutions(eng) -> dict:
    _quarantine(eng, """SELECT dataset_id, coalesce(institution_id, '(no id)'), 'geo.country_code',
        'not an ISO 3166 alpha-2 code', country_code_raw FROM _oa_institutions_raw
        WHERE country_code_raw IS NOT NULL AND country_code IS NULL""")
    _quarantine(eng, "SELECT dataset_id, '(no id)', 'id', 'institution without an id', NULL "
                     "FROM _oa_institutions_raw WHERE institution_id IS NULL")
    older = _keep_newest(eng, "_oa_institutions_raw", "_oa_institutions_kept", "institution_id")
    eng.execute("""CREATE OR REPLACE TABLE openalex_institutions AS
        SELECT institution_id, ror, display_name, country_code, type, lineage, updated_date, dataset_id
        FROM _oa_institutions_kept ORDER BY institution_id""")
    return {"institutions": int(eng.scalar("SELECT count(*) FROM openalex_institutions")),
            "institution_older_copies": older}


def _works(eng) -> dict:
    d = eng.dialect
    _quarantine(eng, """SELECT dataset_id, '(no id)', 'id', 'work without an id', NULL FROM _oa_works_raw
        WHERE work_id IS NULL
        UNION ALL SELECT dataset_id, work_id, 'publication_year', 'not an integer', year_raw FROM _oa_works_raw
        WHERE work_id IS NOT NULL AND year_type NOT IN ('NULL', 'BIGINT', 'UBIGINT')
        UNION ALL SELECT dataset_id, work_id, 'authorships', 'not a list', authorships_type FROM _oa_works_raw
        WHERE work_id IS NOT NULL AND authorships_type NOT IN ('NULL', 'ARRAY')""")
    older = _keep_newest(eng, "_oa_works_raw", "_oa_works_kept", "work_id")
    eng.execute(f"""CREATE OR REPLACE TABLE openalex_works AS
        SELECT w.work_id, w.doi, w.title, CAST(w.publication_year AS INTEGER) AS publication_year, w.type,
               w.source_id, w.source_name, v.venue, w.updated_date,
               CAST({d.list_len('w.authorships')} AS INTEGER) AS n_authorships, w.origin, w.dataset_id
        FROM _oa_works_kept w
        LEFT JOIN _oa_venues v ON v.source_id = w.source_id AND (v.year IS NULL OR v.year = w.publication_year)
        ORDER BY w.work_id""")
    eng.execute(f"CREATE OR REPLACE TEMP TABLE _oa_authorships_raw AS {sql.authorships_select(d.unnest_with_index)}")
    _quarantine(eng, """SELECT dataset_id, work_id || '#' || author_order, 'authorships.author.id',
        'authorship without an author id', author_name FROM _oa_authorships_raw WHERE author_id IS NULL
        UNION ALL SELECT dataset_id, work_id || '#' || author_order, 'authorships.institutions', 'not a list',
        institutions_type FROM _oa_authorships_raw WHERE institutions_type NOT IN ('NULL', 'ARRAY')""")
    eng.execute(f"""CREATE OR REPLACE TABLE openalex_authorships AS
        SELECT work_id, author_order, author_position, author_id, author_name, raw_author_name, orcid,
               is_corresponding, raw_affiliation_strings, countries,
               CAST({d.list_len('institutions')} AS INTEGER) AS n_institutions, dataset_id
        FROM _oa_authorships_raw ORDER BY work_id, author_order""")
    eng.execute(f"CREATE OR REPLACE TEMP TABLE _oa_inst_raw AS "
                f"{sql.authorship_institutions_select(d.unnest_with_index)}")
    _quarantine(eng, """SELECT dataset_id, work_id || '#' || author_order || '#' || inst_order,
        'authorships.institutions.country_code', 'not an ISO 3166 alpha-2 code', country_code_raw FROM _oa_inst_raw
        WHERE country_code_raw IS NOT NULL AND country_code IS NULL
        UNION ALL SELECT dataset_id, work_id || '#' || author_order || '#' || inst_order,
        'authorships.institutions.lineage', 'not a list', lineage_type FROM _oa_inst_raw
        WHERE lineage_type NOT IN ('NULL', 'ARRAY')""")
    eng.execute("""CREATE OR REPLACE TABLE openalex_authorship_institutions AS
        SELECT a.work_id, a.author_order, a.inst_order, a.institution_id, a.ror, a.institution_name,
               coalesce(a.country_code, i.country_code) AS country_code,
               CASE WHEN a.country_code IS NOT NULL THEN 'authorship'
                    WHEN i.country_code IS NOT NULL THEN 'institutions entity' END AS country_source,
               coalesce(a.type, i.type) AS type, coalesce(a.lineage, i.lineage) AS lineage, a.dataset_id
        FROM _oa_inst_raw a LEFT JOIN openalex_institutions i ON i.institution_id = a.institution_id
        ORDER BY a.work_id, a.author_order, a.inst_order""")
    return {"works": int(eng.scalar("SELECT count(*) FROM openalex_works")),
            "works_with_venue": int(eng.scalar("SELECT count(*) FROM openalex_works WHERE venue IS NOT NULL")),
            "work_older_copies": older,
            "authorships": int(eng.scalar("SELECT count(*) FROM openalex_authorships"))}


def _authors(eng) -> dict:
    _quarantine(eng, """SELECT dataset_id, '(no id)', 'id', 'author without an id', display_name
        FROM _oa_authors_raw WHERE author_id IS NULL
        UNION ALL SELECT dataset_id, author_id, 'affiliations', 'not a list', affiliations_type
        FROM _oa_authors_raw WHERE author_id IS NOT NULL AND affiliations_type NOT IN ('NULL', 'ARRAY')""")
    older = _keep_newest(eng, "_oa_authors_raw", "_oa_authors_kept", "author_id")
    eng.execute("""CREATE OR REPLACE TABLE openalex_authors AS
        SELECT author_id, display_name, orcid, works_count, updated_date, dataset_id FROM _oa_authors_kept
        ORDER BY author_id""")
    eng.execute(f"CREATE OR REPLACE TEMP TABLE _oa_affil_raw AS "
                f"{sql.author_affiliations_select(eng.dialect.unnest_with_index)}")
    _quarantine(eng, """SELECT dataset_id, author_id || '#' || aff_order, 'affiliations.years',
        'not an integer year', year_raw FROM _oa_affil_raw WHERE year IS NULL""")
    return {"authors": int(eng.scalar("SELECT count(*) FROM openalex_authors")), "author_older_copies": older}


def _observations(eng) -> dict:
    """Affiliation-years (authors entity first, else the works' authorships), with the talentflow person."""
    eng.execute("""CREATE OR REPLACE TABLE openalex_career_observations AS
        WITH aff AS (SELECT f.author_id, CAST(f.year AS INTEGER) AS year, f.institution_id, f.ror,
                            f.institution_name, coalesce(f.country_code, i.country_code) AS country_code,
                            coalesce(f.type, i.type) AS type, 'authors.affiliations' AS derived_from, f.dataset_id
                     FROM _oa_affil_raw f LEFT JOIN openalex_institutions i ON i.institution_id = f.institution_id
                     WHERE f.year IS NOT NULL AND f.institution_id IS NOT NULL),
             wk AS (SELECT a.author_id, w.publication_year AS year, i.institution_id, i.ror, i.institution_name,
                           i.country_code, i.type, 'works.authorships' AS derived_from, a.dataset_id
                    FROM openalex_authorships a JOIN openalex_works w ON w.work_id = a.work_id
                    JOIN openalex_authorship_institutions i ON i.work_id = a.work_id AND i.author_order = a.author_order
                    WHERE a.author_id IS NOT NULL AND i.institution_id IS NOT NULL AND w.publication_year IS NOT NULL),
             u AS (SELECT *, row_number() OVER (PARTITION BY author_id, institution_id, year
                                                ORDER BY derived_from, dataset_id) AS rn
                   FROM (SELECT * FROM aff UNION ALL SELECT * FROM wk) x),
             people AS (SELECT l.author_id, min(a.person_id) AS person_id, count(DISTINCT a.person_id) AS n
                        FROM openalex_authorship_links l JOIN authorships a ON a.venue = l.venue
                         AND a.year = l.year AND a.paper_id = l.paper_id AND a.author_order = l.author_order
                        WHERE a.person_id IS NOT NULL AND l.author_id IS NOT NULL GROUP BY l.author_id)
        SELECT u.author_id, CASE WHEN p.n = 1 THEN p.person_id END AS person_id, u.year, u.institution_id, u.ror,
               u.institution_name, u.country_code, u.type, 'openalex' AS source, 'publication' AS basis,
               u.derived_from, u.dataset_id
        FROM u LEFT JOIN people p ON p.author_id = u.author_id WHERE u.rn = 1
        ORDER BY u.author_id, u.year, u.institution_id""")
    r = eng.query("""SELECT count(*), count(person_id), count(DISTINCT author_id),
        count(DISTINCT author_id) FILTER (WHERE person_id IS NOT NULL) FROM openalex_career_observations""")[0]
    return {"career_observations": int(r[0]), "career_observations_with_person": int(r[1]),
            "observed_authors": int(r[2]), "observed_authors_with_person": int(r[3])}


# Links works to `papers` and `authorships` (ingest, and live for new venue-years); nothing in the build reads it.
STAGE = Stage("openalex", needs=("ingest", "live"), writes=TABLES, version=VERSION, run=run,
              data=("sources/openalex_venues.csv",), params=params)
