"""`metric_trend`: the per-year rows of `trend` (every country, every stage, rule and proxy choice) for the
populations whose trend is costly to bootstrap live, written by the metrics stage with the published n_boot and
seed, read back by `trend` — and by `shares` by country of one year — instead of recomputing them.

A trend is one independent computation per year, so a year's rows do not depend on which other years are asked:
a stored year serves any year range, and a one-year `shares` by country is the same computation as that year's
trend rows. In years the bootstrap resamples clusters directly (≤ DIRECT_MAX clusters) one country's interval
(two categories: the country, every other known value) is exactly that country's row of the every-country
computation, since both sum the same integer counts of the same cluster draws (`per_country`). Larger years
(where the draw depends on the categories) are stored for the all-venue scopes without subfield or sector and
serve their every-country trends and shares; one country's trend computes such a year live (two categories: a
cheap draw).

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


def build_trend(engine, settings, min_clusters: int = SCOPE_MIN_CLUSTERS, large: bool = True) -> dict:
    """metric_trend (rows), metric_trend_years (one row per year: n_clusters and coverage) and metric_trend_meta
    (n_boot, seed). The years above DIRECT_MAX clusters are stored for the scopes without a subfield or sector
filter (the all-venue trends: each such year costs a profile draw, ~0.1-0.2 s); `large=False` leaves them all to
be computed live."""
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
                        if n_cl > bootstrap.DIRECT_MAX and not (large and scope[2:] == (ALL, ALL)):  # live
                            years.append({**key, "stored": False, "per_country": False, "n_clusters": n_cl,
                                          "n": None, **dict.fromkeys(COV_KEYS)})
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
                    # above DIRECT_MAX the draw depends on the categories: these rows are every country's
                    # answer only, and one country's trend computes such a year live
                    years.append({**key, "stored": True, "per_country": n_cl <= bootstrap.DIRECT_MAX,
                                  "n_clusters": n_cl, "n": got[0]["n"] if got else 0, **cov})
                    rows += [{**key, "pos": i, "country": r["group"], **{k: r[k] for k in ROW_KEYS[:-1]},
                              "count_proxy": int(cnt_proxy[i])} for i, r in enumerate(got)]
        done.append((units, at[0], len(rows), at[1], len(years)))
    _write(engine, "metric_trend", rows, ["venue", "tier", "subfield", "sector", "rule", "stage", "include_proxy",
                                          "year", "pos", "country", *ROW_KEYS])
    _write(engine, "metric_trend_years", years, ["venue", "tier", "subfield", "sector", "rule", "stage",
                                                 "include_proxy", "year", "stored", "per_country", "n_clusters",
                                                 "n", *COV_KEYS])
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
             "per_country": pa.bool_(),
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


TREND_KEY = "metric_trend"  # the held tables' key in a connection's shared dictionary (see rowstore)
SCOPE_COLS = ("venue", "tier", "subfield", "sector", "rule", "stage")


class TrendStore:
    """metric_trend_meta, metric_trend_years and metric_trend held in memory by a long-running reader: the
    answers of the SQL below, as dictionaries keyed by scope, rule and stage (and year and proxy choice)."""

    def __init__(self, eng):
        meta = eng.query("SELECT n_boot, seed FROM metric_trend_meta")
        self.meta = tuple(meta[0]) if meta else None
        self.years: dict[tuple, list[dict]] = {}
        for r in eng.query_dicts(f"SELECT * FROM metric_trend_years ORDER BY {', '.join(SCOPE_COLS)}, year, "
                                 "include_proxy"):
            self.years.setdefault(tuple(r[c] for c in SCOPE_COLS), []).append(r)
        self.rows: dict[tuple, list[tuple]] = {}  # (country, *ROW_KEYS) per row, in pos order
        n = len(SCOPE_COLS) + 2
        for r in eng.query(f"SELECT {', '.join(SCOPE_COLS)}, year, include_proxy, country, {', '.join(ROW_KEYS)} "
                           f"FROM metric_trend ORDER BY {', '.join(SCOPE_COLS)}, year, include_proxy, pos"):
            self.rows.setdefault(r[:n], []).append(r[n:])


def hold_trend(eng) -> TrendStore | None:
    """Hold the stored trend tables for this connection and its cursors (a server over a database that does not
    change); None when they are missing or the engine shares no state."""
    shared = getattr(eng, "shared", None)
    if shared is None or not eng.table_exists("metric_trend_meta"):
        return None
    if TREND_KEY not in shared:
        shared[TREND_KEY] = TrendStore(eng)
    return shared[TREND_KEY]


def _held_trend(eng) -> TrendStore | None:
    shared = getattr(eng, "shared", None)
    return shared.get(TREND_KEY) if shared is not None else None


def stored_years(eng, q: MetricQuery, stage: str, n_boot: int, seed: int, min_cell: int) -> dict[int, dict] | None:
    """Stored years of q's trend scope (year → n and coverage), or None when nothing applies."""
    held = _held_trend(eng)
    if min_cell != 0:
        return None
    if held is not None:
        meta = held.meta
    else:
        if not eng.table_exists("metric_trend_meta"):
            return None
        found = eng.query("SELECT n_boot, seed FROM metric_trend_meta")
        meta = tuple(found[0]) if found else None
    if meta != (n_boot, seed):
        return None
    ys = q.year_list()
    if held is not None:
        want = None if ys is None else set(ys)
        got = [r for r in held.years.get((*_scope_of(q), q.attribution, stage), [])
               if want is None or r["year"] in want]
    else:
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
    held = _held_trend(eng)
    if held is not None:
        scope = (*_scope_of(q), q.attribution, stage)
        found = {y: [dict(zip(("country", *ROW_KEYS), r)) for r in held.rows.get((*scope, y, p), [])
                     if not country or r[0] == country] for y, p in keys}
        return {y: rs for y, rs in found.items() if rs}
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
    meta = {y: m for y, m in meta.items() if _serves(m, country)} | {
        y: {**m, "stored": False} for y, m in meta.items() if not _serves(m, country)}
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


def _serves(m: dict, country: str | None) -> bool:
    """A stored year answers every country's trend; one country's only where the draw was cluster by cluster
    (per_country; a build before that column stored no other years)."""
    return bool(m["stored"]) and (country is None or bool(m.get("per_country", True)))


def share_rows(eng, q: MetricQuery, stage: str, n_boot: int, seed: int, min_cell: int) -> list[dict] | None:
    """`shares` by country of a one-year query of a stored scope, read back: a trend year is the same computation
    (the year's people, their clusters, every country coded by count); None when that year is not stored."""
    ys = q.year_list()
    if ys is None or len(ys) != 1:
        return None
    meta = stored_years(eng, q, stage, n_boot, seed, min_cell)
    m = (meta or {}).get(ys[0])
    if m is None or not m["stored"]:
        return None
    cov = {k: m[k] for k in COV_KEYS}
    got = stored_rows(eng, q, stage, {ys[0]: m}, None).get(ys[0], [])
    return [{"stage": stage, "country": r["country"], **{k: r[k] for k in ROW_KEYS}, **cov, "rule": q.attribution}
            for r in got]
