"""OpenAlex works ↔ talentflow papers, and their authorships ↔ talentflow authorships.

talentflow's papers carry no DOI, so a work is linked to a paper by its normalised title and publication year,
and only one-to-one: same title and year, and either the venue the work's source maps to is the paper's venue
(`title_year_venue`) or the work's source maps to no venue (an arXiv copy, say) and the title is long enough to
be specific (`title_year`, at least 30 characters). A work whose source maps to another venue is never linked.
Any title matching two papers, or a paper matching two works, stays unlinked and is counted: a wrong link is
worse than none.

Within a linked pair, an authorship is linked when the two author lists agree on it: same position and same
surname (or the same name tokens in another order, as with family-name-first spellings) — `order+surname` — or,
at another position, the same full name — `name`. Each side is used at most once; ties stay unlinked.
"""

from __future__ import annotations

from . import sql

MIN_TITLE = 30  # characters of a normalised title linked without a venue


def _last(expr: str) -> str:
    return f"regexp_extract({expr}, '([a-z0-9]+)$', 1)"


def build_links(eng) -> dict:
    norm = lambda e: sql.norm_text(e, eng.dialect.strip_accents)  # noqa: E731
    eng.execute(f"""CREATE OR REPLACE TABLE openalex_paper_links AS
        WITH p AS (SELECT venue, year, paper_id, {norm('title')} AS t FROM papers WHERE title IS NOT NULL),
             w AS (SELECT work_id, venue, publication_year AS year, {norm('title')} AS t FROM openalex_works
                   WHERE title IS NOT NULL AND publication_year IS NOT NULL),
             c AS (SELECT p.venue, p.year, p.paper_id, w.work_id,
                          CASE WHEN w.venue = p.venue THEN 'title_year_venue' ELSE 'title_year' END AS method
                   FROM p JOIN w ON w.t = p.t AND w.year = p.year
                   WHERE p.t <> '' AND (w.venue = p.venue OR (w.venue IS NULL AND length(p.t) >= {MIN_TITLE}))),
             n AS (SELECT c.*, count(*) OVER (PARTITION BY venue, year, paper_id) AS n_works,
                          count(*) OVER (PARTITION BY work_id) AS n_papers FROM c)
        SELECT venue, year, paper_id, work_id, method FROM n WHERE n_works = 1 AND n_papers = 1
        ORDER BY venue, year, paper_id""")
    ambiguous = eng.query(f"""
        WITH p AS (SELECT venue, year, paper_id, {norm('title')} AS t FROM papers WHERE title IS NOT NULL),
             w AS (SELECT work_id, venue, publication_year AS year, {norm('title')} AS t FROM openalex_works)
        SELECT count(DISTINCT w.work_id) FROM p JOIN w ON w.t = p.t AND w.year = p.year
        WHERE p.t <> '' AND (w.venue = p.venue OR (w.venue IS NULL AND length(p.t) >= {MIN_TITLE}))
          AND w.work_id NOT IN (SELECT work_id FROM openalex_paper_links)""")[0][0]
    tok = sql.sorted_tokens
    eng.execute(f"""CREATE OR REPLACE TABLE openalex_authorship_links AS
        WITH ta AS (SELECT a.venue, a.year, a.paper_id, a.author_order, l.work_id, {norm('a.author_name')} AS n
                    FROM authorships a JOIN openalex_paper_links l
                      ON l.venue = a.venue AND l.year = a.year AND l.paper_id = a.paper_id),
             oa AS (SELECT o.work_id, o.author_order AS oa_author_order, o.author_id,
                           {norm('o.author_name')} AS n1, {norm("coalesce(o.raw_author_name, '')")} AS n2
                    FROM openalex_authorships o WHERE o.work_id IN (SELECT work_id FROM openalex_paper_links)),
             c AS (SELECT ta.venue, ta.year, ta.paper_id, ta.author_order, ta.work_id, oa.oa_author_order,
                          oa.author_id,
                          CASE WHEN ta.author_order = oa.oa_author_order
                                    AND ({_last('ta.n')} IN ({_last('oa.n1')}, {_last('oa.n2')})
                                         OR {tok('ta.n')} = {tok('oa.n1')} OR {tok('ta.n')} = {tok('oa.n2')}) THEN 2
                               WHEN ta.author_order <> oa.oa_author_order
                                    AND (ta.n IN (oa.n1, oa.n2)
                                         OR {tok('ta.n')} = {tok('oa.n1')} OR {tok('ta.n')} = {tok('oa.n2')}) THEN 1
                          END AS score
                   FROM ta JOIN oa ON oa.work_id = ta.work_id WHERE ta.n <> ''),
             s AS (SELECT c.*, max(score) OVER (PARTITION BY venue, year, paper_id, author_order) AS top,
                          count(*) OVER (PARTITION BY venue, year, paper_id, author_order, score) AS n_same
                   FROM c WHERE score IS NOT NULL),
             b AS (SELECT s.*, count(*) OVER (PARTITION BY work_id, oa_author_order) AS n_claims
                   FROM s WHERE score = top AND n_same = 1)
        SELECT venue, year, paper_id, author_order, work_id, oa_author_order, author_id,
               CASE score WHEN 2 THEN 'order+surname' ELSE 'name' END AS method
        FROM b WHERE n_claims = 1
        ORDER BY venue, year, paper_id, author_order""")
    stats = dict(eng.query("SELECT 'papers_linked_' || method, count(*) FROM openalex_paper_links GROUP BY method"))
    stats.update(dict(eng.query("SELECT 'authorships_linked_' || method, count(*) FROM openalex_authorship_links "
                                "GROUP BY method")))
    stats["works_ambiguous_title"] = int(ambiguous or 0)
    return {k: int(v) for k, v in sorted(stats.items())}
