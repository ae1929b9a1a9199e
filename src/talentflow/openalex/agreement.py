"""How often OpenAlex's institution country agrees with talentflow's resolver, on the same authorships.

An authorship is compared when it is linked to an OpenAlex authorship (links.py). talentflow's answer is the
resolver's location country of the authorship's affiliation (`authorships_resolved.country_location`);
OpenAlex's is the set of `country_code`s of the authorship's institutions. Each compared authorship falls in one
class: `agree` (talentflow's country is one of OpenAlex's), `disagree` (both known, no overlap),
`talentflow_only`, `openalex_only`, `neither`. The agreement rate is agree / (agree + disagree): it says how
often two independent resolutions coincide where both answer, not which one is right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import NotBuilt

CLASSES = ("agree", "disagree", "talentflow_only", "openalex_only", "neither")


@dataclass
class Agreement:
    linked: int
    classes: dict[str, int]
    rate: float | None
    by_venue_year: list[dict] = field(default_factory=list)
    disagreements: list[dict] = field(default_factory=list)  # most frequent (affiliation, countries) first

    def as_dict(self) -> dict:
        return {"linked_authorships": self.linked, "classes": self.classes, "agreement_rate": self.rate,
                "by_venue_year": self.by_venue_year, "disagreements": self.disagreements}


def _pairs_sql(where: str) -> str:
    return f"""
        WITH oa AS (SELECT work_id, author_order, list_sort(list(DISTINCT country_code)) AS countries,
                           string_agg(DISTINCT institution_name, '; ' ORDER BY institution_name) AS institutions
                    FROM openalex_authorship_institutions WHERE country_code IS NOT NULL
                    GROUP BY work_id, author_order),
             p AS (SELECT l.venue, l.year, l.paper_id, l.author_order, r.affiliation_raw, r.domain_raw,
                          r.institution, r.country_location AS tf_country, o.countries AS oa_countries,
                          o.institutions AS oa_institutions
                   FROM openalex_authorship_links l
                   JOIN authorships_resolved r ON r.venue = l.venue AND r.year = l.year
                    AND r.paper_id = l.paper_id AND r.author_order = l.author_order
                   LEFT JOIN oa o ON o.work_id = l.work_id AND o.author_order = l.oa_author_order
                   {where})
        SELECT p.*, CASE
            WHEN tf_country IS NOT NULL AND oa_countries IS NOT NULL AND list_contains(oa_countries, tf_country)
                 THEN 'agree'
            WHEN tf_country IS NOT NULL AND oa_countries IS NOT NULL THEN 'disagree'
            WHEN tf_country IS NOT NULL THEN 'talentflow_only'
            WHEN oa_countries IS NOT NULL THEN 'openalex_only'
            ELSE 'neither' END AS class
        FROM p"""


def _rate(agree: int, disagree: int) -> float | None:
    return round(agree / (agree + disagree), 4) if agree + disagree else None


def country_agreement(eng, venue: str | None = None, year: int | None = None, examples: int = 20) -> Agreement:
    for t in ("openalex_authorship_links", "openalex_authorship_institutions", "authorships_resolved"):
        if not eng.table_exists(t):
            raise NotBuilt(f"No `{t}` table: the database was built without OpenAlex data.",
                           hint="Put an OpenAlex snapshot in <data>/openalex (or pass --openalex DIR), or run "
                                "`talentflow sync openalex`, then `talentflow build`.")
    conds, params = [], []
    if venue:
        conds.append("l.venue = ?")
        params.append(venue)
    if year:
        conds.append("l.year = ?")
        params.append(year)
    pairs = _pairs_sql(("WHERE " + " AND ".join(conds)) if conds else "")
    counts = dict(eng.query(f"SELECT class, count(*) FROM ({pairs}) t GROUP BY class", params))
    classes = {c: int(counts.get(c, 0)) for c in CLASSES}
    by_vy = []
    for v, y, *ns in eng.query(f"""SELECT venue, year, {', '.join(f"count(*) FILTER (WHERE class = '{c}')"
                                                              for c in CLASSES)}
                                   FROM ({pairs}) t GROUP BY venue, year ORDER BY venue, year""", params):
        row = {"venue": v, "year": y, **dict(zip(CLASSES, map(int, ns)))}
        row["agreement_rate"] = _rate(row["agree"], row["disagree"])
        by_vy.append(row)
    dis = eng.query_dicts(f"""SELECT affiliation_raw, domain_raw, institution AS talentflow_institution,
                                     tf_country AS talentflow_country, oa_institutions AS openalex_institutions,
                                     array_to_string(oa_countries, ',') AS openalex_countries, count(*) AS n
                              FROM ({pairs}) t WHERE class = 'disagree'
                              GROUP BY affiliation_raw, domain_raw, institution, tf_country, oa_institutions, oa_countries
                              ORDER BY n DESC, affiliation_raw, domain_raw, openalex_countries
                              LIMIT {int(examples)}""", params)
    return Agreement(sum(classes.values()), classes, _rate(classes["agree"], classes["disagree"]), by_vy, dis)
