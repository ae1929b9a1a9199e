"""`career_events`: every (person, year, venue, paper) observation with normalised position, institution, both
country rules and sector; and `people`, one row per person.

Inputs: `authorships` (ingest), `person_links` (linking.py: the person of every authorship) and, when the resolve
stage has run, `affiliation_resolutions` keyed by (affiliation_raw, domain_raw) with NULL → ''. Without that
table every institution and country is NULL (unresolved) and the stats say so: a missing country is never guessed.
Paper-level affiliation lists (CVPR/ICCV/ECCV) are not aligned to authors and give no per-author observation.

Profile histories slot in as more events: `profile_events` (histories.py: OpenReview and ORCID career
histories, one row per listed position and year) join `career_events` with their own years, no venue or paper,
`accepted = false` (so they never enter a metric population) and their `source` (`openreview_profile`, `orcid`;
paper observations are `authorship`); they count for stages and for "last seen".
"""

from __future__ import annotations

from .positions import load_positions, position_table

RESOLUTION_COLUMNS = ("institution_id", "institution_name", "country_location", "country_hq", "sector", "org_type",
                      "confidence", "reason")


def _resolution_source(engine) -> tuple[str, bool]:
    """SQL relation with the resolution columns keyed by (aff_key, dom_key); empty when resolve has not run."""
    if engine.table_exists("affiliation_resolutions"):
        have = set(engine.columns("SELECT * FROM affiliation_resolutions"))
        # The resolve stage names the institution's display name `institution`; accept either spelling.
        alias = {"institution_name": "institution"}
        missing = [c for c in RESOLUTION_COLUMNS if c not in have and alias.get(c) not in have]
        if missing:
            from ..errors import InputError

            raise InputError("affiliation_resolutions", f"missing columns {missing}", field=missing[0])
        cols = ", ".join(f"r.{c}" if c in have else f"r.{alias[c]} AS {c}" for c in RESOLUTION_COLUMNS)
        return (f"(SELECT coalesce(r.affiliation_raw, '') AS aff_key, coalesce(r.domain_raw, '') AS dom_key, "
                f"{cols} FROM affiliation_resolutions r)"), True
    nulls = ", ".join(f"CAST(NULL AS {'DOUBLE' if c == 'confidence' else 'VARCHAR'}) AS {c}"
                      for c in RESOLUTION_COLUMNS)
    return f"(SELECT CAST(NULL AS VARCHAR) AS aff_key, CAST(NULL AS VARCHAR) AS dom_key, {nulls} WHERE false)", False


def _profile_events_sql(engine, res: str) -> str:
    if not engine.table_exists("profile_events"):
        return ""
    # Location: the entry's own country where the profile gives one (disagreements with the resolver are listed
    # in profile_country_checks), else the resolver's. Headquarters: the resolver's; for a student entry (a
    # school: its location is its seat) the entry's own country when the resolver has none.
    return f"""
    UNION ALL
    SELECT a.person_id AS person_key, a.person_id, 'profile_id' AS link_method, a.year, NULL AS venue,
           NULL AS paper_id, NULL AS author_order, NULL AS author_name, false AS accepted,
           p.position, a.position_raw, coalesce(p.position_rule, 'no_position') AS position_rule, p.is_student,
           a.affiliation_raw, a.domain_raw, r.institution_id, r.institution_name,
           coalesce(a.country_profile, r.country_location) AS country_location,
           coalesce(r.country_hq, CASE WHEN p.is_student THEN a.country_profile END) AS country_hq,
           r.sector, r.confidence AS resolution_confidence,
           CASE WHEN a.country_profile IS NOT NULL THEN 'profile_country' ELSE r.reason END AS resolution_reason,
           a.source
    FROM profile_events a
    LEFT JOIN _tf_positions p ON p.position_raw = a.position_raw
    LEFT JOIN {res} r ON r.aff_key = coalesce(a.affiliation_raw, '') AND r.dom_key = coalesce(a.domain_raw, '')
    WHERE a.person_id IS NOT NULL AND a.year IS NOT NULL"""


def build_events(engine) -> dict:
    rules = load_positions()
    src = ("(SELECT position_raw FROM authorships UNION ALL SELECT position_raw FROM profile_events)"
           if engine.table_exists("profile_events") else "authorships")
    engine.register_arrow("_tf_positions", position_table(engine, rules, src))
    res, resolved = _resolution_source(engine)
    tiers = ("LEFT JOIN paper_tiers t USING (venue, year, paper_id)" if engine.table_exists("paper_tiers")
             else "LEFT JOIN (SELECT NULL::VARCHAR venue, NULL::INTEGER year, NULL::VARCHAR paper_id, "
                  "NULL::INTEGER tier_rank WHERE false) t USING (venue, year, paper_id)")
    engine.execute(f"""
    CREATE OR REPLACE TABLE career_events AS
    SELECT l.person_key, a.person_id, l.link_method, a.year, a.venue, a.paper_id, a.author_order,
           a.author_name, coalesce(t.tier_rank, 0) >= 1 AS accepted,
           p.position, a.position_raw, coalesce(p.position_rule, 'no_position') AS position_rule,
           p.is_student, a.affiliation_raw, a.domain_raw,
           r.institution_id, r.institution_name, r.country_location, r.country_hq, r.sector,
           r.confidence AS resolution_confidence, r.reason AS resolution_reason, 'authorship' AS source
    FROM authorships a
    JOIN person_links l USING (venue, year, paper_id, author_order)
    LEFT JOIN _tf_positions p ON p.position_raw = a.position_raw
    LEFT JOIN {res} r ON r.aff_key = coalesce(a.affiliation_raw, '') AND r.dom_key = coalesce(a.domain_raw, '')
    {tiers}
    {_profile_events_sql(engine, res)}
    """)
    engine.execute("""
    CREATE OR REPLACE TABLE people AS
    WITH names AS (SELECT person_key, author_name, count(*) AS n FROM career_events
                   WHERE author_name IS NOT NULL GROUP BY person_key, author_name),
         -- the most frequent spelling; equally frequent ones by name (mode() would pick either)
         display AS (SELECT person_key, first(author_name ORDER BY n DESC, author_name) AS display_name
                     FROM names GROUP BY person_key),
         agg AS (SELECT person_key, max(person_id) AS person_id, min(link_method) AS link_method,
                        count(*) AS n_events, count(DISTINCT venue || year) AS n_venue_years,
                        min(year) AS first_year, max(year) AS last_year
                 FROM career_events GROUP BY person_key)
    SELECT a.person_key, a.person_id, d.display_name, a.link_method, a.n_events, a.n_venue_years, a.first_year,
           a.last_year
    FROM agg a LEFT JOIN display d USING (person_key)
    """)
    st = dict(zip(("career_events", "events_with_position", "events_with_country_location", "events_with_country_hq"),
                  engine.query("""SELECT count(*), count(position), count(country_location), count(country_hq)
                                  FROM career_events""")[0]))
    st["people"] = engine.scalar("SELECT count(*) FROM people")
    st["resolution_available"] = int(resolved)
    st["positions_unmatched"] = engine.scalar(
        "SELECT count(*) FROM career_events WHERE position_rule = 'unmatched'")
    return st
