"""The person of every authorship: `person_links(venue, year, paper_id, author_order, person_key, link_method,
link_probability)`.

An OpenReview profile id is the person ('profile_id'). Authorships without one are linked by two
Fellegi-Sunter models (linking_models.py, splink on DuckDB), both over authorships of the same normalised name
and compared on institution, co-authors and year gap:
- **to a profile**: an id-less authorship against the union of what all authorships of a profile say, under
  every name of the profile (its paper names, the names its ids spell, synced alias ids); attached at match
  probability ≥ PROFILE_THRESHOLD;
- **to each other**: two id-less authorships, linked at ≥ RECORD_THRESHOLD and closed into groups.
Conservative by construction:
- only pairs with the same normalised full name are ever compared (no fuzzy names);
- two id-less authorships of a name carried by more than MAX_BLOCK authorships are not compared (too many pairs,
  too common to separate on these fields: 'Yang Liu'); against profiles every name is, its rarity counted in
  profiles;
- an authorship attached to two profiles is attached to neither; a group whose members are attached to
  different profiles keeps each member's own attachment and leaves the others unlinked ('unlinked_ambiguous');
- a group attached to one profile takes its id ('linked_to_profile'); a group without one gets a new key
  ('linked'); the rest are a person of their own ('unlinked').
`link_probability` is the score the decision rests on (the attachment, or the strongest pair of the group).
splink runs only on the DuckDB engine; elsewhere every id-less authorship stays unlinked (stats say so).
"""

from __future__ import annotations

from . import linking_models

LINKING_VERSION = "3"
RECORD_THRESHOLD = 0.99
PROFILE_THRESHOLD = 0.9
MAX_BLOCK = 300
MIN_RECORDS, MIN_LABELLED = 1000, 100  # below these the models cannot be trained meaningfully


def name_norm_sql(expr: str, dialect) -> str:
    """Lower-case letters and single spaces, accents stripped: 'José  García-Pérez' → 'jose garciaperez'."""
    return (f"trim(regexp_replace(regexp_replace(lower({dialect.strip_accents(expr)}), '[^a-z ]', '', 'g'), "
            f"' +', ' ', 'g'))")


def id_name_sql(expr: str, dialect) -> str:
    """The name an OpenReview id spells, normalised: '~J_Zico_Kolter1' → 'j zico kolter'."""
    return name_norm_sql(f"replace(regexp_replace(ltrim({expr}, '~'), '[0-9]+$', ''), '_', ' ')", dialect)


def _eligible(name: str) -> str:
    return f"(length({name}) >= 5 AND position(' ' IN {name}) > 0)"


