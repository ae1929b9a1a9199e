"""`metric_trend`: the per-year rows of `trend` (every country, every stage, rule and proxy choice) for the
populations whose trend is costly to bootstrap live, written by the metrics stage with the published n_boot and
seed, read back by `trend` instead of recomputing them.

A trend is one independent computation per year, so a year's rows do not depend on which other years are asked:
a stored year serves any year range. Only years the bootstrap resamples clusters directly (≤ DIRECT_MAX
clusters) are stored; there one country's interval (two categories: the country, every other known value) is
exactly that country's row of the every-country computation, since both sum the same integer counts of the same
cluster draws. Larger years (where the draw depends on the categories) are computed live, as before.

A scope (venue or all venues, tier, subfield or all, sector or all) is stored when its years would bootstrap
more than SCOPE_MIN_CLUSTERS clusters live, estimated by the papers in those years (an upper bound).
"""

from __future__ import annotations

import numpy as np

from . import bootstrap
from .bootstrap import _dense
from .query import ATTRIBUTIONS, STAGES, TIER_RANK, MetricQuery, _subfield_parts

SCOPE_MIN_CLUSTERS = 15000
ALL = ""  # the scope value meaning "no filter" (a key column cannot hold NULL and still compare with =)
ROW_KEYS = ("share", "count", "ci_low", "ci_high", "n", "count_proxy")
COV_KEYS = ("n_people", "n_observed", "n_proxy", "n_unknown", "n_observed_paper", "n_observed_profile")


def heavy_scopes(engine, min_clusters: int = SCOPE_MIN_CLUSTERS) -> list[tuple[str, str, str, str]]:
    """(venue, tier, subfield, sector) scopes to store, ALL meaning unfiltered, sorted."""
    primary, flags = _subfield_parts()
    flag_list = [f for f in flags if f not in primary]
    tiers = ", ".join(f"({r}, '{t}')" for t, r in TIER_RANK.items())
    flag_sql = (f"SELECT p.*, f.sf FROM p, (SELECT unnest(CAST(? AS VARCHAR[])) AS sf) f WHERE list_contains(p.flags, f.sf)"
                if flag_list else "SELECT p.*, NULL::VARCHAR AS sf FROM p WHERE false")
    rows = engine.query(f"""
        WITH p AS (SELECT DISTINCT venue, year, paper, tier_rank, subfield, flags, current_sector
                   FROM metric_rows WHERE rule = 'location'),
             s AS (SELECT *, subfield AS sf FROM p UNION ALL {flag_sql}),
             t AS (SELECT s.*, t.tier FROM s JOIN (VALUES {tiers}) t(rank, tier) ON s.tier_rank >= t.rank),
             c AS (SELECT coalesce(venue, '') AS venue, tier, coalesce(sf, '') AS subfield,
                          coalesce(current_sector, '') AS sector, year, count(DISTINCT paper) AS papers,
                          grouping(venue) AS gv, grouping(sf) AS gs, grouping(current_sector) AS gc
                   FROM t
                   GROUP BY GROUPING SETS ((venue, tier, sf, current_sector, year), (venue, tier, sf, year),
                                           (venue, tier, current_sector, year), (venue, tier, year),
                                           (tier, sf, current_sector, year), (tier, sf, year),
                                           (tier, current_sector, year), (tier, year)))
        SELECT venue, tier, subfield, sector, sum(papers) FILTER (papers <= {bootstrap.DIRECT_MAX}) AS direct
        FROM c WHERE (gs = 1 OR subfield <> '') AND (gc = 1 OR sector <> '') AND (gv = 1 OR venue <> '')
        GROUP BY ALL HAVING direct > {int(min_clusters)} ORDER BY ALL""", [flag_list] if flag_list else [])
    return [(v, t, sf, sec) for v, t, sf, sec, _ in rows]


def _query(scope: tuple[str, str, str, str], rule: str, proxy: bool = False) -> MetricQuery:
    v, t, sf, sec = scope
    return MetricQuery(venue=v or None, tier=t, subfield=sf or None, sector=sec or None, attribution=rule,
                       include_proxy=proxy)


