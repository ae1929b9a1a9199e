"""The person of every authorship: `person_links(venue, year, paper_id, author_order, person_key, link_method,
link_probability)`.

An OpenReview profile id is the person ('profile_id'). Authorships without one are linked by a Fellegi-Sunter
model (splink on DuckDB) to other authorships of the same normalised name, compared on institution,
co-authors and year gap; m-probabilities come from the authorships whose profile ids are known (same id =
match), u-probabilities from random pairs. Conservative by construction:
- only pairs with the same normalised full name are ever compared (no fuzzy names);
- a pair links at match probability ≥ LINK_THRESHOLD;
- a linked group containing two different profile ids is ambiguous: its id-less members stay unlinked;
- names carried by more than MAX_BLOCK authorships are not linked (too common to separate: 'Wei Wang').
Linked groups with one profile id take that id ('linked_to_profile'); groups without one get a new key
('linked'); the rest are a person of their own ('unlinked').
splink runs only on the DuckDB engine; elsewhere every id-less authorship stays unlinked (stats say so).
"""

from __future__ import annotations

import hashlib
import logging

LINKING_VERSION = "2"
LINK_THRESHOLD = 0.99
MAX_BLOCK = 300
MIN_RECORDS, MIN_LABELLED = 1000, 100  # below these the model cannot be trained meaningfully


def fingerprint() -> str:
    return hashlib.sha256(f"{LINKING_VERSION}|{LINK_THRESHOLD}|{MAX_BLOCK}".encode()).hexdigest()


def name_norm_sql(expr: str, dialect) -> str:
    """Lower-case letters and single spaces, accents stripped: 'José  García-Pérez' → 'jose garciaperez'."""
    return (f"trim(regexp_replace(regexp_replace(lower({dialect.strip_accents(expr)}), '[^a-z ]', '', 'g'), "
            f"' +', ' ', 'g'))")


def build_records(engine) -> None:
    """`_lk_records`: one row per authorship with the comparison fields."""
    d = engine.dialect
    inst = ("LEFT JOIN (SELECT coalesce(affiliation_raw, '') aff_key, coalesce(domain_raw, '') dom_key, "
            "institution_id FROM affiliation_resolutions) r ON r.aff_key = coalesce(a.affiliation_raw, '') "
            "AND r.dom_key = coalesce(a.domain_raw, '')") if engine.table_exists("affiliation_resolutions") else \
        "LEFT JOIN (SELECT NULL::VARCHAR institution_id) r ON false"
    engine.execute(f"""
    CREATE OR REPLACE TEMP TABLE _lk_base AS
    SELECT row_number() OVER (ORDER BY a.venue, a.year, a.paper_id, a.author_order) AS unique_id,
           a.venue, a.year, a.paper_id, a.author_order, a.person_id,
           {name_norm_sql('a.author_name', d)} AS name_norm,
           r.institution_id AS inst_id, nullif(lower(trim(a.domain_raw)), '') AS domain,
           nullif({name_norm_sql('a.affiliation_raw', d)}, '') AS aff_norm
    FROM authorships a {inst}
    WHERE a.author_name IS NOT NULL""")
    engine.execute("""
    CREATE OR REPLACE TEMP TABLE _lk_records AS
    WITH co AS (SELECT venue, year, paper_id, list(DISTINCT name_norm) AS names FROM _lk_base
                GROUP BY venue, year, paper_id),
         sizes AS (SELECT name_norm, count(*) AS n, count(*) FILTER (person_id IS NULL) AS n_noid
                   FROM _lk_base GROUP BY name_norm)
    SELECT b.*, list_filter(co.names, lambda x: x <> b.name_norm) AS coauthors
    FROM _lk_base b JOIN co USING (venue, year, paper_id) JOIN sizes s USING (name_norm)
    WHERE length(b.name_norm) >= 5 AND position(' ' IN b.name_norm) > 0 AND s.n <= ? AND s.n_noid > 0
          AND s.n > 1""", [MAX_BLOCK])


