"""Resolve stage: registry tables, then every distinct (affiliation_raw, domain_raw) of `authorships` resolved once.

Tables:
- registry: `reg_institutions`, `registry_names`, `registry_domains`, `free_mail` (see registry.py)
- `institutions(institution_id, name, country_location, country_hq, sector, org_type, source, parent_id)` — every
  institution some affiliation resolved to
- `affiliation_resolutions(affiliation_raw, domain_raw, n_authorships, institution_id, institution,
  country_location, country_hq, sector, org_type, confidence, reason, n_parts, location_basis)` — one row per
  distinct pair of
  `authorships`, key columns with NULL → ''
- `affiliation_parts(affiliation_raw, domain_raw, part_order, part, institution_id, institution, country_location,
  country_hq, sector, step)` — the institutions of multi-institution strings ('A+B', 'A / B', 'A; B')
- view `authorships_resolved`: authorships + the resolved columns
- `resolve_unmatched(affiliation_raw, domain_raw, n_authorships, reason)` — what got no country, by frequency
- `institution_parents(institution_id, name, parent_id, parent_name, depth, path, links, stop)` — every
  institution's ultimate parent organisation (parents.py), for rankings rolled up to it
"""

from __future__ import annotations

from ..pipeline.stage import Stage
from . import evidence
from .registry import build_registry
from .resolver import load_resolver

VERSION = "1"

RES_COLUMNS = ["affiliation_raw", "domain_raw", "n_authorships", "institution_id", "institution", "country_location",
               "country_hq", "sector", "org_type", "confidence", "reason", "n_parts", "location_basis",
               "sector_basis"]
PART_COLUMNS = ["affiliation_raw", "domain_raw", "part_order", "part", "institution_id", "institution",
                "country_location", "country_hq", "sector", "step"]


def inputs(settings) -> list:
    """The registry files this stage reads (verified by the build before it runs)."""
    from .registry import input_datasets

    return input_datasets(settings)


_WORKER_RESOLVER = None


def _row(r, aff: str, dom: str, n: int) -> tuple:
    return (aff, dom, n, r.institution_id, r.institution, r.country_location, r.country_hq,
            None if r.sector == "unknown" else r.sector, None if r.org_type == "unknown" else r.org_type,
            r.confidence, r.reason, len(r.parts), r.location_basis, r.sector_basis)


def _part_rows(r, aff: str, dom: str) -> list[tuple]:
    if len(r.parts) <= 1:
        return []
    return [(aff, dom, i, p["part"], p.get("institution_id"), p.get("institution"), p.get("country_location"),
             p.get("country_hq"), p.get("sector"), p.get("step")) for i, p in enumerate(r.parts, start=1)]


def _resolve_chunk(pairs: list[tuple]) -> tuple[list[tuple], list[tuple], list[tuple], list]:
    """Resolve a chunk into (resolution rows, part rows, observations, evidence queries); runs in a forked
    worker or in-process."""
    res = _WORKER_RESOLVER
    rows, parts, obs, queries = [], [], [], []
    for aff, dom, n in pairs:
        r = res.resolve(aff, dom)
        rows.append(_row(r, aff, dom, n))
        parts += _part_rows(r, aff, dom)
        key, od, cc = evidence.observe(res, aff, dom, r.string_hit)
        # a known multi-site organisation's office ('AI at Meta, London' + meta.com) says nothing about where the
        # organisation is when named without a place
        if cc and (key or od) and r.location_basis not in ("place-hint", "hq-default", "national-domain"):
            obs.append(("pair", aff, dom, None, key, od, cc))
        if r.evidence_query:
            queries.append(r.evidence_query)
    return rows, parts, obs, queries