def build_trend(engine, settings, min_clusters: int = SCOPE_MIN_CLUSTERS) -> dict:
    """metric_trend (rows), metric_trend_years (one row per stored year: n_clusters and coverage) and
    metric_trend_meta (n_boot, seed)."""
    from .bootstrap import boot_counts_many
    from .compute import _share_rows, _units, year_coding
    from .stage import _slice

    scopes = heavy_scopes(engine, min_clusters)
    rows: list[dict] = []
    years: list[dict] = []
    done: list[tuple[dict, int, int, int, int]] = []  # (units, first row, end, first year, end) of each scope
    for scope in scopes:
        units = {rule: _units(engine, _query(scope, rule), list(STAGES)) for rule in ATTRIBUTIONS}
        keys = dict(zip(("venue", "tier", "subfield", "sector"), scope))
        twin = next((d for d in done if _same_units(d[0], units)), None)
        if twin is not None:  # the same people as a scope done (every IROS paper is robotics): copy its rows
            rows += [{**r, **keys} for r in rows[twin[1]:twin[2]]]
            years += [{**r, **keys} for r in years[twin[3]:twin[4]]]
            continue
        at = (len(rows), len(years))
        for y in np.unique(np.concatenate([u["year"] for u in units.values()])).tolist():
            todo = []
            for rule in ATTRIBUTIONS:
                u = _slice(units[rule], units[rule]["year"] == y)
                if not len(u["year"]):
                    continue  # (a year of one rule only: the rules' rows differ in the sector filter)
                every = np.ones(len(u["year"]), dtype=bool)
                n_cl = _dense(u["cluster"])[1]
                for stage in STAGES:
                    # without proxy values in the year, admitting them changes nothing: read the rows without
                    has_proxy = bool((u[f"b_{stage}"] == 1).any())
                    for proxy in (False, True) if has_proxy else (False,):
                        key = dict(zip(("venue", "tier", "subfield", "sector"), scope), rule=rule, stage=stage,
                                   include_proxy=proxy, year=int(y))
                        if n_cl > bootstrap.DIRECT_MAX:  # computed live: this draw depends on the categories
                            years.append({**key, "stored": False, "n_clusters": n_cl, "n": None,
                                          **dict.fromkeys(COV_KEYS)})
                            continue
                        todo.append((key, u["cluster"], n_cl, *year_coding(u, every, _query(scope, rule, proxy),
                                                                        stage)))
            # every rule, stage and proxy choice of the year in one draw: both rules have the same people and
            # papers, so the clusters (and their draw) are the same
            for group in _same_clusters(todo):
                boots = boot_counts_many(group[0][1], [t[3] for t in group], [len(t[4]) for t in group],
                                         settings.n_boot, settings.seed)
                for (key, cl, n_cl, codes, names, cov, cnt_proxy), boot in zip(group, boots):
                    got = _share_rows(cl, codes, names, settings.n_boot, settings.seed, boot=boot)
                    years.append({**key, "stored": True, "n_clusters": n_cl, "n": got[0]["n"] if got else 0,
                                  **cov})
                    rows += [{**key, "pos": i, "country": r["group"], **{k: r[k] for k in ROW_KEYS[:-1]},
                              "count_proxy": int(cnt_proxy[i])} for i, r in enumerate(got)]
        done.append((units, at[0], len(rows), at[1], len(years)))
    _write(engine, "metric_trend", rows, ["venue", "tier", "subfield", "sector", "rule", "stage", "include_proxy",
                                          "year", "pos", "country", *ROW_KEYS])
    _write(engine, "metric_trend_years", years, ["venue", "tier", "subfield", "sector", "rule", "stage",
                                                 "include_proxy", "year", "stored", "n_clusters", "n", *COV_KEYS])
    engine.execute(f"CREATE OR REPLACE TABLE metric_trend_meta AS SELECT {int(settings.n_boot)} AS n_boot, "
                   f"{int(settings.seed)}::BIGINT AS seed, {len(scopes)} AS scopes")
    return {"metric_trend": len(rows), "metric_trend_scopes": len(scopes)}


def _same_units(a: dict[str, dict], b: dict[str, dict]) -> bool:
    def same(x, y):
        if isinstance(x, tuple):
            return np.array_equal(x[0], y[0]) and (x[1] is y[1] or np.array_equal(x[1], y[1]))
        return np.array_equal(x, y)
    return a.keys() == b.keys() and all(a[r].keys() == b[r].keys() and all(same(a[r][k], b[r][k]) for k in a[r])
                                        for r in a)


def _same_clusters(todo: list[tuple]) -> list[list[tuple]]:
    groups: list[list[tuple]] = []
    for t in todo:
        for g in groups:
            if g[0][1] is t[1] or np.array_equal(g[0][1], t[1]):
                g.append(t)
                break
        else:
            groups.append([t])
    return groups


