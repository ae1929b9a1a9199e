"""A synthetic `metric_base` and `person_last_seen` (seeded): thousands of authorships over venues, years,
tiers, subfields and flags, sectors, both rules and every stage basis, with the awkward cases of the real data
(a person twice on a paper, the same paper id at two venues, unknown countries, accented names). The metric
stage's coded tables are then built from them by the real code."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from talentflow.engine.duck import DuckEngine

COUNTRIES = ["US", "CN", "GB", "DE", "FR", "CA", "JP", "KR", "IN", "CH", "SG", "LU"]
INSTITUTIONS = ["MIT", "Stanford University", "Tsinghua University", "ETH Zürich", "École Polytechnique",
                "Google", "deepmind", "Peking University", "Universität Tübingen", "KAIST", "Mila", "Ümeå lab",
                "University of Oxford", "NUS"]
# institutions rolled up to a parent organisation (the rest are their own parent); one parent is no institution
PARENTS = {"deepmind": "Google", "Ümeå lab": "University of Oxford", "Mila": "Mila parent (Québec)"}
SECTORS = ["academia", "industry", "government", "nonprofit"]
SUBFIELDS = ["vision", "language", "robotics", "other", "generative_ai"]
FLAGS = ["llm", "diffusion", "humanoid"]
BASES = ["observed", "proxy", "unknown", None]
SOURCES = ["paper", "openreview_profile", "orcid", None]


def _pick(rng, values, n, none_share=0.0):
    out = np.array(values, dtype=object)[rng.integers(0, len(values), n)]
    if none_share:
        out[rng.random(n) < none_share] = None
    return out


def synthetic_engine(n_papers: int = 1500, seed: int = 7) -> DuckEngine:
    """An in-memory database with metric_base and person_last_seen (then run metrics.units.build_rows)."""
    rng = np.random.default_rng(seed)
    venues = {"nips": range(2015, 2023), "iclr": range(2018, 2023), "cvpr": range(2019, 2022)}
    vy = [(v, y) for v, ys in venues.items() for y in ys]
    people = [f"~P{i}" for i in range(n_papers)]
    rows = []
    for p in range(n_papers):
        v, y = vy[rng.integers(len(vy))]
        pid = f"id{p % (n_papers - 40)}"  # a few ids reused at another venue-year
        tier = int(rng.choice([1, 1, 1, 2, 3]))
        sub = SUBFIELDS[rng.integers(len(SUBFIELDS))] if rng.random() > 0.1 else None
        flags = [f for f in FLAGS if rng.random() < 0.2]
        authors = rng.choice(people, size=int(rng.integers(1, 6)), replace=False).tolist()
        if rng.random() < 0.03:
            authors.append(authors[0])  # one person twice on a paper
        for order, person in enumerate(authors, 1):
            rows.append((person, v, y, pid, order, tier, sub, flags))
    n = len(rows)
    t = {"person_key": [r[0] for r in rows], "venue": [r[1] for r in rows], "year": [r[2] for r in rows],
         "paper_id": [r[3] for r in rows], "author_order": [r[4] for r in rows],
         "tier_rank": [r[5] for r in rows], "subfield": [r[6] for r in rows], "flags": [r[7] for r in rows]}
    e = DuckEngine(":memory:")
    e.register_arrow("_a", pa.table(t))
    e.execute("CREATE TABLE a AS SELECT * FROM _a")
    # stage values are per person, year and rule (as person_stages); current values per authorship and rule
    keys = e.query("SELECT DISTINCT person_key, year FROM a ORDER BY 1, 2")
    st = {"person_key": [k[0] for k in keys] * 2, "year": [k[1] for k in keys] * 2,
          "rule": ["location"] * len(keys) + ["hq"] * len(keys)}
    m = len(st["year"])
    for s in ("origin", "graduate", "work"):
        st[f"{s}_country"] = _pick(rng, COUNTRIES, m, 0.3).tolist()
        st[f"{s}_institution_id"] = None
        st[f"{s}_institution_name"] = _pick(rng, INSTITUTIONS, m, 0.35).tolist()
        st[f"{s}_basis"] = _pick(rng, BASES, m).tolist() if s != "graduate" else \
            _pick(rng, ["observed", "unknown"], m).tolist()
        st[f"{s}_stage_rule"] = None
        st[f"{s}_stage_year"] = None
        st[f"{s}_source"] = _pick(rng, SOURCES, m).tolist()
        if s != "origin":
            st[f"{s}_sector"] = _pick(rng, SECTORS, m, 0.3).tolist()
    st = {k: (v if isinstance(v, list) else [v] * m) for k, v in st.items()}
    for s in ("origin", "graduate", "work"):
        st[f"{s}_parent_name"] = [PARENTS.get(x, x) for x in st[f"{s}_institution_name"]]
    e.register_arrow("_s", pa.table(st))
    cur = {"i": list(range(2 * n)), "current_country": _pick(rng, COUNTRIES, 2 * n, 0.25).tolist(),
           "current_institution_name": _pick(rng, INSTITUTIONS, 2 * n, 0.3).tolist(),
           "current_sector": _pick(rng, SECTORS, 2 * n, 0.2).tolist()}
    cur["current_parent_name"] = [PARENTS.get(x, x) for x in cur["current_institution_name"]]
    e.register_arrow("_c", pa.table(cur))
    e.execute("""
        CREATE TABLE metric_base AS
        WITH a AS (SELECT *, row_number() OVER (ORDER BY person_key, venue, year, paper_id, author_order) - 1 AS i
                   FROM a),
             r AS (SELECT a.*, r.rule, r.k FROM a, (VALUES ('location', 0), ('hq', 1)) r(rule, k))
        SELECT r.person_key, r.venue, r.year, r.paper_id, r.author_order, r.tier_rank, r.subfield, r.flags, r.rule,
               c.current_country, NULL::VARCHAR AS current_institution_id, c.current_institution_name,
               c.current_parent_name,
               c.current_sector, NULL::VARCHAR AS current_position, s.* EXCLUDE (person_key, year, rule)
        FROM r JOIN _c c ON c.i = 2 * r.i + r.k
        LEFT JOIN _s s ON s.person_key = r.person_key AND s.year = r.year AND s.rule = r.rule""")
    e.execute("""
        CREATE TABLE person_last_seen AS
        SELECT person_key, rule, last + (hash(person_key) % 3)::INTEGER AS last_year,
               CASE WHEN hash(person_key || rule) % 4 = 0 THEN NULL ELSE last END AS last_located_year,
               last_country, NULL::VARCHAR AS last_institution_name
        FROM (SELECT person_key, rule, max(year) AS last,
                     arg_max(current_country, (year, paper_id, author_order)) AS last_country
              FROM metric_base WHERE person_key <> '~P3' GROUP BY person_key, rule)""")  # ~P3: no row at all
    e.execute("UPDATE person_last_seen SET last_country = 'US' WHERE last_country IS NULL")
    for t in ("_a", "_s", "_c"):
        e.con.unregister(t)
    e.execute("DROP TABLE a")
    return e
