"""Indicators stage: every file of the mirror's indicators/ folder → tidy tables.

Tables written (all carry `source_dataset`, the catalog id, so every number traces to a file and a record key):
- indicators(indicator, country, entity_raw, entity_kind, year, date, period, value, unit, source_dataset,
  license, notes, record_key) — one row per entity × indicator × year/date; `country` is ISO 3166-1 alpha-2,
  NULL for aggregates (World, regions, EPO/WIPO) and for unresolved names (counted in stats).
- ai_models / ai_model_countries — one row per model per list; one row per model and distinct country.
- leaderboard_entries — one row per model per leaderboard, category and snapshot date, with organization/country.
- indicator_quarantine(dataset_id, record_key, field, problem, raw_value) — cells that are not numbers.
- indicator_files, indicator_checks, indicator_org_names — what was read, cross-checks, organization mapping.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from ..errors import DataMissing, InputError
from ..pipeline.stage import Stage
from ..sources.catalog import load_catalog, select
from . import countries, derive
from .files import FILES, file_key
from .leaderboards import LB_COLUMNS
from .models import MODEL_COLUMNS
from .orgs import load_orgs, load_prefixes, org_key, org_report
from .sqlutil import missing, num, q, read_csv, run as run_sql
from .tables import RAW_COLUMNS, owid, owid_columns_check

VERSION = "2"
MODEL_LISTS = {
    "epoch_notable_ai_models_2026-07.csv": "notable",
    "epoch_large_scale_ai_models_2025-12.csv": "large_scale",
    "epoch_frontier_ai_models_2026-04.csv": "frontier",
    "owid_artificial-intelligence-training-computation.csv": "owid_training_compute",
    "owid_hardware-and-energy-cost-to-train-notable-ai-systems.csv": "owid_training_cost",
    "epoch_training_cost_trends_model_costs.csv": "epoch_cost_trends",
}


def datasets(settings=None) -> list:
    return select(load_catalog(getattr(settings, "catalog_path", None)), group="indicators")


def inputs(settings) -> list:
    """Every indicator file is read (the build verifies them before the stage runs)."""
    return datasets(settings)


def _noop(desc: str, done: int, total: int) -> None:
    pass


def _create_staging(engine) -> None:
    cols = ", ".join(f"{c} VARCHAR" for c in RAW_COLUMNS)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _ind_raw ({cols}, source_dataset VARCHAR)")
    engine.execute("ALTER TABLE _ind_raw ALTER year TYPE INTEGER")
    engine.execute("ALTER TABLE _ind_raw ALTER date TYPE DATE")
    mcols = ", ".join(f"{c} VARCHAR" for c in MODEL_COLUMNS)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _mod_raw ({mcols}, list VARCHAR, source_dataset VARCHAR)")
    for c in ("parameters", "training_compute_flop", "training_cost_usd_2023", "cost_cloud_usd",
              "cost_upfront_usd", "cost_amortized_usd"):
        engine.execute(f"ALTER TABLE _mod_raw ALTER {c} TYPE DOUBLE")
    engine.execute("ALTER TABLE _mod_raw ALTER publication_date TYPE DATE")
    types = {"date": "DATE", "published_rank": "INTEGER", "score": "DOUBLE", "votes": "BIGINT"}
    engine.execute("CREATE OR REPLACE TEMP TABLE _lb_raw ("
                   + ", ".join(f"{c} {types.get(c, 'VARCHAR')}" for c in LB_COLUMNS + ('source_dataset',)) + ")")
    engine.execute("CREATE OR REPLACE TEMP TABLE _epoch_orgs (organization VARCHAR, country_raw VARCHAR, "
                   "n_models INTEGER, source_dataset VARCHAR)")
    engine.execute("CREATE OR REPLACE TEMP TABLE _lmarena_meta (name VARCHAR, model_api_name VARCHAR, "
                   "organization VARCHAR, source_dataset VARCHAR)")
    engine.execute("CREATE OR REPLACE TABLE indicator_checks (check_name VARCHAR, dataset_id VARCHAR, "
                   "against_dataset VARCHAR, compared BIGINT, mismatches BIGINT, detail VARCHAR)")


def _read_one(engine, ds, path: Path, spec) -> None:
    """Run a file's reader into its staging table."""
    key = file_key(ds.id)
    if spec.reader is owid:
        unknown = owid_columns_check(engine, path, spec.kwargs["columns"])
        if unknown:
            raise InputError(str(path), f"unknown value column(s) {unknown}: add them to indicators/files.py")
    sql = spec.reader(engine, path, **spec.kwargs) if spec.needs_engine else spec.reader(path, **spec.kwargs)
    if spec.role == "indicators":
        run_sql(engine, path, f"INSERT INTO _ind_raw SELECT *, ? FROM ({sql})", [ds.id])
    elif spec.role == "models":
        run_sql(engine, path, f"INSERT INTO _mod_raw SELECT *, ?, ? FROM ({sql})", [MODEL_LISTS[key], ds.id])
    elif spec.role == "leaderboard":
        run_sql(engine, path, f"INSERT INTO _lb_raw SELECT *, ? FROM ({sql})", [ds.id])
    elif key == "derived_epoch_org_country_map.csv":
        run_sql(engine, path, f"INSERT INTO _epoch_orgs SELECT *, ? FROM ({sql})", [ds.id])
    elif key == "lmarena_arena-catalog_model_metadata.json":
        run_sql(engine, path, f"INSERT INTO _lmarena_meta SELECT *, ? FROM ({sql})", [ds.id])