def resolve_pairs(resolver, pairs: list[tuple], workers: int = 1, progress=None) -> tuple[list, list, list, list]:
    """Distinct pairs → (rows, part rows, observations, evidence queries). With workers > 1 the work is split over
    forked processes that share the loaded resolver copy-on-write (no reload, no pickling of the registry)."""
    import multiprocessing as mp

    global _WORKER_RESOLVER
    _WORKER_RESOLVER = resolver
    resolver.memo = True
    # one chunk per identical affiliation string stays in one worker, so memoised parts are reused
    pairs = sorted(pairs, key=lambda p: (p[0], p[1]))
    size = 5000
    chunks = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    rows: list = []
    parts: list = []
    obs: list = []
    queries: list = []
    try:
        ctx = mp.get_context("fork") if workers > 1 and len(pairs) > 20000 else None
    except ValueError:
        ctx = None
    if ctx is None:
        for k, c in enumerate(chunks):
            r, p, o, q = _resolve_chunk(c)
            rows += r
            parts += p
            obs += o
            queries += q
            if progress:
                progress("resolve affiliations", (k + 1) * size, len(pairs))
    else:
        with ctx.Pool(workers) as pool:
            for k, (r, p, o, q) in enumerate(pool.imap(_resolve_chunk, chunks)):
                rows += r
                parts += p
                obs += o
                queries += q
                if progress:
                    progress("resolve affiliations", (k + 1) * size, len(pairs))
    _WORKER_RESOLVER = None
    return rows, parts, obs, queries


def resolve_table(engine, resolver, source_sql: str, progress=None, workers: int = 1,
                  evidence_sql: dict | None = None) -> dict:
    """Resolve the distinct pairs of `source_sql` (columns affiliation_raw, domain_raw, n) into the two tables;
    with `evidence_sql` (more observations: {'paper': SQL of strings, 'profile': SQL of history entries}) the
    pairs left without an institution are tried again with the evidence of the other observations."""
    import pyarrow as pa

    import time

    pairs = engine.query(source_sql)
    t0 = time.perf_counter()
    rows, parts, obs, queries = resolve_pairs(resolver, pairs, workers, progress)
    stats = {"pairs": len(pairs), "cascade_seconds": round(time.perf_counter() - t0, 1)}
    if evidence_sql is not None:
        t0 = time.perf_counter()
        stats.update(_apply_evidence(engine, resolver, rows, parts, obs, queries, evidence_sql))
        stats["evidence_seconds"] = round(time.perf_counter() - t0, 1)
    types = {"n_authorships": pa.int64(), "confidence": pa.float64(), "n_parts": pa.int32(), "part_order": pa.int32()}

    def table(cols, data):
        return pa.table({c: pa.array([r[i] for r in data], type=types.get(c, pa.string()))
                         for i, c in enumerate(cols)})

    engine.register_arrow("_res", table(RES_COLUMNS, rows))
    engine.register_arrow("_parts", table(PART_COLUMNS, parts))
    engine.execute("CREATE OR REPLACE TABLE affiliation_resolutions AS SELECT * FROM _res")
    engine.execute("CREATE OR REPLACE TABLE affiliation_parts AS SELECT * FROM _parts")
    return stats


def _apply_evidence(engine, resolver, rows: list, parts: list, obs: list, queries: list, more: dict) -> dict:
    """Second pass: observations of papers' affiliation lists and career histories join those of the pairs,
    SQL builds the evidence tables, and the pairs whose query has evidence are resolved again (in place)."""
    for aff, in engine.query(more["paper"]) if more.get("paper") else []:
        key, _, cc = evidence.observe(resolver, aff, "", True)
        if cc and key:
            obs.append(("paper", aff, "", None, key, "", cc))
    for pid, aff, dom, country in engine.query(more["profile"]) if more.get("profile") else []:
        key, od, cc = evidence.observe(resolver, aff, dom, False, stated=bool(country))
        if (country or cc) and (key or od):
            obs.append(("profile", aff, dom, pid, key, od, country or cc))
    obs.sort(key=lambda o: tuple(x or "" for x in o))
    stats = evidence.build_tables(engine, obs, queries)
    evidence.load(resolver, engine)
    index = {(r[0], r[1]): i for i, r in enumerate(rows)}
    redo = [q for q in queries if evidence.answer(resolver, q) is not None]
    redone = {(q.affiliation_raw, q.domain_raw) for q in redo}
    if redone:
        parts[:] = [p for p in parts if (p[0], p[1]) not in redone]
    answered = disagree = auth = 0
    for q in redo:
        i = index[(q.affiliation_raw, q.domain_raw)]
        r = resolver.resolve(q.affiliation_raw, q.domain_raw)
        rows[i] = _row(r, q.affiliation_raw, q.domain_raw, rows[i][2])
        parts += _part_rows(r, q.affiliation_raw, q.domain_raw)
        if r.reason.startswith("evidence:"):
            answered += 1
            auth += rows[i][2]
        elif r.reason == "unresolved:evidence-disagrees":
            disagree += 1
    stats.update(evidence_queries=len(queries), evidence_pairs_answered=answered,
                 evidence_authorships_answered=int(auth), evidence_pairs_disagreeing=disagree)
    return stats