def _write(engine, name: str, rows: list[dict], cols: list[str]) -> None:
    import pyarrow as pa

    types = {"year": pa.int32(), "pos": pa.int32(), "include_proxy": pa.bool_(), "stored": pa.bool_(),
             "share": pa.float64(),
             "ci_low": pa.float64(), "ci_high": pa.float64()}
    ints = {"count", "n", "count_proxy", "n_clusters", *COV_KEYS}
    schema = pa.schema([(c, types.get(c, pa.int64() if c in ints else pa.string())) for c in cols])
    engine.register_arrow(f"_{name}", pa.Table.from_pylist([{c: r[c] for c in cols} for r in rows], schema=schema))
    engine.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _{name} ORDER BY ALL")
    engine.execute(f"DROP VIEW IF EXISTS _{name}")


# ---- query time -----------------------------------------------------------------------------------------------------

def _scope_of(q: MetricQuery) -> tuple[str, str, str, str]:
    return (q.venue or ALL, q.tier, q.subfield or ALL, q.sector or ALL)


def stored_years(eng, q: MetricQuery, stage: str, n_boot: int, seed: int, min_cell: int) -> dict[int, dict] | None:
    """Stored years of q's trend scope (year → n and coverage), or None when nothing applies."""
    if min_cell != 0 or not eng.table_exists("metric_trend_meta"):
        return None
    meta = eng.query("SELECT n_boot, seed FROM metric_trend_meta")
    if not meta or tuple(meta[0]) != (n_boot, seed):
        return None
    ys = q.year_list()
    cond = "" if ys is None else f" AND year IN ({', '.join('?' * len(ys))})"
    got = eng.query_dicts(f"""SELECT * FROM metric_trend_years WHERE venue = ? AND tier = ? AND subfield = ?
                              AND sector = ? AND rule = ? AND stage = ?{cond}
                              ORDER BY year, include_proxy""",
                          [*_scope_of(q), q.attribution, stage, *(ys or [])])
    out: dict[int, dict] = {}
    for r in got:  # a year stored without its proxy variant has no proxy values: the same rows serve both
        if not r["include_proxy"] or q.include_proxy:
            out[r["year"]] = r
    return out or None


def stored_rows(eng, q: MetricQuery, stage: str, meta: dict[int, dict], country: str | None
                ) -> dict[int, list[dict]]:
    """year → the stored rows of the stored years in `meta` (one country's, or every country's in their
    computed order), each year's from the variant `meta` names."""
    keys = [(y, m["include_proxy"]) for y, m in sorted(meta.items()) if m["stored"]]
    if not keys:
        return {}
    cond = " AND country = ?" if country else ""
    got = eng.query_dicts(f"""SELECT year, country, {', '.join(ROW_KEYS)} FROM metric_trend
                              WHERE venue = ? AND tier = ? AND subfield = ? AND sector = ? AND rule = ? AND stage = ?
                              AND (year, include_proxy) IN ({', '.join('(?, ?)' for _ in keys)}){cond}
                              ORDER BY year, pos""",
                          [*_scope_of(q), q.attribution, stage, *[x for k in keys for x in k],
                           *([country] if country else [])])
    out: dict[int, list[dict]] = {}
    for r in got:
        out.setdefault(r.pop("year"), []).append(r)
    return out


def trend_rows(eng, q: MetricQuery, stage: str, country: str | None, n_boot: int, seed: int, min_cell: int,
               live) -> list[dict] | None:
    """`trend`'s rows: stored years read back, the others from `live(years)`; None when the scope is not stored
    (then `trend` computes every year live)."""
    meta = stored_years(eng, q, stage, n_boot, seed, min_cell)
    if meta is None:
        return None
    keep = sorted(y for y, m in meta.items() if m["stored"])
    rest = sorted(y for y, m in meta.items() if not m["stored"])
    by_year: dict[int, list[dict]] = {}
    for r in (live(rest) if rest else []):
        by_year.setdefault(r["year"], []).append(r)
    stored = stored_rows(eng, q, stage, meta, country)
    for y in keep:
        m = meta[y]
        cov = {k: m[k] for k in COV_KEYS}
        got = stored.get(y, [])
        if country and not got:
            got = [{"country": country, "share": 0.0, "count": 0, "ci_low": 0.0, "ci_high": 0.0, "n": m["n"],
                    "count_proxy": 0}]
        by_year[y] = [{"year": y, "stage": stage, "country": r["country"], **{k: r[k] for k in ROW_KEYS}, **cov,
                       "rule": q.attribution} for r in got]
    return [r for y in sorted(by_year) for r in by_year[y]]