def build_records(engine) -> None:
    """`_lk_base` (every authorship), `_lk_records` (the linkable ones, with the comparison fields as lists) and
    `_lk_names(person_id, name_norm)`: every name of every profile."""
    d = engine.dialect
    inst = ("LEFT JOIN (SELECT coalesce(affiliation_raw, '') aff_key, coalesce(domain_raw, '') dom_key, "
            "institution_id FROM affiliation_resolutions) r ON r.aff_key = coalesce(a.affiliation_raw, '') "
            "AND r.dom_key = coalesce(a.domain_raw, '')") if engine.table_exists("affiliation_resolutions") else \
        "LEFT JOIN (SELECT NULL::VARCHAR institution_id) r ON false"
    # authorid_raw (the id a paper gave, before ingest's mapping to the canonical profile) is optional.
    raw_id = "a.authorid_raw" if "authorid_raw" in engine.columns("SELECT * FROM authorships LIMIT 0") \
        else "NULL::VARCHAR"
    # Synced profiles map every id they answer to onto one profile: link against that profile, not against
    # each of its ids (which would make the two ids compete for the same authorship).
    has_aliases = engine.table_exists("profile_aliases")
    canon = ("LEFT JOIN (SELECT username, profile_id FROM profile_aliases) pa ON pa.username = a.person_id"
             if has_aliases else "LEFT JOIN (SELECT NULL::VARCHAR profile_id) pa ON false")
    engine.execute(f"""
    CREATE OR REPLACE TEMP TABLE _lk_base AS
    SELECT row_number() OVER (ORDER BY a.venue, a.year, a.paper_id, a.author_order) AS unique_id,
           a.venue, a.year, a.paper_id, a.author_order, coalesce(pa.profile_id, a.person_id) AS person_id,
           {raw_id} AS authorid_raw, {name_norm_sql('a.author_name', d)} AS name_norm,
           r.institution_id AS inst_id, nullif(lower(trim(a.domain_raw)), '') AS domain,
           nullif({name_norm_sql('a.affiliation_raw', d)}, '') AS aff_norm
    FROM authorships a {inst} {canon}
    WHERE a.author_name IS NOT NULL""")
    # A profile's names: those it published under, those its ids spell (the canonical id and the raw id a
    # paper gave: ~Zico_Kolter1 for 'J. Zico Kolter'), and, for synced profiles, every id it answers to and
    # its preferred name.
    synced = [f"SELECT profile_id, {id_name_sql('username', d)} FROM profile_aliases "
              f"WHERE starts_with(username, '~')"] if has_aliases else []
    if engine.table_exists("profiles"):
        synced.append(f"SELECT profile_id, {name_norm_sql('preferred_name', d)} FROM profiles "
                      f"WHERE source = 'openreview' AND preferred_name IS NOT NULL")
    known = "(SELECT DISTINCT person_id FROM _lk_base WHERE person_id IS NOT NULL)"
    engine.execute(f"""
    CREATE OR REPLACE TEMP TABLE _lk_names AS
    SELECT DISTINCT person_id, name_norm FROM (
        SELECT person_id, name_norm FROM _lk_base WHERE person_id IS NOT NULL
        UNION SELECT person_id, {id_name_sql('person_id', d)} FROM _lk_base WHERE person_id IS NOT NULL
        UNION SELECT person_id, {id_name_sql('authorid_raw', d)} FROM _lk_base
              WHERE person_id IS NOT NULL AND starts_with(authorid_raw, '~')
        {''.join(f' UNION SELECT * FROM ({q}) s WHERE s.profile_id IN {known}' for q in synced)}) n
    WHERE {_eligible('name_norm')}""")
    # Every authorship of a linkable name with its comparison fields as lists (one value at most here; a
    # profile's summary holds many): `_lk_all`; those the models link (id-less ones and their candidates):
    # `_lk_records`.
    engine.execute(f"""
    CREATE OR REPLACE TEMP TABLE _lk_all AS
    WITH co AS (SELECT venue, year, paper_id, list(DISTINCT name_norm) AS names FROM _lk_base
                GROUP BY venue, year, paper_id)
    SELECT b.unique_id, b.venue, b.year, b.paper_id, b.author_order, b.person_id, b.name_norm, b.inst_id,
           b.domain, b.aff_norm, list_filter(co.names, lambda x: x <> b.name_norm) AS coauthors
    FROM _lk_base b JOIN co USING (venue, year, paper_id) WHERE {_eligible('b.name_norm')}""")
    engine.execute("""
    CREATE OR REPLACE TEMP TABLE _lk_records AS
    WITH sizes AS (SELECT name_norm, count(*) AS n, count(*) FILTER (person_id IS NULL) AS n_noid
                   FROM _lk_all GROUP BY name_norm),
         named AS (SELECT DISTINCT name_norm FROM _lk_names)
    SELECT a.*, s.n AS block_n FROM _lk_all a JOIN sizes s USING (name_norm)
    WHERE s.n_noid > 0 AND (s.n > 1 OR a.name_norm IN (SELECT name_norm FROM named))""")