def run(engine, settings, progress=None) -> dict:
    stats = build_registry(engine, settings.require_data(), progress)
    resolver = load_resolver(engine)
    # Career-history institutions (live stage) are resolved with the paper affiliations; they add no authorships.
    history = ("""UNION ALL SELECT coalesce(institution_raw, ''), coalesce(domain_raw, ''), 0 FROM profile_history"""
               if engine.table_exists("profile_history") else "")
    more = {"paper": "SELECT DISTINCT affiliation_raw FROM paper_affiliations WHERE affiliation_raw IS NOT NULL "
                     "ORDER BY 1" if engine.table_exists("paper_affiliations") else None,
            "profile": """SELECT profile_id, coalesce(institution_raw, ''), coalesce(domain_raw, ''), country
                          FROM profile_history ORDER BY ALL""" if engine.table_exists("profile_history") else None}
    stats.update(resolve_table(engine, resolver, f"""
        SELECT a, d, sum(n)::BIGINT AS n FROM (
          SELECT coalesce(affiliation_raw, '') AS a, coalesce(domain_raw, '') AS d, count(*) AS n
          FROM authorships GROUP BY ALL {history}) GROUP BY ALL""", progress, workers=max(1, settings.threads),
        evidence_sql=more))
    engine.execute("""CREATE OR REPLACE TABLE institutions AS
        SELECT i.institution_id, i.name, i.country_location, i.country AS country_hq, i.sector, i.org_type,
               i.source, i.parent_id
        FROM reg_institutions i
        WHERE i.institution_id IN (SELECT institution_id FROM affiliation_resolutions
                                   UNION SELECT institution_id FROM affiliation_parts)
           OR i.source = 'curated'""")
    from . import parents

    stats["parents"] = parents.build(engine)  # institution_parents: the roll-up to the parent organisation
    stats["institutions_rolled_up"] = stats["parents"]["rolled_up"]
    stats["parent_cycles"] = stats["parents"].get("stop:ror:cycle", 0)
    engine.execute("""CREATE OR REPLACE VIEW authorships_resolved AS
        SELECT a.*, r.institution_id, r.institution, r.country_location, r.country_hq, r.sector, r.org_type,
               r.confidence AS resolve_confidence, r.reason AS resolve_reason, r.location_basis
        FROM authorships a LEFT JOIN affiliation_resolutions r
          ON r.affiliation_raw = coalesce(a.affiliation_raw, '') AND r.domain_raw = coalesce(a.domain_raw, '')""")
    engine.execute("""CREATE OR REPLACE TABLE resolve_unmatched AS
        SELECT affiliation_raw, domain_raw, n_authorships, reason FROM affiliation_resolutions
        WHERE country_location IS NULL AND country_hq IS NULL AND (affiliation_raw <> '' OR domain_raw <> '')
        ORDER BY n_authorships DESC""")
    cov = engine.query("""SELECT sum(n_authorships) FILTER (WHERE country_location IS NOT NULL),
                                 sum(n_authorships) FILTER (WHERE country_location IS NOT NULL OR country_hq IS NOT NULL),
                                 sum(n_authorships)
                          FROM affiliation_resolutions WHERE affiliation_raw <> '' OR domain_raw <> ''""")[0]
    stats["authorships_with_aff_or_domain"] = int(cov[2] or 0)
    stats["coverage_location"] = round((cov[0] or 0) / cov[2], 4) if cov[2] else 0.0
    stats["coverage_any_country"] = round((cov[1] or 0) / cov[2], 4) if cov[2] else 0.0
    stats["institutions"] = engine.scalar("SELECT count(*) FROM institutions")
    return stats


# Affiliations of authorships (ingest, and live for new venue-years), papers' affiliation lists (ingest) and the
# institutions of career histories (live). The registry files are its inputs.
STAGE = Stage("resolve", needs=("ingest", "live"),
              writes=("reg_institutions", "registry_names", "registry_domains", "registry_tokens", "registry_token_df",
                      "free_mail", "cur_institutions", "cur_names", "cur_domains", "peer_countries",
                      "resolve_evidence", "resolve_person_evidence", "affiliation_resolutions", "affiliation_parts",
                      "institutions", "authorships_resolved", "resolve_unmatched", "registry_parents",
                      "institution_parents"),
              version=VERSION, run=run, data=("resolve/data/*.csv",), inputs=inputs)