def _settings():
    from splink import SettingsCreator

    inst_levels = [
        {"sql_condition": "coalesce(inst_id_l, domain_l, aff_norm_l) IS NULL OR "
                          "coalesce(inst_id_r, domain_r, aff_norm_r) IS NULL",
         "label_for_charts": "no affiliation", "is_null_level": True},
        {"sql_condition": "inst_id_l = inst_id_r", "label_for_charts": "same institution"},
        {"sql_condition": "domain_l = domain_r OR aff_norm_l = aff_norm_r", "label_for_charts": "same domain/string"},
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ]
    co_levels = [
        {"sql_condition": "len(coauthors_l) = 0 OR len(coauthors_r) = 0", "label_for_charts": "no co-authors",
         "is_null_level": True},
        {"sql_condition": "len(list_intersect(coauthors_l, coauthors_r)) >= 2", "label_for_charts": "≥2 shared"},
        {"sql_condition": "len(list_intersect(coauthors_l, coauthors_r)) = 1", "label_for_charts": "1 shared"},
        {"sql_condition": "ELSE", "label_for_charts": "none shared"},
    ]
    year_levels = [
        {"sql_condition": "year_l IS NULL OR year_r IS NULL", "label_for_charts": "null", "is_null_level": True},
        {"sql_condition": "abs(year_l - year_r) <= 1", "label_for_charts": "≤1 year"},
        {"sql_condition": "abs(year_l - year_r) <= 4", "label_for_charts": "≤4 years"},
        {"sql_condition": "ELSE", "label_for_charts": "further apart"},
    ]
    name_levels = [
        {"sql_condition": "name_norm_l IS NULL OR name_norm_r IS NULL", "label_for_charts": "null",
         "is_null_level": True},
        # Term-frequency adjusted: a shared rare name is strong evidence, a shared common one weak.
        {"sql_condition": "name_norm_l = name_norm_r", "label_for_charts": "same name",
         "tf_adjustment_column": "name_norm", "tf_adjustment_weight": 1.0},
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[{"output_column_name": "name_norm", "comparison_levels": name_levels},
                     {"output_column_name": "institution", "comparison_levels": inst_levels},
                     {"output_column_name": "coauthors", "comparison_levels": co_levels},
                     {"output_column_name": "year", "comparison_levels": year_levels}],
        blocking_rules_to_generate_predictions=[
            {"blocking_rule": "l.name_norm = r.name_norm AND (l.person_id IS NULL OR r.person_id IS NULL)"}],
        probability_two_random_records_match=2e-6,
        retain_matching_columns=False,
        additional_columns_to_retain=["person_id"],
    )


def train_and_predict(engine, seed: int = 20221128, min_probability: float = 0.5, blocking: str | None = None):
    """Train on `_lk_records` and return the splink prediction table name (pairs above min_probability)."""
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    api = DuckDBAPI(connection=engine.con)
    settings = _settings()
    if blocking:
        settings.blocking_rules_to_generate_predictions = [{"blocking_rule": blocking}]
    linker = Linker(api.register("_lk_records"), settings, log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    linker.training.estimate_m_from_label_column("person_id")
    pred = linker.inference.predict(threshold_match_probability=min_probability)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _lk_pred AS SELECT unique_id_l, unique_id_r, match_probability "
                   f"FROM {pred.physical_name}")
    return linker


def drop_splink_tables(engine) -> list[str]:
    """splink caches its working tables (pairs, predictions, term frequencies) as ordinary tables of the
    database: 2 million rows that must not be published."""
    from ..engine.checksum import SPLINK, drop_scratch

    return drop_scratch(engine, SPLINK)


def evaluate_on_profiles(engine, linker, sample_mod: int = 10, thresholds=(0.5, 0.9, 0.99, 0.999)) -> list[dict]:
    """Precision and recall on same-name pairs whose two authorships both carry a profile id (truth: same id),
    the ids hidden from the comparison, for a deterministic sample of names (hash mod `sample_mod` = 0)."""
    rule = (f"l.name_norm = r.name_norm AND l.person_id IS NOT NULL AND r.person_id IS NOT NULL "
            f"AND hash(l.name_norm) % {sample_mod} = 0")
    from splink.internals.blocking_rule_library import CustomRule

    # The trained model scores a different set of pairs: swap the prediction blocking rule (no public API).
    linker._settings_obj._blocking_rules_to_generate_predictions = [CustomRule(rule).get_blocking_rule("duckdb")]
    out = linker.inference.predict()
    engine.execute(f"""CREATE OR REPLACE TEMP TABLE _lk_eval AS
        SELECT p.match_probability, l.person_id = r.person_id AS truth
        FROM {out.physical_name} p JOIN _lk_records l ON l.unique_id = p.unique_id_l
        JOIN _lk_records r ON r.unique_id = p.unique_id_r""")
    rows = []
    for t in thresholds:
        tp, fp, fn, n = engine.query("""SELECT count(*) FILTER (match_probability >= ? AND truth),
            count(*) FILTER (match_probability >= ? AND NOT truth), count(*) FILTER (match_probability < ? AND truth),
            count(*) FROM _lk_eval""", [t, t, t])[0]
        rows.append({"threshold": t, "pairs": n, "true_matches": tp + fn, "tp": tp, "fp": fp, "fn": fn,
                     "precision": tp / (tp + fp) if tp + fp else None, "recall": tp / (tp + fn) if tp + fn else None})
    return rows


