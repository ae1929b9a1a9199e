"""Final indicator tables from the staging tables: number parsing and quarantine, countries, organizations,
and indicators derived from the model lists (models per country and year, compute, cost)."""

from __future__ import annotations

from .leaderboards import LB_COLUMNS
from .sqlutil import missing, num

NOTES = "concat_ws('; ', nullif({a}, ''), nullif(k.catalog_note, ''))"

# Indicators derived from `ai_models`: (id, list, aggregate over a country-year's models, unit, note, the models
# behind the value — kept in record_key so each derived number names its source rows).
_ROW = "m.model || ' [' || m.record_key || ']'"
_ALL = f"string_agg({_ROW}, '; ' ORDER BY m.publication_date, m.model)"
DERIVED = [
    ("notable_models", "notable", "count(DISTINCT a.record_key)", "models",
     "derived: Epoch notable models published that year whose organizations include the country (a model with "
     "organizations in several countries counts once for each)", _ALL),
    ("large_scale_models", "large_scale", "count(DISTINCT a.record_key)", "models",
     "derived: Epoch large-scale (>1e23 FLOP) models published that year, by country of organization", _ALL),
    ("frontier_models", "frontier", "count(DISTINCT a.record_key)", "models",
     "derived: Epoch frontier models published that year, by country of organization", _ALL),
    ("notable_models_max_training_compute", "notable", "max(m.training_compute_flop)", "FLOP",
     "derived: largest training compute among the country's notable models that year",
     # equal compute (round estimates such as 1e24 repeat): the row text breaks the tie
     f"arg_max({_ROW}, {{f: m.training_compute_flop, r: {_ROW}}}) FILTER (WHERE m.training_compute_flop IS NOT NULL)"),
    ("notable_models_median_training_cost", "notable", "median(m.training_cost_usd_2023)", "USD (2023)",
     "derived: median training compute cost among the country's notable models that year with a cost estimate",
     f"string_agg({_ROW}, '; ' ORDER BY m.model) FILTER (WHERE m.training_cost_usd_2023 IS NOT NULL)"),
    ("notable_models_with_training_cost", "notable", "count(DISTINCT a.record_key) FILTER "
     "(WHERE m.training_cost_usd_2023 IS NOT NULL)", "models",
     "derived: notable models of the country that year with a training cost estimate (coverage of the median)",
     f"string_agg({_ROW}, '; ' ORDER BY m.model) FILTER (WHERE m.training_cost_usd_2023 IS NOT NULL)"),
]


def leaderboard_orgs(engine) -> None:
    """Give org-less leaderboard rows (arena-catalog ratings, wide Elo history) an organization by exact,
    case-insensitive model name: LMArena model metadata first, then LMArena snapshot rows that name the
    organization. A name claimed by two organizations is left unresolved."""
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE _model_org AS
        WITH cand AS (
            SELECT lower(model_api_name) AS k, organization, 'lmarena_metadata' AS via, 1 AS pri FROM _lmarena_meta
            UNION ALL SELECT lower(name), organization, 'lmarena_metadata', 1 FROM _lmarena_meta
            UNION ALL SELECT lower(model), organization_raw, 'lmarena_snapshot_model_name', 2 FROM _lb_raw
                WHERE organization_raw IS NOT NULL AND leaderboard LIKE 'lmarena%'),
        best AS (SELECT k, min(pri) AS pri FROM cand WHERE coalesce(organization, '') <> '' GROUP BY k)
        SELECT c.k, min(c.organization) AS organization, min(c.via) AS via,
               count(DISTINCT lower(c.organization)) AS n_orgs
        FROM cand c JOIN best b ON b.k = c.k AND b.pri = c.pri WHERE coalesce(c.organization, '') <> ''
        GROUP BY c.k""")
    # Still org-less: the longest curated model-name prefix (model_prefixes.csv), e.g. claude- → Anthropic.
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lb_all AS
        WITH base AS (
            SELECT r.*, coalesce(r.organization_raw, m.organization) AS org1,
                   CASE WHEN r.organization_raw IS NOT NULL THEN 'file' WHEN m.organization IS NOT NULL THEN m.via END
                       AS src1
            FROM _lb_raw r LEFT JOIN _model_org m ON r.organization_raw IS NULL AND m.k = lower(r.model)
                 AND m.n_orgs = 1),
        pre AS (
            SELECT b.record_key, b.source_dataset, arg_max(p.organization, length(p.prefix)) AS organization,
                   arg_max(p.prefix, length(p.prefix)) AS prefix
            FROM base b JOIN _model_prefixes p ON b.org1 IS NULL AND starts_with(lower(b.model), p.prefix)
            GROUP BY ALL)
        SELECT {", ".join("coalesce(b.org1, p.organization) AS organization_raw" if c == "organization_raw"
                          else "b." + c for c in LB_COLUMNS + ('source_dataset',))},
               coalesce(b.src1, CASE WHEN p.organization IS NOT NULL THEN 'model_prefix' END) AS organization_source,
               p.prefix AS model_prefix
        FROM base b LEFT JOIN pre p ON p.record_key = b.record_key AND p.source_dataset = b.source_dataset""")


