"""The units of a metric population (a person at a venue-year), two ways that give the same arrays:

- `fast_units` reads `metric_rows`, an integer-coded copy of `metric_base` written by the metrics stage and
  stored in unit order: a filtered scan returns each unit's rows together, its first row the one `unit_select`'s
  ORDER BY picks, so a unit is one `reduceat` in numpy, never a GROUP BY at query time;
- `reference_units` groups `metric_base` in SQL (`unit_select`), the definition the fast path is tested against.

Both return per unit: `cluster` (codes ordered like the cluster labels venue|year|first paper, so the bootstrap
numbers clusters identically), `year`, and per stage `v_<stage>` = (codes, labels) with codes in label order,
`b_<stage>` (0 observed, 1 proxy, 2 unknown) and `s_<stage>` (0 paper, 1 career history, -1 other).
"""

from __future__ import annotations

import numpy as np

from ..errors import NotBuilt
from .query import MetricQuery, check
from .rowstore import held

HISTORY_SOURCES = ("openreview_profile", "orcid")  # stage values taken from a dated career history
STAGE_NAMES = ("origin", "graduate", "work", "current")
# `by` → the column suffix in metric_rows; `parent` is an institution rolled up to its ultimate parent
# organisation (shares(..., rollup='parent')), labelled apart so a name keeps one code per kind
KINDS = {"country": "c", "institution": "i", "sector": "s", "parent": "p"}
COLUMN = {"country": "country", "institution": "institution_name", "sector": "sector", "parent": "parent_name"}
LABEL_COLS = {"country": [f"{s}_country" for s in STAGE_NAMES],
              "institution": [f"{s}_institution_name" for s in STAGE_NAMES],
              "sector": [f"{s}_sector" for s in STAGE_NAMES if s != "origin"],
              "parent": [f"{s}_parent_name" for s in STAGE_NAMES]}


def _need(eng) -> None:
    if held(eng) is None and not eng.table_exists("metric_base"):
        raise NotBuilt("The metric tables are missing (stage `metrics`).")


def _value_sql(stage: str, by: str) -> tuple[str, str, str]:
    """(value, basis, source) expressions; source is 'paper' or the career history a stage came from."""
    col = COLUMN[by]
    if stage == "current":
        return (f"b.current_{col}", "CASE WHEN b.current_country IS NULL THEN 'unknown' ELSE 'observed' END",
                "'paper'")
    if stage == "origin" and by == "sector":
        check("by", by, ["country", "institution"])
    return f"b.{stage}_{col}", f"b.{stage}_basis", f"b.{stage}_source"


def unit_select(source: str, where: str, stages: list[str], by: str, extra_keys: str = "") -> str:
    """SELECT of one row per unit (person at a venue-year): year, cluster (first paper) and, per stage, the value
    and basis; the current affiliation is the first paper's with a known country."""
    sel = []
    order = "ORDER BY b.current_country IS NULL, b.paper_id, b.author_order"  # one person twice on a paper
    for s in stages:
        v, basis, src = _value_sql(s, by)
        sel.append(f"first({v} {order}) AS v_{s}")
        sel.append(f"first({basis} {order}) AS b_{s}")
        sel.append(f"first({src} {order}) AS s_{s}")
    return (f"SELECT {extra_keys} b.venue, b.year, b.venue || '|' || b.year || '|' || min(b.paper_id) AS cluster, "
            f"{', '.join(sel)} FROM {source} WHERE {where} GROUP BY {extra_keys} b.venue, b.year, b.person_key")


# ---- the metrics stage: metric_labels and metric_rows ------------------------------------------------------------

def _basis_code(expr: str) -> str:
    return f"(CASE {expr} WHEN 'observed' THEN 0 WHEN 'proxy' THEN 1 ELSE 2 END)::TINYINT"


def _source_code(expr: str) -> str:
    hist = ", ".join(f"'{h}'" for h in HISTORY_SOURCES)
    return f"(CASE WHEN {expr} = 'paper' THEN 0 WHEN {expr} IN ({hist}) THEN 1 ELSE -1 END)::TINYINT"


