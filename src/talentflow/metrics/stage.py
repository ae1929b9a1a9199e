"""Pipeline stage `metrics`: the materialised tables every metric query and the report read.

- `metric_base`: one row per (accepted authorship, country rule) with the paper's tier and subfield, the
  affiliation at that paper ('current') and the person's origin/graduate/work stage at that year, each
  institution also under its ultimate parent organisation (`*_parent_name`, for rankings rolled up);
- `metric_rows` / `metric_labels`: metric_base integer-coded and stored in unit order, so any population's units
  are a filtered scan and a numpy reduction (`units.fast_units`), never a GROUP BY at query time;
- `person_last_seen`: per person and rule, the last year seen anywhere in the mirror and the last located
  observation (cohort re-checks);
- `metric_shares`: country shares with bootstrap intervals for the main venues from PRECOMPUTE_FROM on, tiers
  accepted and oral, every stage and rule, with and without proxies (other queries are computed on demand).
"""

from __future__ import annotations

import time

from ..errors import NotBuilt
from ..pipeline.stage import Stage
from . import contract

VERSION = "12"
# Venues whose shares are precomputed (the others are computed on demand, ≤ 1 s each).
PRECOMPUTE_VENUES = ("nips", "icml", "iclr")
PRECOMPUTE_TIERS = ("accepted", "oral")  # MacroPolo's top-tier and elite
PRECOMPUTE_FROM = 2012  # earlier years are computed on demand (keeps the stage within its 30 s budget)


def params(settings) -> str:
    """The settings the stored intervals are computed with (the module constants are its code)."""
    return f"n_boot={settings.n_boot} seed={settings.seed} min_cell={settings.min_cell}"


def _stage_cols(s: str) -> str:
    extra = "" if s == "origin" else f", s.{s}_sector"
    parent = _parent_name(f"p_{s}", f"s.{s}_institution_name")
    return (f"s.{s}_country, s.{s}_institution_id, s.{s}_institution_name, {parent} AS {s}_parent_name, "
            f"s.{s}_basis, s.{s}_stage_rule, s.{s}_stage_year, s.{s}_source{extra}")


def _parent_name(alias: str, name: str) -> str:
    """The institution's ultimate parent organisation (resolve stage's institution_parents); an institution that
    rolls up to nothing keeps its own name, so a roll-up changes only the rows of institutions that have a parent."""
    return f"CASE WHEN {alias}.depth > 0 THEN {alias}.parent_name ELSE {name} END"


def _parent_joins(engine) -> str:
    src = ("institution_parents" if engine.table_exists("institution_parents") else
           "(SELECT NULL::VARCHAR institution_id, NULL::VARCHAR parent_name, NULL::INTEGER depth WHERE false)")
    return " ".join(f"LEFT JOIN {src} p_{a} ON p_{a}.institution_id = {col}" for a, col in (
        ("current", "e.institution_id"), ("origin", "s.origin_institution_id"),
        ("graduate", "s.graduate_institution_id"), ("work", "s.work_institution_id")))


def build_base(engine) -> dict:
    for t in ("career_events", "person_stages", "paper_tiers"):
        if not engine.table_exists(t):
            raise NotBuilt(f"The metrics stage needs the `{t}` table (careers and papers stages).")
    sub = ("LEFT JOIN paper_subfields sf USING (venue, year, paper_id)" if engine.table_exists("paper_subfields")
           else "LEFT JOIN (SELECT NULL::VARCHAR venue, NULL::INTEGER year, NULL::VARCHAR paper_id, "
                "NULL::VARCHAR subfield, NULL::VARCHAR[] flags WHERE false) sf USING (venue, year, paper_id)")
    engine.execute(f"""
    CREATE OR REPLACE TABLE metric_base AS
    SELECT e.person_key, e.venue, e.year, e.paper_id, e.author_order, t.tier_rank, sf.subfield, sf.flags, r.rule,
           CASE r.rule WHEN 'location' THEN e.country_location ELSE e.country_hq END AS current_country,
           e.institution_id AS current_institution_id, e.institution_name AS current_institution_name,
           {_parent_name('p_current', 'e.institution_name')} AS current_parent_name,
           e.sector AS current_sector, e.position AS current_position,
           {_stage_cols('origin')}, {_stage_cols('graduate')}, {_stage_cols('work')}
    FROM career_events e
    CROSS JOIN (SELECT unnest(['location', 'hq']) AS rule) r
    JOIN paper_tiers t USING (venue, year, paper_id)
    {sub}
    LEFT JOIN person_stages s ON s.person_key = e.person_key AND s.ref_year = e.year AND s.rule = r.rule
    {_parent_joins(engine)}
    WHERE t.tier_rank >= 1
    """)  # no ORDER BY: sorting 1.3M wide rows costs more than the full scans it would spare
    parts = []
    for r in ("location", "hq"):
        # the last located event: of several in one year, the one with the largest key — a total order ending on
        # the values returned (arg_max over the year alone picks any of them); country and institution come from
        # that one event. (A struct key: half the time and three quarters of the memory of an ordered first().)
        key = (f"{{y: year, v: venue, p: paper_id, o: author_order, s: source, a: affiliation_raw, "
               f"d: domain_raw, c: country_{r}, i: institution_name}}")
        parts.append(f"""
        SELECT person_key, '{r}' AS rule, last_year, last_located_year, last.c AS last_country,
               last.i AS last_institution_name FROM (
          SELECT person_key, max(year) AS last_year, max(year) FILTER (country_{r} IS NOT NULL) AS last_located_year,
                 arg_max({{c: country_{r}, i: institution_name}}, {key}) FILTER (country_{r} IS NOT NULL) AS last
          FROM career_events GROUP BY person_key)""")
    engine.execute("CREATE OR REPLACE TABLE person_last_seen AS " + " UNION ALL ".join(parts))
    from .units import build_rows

    coded = build_rows(engine)
    engine.execute("DROP TABLE IF EXISTS metric_units")  # superseded by metric_rows
    return {"metric_base": engine.scalar("SELECT count(*) FROM metric_base"), **coded,
            "person_last_seen": engine.scalar("SELECT count(*) FROM person_last_seen")}


