"""Per-record author lists → one authorship row per author, with per-author fields aligned correctly.

Rules (docs/schema.md):
- ICRA/IROS-style records that list every author twice are halved (and counted).
- Per-author fields of enrichment records follow `or_profile`, not the author order: author i takes the fields of
  the or_profile entry k with the same profile id; failing that, the same id stem (~Jane_Doe1 vs ~JANE_DOE2) or
  the same set of name tokens, each unique on both sides; failing that, the single leftover pair. Unaligned
  authors keep no per-author fields and are counted.
- Lists that hold entries only for the authors with an OpenReview profile (`~id`) are aligned to those authors in
  author order (`+profile_subset`; checked against other files in tests/test_ingest_mirror.py).
- Any other per-author list whose length differs from the author count quarantines that record's per-author
  fields: nothing is padded or shifted.
- E-mail addresses in author ids are reduced to '@domain'; the domain is kept as an affiliation signal.
"""

from __future__ import annotations


_FIELDS = ("ids", "orp", "aff", "dom", "pos")


def explode(eng) -> dict:
    """u_recs → u_auth and u_quar for every staged unit at once (venue/year/unit from temp table unit_map)."""
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE r1 AS
        SELECT *, len(names) AS n0,
               (len(names) % 2 = 0 AND len(names) >= 2
                AND names[1:len(names) // 2] = names[len(names) // 2 + 1:]) AS doubled
        FROM u_recs WHERE names IS NOT NULL AND len(names) > 0;
        CREATE OR REPLACE TEMP TABLE r2 AS
        SELECT paper_id, dataset_id, join_method, doubled,
               CASE WHEN doubled THEN names[1:n0 // 2] ELSE names END AS names,
               {", ".join(f"CASE WHEN doubled AND len({f}) = n0 THEN {f}[1:n0 // 2] ELSE {f} END AS {f}" for f in _FIELDS)}
        FROM r1;
        CREATE OR REPLACE TEMP TABLE r3 AS
        SELECT * EXCLUDE (subset_ok), subset_ok AND (aff IS NOT NULL OR dom IS NOT NULL OR pos IS NOT NULL) AS subset,
            ids IS NOT NULL AND len(ids) <> len(names) AS bad_ids,
            orp IS NOT NULL AND len(orp) <> len(names) AS bad_orp,
            {", ".join(f"{f} IS NOT NULL AND len({f}) <> CASE WHEN subset_ok THEN n_prof ELSE coalesce(len(orp), len(names)) END AS bad_{f}" for f in ("aff", "dom", "pos"))}
        FROM (SELECT *,
            -- OpenReview-derived lists often hold entries only for the authors with a profile (~id), in author order
            orp IS NULL AND ids IS NOT NULL AND len(ids) = len(names) AND n_prof < len(names) AND n_prof > 0
              AND coalesce(len(aff), n_prof) = n_prof AND coalesce(len(dom), n_prof) = n_prof
              AND coalesce(len(pos), n_prof) = n_prof AS subset_ok
            FROM (SELECT *, len(list_filter(ids, lambda x: starts_with(x, '~'))) AS n_prof FROM r2));""")
    # quarantine: one row per mismatched field; the raw value keeps domains but never e-mail local parts
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE u_quar AS
        SELECT dataset_id, paper_id AS record_key, field, 'list_length_mismatch' AS problem,
               left(regexp_replace(raw, '[A-Za-z0-9._%+\\-]+@', '@', 'g'), 2000) AS raw_value
        FROM (
            {" UNION ALL ".join(
                f"SELECT dataset_id, paper_id, '{f}' AS field, len(names) || ' authors, ' || len({f}) || ' items: ' "
                f"|| array_to_string({f}, ';') AS raw FROM r3 WHERE bad_{f}" for f in _FIELDS)}
        )""")
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE r4 AS
        SELECT * EXCLUDE (ids, orp, aff, dom, pos),
            CASE WHEN ok THEN ids END AS ids, CASE WHEN ok THEN orp END AS orp, CASE WHEN ok THEN aff END AS aff,
            CASE WHEN ok THEN dom END AS dom, CASE WHEN ok THEN pos END AS pos
        FROM (SELECT *, NOT (bad_ids OR bad_orp OR bad_aff OR bad_dom OR bad_pos) AS ok FROM r3);
        CREATE OR REPLACE TEMP TABLE a AS
        SELECT *, CASE WHEN starts_with(id, '~') THEN count(*) FILTER (WHERE starts_with(id, '~'))
                           OVER (PARTITION BY paper_id, dataset_id ORDER BY i) END AS prof_i
        FROM (SELECT paper_id, dataset_id, unnest(names) AS name, generate_subscripts(names, 1) AS i,
                     unnest(coalesce(ids, list_transform(names, lambda x: NULL::VARCHAR))) AS id
              FROM r4);
        CREATE OR REPLACE TEMP TABLE p AS
        SELECT paper_id, dataset_id, unnest(orp) AS pid, generate_subscripts(orp, 1) AS k
        FROM r4 WHERE orp IS NOT NULL;
        -- step 1: exact profile id (ids unique within the record on both sides)
        CREATE OR REPLACE TEMP TABLE m AS
        SELECT a.paper_id, a.dataset_id, a.i, p.k, 'exact' AS how FROM a JOIN p
          ON a.paper_id = p.paper_id AND a.dataset_id = p.dataset_id AND a.id = p.pid
        QUALIFY count(*) OVER (PARTITION BY a.paper_id, a.dataset_id, a.i) = 1
            AND count(*) OVER (PARTITION BY p.paper_id, p.dataset_id, p.k) = 1;
        -- step 2: same id stem (case and accents ignored), then same set of name tokens (~The_Viet_Bui1 vs
        -- ~Viet_The_Bui1), among the still unmatched, unique on both sides
        INSERT INTO m
        SELECT a.paper_id, a.dataset_id, a.i, p.k, 'id_stem' FROM
          (SELECT * FROM a ANTI JOIN m USING (paper_id, dataset_id, i)) a JOIN
          (SELECT * FROM p ANTI JOIN m USING (paper_id, dataset_id, k)) p
          ON a.paper_id = p.paper_id AND a.dataset_id = p.dataset_id AND lower(strip_accents(regexp_replace(a.id, '[0-9]+$', ''))) = lower(strip_accents(regexp_replace(p.pid, '[0-9]+$', '')))
        QUALIFY count(*) OVER (PARTITION BY a.paper_id, a.dataset_id, a.i) = 1
            AND count(*) OVER (PARTITION BY p.paper_id, p.dataset_id, p.k) = 1;
        INSERT INTO m
        SELECT a.paper_id, a.dataset_id, a.i, p.k, 'name_tokens' FROM
          (SELECT * FROM a ANTI JOIN m USING (paper_id, dataset_id, i)) a JOIN
          (SELECT * FROM p ANTI JOIN m USING (paper_id, dataset_id, k)) p
          ON a.paper_id = p.paper_id AND a.dataset_id = p.dataset_id AND array_to_string(list_sort(string_split(lower(strip_accents(regexp_replace(ltrim(a.id, '~'), '[0-9]+$', ''))), '_')), '_') = array_to_string(list_sort(string_split(lower(strip_accents(regexp_replace(ltrim(p.pid, '~'), '[0-9]+$', ''))), '_')), '_')
        QUALIFY count(*) OVER (PARTITION BY a.paper_id, a.dataset_id, a.i) = 1
            AND count(*) OVER (PARTITION BY p.paper_id, p.dataset_id, p.k) = 1;
        -- step 3: exactly one author and one profile left in the record
        INSERT INTO m
        SELECT a.paper_id, a.dataset_id, a.i, p.k, 'elimination' FROM
          (SELECT * FROM a ANTI JOIN m USING (paper_id, dataset_id, i)
             WHERE EXISTS (SELECT 1 FROM p pp WHERE pp.paper_id = a.paper_id AND pp.dataset_id = a.dataset_id)) a JOIN
          (SELECT * FROM p ANTI JOIN m USING (paper_id, dataset_id, k)) p
          ON a.paper_id = p.paper_id AND a.dataset_id = p.dataset_id
        QUALIFY count(*) OVER (PARTITION BY a.paper_id, a.dataset_id) = 1;""")
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE u_auth AS
        SELECT um.venue, um.year, a.paper_id, a.i::INTEGER AS author_order,
               nullif(trim(a.name), '') AS author_name,
               CASE WHEN r.orp IS NOT NULL AND m.k IS NOT NULL AND starts_with(r.orp[m.k], '~') THEN r.orp[m.k]
                    WHEN starts_with(a.id, '~') THEN a.id END AS person_id,
               CASE WHEN contains(a.id, '@') AND NOT starts_with(a.id, '~') THEN '@' || split_part(a.id, '@', -1)
                    ELSE nullif(a.id, '') END AS authorid_raw,
               nullif(r.aff[x.j], '') AS affiliation_raw,
               coalesce(nullif(ltrim(lower(r.dom[x.j]), '@'), ''),
                        CASE WHEN contains(a.id, '@') AND NOT starts_with(a.id, '~')
                             THEN nullif(lower(trim(split_part(a.id, '@', -1))), '') END) AS domain_raw,
               CASE WHEN nullif(ltrim(lower(r.dom[x.j]), '@'), '') IS NOT NULL THEN 'aff_domain'
                    WHEN contains(a.id, '@') AND NOT starts_with(a.id, '~') THEN 'email' END AS domain_source,
               nullif(r.pos[x.j], '') AS position_raw,
               a.dataset_id,
               r.join_method || CASE WHEN r.subset THEN '+profile_subset' WHEN r.orp IS NULL THEN '' WHEN m.how IS NULL THEN '+or_profile_unaligned'
                                     ELSE '+or_profile_' || m.how END AS join_method,
               um.unit_id
        FROM a JOIN r4 r ON a.paper_id = r.paper_id AND a.dataset_id = r.dataset_id
        JOIN unit_map um ON um.dataset_id = a.dataset_id
        LEFT JOIN m ON a.paper_id = m.paper_id AND a.dataset_id = m.dataset_id AND a.i = m.i
        CROSS JOIN LATERAL (SELECT CASE WHEN r.orp IS NOT NULL THEN m.k WHEN r.subset THEN a.prof_i ELSE a.i END AS j) x;
        INSERT INTO u_quar
        SELECT dataset_id, paper_id, 'or_profile', 'or_profile_unaligned', 'author ' || author_order
        FROM u_auth WHERE join_method LIKE '%or_profile_unaligned';""")
    return dict(eng.query("SELECT dataset_id, count(*) FROM r1 WHERE doubled GROUP BY 1"))