def _summary(where: str) -> str:
    """One row per profile: the union of its authorships' evidence (sorted lists: a total order)."""
    return f"""SELECT person_id,
        list_sort(list(DISTINCT inst_id) FILTER (inst_id IS NOT NULL)) AS insts,
        list_sort(list(DISTINCT domain) FILTER (domain IS NOT NULL)) AS domains,
        list_sort(list(DISTINCT aff_norm) FILTER (aff_norm IS NOT NULL)) AS affs,
        list_sort(list_distinct(flatten(list(coauthors)))) AS coauthors,
        list_sort(list(DISTINCT year)) AS years
    FROM _lk_all WHERE person_id IS NOT NULL AND {where} GROUP BY person_id"""


def _as_lists(src: str, where: str) -> str:
    """Records in the profile model's shape: each field a list of at most one value."""
    return f"""SELECT unique_id, person_id, name_norm,
        CASE WHEN inst_id IS NULL THEN [] ELSE [inst_id] END AS insts,
        CASE WHEN domain IS NULL THEN [] ELSE [domain] END AS domains,
        CASE WHEN aff_norm IS NULL THEN [] ELSE [aff_norm] END AS affs, coauthors, [year] AS years
    FROM {src} WHERE {where}"""


_PROFILE_ROWS = """SELECT row_number() OVER (ORDER BY n.person_id, n.name_norm) AS unique_id, n.person_id, n.name_norm,
    e.insts, e.domains, e.affs, e.coauthors, e.years FROM _lk_names n JOIN ({}) e USING (person_id)"""


def build_profiles(engine) -> None:
    """The 'profiles' model's tables. Production: `_lk_queries` (id-less records) and `_lk_profiles` (one row
    per profile and name: the union of its authorships' evidence). Training: `_lk_train_queries` (each
    profile's authorships of its first year, ids kept as labels) and `_lk_train_profiles` (the summary of its
    later years)."""
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _lk_queries AS {_as_lists('_lk_records', 'person_id IS NULL')}")
    engine.execute(f"""CREATE OR REPLACE TEMP TABLE _lk_profiles AS {_PROFILE_ROWS.format(_summary('true'))}
        WHERE n.name_norm IN (SELECT name_norm FROM _lk_queries)""")
    # Training: each profile's first year (with two years or more) is held out as queries with their ids kept
    # as labels; the summary of its later years, under every name of the profile, is the profile.
    engine.execute("""CREATE OR REPLACE TEMP TABLE _lk_train_years AS
        SELECT person_id, min(year) AS first_year FROM _lk_all WHERE person_id IS NOT NULL GROUP BY person_id
        HAVING min(year) < max(year)""")
    engine.execute(f"""CREATE OR REPLACE TEMP TABLE _lk_train_queries AS
        {_as_lists('_lk_all', 'EXISTS (SELECT 1 FROM _lk_train_years t WHERE t.person_id = _lk_all.person_id AND t.first_year = _lk_all.year)')}""")
    later = "year > (SELECT t.first_year FROM _lk_train_years t WHERE t.person_id = _lk_all.person_id)"
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _lk_train_profiles AS {_PROFILE_ROWS.format(_summary(later))}")
    engine.execute("DROP TABLE IF EXISTS _lk_train_years")


def predict(engine, seed: int, min_probability: float = 0.5) -> None:
    """Both models' scores above min_probability: `_lk_pred_records`, `_lk_pred_profiles`."""
    build_profiles(engine)
    linking_models.predict_records(engine, seed, min_probability, MAX_BLOCK)
    tables = ("_lk_queries", "_lk_profiles", "_lk_train_queries", "_lk_train_profiles")
    if all(engine.scalar(f"SELECT count(*) FROM {t}") for t in tables):
        linking_models.predict_profiles(engine, seed, min_probability)
    else:  # no pair to score or to learn from (a subset build of a venue-year without profiles): attach nothing
        engine.execute("CREATE OR REPLACE TEMP TABLE _lk_pred_profiles AS SELECT 0::BIGINT unique_id, "
                       "NULL::VARCHAR person_id, 0.0::DOUBLE match_probability WHERE false")