def _crosscheck(engine, ds, path: Path, by_key: dict) -> None:
    """Files that duplicate another file are compared with it instead of being loaded twice."""
    key = file_key(ds.id)
    if key == "cset_1790_ai_patent_database.csv.zip":
        derived = by_key["derived_cset_1790_docs_by_office_priority_year.csv"]
        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith(".csv") and not n.startswith("__MACOSX")]
            if len(names) != 1:
                raise InputError(str(path), f"expected one CSV in the zip, found {names}")
            csv_path = Path(z.extract(names[0], tmp))
            run_sql(engine, path, "CREATE OR REPLACE TEMP TABLE _cset_docs AS SELECT Publication_country AS office, "
                    "TRY_CAST(Priority_Year AS INTEGER) AS year, count(*) AS documents FROM "
                    f"read_csv({q(str(csv_path))}, header=true, all_varchar=true) GROUP BY ALL")
        cmp = engine.query(
            "SELECT count(*), count(*) FILTER (WHERE d.documents IS DISTINCT FROM r.value) FROM _cset_docs d "
            "FULL JOIN (SELECT entity_raw, year, " + num("raw_value") + " AS value FROM _ind_raw WHERE indicator = "
            "'ai_patent_documents_by_office' AND source_dataset = ?) r ON r.entity_raw = d.office AND "
            "r.year IS NOT DISTINCT FROM d.year", [derived.id])[0]
        total = engine.scalar("SELECT sum(documents) FROM _cset_docs")
        engine.execute("INSERT INTO indicator_checks VALUES ('documents per office and priority year', ?, ?, ?, ?, ?)",
                       [ds.id, derived.id, cmp[0], cmp[1], f"{total} documents in the zip"])
    elif key == "derived_ncses_APBS-1_ai_articles_by_country_year.csv":
        raw = by_key["ncses_APBS-1_ai_articles_by_country_raw.csv"]
        cmp = engine.query(
            f"SELECT count(*), count(*) FILTER (WHERE {num('d.value')} IS DISTINCT FROM {num('r.raw_value')}) "
            f"FROM {read_csv(path)} d FULL JOIN (SELECT * FROM _ind_raw WHERE source_dataset = ?) r "
            "ON r.entity_raw = trim(regexp_replace(d.entity, '<sup>[^<]*</sup>', '', 'g')) "
            "AND r.year = TRY_CAST(d.year AS INTEGER)", [raw.id])[0]
        engine.execute("INSERT INTO indicator_checks VALUES ('entity-year values (positional years)', ?, ?, ?, ?, ?)",
                       [ds.id, raw.id, cmp[0], cmp[1], "derived file vs the raw extract read with the same rule"])
    elif key.startswith("artificialanalysis_") and key.endswith(".json"):
        board = "aa_" + key.split("_")[1].replace("-", "_")
        date = key.rsplit("_", 1)[1].removesuffix(".json")
        from .leaderboards import aa_arena_json

        sql = aa_arena_json(path, board, date, "")
        cmp = engine.query(
            f"SELECT count(*), count(*) FILTER (WHERE s.score IS DISTINCT FROM h.score OR s.model IS DISTINCT FROM "
            f"h.model) FROM ({sql}) s FULL JOIN (SELECT * FROM _lb_raw WHERE leaderboard = ? AND date = ?) h "
            f"ON h.record_key = ? || ':' || s.record_key", [board, date, date])[0]
        engine.execute("INSERT INTO indicator_checks VALUES ('snapshot vs history on the same date', ?, ?, ?, ?, ?)",
                       [ds.id, f"history rows of {board} on {date}", cmp[0], cmp[1], "elo and name per slug"])