def build_rows(engine) -> dict:
    """`metric_labels` (kind, code, label: codes in label order) and `metric_rows`: every metric_base row with its
    unit, its paper's rank among the cluster labels (`paper`) and among paper ids (`pid`, cohorts), every stage
    value as a code and the person's last sighting (person_last_seen), sorted by rule, unit and `unit_select`'s
    order within a unit; `seq` numbers that order (a scan that lost it is re-sorted). Needs person_last_seen."""
    parts = [f"SELECT '{kind}' AS kind, unnest([{', '.join(cols)}]) AS label FROM metric_base"
             for kind, cols in LABEL_COLS.items()]
    engine.execute(f"""
        CREATE OR REPLACE TABLE metric_labels AS
        SELECT kind, (row_number() OVER (PARTITION BY kind ORDER BY label) - 1)::INTEGER AS code, label
        FROM (SELECT DISTINCT kind, label FROM ({' UNION ALL '.join(parts)}) WHERE label IS NOT NULL)
        ORDER BY kind, code""")
    joins, cols = [], []
    for s in STAGE_NAMES:
        for kind, suffix in KINDS.items():
            if kind == "sector" and s == "origin":
                continue
            col = f"{s}_{COLUMN[kind]}"
            a = f"l_{s}_{suffix}"
            joins.append(f"LEFT JOIN metric_labels {a} ON {a}.kind = '{kind}' AND {a}.label = b.{col}")
            cols.append(f"{a}.code AS {s}_{suffix}")
        if s == "current":
            cols += ["(CASE WHEN b.current_country IS NULL THEN 2 ELSE 0 END)::TINYINT AS current_b",
                     "0::TINYINT AS current_src"]
        else:
            cols += [f"{_basis_code(f'b.{s}_basis')} AS {s}_b", f"{_source_code(f'b.{s}_source')} AS {s}_src"]
    order = "b.rule, u.unit, b.current_country IS NULL, b.paper_id, b.author_order"
    engine.execute(f"""
        CREATE OR REPLACE TABLE metric_rows AS
        WITH u AS (SELECT venue, year, person_key,
                          (row_number() OVER (ORDER BY venue, year, person_key) - 1)::INTEGER AS unit
                   FROM (SELECT DISTINCT venue, year, person_key FROM metric_base)),
             p AS (SELECT venue, year, paper_id,
                          (row_number() OVER (ORDER BY venue || '|' || year || '|' || paper_id) - 1)::INTEGER AS paper
                   FROM (SELECT DISTINCT venue, year, paper_id FROM metric_base)),
             i AS (SELECT paper_id, (row_number() OVER (ORDER BY paper_id) - 1)::INTEGER AS pid
                   FROM (SELECT DISTINCT paper_id FROM metric_base))
        SELECT (row_number() OVER (ORDER BY {order}) - 1)::INTEGER AS seq, b.rule, b.venue, b.year, b.tier_rank,
               b.subfield, b.flags, b.current_sector, u.unit, p.paper, i.pid, {', '.join(cols)},
               l.last_year, l.last_located_year, l_last.code AS last_c
        FROM metric_base b JOIN u USING (venue, year, person_key) JOIN p USING (venue, year, paper_id)
        JOIN i USING (paper_id)
        LEFT JOIN person_last_seen l ON l.person_key = b.person_key AND l.rule = b.rule
        LEFT JOIN metric_labels l_last ON l_last.kind = 'country' AND l_last.label = l.last_country
        {' '.join(joins)}
        ORDER BY seq""")
    return {"metric_rows": engine.scalar("SELECT count(*) FROM metric_rows"),
            "metric_labels": engine.scalar("SELECT count(*) FROM metric_labels")}


# ---- query time -----------------------------------------------------------------------------------------------------

def labels(eng, kind: str) -> np.ndarray:
    """Object array of a kind's labels, indexed by code."""
    store = held(eng)
    if store is not None:
        return store.labels[kind]
    t = eng.arrow("SELECT label FROM metric_labels WHERE kind = ? ORDER BY code", [kind])
    return np.array(t.column("label").to_pylist(), dtype=object)


def _np(col, fill: int) -> np.ndarray:
    col = col.combine_chunks() if hasattr(col, "combine_chunks") else col
    return np.asarray(col.fill_null(fill)) if col.null_count else np.asarray(col)