def build_tables(engine) -> dict:
    ok = f"NOT {missing('r.raw_value')} AND {num('r.raw_value')} IS NOT NULL"
    engine.execute(f"""
        CREATE OR REPLACE TABLE indicator_quarantine AS
        SELECT r.source_dataset AS dataset_id, r.record_key, r.indicator AS field, 'not a number' AS problem,
               r.raw_value
        FROM _ind_raw r WHERE NOT {missing('r.raw_value')} AND {num('r.raw_value')} IS NULL
        UNION ALL
        -- ragged CSV lines (DuckDB rejects): one row per line, naming the first bad column
        SELECT coalesce(k.dataset_id, j.file_path), 'line ' || j.line, min(j.column_name),
               min(CAST(j.error_type AS VARCHAR)) || ': ' || min(j.error_message), min(j.csv_line)
        FROM (SELECT DISTINCT * FROM _csv_rejects) j LEFT JOIN _ind_catalog k ON k.local_path = j.file_path
        GROUP BY ALL
        UNION ALL
        SELECT m.source_dataset, m.record_key, 'model', 'empty model name (continuation of a broken line?)',
               concat_ws(',', m.publication_date, m.domain, m.training_compute_flop)
        FROM _mod_raw m WHERE nullif(trim(m.model), '') IS NULL""")
    engine.execute(f"""
        CREATE OR REPLACE TABLE indicators AS
        SELECT r.indicator,
               CASE WHEN r.entity_type = 'org' THEN o.country ELSE c.country END AS country,
               r.entity_raw,
               CASE WHEN r.entity_type = 'org' THEN CASE WHEN o.method IS NULL THEN 'unresolved' ELSE 'organization' END
                    ELSE c.entity_kind END AS entity_kind,
               r.year, r.date, r.period, {num('r.raw_value')} AS value, r.unit, r.source_dataset, k.license,
               {NOTES.format(a='r.notes')} AS notes, r.record_key
        FROM _ind_raw r
        LEFT JOIN _cmap c ON r.entity_type <> 'org' AND c.entity_raw IS NOT DISTINCT FROM r.entity_raw
                         AND c.code_raw IS NOT DISTINCT FROM r.code_raw
        LEFT JOIN indicator_org_names o ON r.entity_type = 'org' AND o.name = r.entity_raw
        LEFT JOIN _ind_catalog k ON k.dataset_id = r.source_dataset
        WHERE {ok}""")
    _models(engine)
    _leaderboards(engine)
    _derived(engine)
    s = dict(engine.query("""
        SELECT 'indicators', count(*) FROM indicators UNION ALL SELECT 'ai_models', count(*) FROM ai_models
        UNION ALL SELECT 'leaderboard_entries', count(*) FROM leaderboard_entries
        UNION ALL SELECT 'quarantined_cells', count(*) FROM indicator_quarantine"""))
    s["missing_cells"] = engine.scalar(f"SELECT count(*) FROM _ind_raw r WHERE {missing('r.raw_value')}")
    s["unresolved_entity_rows"] = engine.scalar("SELECT count(*) FROM indicators WHERE entity_kind = 'unresolved'")
    s["leaderboard_rows_without_country"] = engine.scalar(
        "SELECT count(*) FROM leaderboard_entries WHERE country IS NULL")
    s["checks_with_mismatches"] = engine.scalar("SELECT count(*) FROM indicator_checks WHERE mismatches > 0")
    return s


