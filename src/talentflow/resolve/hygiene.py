"""Mapping hygiene (owid-style): frequent affiliations that got no country, and curated entries nothing used.

A curated entry counts as used when some distinct pair resolved to it or to one of its descendants (a parent
like Google is "used" through Google Zurich), so the report lists entries that are dead weight or misspelt."""

from __future__ import annotations


def hygiene(engine, top: int = 50) -> dict:
    unmatched = engine.query_dicts(f"""
        SELECT affiliation_raw, domain_raw, n_authorships, reason FROM affiliation_resolutions
        WHERE country_location IS NULL AND country_hq IS NULL AND (affiliation_raw <> '' OR domain_raw <> '')
        ORDER BY n_authorships DESC, affiliation_raw, domain_raw LIMIT {int(top)}""")
    n_pairs, n_auth = engine.query("""
        SELECT count(*), coalesce(sum(n_authorships), 0) FROM affiliation_resolutions
        WHERE country_location IS NULL AND country_hq IS NULL AND (affiliation_raw <> '' OR domain_raw <> '')""")[0]
    tot = engine.scalar("""SELECT sum(n_authorships) FROM affiliation_resolutions
                           WHERE affiliation_raw <> '' OR domain_raw <> ''""") or 0
    used = {r[0] for r in engine.query("""
        SELECT DISTINCT institution_id FROM affiliation_resolutions WHERE institution_id LIKE 'cur:%'
        UNION SELECT DISTINCT institution_id FROM affiliation_parts WHERE institution_id LIKE 'cur:%'""")}
    parents = dict(engine.query("SELECT id, parent FROM cur_institutions"))
    closure = set(used)
    for i in used:
        p = parents.get(i)
        while p and p not in closure:
            closure.add(p)
            p = parents.get(p)
    unused = sorted(i for i in parents if i not in closure)
    return {"unmatched": unmatched, "n_unmatched_pairs": n_pairs, "n_unmatched_authorships": int(n_auth),
            "coverage": 1 - n_auth / tot if tot else 0.0, "unused_curated": unused}