def _scan(eng, q: MetricQuery, cols: list[str], cond: str = "", cond_params: list | None = None,
          keep=None) -> dict[str, np.ndarray]:
    """Columns of q's rows of metric_rows in table order (NULL → -1): from the held store when the connection has
    one (`keep(store, rows)` narrows the rows as `cond` does in SQL), else a filtered scan."""
    store = held(eng)
    if store is not None:
        idx = store.rows(q)
        if keep is not None:
            idx = idx[keep(store, idx)]
        return {c: store.take(c, idx) for c in cols}
    where, params = q.where("b")
    t = eng.arrow(f"SELECT seq, {', '.join(cols)} FROM metric_rows b WHERE {where}{cond}",
                  params + list(cond_params or []))
    a = {c: _np(t.column(c), -1) for c in ["seq", *cols]}
    seq = a.pop("seq")
    if len(seq) > 1 and not (seq[1:] > seq[:-1]).all():  # DuckDB keeps table order; re-sort if it did not
        o = np.argsort(seq, kind="stable")
        a = {c: v[o] for c, v in a.items()}
    return a


def fast_units(eng, q: MetricQuery, stages: list[str], by: str = "country") -> dict[str, np.ndarray]:
    """The units of `q` from metric_rows (see the module docstring)."""
    _need(eng)
    suffix = KINDS[by]
    for s in stages:
        _value_sql(s, by)  # origin has no sector: the same error as the reference
    cols = ["unit", "paper", "year"] + [f"{s}_{x}" for s in dict.fromkeys(stages) for x in (suffix, "b", "src")]
    a = _scan(eng, q, cols)
    unit = a["unit"]
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]]) if len(unit) else np.zeros(0, dtype=np.int64)
    out = {"cluster": (np.minimum.reduceat(a["paper"], starts) if len(unit) else a["paper"]).astype(np.int64),
           "year": a["year"][starts]}
    lab = labels(eng, by)
    for s in stages:
        idx = a[f"{s}_{suffix}"][starts].astype(np.int64)
        code = a[f"{s}_b"][starts].astype(np.int8)
        code[idx < 0] = 2
        out[f"v_{s}"] = (idx, lab)
        out[f"b_{s}"] = code
        out[f"s_{s}"] = a[f"{s}_src"][starts].astype(np.int8)
    return out