def _slice(u: dict, mask) -> dict:
    return {k: ((v[0][mask], v[1]) if isinstance(v, tuple) else v[mask]) for k, v in u.items()}


def build_shares(engine, settings) -> dict:
    """Country shares with intervals for the main venues: every year, tier, stage and rule (one population
    query per venue, tier, rule and stage; years split in numpy)."""
    import pyarrow as pa

    from .compute import _units, trend_from_units
    from .query import ATTRIBUTIONS, STAGES, MetricQuery

    rows: list[dict] = []
    venues = [v for (v,) in engine.query("SELECT DISTINCT venue FROM metric_base") if v in PRECOMPUTE_VENUES]
    for venue in sorted(venues):
        years = tuple(y for (y,) in engine.query(
            "SELECT DISTINCT year FROM metric_base WHERE venue = ? AND year >= ?", [venue, PRECOMPUTE_FROM]))
        if not years:
            continue
        for tier in PRECOMPUTE_TIERS:
            u_all = {a: _units(engine, MetricQuery(venue=venue, years=years, tier=tier, attribution=a), list(STAGES))
                     for a in ATTRIBUTIONS}
            got: dict[str, list[dict]] = {a: [] for a in ATTRIBUTIONS}
            for y in sorted(set(u_all[ATTRIBUTIONS[0]]["year"].tolist())):
                # one year at a time, every rule and variant in turn: they share that year's cached draw
                for attribution in ATTRIBUTIONS:
                    u = _slice(u_all[attribution], u_all[attribution]["year"] == y)
                    for stage in STAGES:
                        for proxy in ((False, True) if stage in ("origin", "work") else (False,)):
                            q = MetricQuery(venue=venue, years=years, tier=tier, attribution=attribution,
                                            include_proxy=proxy)
                            for r in trend_from_units(u, q, stage, None, n_boot=settings.n_boot,
                                                      seed=settings.seed, min_cell=settings.min_cell):
                                got[attribution].append({"venue": venue, "tier": tier, "attribution": attribution,
                                                         "include_proxy": proxy, **r})
            for attribution in ATTRIBUTIONS:  # rows in the order of one rule after the other
                rows += got[attribution]
    cols = list(contract.TABLES["metric_shares"])
    types = {"year": pa.int32(), "include_proxy": pa.bool_(), "share": pa.float64(), "ci_low": pa.float64(),
             "ci_high": pa.float64()}
    INT_COLS = {"count", "n", "count_proxy", "n_people", "n_observed", "n_proxy", "n_unknown", "n_observed_paper",
                "n_observed_profile"}
    schema = pa.schema([(c, types.get(c, pa.int64() if c in INT_COLS else pa.string()))
                        for c in cols])
    engine.register_arrow("_metric_shares", pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows],
                                                                  schema=schema))
    engine.execute("CREATE OR REPLACE TABLE metric_shares AS SELECT * FROM _metric_shares")
    return {"metric_shares": len(rows)}


def run(engine, settings, progress) -> dict:
    t = time.perf_counter()
    progress("metrics: base", 0, 2)
    stats = build_base(engine)
    progress("metrics: shares", 1, 2)
    from .cube import build_trend
    from .rowstore import hold, release

    hold(engine)  # metric_rows is final: the loops below read their populations from memory
    try:
        stats.update(build_shares(engine, settings))
        stats.update(build_trend(engine, settings))
    finally:
        release(engine)
    stats["metrics_seconds"] = round(time.perf_counter() - t, 1)
    progress("metrics: shares", 2, 2)
    return stats


# resolve: institution_parents, for the rankings rolled up to parent organisations
STAGE = Stage("metrics", needs=("resolve", "papers", "careers"), writes=tuple(contract.TABLES), version=VERSION,
              run=run, params=params)