def drop_splink_tables(engine) -> list[str]:
    """splink caches its working tables (pairs, predictions, term frequencies) as ordinary tables of the
    database: millions of rows that must not be published."""
    from ..engine.checksum import SPLINK, drop_scratch

    return drop_scratch(engine, SPLINK)


def _components(edges: list[tuple[int, int]]) -> dict[int, int]:
    """Connected components (union-find) over linked pairs: node → root (the smallest node)."""
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


def _empty_predictions(engine) -> None:
    engine.execute("CREATE OR REPLACE TEMP TABLE _lk_pred_records AS SELECT 0::BIGINT unique_id_l, "
                   "0::BIGINT unique_id_r, 0.0::DOUBLE match_probability WHERE false")
    engine.execute("CREATE OR REPLACE TEMP TABLE _lk_pred_profiles AS SELECT 0::BIGINT unique_id, "
                   "NULL::VARCHAR person_id, 0.0::DOUBLE match_probability WHERE false")


def decide(engine, record_threshold: float = RECORD_THRESHOLD, profile_threshold: float = PROFILE_THRESHOLD) -> dict:
    """`_lk_decisions(unique_id, person_key, link_method, link_probability)` for the id-less linkable records,
    from the two prediction tables (rules in the module docstring)."""
    import pyarrow as pa

    edges = engine.query("SELECT unique_id_l, unique_id_r FROM _lk_pred_records WHERE match_probability >= ? "
                         "ORDER BY 1, 2", [record_threshold])
    comp = _components(edges)
    engine.register_arrow("_lk_groups", pa.table({"unique_id": pa.array(list(comp.keys()), pa.int64()),
                                                  "group_id": pa.array(list(comp.values()), pa.int64())}))
    engine.execute("""CREATE OR REPLACE TEMP TABLE _lk_attach AS
        SELECT unique_id, min(person_id) AS person_id, count(DISTINCT person_id) AS n_profiles,
               max(match_probability) AS p
        FROM _lk_pred_profiles WHERE match_probability >= ? GROUP BY unique_id""", [profile_threshold])
    engine.execute("""CREATE OR REPLACE TEMP TABLE _lk_decisions AS
    WITH m AS (SELECT q.unique_id, coalesce(g.group_id, -q.unique_id) AS group_id, g.group_id IS NOT NULL AS grouped,
                      a.person_id, a.n_profiles, a.p
               FROM _lk_queries q LEFT JOIN _lk_groups g USING (unique_id) LEFT JOIN _lk_attach a USING (unique_id)),
         edge_p AS (SELECT unique_id, max(match_probability) AS p FROM (
                        SELECT unique_id_l AS unique_id, match_probability FROM _lk_pred_records
                        WHERE match_probability >= ? UNION ALL
                        SELECT unique_id_r, match_probability FROM _lk_pred_records WHERE match_probability >= ?)
                    GROUP BY unique_id),
         grp AS (SELECT group_id, count(DISTINCT person_id) AS n_ids, min(person_id) AS the_id,
                        max(n_profiles) AS max_profiles, max(p) AS p_attach
                 FROM m GROUP BY group_id)
    SELECT m.unique_id,
           CASE WHEN m.n_profiles = 1 AND (grp.n_ids > 1 OR grp.max_profiles > 1) THEN m.person_id
                WHEN grp.n_ids = 1 AND grp.max_profiles = 1 THEN grp.the_id
                WHEN grp.n_ids = 0 AND m.grouped THEN 'l:' || m.group_id END AS person_key,
           CASE WHEN m.n_profiles = 1 AND (grp.n_ids > 1 OR grp.max_profiles > 1) THEN 'linked_to_profile'
                WHEN grp.n_ids = 1 AND grp.max_profiles = 1 THEN 'linked_to_profile'
                WHEN grp.n_ids = 0 AND m.grouped THEN 'linked'
                WHEN grp.n_ids >= 1 THEN 'unlinked_ambiguous'
                ELSE 'unlinked' END AS link_method,
           CASE WHEN m.n_profiles = 1 THEN m.p WHEN grp.n_ids = 1 AND grp.max_profiles = 1 THEN grp.p_attach
                WHEN grp.n_ids = 0 AND m.grouped THEN e.p END AS link_probability
    FROM m JOIN grp USING (group_id) LEFT JOIN edge_p e USING (unique_id)""",
                   [record_threshold, record_threshold])
    return {"linking_pairs_linked": len(edges),
            "linking_profile_attachments": engine.scalar("SELECT count(*) FROM _lk_attach WHERE n_profiles = 1"),
            "linking_profile_conflicts": engine.scalar("SELECT count(*) FROM _lk_attach WHERE n_profiles > 1")}


