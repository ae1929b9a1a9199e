"""Mapping hygiene (owid-style): frequent affiliations that got no country, and curated entries nothing used.

A curated entry counts as used when some distinct pair resolved to it or to one of its descendants (a parent
like Google is "used" through Google Zurich), so the report lists entries that are dead weight or misspelt."""

from __future__ import annotations

from ..limits import check_int


def hygiene(engine, top: int = 50) -> dict:
    check_int("top", top, 1, 1_000_000)
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


def registry_only(resolver):
    """A copy of `resolver` without the curated data: what the public registries alone would answer."""
    from .resolver import Resolver

    insts = {k: v for k, v in resolver.insts.items() if v.source != "curated"}
    strip = lambda d: {k: [(i, s) for i, s in v if s != "curated"] for k, v in d.items()}  # noqa: E731
    names = {k: v for k, v in strip(resolver.names).items() if v}
    domains = {k: v for k, v in strip(resolver.domains).items() if v}
    r = Resolver(insts, domains, names, resolver.free, resolver.places, [], resolver.fuzzy_threshold)
    r._fuzzy_index = resolver._fuzzy_index
    return r


def curation_need(engine, resolver, top: int = 300) -> dict:
    """The most frequent pairs of the built database that the registries alone miss or answer differently from
    the full resolver (curated data included) — the list the curated file exists for — and how many of them the
    curated data settles."""
    check_int("top", top, 1, 1_000_000)
    bare = registry_only(resolver)
    bare.memo = True
    rows = engine.query("""SELECT affiliation_raw, domain_raw, n_authorships, institution_id, country_location
                           FROM affiliation_resolutions WHERE affiliation_raw <> '' OR domain_raw <> ''
                           ORDER BY n_authorships DESC LIMIT 20000""")
    need = []
    for aff, dom, n, iid, loc in rows:
        b = bare.resolve(aff, dom)
        if b.country_location != loc or b.country_location is None:
            need.append({"affiliation_raw": aff, "domain_raw": dom, "n_authorships": n, "registry_only": b.country_location,
                         "resolved": loc, "institution_id": iid})
            if len(need) >= top:
                break
    return {"pairs": need, "settled": sum(1 for p in need if p["resolved"]),
            "authorships": sum(p["n_authorships"] for p in need)}


def paper_unmatched(engine, resolver, top: int = 50, min_count: int = 2) -> dict:
    """The most frequent paper-level affiliation strings (`paper_affiliations`: CVPR, ICCV, SIGGRAPH … lists,
    which are not authorships, so `affiliation_resolutions` never holds them) that get no country — the same
    list as `hygiene` for the venues whose files list each affiliation once per paper. Only strings met on at
    least `min_count` papers are resolved (the rest is the long tail, for rules, not curation)."""
    check_int("top", top, 1, 1_000_000)
    check_int("min_count", min_count, 1, 1_000_000)
    if not engine.table_exists("paper_affiliations"):
        return {"unmatched": [], "n_strings": 0}
    rows = engine.query(f"""
        SELECT affiliation_raw, count(*) AS n FROM paper_affiliations
        WHERE affiliation_raw IS NOT NULL AND affiliation_raw <> ''
        GROUP BY 1 HAVING count(*) >= {int(min_count)} ORDER BY n DESC, affiliation_raw""")
    resolver.memo = True
    out = []
    for aff, n in rows:
        r = resolver.resolve(aff, "")
        if r.country_location is None and r.country_hq is None:
            out.append({"affiliation_raw": aff, "n_papers": n, "reason": r.reason})
            if len(out) >= top:
                break
    return {"unmatched": out, "n_strings": len(rows)}