def _components(edges: list[tuple[int, int]]) -> dict[int, int]:
    """Connected components (union-find) over linked pairs: node → root."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent)}


def build_links(engine, settings) -> dict:
    import pyarrow as pa

    stats: dict = {}
    groups = pa.table({"unique_id": pa.array([], pa.int64()), "group_id": pa.array([], pa.int64())})
    if engine.name == "duckdb":
        build_records(engine)
        n = stats["linking_candidates"] = engine.scalar("SELECT count(*) FROM _lk_records")
        labelled = engine.scalar("SELECT count(*) - count(DISTINCT person_id) FROM _lk_records")
        if n < MIN_RECORDS or labelled < MIN_LABELLED:
            # Too little to estimate the model (tiny test mirrors): link nothing rather than guess.
            stats["linking_skipped"] = f"{n} candidates, {labelled} labelled repeats: below the training minimum"
            engine.execute("CREATE OR REPLACE TEMP TABLE _lk_pred AS SELECT 0::BIGINT unique_id_l, "
                           "0::BIGINT unique_id_r, 0.0::DOUBLE match_probability WHERE false")
        else:
            train_and_predict(engine, seed=settings.seed)
            drop_splink_tables(engine)
        edges = engine.query("SELECT unique_id_l, unique_id_r FROM _lk_pred WHERE match_probability >= ?",
                             [LINK_THRESHOLD])
        stats["linking_pairs_linked"] = len(edges)
        comp = _components(edges)
        groups = pa.table({"unique_id": pa.array(list(comp.keys()), pa.int64()),
                           "group_id": pa.array(list(comp.values()), pa.int64())})
    else:
        engine.execute("CREATE OR REPLACE TEMP TABLE _lk_base AS SELECT NULL::BIGINT unique_id, NULL::VARCHAR venue, "
                       "NULL::INTEGER year, NULL::VARCHAR paper_id, NULL::INTEGER author_order WHERE false")
        stats["linking_skipped"] = f"splink needs duckdb (engine {engine.name})"
    engine.register_arrow("_lk_groups", groups)
    single = engine.dialect.hash_text("a.venue || '|' || a.year || '|' || a.paper_id || '|' || a.author_order")
    engine.execute(f"""
    CREATE OR REPLACE TEMP TABLE _lk_group_ids AS
    SELECT g.group_id, count(DISTINCT b.person_id) AS n_ids, min(b.person_id) AS the_id
    FROM _lk_groups g JOIN _lk_base b USING (unique_id) GROUP BY g.group_id""")
    # A profile answers to several ids after a merge (~Ana_Silva2 → ~Ana_Silva1): synced profiles map every id
    # to the one profile, so the same person is one key across years.
    aliases = ("(SELECT username, profile_id FROM profile_aliases WHERE username <> profile_id)"
               if engine.table_exists("profile_aliases") else
               "(SELECT NULL::VARCHAR AS username, NULL::VARCHAR AS profile_id WHERE false)")
    engine.execute(f"""
    CREATE OR REPLACE TABLE person_links AS
    SELECT x.venue, x.year, x.paper_id, x.author_order, coalesce(pa.profile_id, x.person_key) AS person_key,
           x.link_method
    FROM (
    SELECT a.venue, a.year, a.paper_id, a.author_order,
           CASE WHEN a.person_id IS NOT NULL THEN a.person_id
                WHEN gi.n_ids = 1 THEN gi.the_id
                WHEN gi.n_ids = 0 THEN 'l:' || gi.group_id
                ELSE 'a:' || {single} END AS person_key,
           CASE WHEN a.person_id IS NOT NULL THEN 'profile_id'
                WHEN gi.n_ids = 1 THEN 'linked_to_profile'
                WHEN gi.n_ids = 0 THEN 'linked'
                WHEN gi.n_ids > 1 THEN 'unlinked_ambiguous'
                ELSE 'unlinked' END AS link_method
    FROM authorships a
    LEFT JOIN _lk_base b USING (venue, year, paper_id, author_order)
    LEFT JOIN _lk_groups g USING (unique_id)
    LEFT JOIN _lk_group_ids gi USING (group_id)) x
    LEFT JOIN {aliases} pa ON pa.username = x.person_key""")
    stats.update(dict(engine.query("SELECT 'links_' || link_method, count(*) FROM person_links GROUP BY 1")))
    for t in ("_lk_records", "_lk_pred", "_lk_group_ids"):
        engine.execute(f"DROP TABLE IF EXISTS {t}")
    return stats
