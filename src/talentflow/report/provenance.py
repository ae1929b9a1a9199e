"""Where every published number comes from: dataset origins (repository, commit, licence) from the `datasets`
table, and coverage summaries. Chart footers list the origins a chart rests on."""

from __future__ import annotations

from .source import Filters

# Groups whose files feed every talent metric: the conference lists (filtered by venue/year) and the institution
# registries used to resolve affiliations.
METRIC_GROUPS = ("conferences", "registry")


def origins(eng, f: Filters | None = None, groups: tuple[str, ...] = METRIC_GROUPS,
            dataset_ids: list[str] | None = None) -> list[dict]:
    """One row per (group, repository, commit, licence) with the number of datasets and up to five ids."""
    if not eng.table_exists("datasets"):
        return []
    where = [f"\"group\" IN ({', '.join('?' for _ in groups)})", "coalesce(not_ingested_reason, '') = ''"]
    params: list = list(groups)
    if f is not None and f.venue:
        where.append("(\"group\" <> 'conferences' OR venue = ?)")
        params.append(f.venue)
    if f is not None and (f.year or f.years):
        lo, hi = (f.year, f.year) if f.year else f.years
        where.append("(\"group\" <> 'conferences' OR year BETWEEN ? AND ?)")
        params += [lo, hi]
    if dataset_ids is not None:
        where.append(f"(id IN ({', '.join('?' for _ in dataset_ids)}) OR path IN "
                     f"({', '.join('?' for _ in dataset_ids)}))" if dataset_ids else "false")
        params += list(dataset_ids) * 2
    sql = f"""
        SELECT "group", coalesce(nullif(repo, ''), '(local)') AS repo, left(coalesce("commit", ''), 10) AS "commit",
               coalesce(nullif(license, ''), 'not stated') AS license, count(*) AS datasets,
               string_agg(id, ', ' ORDER BY id) AS ids
        FROM datasets WHERE {' AND '.join(where)}
        GROUP BY ALL ORDER BY "group", datasets DESC, repo"""
    rows = eng.query_dicts(sql, params)
    for r in rows:
        ids = r["ids"].split(", ")
        r["ids"] = ", ".join(ids[:5]) + (f" … (+{len(ids) - 5})" if len(ids) > 5 else "")
    return rows


def footer(rows: list[dict], max_items: int = 5) -> str:
    """One line: 'Data: repo (licence; n files); …' — commits are listed on the provenance page."""
    if not rows:
        return "Data: no catalogued datasets matched."
    merged: dict[tuple[str, str, str], int] = {}
    for r in rows:
        k = (r["group"], r["repo"], r["license"])
        merged[k] = merged.get(k, 0) + r["datasets"]
    # conference files first (what the chart counts), then the registries that resolved the affiliations
    items = sorted(merged.items(), key=lambda kv: (kv[0][0] != "conferences", -kv[1]))
    parts = [f"{repo} ({lic}; {n} file{'s' * (n != 1)})" for (_, repo, lic), n in items[:max_items]]
    more = len(items) - max_items
    return "Data: " + "; ".join(parts) + (f"; and {more} more sources (see Data & provenance)" if more > 0 else "")


def conference_coverage(eng) -> list[dict]:
    """Per venue-year: papers, accepted papers, authorships, and which tiers the data can distinguish."""
    tiers = eng.table_exists("tier_availability")
    sql = f"""
        SELECT d.venue, d.year, sum(d.papers) AS papers, sum(d.accepted_papers) AS accepted_papers,
               sum(d.authorships) AS authorships, sum(d.quarantined) AS quarantined_records
               {', any_value(t.spotlight) AS spotlight_label, any_value(t.oral) AS oral_label' if tiers else ''}
        FROM datasets d
        {'LEFT JOIN tier_availability t ON t.venue = d.venue AND t.year = d.year' if tiers else ''}
        WHERE d."group" = 'conferences' AND d.venue IS NOT NULL AND coalesce(d.not_ingested_reason, '') = ''
        GROUP BY d.venue, d.year HAVING sum(d.papers) > 0 ORDER BY d.venue, d.year"""
    return eng.query_dicts(sql)


def resolution_coverage(eng) -> list[dict]:
    """Share of authorships whose affiliation resolved to a country, by venue (if the resolve stage ran)."""
    if not eng.table_exists("authorships_resolved"):
        return []
    cols = {c.lower() for c in eng.columns("SELECT * FROM authorships_resolved")}
    country = next((c for c in ("country_location", "country", "work_country", "aff_country") if c in cols), None)
    if country is None or "venue" not in cols:
        return []
    return eng.query_dicts(f"""
        SELECT venue, count(*) AS authorships, count({country}) AS with_country,
               round(100.0 * count({country}) / count(*), 1) AS pct_with_country
        FROM authorships_resolved GROUP BY venue ORDER BY authorships DESC""")


def all_origins(eng) -> list[dict]:
    return origins(eng, None, groups=("conferences", "registry", "indicators", "peers"))