def _models(engine) -> None:
    engine.execute(f"""
        CREATE OR REPLACE TABLE ai_models AS
        WITH n AS (SELECT model, min(organization) AS organization, min(country_raw) AS country_raw,
                          min(publication_date) AS pd, count(*) AS c
                   FROM _mod_raw WHERE list = 'notable' GROUP BY model)
        SELECT m.list, trim(regexp_replace(m.model, '[[:space:]]+', ' ', 'g')) AS model,
               coalesce(m.organization, n.organization) AS organization,
               coalesce(nullif(m.country_raw, ''), n.country_raw) AS country_raw,
               CASE WHEN nullif(m.country_raw, '') IS NOT NULL THEN 'file'
                    WHEN n.country_raw IS NOT NULL THEN 'notable_model_name' END AS country_source,
               coalesce(m.publication_date, n.pd) AS publication_date,
               year(coalesce(m.publication_date, n.pd)) AS year, m.domain, m.parameters, m.training_compute_flop,
               m.training_cost_usd_2023, m.cost_cloud_usd, m.cost_upfront_usd, m.cost_amortized_usd,
               CAST(NULL AS VARCHAR) AS countries, m.source_dataset, k.license,
               {NOTES.format(a='m.notes')} AS notes, m.record_key
        FROM _mod_raw m
        LEFT JOIN n ON m.list NOT IN ('notable', 'large_scale', 'frontier') AND n.c = 1 AND n.model = m.model
        LEFT JOIN _ind_catalog k ON k.dataset_id = m.source_dataset
        WHERE nullif(trim(m.model), '') IS NOT NULL""")
    engine.execute("""
        CREATE OR REPLACE TABLE ai_model_countries AS
        SELECT DISTINCT a.list, a.model, a.record_key, a.source_dataset, a.year, c.country
        FROM (SELECT *, trim(unnest(string_split(country_raw, ','))) AS cname FROM ai_models
              WHERE coalesce(country_raw, '') <> '') a
        JOIN _cmap c ON c.entity_raw = a.cname AND c.code_raw IS NULL
        WHERE c.country IS NOT NULL""")
    engine.execute("""
        UPDATE ai_models SET countries = x.cs FROM (
            SELECT source_dataset, record_key, string_agg(DISTINCT country, ',' ORDER BY country) AS cs
            FROM ai_model_countries GROUP BY ALL) x
        WHERE x.source_dataset = ai_models.source_dataset AND x.record_key = ai_models.record_key""")


def _leaderboards(engine) -> None:
    engine.execute(f"""
        CREATE OR REPLACE TABLE leaderboard_entries AS
        SELECT l.leaderboard, l.category, l.date, l.published_rank AS rank,
               -- a model listed twice with one score (LMArena 2025-08-04: Yi-34B-Chat) is ordered by its
               -- published rank and record: score and name alone left the two positions to chance
               CASE WHEN l.score IS NOT NULL THEN row_number() OVER (
                   PARTITION BY l.leaderboard, l.category, l.date ORDER BY l.score DESC NULLS LAST, l.model,
                   l.published_rank NULLS LAST, l.record_key, l.source_dataset) END
                   AS position,
               l.model, l.score, l.score_unit, l.votes, l.organization_raw, l.organization_source, l.model_prefix,
               o.organization, o.country, o.method AS org_method, l.source_dataset, k.license,
               {NOTES.format(a='l.notes')} AS notes, l.record_key
        FROM _lb_all l
        LEFT JOIN indicator_org_names o ON o.name = l.organization_raw
        LEFT JOIN _ind_catalog k ON k.dataset_id = l.source_dataset""")


def _derived(engine) -> None:
    for ind, lst, agg, unit, note, keys in DERIVED:
        engine.execute(f"""
            INSERT INTO indicators
            SELECT ?, a.country, a.country, 'country', a.year, NULL, NULL, {agg}, ?, a.source_dataset, k.license,
                   ?, 'ai_models list=' || ? || ': ' || coalesce({keys}, '')
            FROM ai_model_countries a JOIN ai_models m ON m.source_dataset = a.source_dataset
                 AND m.record_key = a.record_key
            LEFT JOIN _ind_catalog k ON k.dataset_id = a.source_dataset
            WHERE a.list = ? AND a.year IS NOT NULL GROUP BY a.country, a.year, a.source_dataset, k.license
            HAVING {agg} IS NOT NULL""", [ind, unit, note, lst, lst])
        # The all-countries total, for shares (each model once).
        if agg.startswith("count"):
            engine.execute(f"""
                INSERT INTO indicators
                SELECT ?, NULL, 'All models', 'aggregate', m.year, NULL, NULL,
                       {agg.replace('a.record_key', 'm.record_key')}, ?, m.source_dataset, k.license, ?,
                       'ai_models list=' || ? || ': all models with a publication year'
                FROM ai_models m LEFT JOIN _ind_catalog k ON k.dataset_id = m.source_dataset
                WHERE m.list = ? AND m.year IS NOT NULL GROUP BY m.year, m.source_dataset, k.license""",
                           [ind, unit, note, lst, lst])