def build_links(engine, settings) -> dict:
    stats: dict = {}
    build_records(engine)
    n = stats["linking_candidates"] = engine.scalar("SELECT count(*) FROM _lk_records")
    labelled = engine.scalar("SELECT count(*) - count(DISTINCT person_id) FROM _lk_records")
    if n < MIN_RECORDS or labelled < MIN_LABELLED:
        # Too little to estimate the models (tiny test mirrors): link nothing rather than guess.
        stats["linking_skipped"] = f"{n} candidates, {labelled} labelled repeats: below the training minimum"
        build_profiles(engine)
        _empty_predictions(engine)
    else:
        predict(engine, seed=settings.seed)
        drop_splink_tables(engine)
    stats.update(decide(engine))
    stats.update(write_links(engine))
    drop_work_tables(engine)
    return stats


def write_links(engine) -> dict:
    """`person_links` from `_lk_decisions` (id-bearing authorships are their id)."""
    single = engine.dialect.hash_text("a.venue || '|' || a.year || '|' || a.paper_id || '|' || a.author_order")
    # A profile answers to several ids after a merge (~Ana_Silva2 → ~Ana_Silva1): synced profiles map every id
    # to the one profile, so the same person is one key across years.
    aliases = ("(SELECT username, profile_id FROM profile_aliases WHERE username <> profile_id)"
               if engine.table_exists("profile_aliases") else
               "(SELECT NULL::VARCHAR AS username, NULL::VARCHAR AS profile_id WHERE false)")
    engine.execute(f"""
    CREATE OR REPLACE TABLE person_links AS
    SELECT x.venue, x.year, x.paper_id, x.author_order, coalesce(pa.profile_id, x.person_key) AS person_key,
           x.link_method, x.link_probability
    FROM (
    SELECT a.venue, a.year, a.paper_id, a.author_order,
           CASE WHEN a.person_id IS NOT NULL THEN a.person_id
                ELSE coalesce(dc.person_key, 'a:' || {single}) END AS person_key,
           CASE WHEN a.person_id IS NOT NULL THEN 'profile_id' ELSE coalesce(dc.link_method, 'unlinked') END
               AS link_method,
           CASE WHEN a.person_id IS NOT NULL THEN 1.0 ELSE dc.link_probability END AS link_probability
    FROM authorships a
    LEFT JOIN _lk_base b USING (venue, year, paper_id, author_order)
    LEFT JOIN _lk_decisions dc USING (unique_id)) x
    LEFT JOIN {aliases} pa ON pa.username = x.person_key""")
    return dict(engine.query("SELECT 'links_' || link_method, count(*) FROM person_links GROUP BY 1"))


def drop_work_tables(engine) -> None:
    for t in ("_lk_all", "_lk_records", "_lk_pred_records", "_lk_pred_profiles", "_lk_decisions", "_lk_attach",
              "_lk_queries", "_lk_profiles", "_lk_train_queries", "_lk_train_profiles", "_lk_names", "_lk_base",
              "_lk_tf_names"):
        engine.execute(f"DROP TABLE IF EXISTS {t}")
    engine.execute("DROP VIEW IF EXISTS _lk_groups")
