"""`profile_events`: dated career-history entries (OpenReview profiles, ORCID) as yearly observations of a person.

An entry held from `start` to `end` is one observation per year in that range; an open entry (`end` null =
current) runs to the year its snapshot was fetched; an entry with an end but no start is seen in its end year
only; an entry with neither is current and seen in the fetch year. So a profile's current job is never an
observation of a year before it started (no profile drift onto old papers), and an entry never reaches past the
snapshot that reported it. Ranges longer than MAX_SPAN years are cut to their last MAX_SPAN years (counted).

The person: a profile answers to several ids (merged profiles); its events go to the profile id, the key that
linking gives every authorship under any of those ids (`person_links`), so histories and papers are one person.
ORCID records found without a profile id are counted and not used.
"""

from __future__ import annotations

MAX_SPAN = 60


def build_profile_events(engine) -> dict:
    if not engine.table_exists("profile_history"):
        return {"profile_events": 0}
    engine.execute(f"""
    CREATE OR REPLACE TABLE profile_events AS
    WITH h AS (
      SELECT h.*,
             -- an ORCID record carries the profile id it was found on, possibly an alternative id
             CASE WHEN starts_with(h.profile_id, '~') THEN coalesce(a.profile_id, h.profile_id) END AS person_id,
             coalesce(h.start_year, h.end_year, h.fetched_year) AS y0,
             least(CASE WHEN h.end_year IS NOT NULL THEN h.end_year
                        WHEN h.open_end THEN h.fetched_year
                        ELSE coalesce(h.start_year, h.fetched_year) END, h.fetched_year) AS y1
      FROM profile_history h
      LEFT JOIN profile_aliases a ON a.username = h.profile_id AND h.source = 'orcid')
    SELECT person_id, CAST(unnest(generate_series(greatest(y0, y1 - {MAX_SPAN - 1}), y1)) AS INTEGER) AS year,
           position_raw, institution_raw AS affiliation_raw, domain_raw,
           CASE source WHEN 'openreview' THEN 'openreview_profile' ELSE source END AS source,
           country AS country_profile, kind, entry_no, start_year, end_year, profile_id, dataset_id
    FROM h WHERE person_id IS NOT NULL AND y0 <= y1
    ORDER BY person_id, year, source, entry_no""")
    q = engine.query("""SELECT
        (SELECT count(*) FROM profile_events),
        (SELECT count(DISTINCT person_id) FROM profile_events),
        (SELECT count(*) FROM profile_history h WHERE h.source = 'orcid' AND NOT starts_with(h.profile_id, '~')),
        (SELECT count(*) FROM profile_history WHERE start_year > coalesce(end_year, fetched_year)),
        (SELECT count(*) FROM profile_history
         WHERE coalesce(start_year, end_year, fetched_year) < least(coalesce(end_year, fetched_year), fetched_year)
                                                            - ?)""", [MAX_SPAN - 1])[0]
    return {"profile_events": q[0], "people_with_profile_events": q[1], "orcid_entries_without_profile": q[2],
            "history_entries_after_snapshot": q[3], "history_entries_cut_to_max_span": q[4]}


def country_checks(engine) -> dict:
    """`profile_country_checks`: history entries whose own country and the resolver's location disagree
    (the profile's country is used; the table lists every disagreement for review)."""
    engine.execute("""
    CREATE OR REPLACE TABLE profile_country_checks AS
    SELECT h.institution_raw, h.domain_raw, h.country AS profile_country, r.country_location AS resolver_country,
           r.institution AS resolver_institution, r.reason AS resolver_reason, count(*) AS n_entries,
           count(DISTINCT h.profile_id) AS n_profiles
    FROM profile_history h
    JOIN affiliation_resolutions r ON r.affiliation_raw = coalesce(h.institution_raw, '')
                                  AND r.domain_raw = coalesce(h.domain_raw, '')
    WHERE h.country IS NOT NULL AND r.country_location IS NOT NULL AND h.country <> r.country_location
    GROUP BY ALL ORDER BY n_entries DESC, institution_raw, domain_raw, profile_country""")
    both = engine.scalar("""SELECT count(*) FROM profile_history h JOIN affiliation_resolutions r
        ON r.affiliation_raw = coalesce(h.institution_raw, '') AND r.domain_raw = coalesce(h.domain_raw, '')
        WHERE h.country IS NOT NULL AND r.country_location IS NOT NULL""")
    dis = engine.scalar("SELECT coalesce(sum(n_entries), 0) FROM profile_country_checks")
    return {"profile_country_vs_resolver_entries": both, "profile_country_disagreements": int(dis)}
