"""`person_stages`: origin, graduate and work stage of every person at every reference year they appear in,
under both country rules (location, hq), each with its basis (observed / proxy / unknown) and the rule used.

- origin   observed: the earliest undergraduate observation with a resolved country (rule `undergrad`): a paper
           written as an undergraduate, or the first undergraduate entry of a dated career history;
           proxy (only when no observed origin): the earliest MS/PhD observation (rule `proxy:earliest_graduate`);
- graduate observed: the earliest PhD observation, else the earliest MS observation (rule `phd` / `masters`);
- work     latest observation at or before the reference year that is not a student observation: basis
           observed when its position is known (rule `non_student`), proxy when the position is unknown
           (rule `proxy:position_unknown`, the only signal for years without positions) — except in a year
           where the person's known positions are all student ones.
A stage whose country cannot be resolved is unknown: it is never filled from another rule. Each stage records its
source: `paper` (an author record) or the history it came from (`openreview_profile`, `orcid`); within a year a
paper's record comes before a history entry.
"""

from __future__ import annotations

RULES = ("location", "hq")
# Where a stage value came from: a paper's author record, or a dated career history.
SOURCE = "CASE source WHEN 'authorship' THEN 'paper' ELSE source END"
# A total order for events of the same year: paper records by position in the paper, then history entries.
TIE = ("source <> 'authorship', venue, paper_id, author_order, source, coalesce(institution_id, ''), "
       "coalesce(affiliation_raw, ''), coalesce(domain_raw, ''), coalesce(position_raw, '')")


def _first(kind: str, where: str, order: str, rule_sql: str, basis: str) -> str:
    """Per person and country rule: the first event by `order` satisfying `where` (country known)."""
    parts = []
    for r in RULES:
        parts.append(f"""
        SELECT person_key, '{r}' AS rule, country_{r} AS country, institution_id, institution_name, sector,
               year AS stage_year, {rule_sql} AS stage_rule, '{basis}' AS basis, {SOURCE} AS source
        FROM career_events WHERE country_{r} IS NOT NULL AND ({where})
        QUALIFY row_number() OVER (PARTITION BY person_key ORDER BY {order}, country_{r}) = 1""")
    return f"CREATE OR REPLACE TEMP TABLE _st_{kind} AS " + " UNION ALL ".join(parts)


def build_stages(engine) -> dict:
    tie = TIE
    ex = engine.execute
    ex(_first("origin_obs", "position = 'undergrad'", f"year, {tie}", "'undergrad'", "observed"))
    ex(_first("origin_proxy", "position IN ('masters', 'phd')", f"year, {tie}", "'proxy:earliest_graduate'", "proxy"))
    ex(_first("graduate", "position IN ('masters', 'phd')",
              f"CASE position WHEN 'phd' THEN 0 ELSE 1 END, year, {tie}", "position", "observed"))
    # Years in which a person is seen only as a student (with known positions): an unknown-position record that
    # year is most likely the same studentship, so it is no work proxy.
    ex("""CREATE OR REPLACE TEMP TABLE _st_student_only AS
          SELECT person_key, year FROM career_events WHERE position IS NOT NULL GROUP BY 1, 2
          HAVING bool_and(is_student)""")
    # Work candidates: one best event per (person, year, rule); known non-student positions beat unknown ones.
    parts = []
    for r in RULES:
        parts.append(f"""
        SELECT person_key, year, '{r}' AS rule, country_{r} AS country, institution_id, institution_name, sector,
               CASE WHEN position IS NULL THEN 'proxy:position_unknown' ELSE 'non_student' END AS stage_rule,
               CASE WHEN position IS NULL THEN 'proxy' ELSE 'observed' END AS basis, {SOURCE} AS source
        FROM career_events e WHERE country_{r} IS NOT NULL AND coalesce(NOT is_student, true)
          AND NOT (position IS NULL AND (person_key, year) IN (SELECT * FROM _st_student_only))
        QUALIFY row_number() OVER (PARTITION BY person_key, year
                                   ORDER BY position IS NULL, source <> 'authorship',
                                            resolution_confidence DESC NULLS LAST, country_{r}, {tie}) = 1""")
    ex("CREATE OR REPLACE TEMP TABLE _st_work_y AS " + " UNION ALL ".join(parts))
    # Reference years are the years of a person's papers (history entries add observations, not rows).
    ex("""CREATE OR REPLACE TEMP TABLE _st_ref AS
          SELECT DISTINCT person_key, year AS ref_year, r.rule FROM career_events,
          (SELECT unnest(['location', 'hq']) AS rule) r
          WHERE source = 'authorship' AND year IS NOT NULL""")
    ex("""CREATE OR REPLACE TEMP TABLE _st_work AS
          SELECT f.person_key, f.ref_year, f.rule, w.country, w.institution_id, w.institution_name, w.sector,
                 w.year AS stage_year, w.stage_rule, w.basis, w.source
          FROM _st_ref f JOIN _st_work_y w ON w.person_key = f.person_key AND w.rule = f.rule AND w.year <= f.ref_year
          QUALIFY row_number() OVER (PARTITION BY f.person_key, f.ref_year, f.rule ORDER BY w.year DESC) = 1""")

    def cols(prefix: str, alias: str) -> str:
        return ", ".join(f"{alias}.{c} AS {prefix}_{c}" for c in
                         ("country", "institution_id", "institution_name", "sector", "stage_year", "stage_rule",
                          "source"))

    ex(f"""
    CREATE OR REPLACE TABLE person_stages AS
    SELECT f.person_key, f.ref_year, f.rule,
           coalesce(oo.country, op.country) AS origin_country,
           coalesce(oo.institution_id, op.institution_id) AS origin_institution_id,
           coalesce(oo.institution_name, op.institution_name) AS origin_institution_name,
           coalesce(oo.stage_year, op.stage_year) AS origin_stage_year,
           coalesce(oo.stage_rule, op.stage_rule) AS origin_stage_rule,
           CASE WHEN oo.country IS NOT NULL THEN 'observed' WHEN op.country IS NOT NULL THEN 'proxy'
                ELSE 'unknown' END AS origin_basis,
           coalesce(oo.source, op.source) AS origin_source,
           {cols('graduate', 'g')},
           CASE WHEN g.country IS NOT NULL THEN 'observed' ELSE 'unknown' END AS graduate_basis,
           {cols('work', 'w')}, coalesce(w.basis, 'unknown') AS work_basis
    FROM _st_ref f
    LEFT JOIN _st_origin_obs oo ON oo.person_key = f.person_key AND oo.rule = f.rule
    LEFT JOIN _st_origin_proxy op ON op.person_key = f.person_key AND op.rule = f.rule
    LEFT JOIN _st_graduate g ON g.person_key = f.person_key AND g.rule = f.rule
    LEFT JOIN _st_work w ON w.person_key = f.person_key AND w.ref_year = f.ref_year AND w.rule = f.rule
    """)
    for t in ("origin_obs", "origin_proxy", "graduate", "student_only", "work_y", "ref", "work"):
        ex(f"DROP TABLE IF EXISTS _st_{t}")
    rows = engine.query("""SELECT count(*), count(*) FILTER (origin_basis = 'observed'),
                                  count(*) FILTER (origin_basis = 'proxy'),
                                  count(*) FILTER (graduate_basis = 'observed'),
                                  count(*) FILTER (work_basis = 'observed'), count(*) FILTER (work_basis = 'proxy')
                           FROM person_stages WHERE rule = 'location'""")[0]
    return dict(zip(("person_stage_rows", "origin_observed", "origin_proxy", "graduate_observed", "work_observed",
                     "work_proxy"), rows))