def reference_units(eng, q: MetricQuery, stages: list[str], by: str = "country") -> dict[str, np.ndarray]:
    """The units of `q` grouped in SQL from metric_base: the definition `fast_units` must reproduce."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _need(eng)
    where, params = q.where("b")
    sql = (f"SELECT * FROM ({unit_select('metric_base b', where, stages, by, extra_keys='b.person_key,')}) "
           "ORDER BY venue, year, person_key")
    t = eng.arrow(sql, params)
    # Clusters are numbered in the order of their labels, not of first appearance: the bootstrap draw then
    # depends on the units alone, never on the row order a parallel scan hands back (everything else here is
    # counted, which no order changes) — the same seed gives the same intervals in every build and process.
    cl = t.column("cluster").combine_chunks().dictionary_encode()
    rank = np.empty(len(cl.dictionary), dtype=np.int64)
    rank[np.asarray(pc.array_sort_indices(cl.dictionary))] = np.arange(len(cl.dictionary))
    out = {"cluster": rank[np.asarray(cl.indices)],
           "year": np.asarray(t.column("year").combine_chunks().fill_null(0))}
    for s in stages:
        d = t.column(f"v_{s}").combine_chunks().dictionary_encode()
        labels_ = np.array(d.dictionary.to_pylist(), dtype=object)
        idx = np.asarray(d.indices.fill_null(-1))
        out[f"v_{s}"] = (idx, labels_)
        b = t.column(f"b_{s}").combine_chunks()
        code = np.full(len(b), 2, dtype=np.int8)
        code[np.asarray(pc.equal(b, "observed").fill_null(False))] = 0
        code[np.asarray(pc.equal(b, "proxy").fill_null(False))] = 1
        code[idx < 0] = 2
        out[f"b_{s}"] = code
        src = t.column(f"s_{s}").combine_chunks()
        scode = np.full(len(src), -1, dtype=np.int8)
        scode[np.asarray(pc.equal(src, "paper").fill_null(False))] = 0
        scode[np.asarray(pc.is_in(src, pa.array(list(HISTORY_SOURCES))).fill_null(False))] = 1
        out[f"s_{s}"] = scode
    return out


# ---- cohorts: a venue-year's people and where each was last seen ----------------------------------------------------

def _whereabouts(last_year, located, last_country, year: int) -> np.ndarray:
    out = np.where(last_year <= year, "not_seen_since",
                   np.where((located < 0) | (located <= year), "unresolved", "")).astype(object)
    other = out == ""
    out[other] = last_country[other]
    return out


def fast_cohort(eng, q: MetricQuery, year: int, origin: str | None, work: str | None):
    """(cluster codes, whereabouts, last year) per person of the cohort, from metric_rows; clusters numbered
    like reference_cohort's (first appearance of the first paper id, people in venue, person order)."""
    ok = "(0, 1)" if q.include_proxy else "(0)"
    cond, params = [], []
    asked = [(stage, c) for stage, c in (("origin", origin), ("work", work)) if c]
    for stage, c in asked:
        cond.append(f"b.{stage}_c = (SELECT code FROM metric_labels WHERE kind = 'country' AND label = ?) "
                    f"AND b.{stage}_b IN {ok}")
        params.append(c)

    def keep(store, idx):
        m = np.ones(len(idx), dtype=bool)
        for stage, c in asked:
            code = store.label_code["country"].get(c, -2)
            b = store.cols[f"{stage}_b"][idx]
            m &= (store.cols[f"{stage}_c"][idx] == code) & ((b == 0) | ((b == 1) & q.include_proxy))
        return m
    cols = ["unit", "pid", "last_year", "last_located_year", "last_c"]
    a = _scan(eng, q, cols, "".join(" AND " + x for x in cond), params, keep if asked else None)
    unit = a["unit"]
    if not len(unit):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0)
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    first_pid = np.minimum.reduceat(a["pid"], starts)
    seen = a["last_year"][starts] >= 0  # the reference joins person_last_seen: people without a row drop out
    first_pid = first_pid[seen]
    _, first_at, inv = np.unique(first_pid, return_index=True, return_inverse=True)
    rank = np.empty(len(first_at), dtype=np.int64)
    rank[np.argsort(first_at, kind="stable")] = np.arange(len(first_at))
    country = labels(eng, "country")
    lc = a["last_c"][starts][seen]
    last_country = np.where(lc >= 0, country[np.maximum(lc, 0)] if len(country) else None, None)
    vals = _whereabouts(a["last_year"][starts][seen], a["last_located_year"][starts][seen], last_country, year)
    return rank[inv], vals, a["last_year"][starts][seen].astype(float)


def reference_cohort(eng, q: MetricQuery, year: int, origin: str | None, work: str | None):
    """fast_cohort's arrays grouped in SQL from metric_base and person_last_seen: the definition."""
    where, params = q.where("b")
    cond = []
    for stage, c in (("origin", origin), ("work", work)):
        if c:
            cond.append(f"b.{stage}_country = ? AND b.{stage}_basis IN ('observed'"
                        + (", 'proxy')" if q.include_proxy else ")"))
            params = params + [c]
    t = eng.arrow(f"""
        WITH c AS (SELECT b.venue, b.person_key, min(b.paper_id) AS paper FROM metric_base b
                   WHERE {where} {''.join(' AND ' + x for x in cond)} GROUP BY b.venue, b.person_key)
        SELECT c.paper AS cluster,
               CASE WHEN l.last_year <= ? THEN 'not_seen_since'
                    WHEN l.last_located_year IS NULL OR l.last_located_year <= ? THEN 'unresolved'
                    ELSE l.last_country END AS whereabouts, l.last_year
        FROM c JOIN person_last_seen l ON l.person_key = c.person_key AND l.rule = ?
        ORDER BY c.venue, c.person_key""", params + [year, year, q.attribution])
    vals = np.array(t.column("whereabouts").to_pylist(), dtype=object)
    cl = np.asarray(t.column("cluster").dictionary_encode().combine_chunks().indices) if len(vals) else np.zeros(0)
    return cl, vals, np.array(t.column("last_year").to_pylist(), dtype=float)