def _org_names(engine) -> None:
    """Every organization name seen (leaderboards, chip owners, SEC tickers) → canonical organization + country."""
    names = engine.query(
        "SELECT name, sum(n) FROM (SELECT organization_raw AS name, count(*) AS n FROM _lb_all "
        "WHERE organization_raw IS NOT NULL GROUP BY 1 UNION ALL SELECT entity_raw, count(*) FROM _ind_raw "
        "WHERE entity_type = 'org' GROUP BY 1) GROUP BY 1")
    curated = load_orgs()
    epoch: dict[str, set] = {}
    for org, craw in engine.query("SELECT organization, country_raw FROM _epoch_orgs"):
        if org and "," not in org and craw and "," not in craw:
            epoch.setdefault(org_key(org), set()).add(craw)
    rows = []
    for name, n in names:
        k = org_key(name)
        if k in curated:
            r = curated[k]
            rows.append((name, k, r["organization"], r["country"] or None, "curated", int(n)))
        elif k in epoch and len(epoch[k]) == 1:
            a = countries.resolve(next(iter(epoch[k])))
            rows.append((name, k, name, a.iso2, "epoch_map" if a.iso2 else None, int(n)))
        else:
            rows.append((name, k, None, None, None, int(n)))
    _table_from_rows(engine, "indicator_org_names", ["name", "org_key", "organization", "country", "method", "n_rows"],
                     rows, temp=False)


def _country_map(engine) -> dict:
    pairs = engine.query("SELECT DISTINCT entity_raw, code_raw FROM _ind_raw WHERE entity_type IN ('place', 'office')")
    pairs += engine.query("SELECT DISTINCT trim(c), NULL FROM (SELECT unnest(string_split(country_raw, ',')) AS c "
                          "FROM _mod_raw WHERE coalesce(country_raw, '') <> '') UNION SELECT DISTINCT country_raw, "
                          "NULL FROM _epoch_orgs WHERE country_raw NOT LIKE '%,%'")
    pairs = sorted(set(pairs), key=lambda p: (str(p[0]), str(p[1])))
    rows = countries.mapping_rows(pairs)
    cols = ["entity_raw", "code_raw", "country", "entity_kind", "country_method", "alias_key"]
    _table_from_rows(engine, "_cmap", cols, [tuple(r[c] for c in cols) for r in rows], temp=True)
    return countries.report(pairs)


def run(engine, settings, progress=_noop) -> dict:
    data = settings.require_data()
    cat = datasets(settings)
    no_reader = [d.id for d in cat if file_key(d.id) not in FILES]
    if no_reader:
        raise InputError(no_reader[0], f"no reader registered for {len(no_reader)} catalogued indicator file(s): "
                                       f"{', '.join(no_reader)} (add them to talentflow/indicators/files.py)")
    by_key = {file_key(d.id): d for d in cat}
    absent = [str(d.local(data)) for d in cat if not d.local(data).exists()]
    if absent:
        raise DataMissing(f"{len(absent)} indicator file(s) missing from the mirror, e.g. {absent[0]}")
    _create_staging(engine)
    engine.register_arrow("_ind_catalog", _catalog_arrow(cat, data))
    engine.execute("CREATE OR REPLACE TEMP TABLE _csv_rejects (file_path VARCHAR, line BIGINT, column_name VARCHAR, "
                   "error_type VARCHAR, csv_line VARCHAR, error_message VARCHAR)")
    ordered = sorted(cat, key=lambda d: FILES[file_key(d.id)].role == "crosscheck")  # crosschecks need loads
    for i, ds in enumerate(ordered):
        progress(f"indicators: {file_key(ds.id)}", i, len(ordered))
        spec = FILES[file_key(ds.id)]
        if spec.role == "crosscheck":
            _crosscheck(engine, ds, ds.local(data), by_key)
        elif spec.reader is not None:
            _read_one(engine, ds, ds.local(data), spec)
    progress("indicators: resolving countries and organizations", len(ordered), len(ordered))
    country_report = _country_map(engine)
    _table_from_rows(engine, "_model_prefixes", ["prefix", "organization"],
                     [(r["prefix"], r["organization"]) for r in load_prefixes()], temp=True)
    derive.leaderboard_orgs(engine)
    _org_names(engine)
    stats = derive.build_tables(engine)
    _files_table(engine, cat)
    orgs = org_report(engine)
    if not cat:  # a catalog without indicator files (fixture builds): empty tables, nothing to report as unused
        country_report["unused_aliases"], orgs["unused"], orgs["unused_prefixes"] = [], [], []
    stats.update(unresolved_countries=country_report["unresolved"],
                 unused_country_aliases=country_report["unused_aliases"],
                 org_unmatched_rows=orgs["unmatched_rows"], org_unmatched_share=round(orgs["unmatched_share"], 4),
                 org_unmatched=[f"{u['organization_raw']} ({u['n']})" for u in orgs["unmatched"]],
                 org_unused_aliases=orgs["unused"], model_prefixes_unused=orgs["unused_prefixes"],
                 models_without_date=engine.scalar("SELECT count(*) FROM ai_models WHERE year IS NULL"))
    return stats


def _table_from_rows(engine, name: str, cols: list[str], rows: list[tuple], temp: bool) -> None:
    """Small Python-resolved mappings → a SQL table (all text except an integer count column)."""
    import pyarrow as pa

    arrays = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    types = {c: (pa.int64() if c.startswith("n_") else pa.string()) for c in cols}
    tbl = pa.table({c: pa.array(arrays[c], type=types[c]) for c in cols})
    engine.register_arrow(f"_arrow_{name}", tbl)
    engine.execute(f"CREATE OR REPLACE {'TEMP ' if temp else ''}TABLE {name} AS SELECT * FROM _arrow_{name}")


def _catalog_arrow(cat, data: Path):
    import pyarrow as pa

    return pa.table({"dataset_id": [d.id for d in cat], "license": [d.license for d in cat],
                     "local_path": [str(d.local(data)) for d in cat],
                     "catalog_note": [d.note for d in cat],
                     "role": [FILES[file_key(d.id)].role for d in cat],
                     "reader": [getattr(FILES[file_key(d.id)].reader, "__name__", None) for d in cat]})


def _files_table(engine, cat) -> None:
    engine.execute(f"""
        CREATE OR REPLACE TABLE indicator_files AS
        SELECT k.dataset_id, k.role, k.reader, k.license, k.catalog_note,
               coalesce(i.n, 0) + coalesce(m.n, 0) + coalesce(l.n, 0) AS rows_loaded,
               coalesce(x.n, 0) AS missing_cells, coalesce(qq.n, 0) AS quarantined_cells
        FROM _ind_catalog k
        LEFT JOIN (SELECT source_dataset, count(*) n FROM indicators GROUP BY 1) i ON i.source_dataset = k.dataset_id
                  AND k.role = 'indicators'
        LEFT JOIN (SELECT source_dataset, count(*) n FROM ai_models GROUP BY 1) m ON m.source_dataset = k.dataset_id
        LEFT JOIN (SELECT source_dataset, count(*) n FROM leaderboard_entries GROUP BY 1) l
                  ON l.source_dataset = k.dataset_id
        LEFT JOIN (SELECT source_dataset, count(*) n FROM _ind_raw WHERE {missing('raw_value')} GROUP BY 1) x
                  ON x.source_dataset = k.dataset_id
        LEFT JOIN (SELECT dataset_id, count(*) n FROM indicator_quarantine GROUP BY 1) qq ON qq.dataset_id = k.dataset_id
        ORDER BY k.dataset_id""")


# Reads no table of another stage: a new or changed indicator file rebuilds this stage alone.
STAGE = Stage("indicators", needs=(), writes=("indicators", "ai_models", "ai_model_countries", "leaderboard_entries",
                                               "indicator_quarantine", "indicator_files", "indicator_checks",
                                               "indicator_org_names"),
              version=VERSION, run=run, data=("indicators/*.csv",), inputs=inputs)
