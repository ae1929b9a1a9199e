"""Counting rules other than people: the same country shares with papers or authorships as the unit.

- `people` (the default, in compute.shares): each person once per venue-year;
- `authorships`: each (paper, person) once — prolific authors weigh more;
- `papers`: a paper counts once for every country among its authors with a known value ("papers with at least
  one author from the country"), so shares add up to more than 1;
- `fractional`: each paper weighs 1, split equally among its authors with a known value;
- `first-author` / `last-author`: each paper counts for its first / last author's country (unknown when that
  author's value is unknown).
The denominator `n` is the units with a known value (papers with at least one known author for papers and
fractional); `n_units` every unit of the query. Intervals resample papers (each paper's authorships together): the
exact cluster bootstrap up to DIRECT_MAX papers, above it the normal approximation the library uses for the whole
mirror (replicate totals drawn from their exact mean and covariance under paper resampling).
"""

from __future__ import annotations

import numpy as np

from .bootstrap import DIRECT_MAX, cluster_weights
from .query import COUNTS, MetricQuery, check
from .units import _need, _value_sql


def _matrix(eng, q: MetricQuery, stage: str, count: str) -> tuple[np.ndarray, list[str], int, dict[str, int]]:
    """(papers × (countries + 1)) weights — the last column marks a paper (or its units) as known — the country
    codes, the number of units of the query, and per country the distinct people behind its count."""
    v, basis, _ = _value_sql(stage, "country")
    ok = "('observed', 'proxy')" if q.include_proxy else "('observed')"
    where, params = q.where("b")
    # one row per authorship (a person twice on one paper counts once), its value when included
    rows = f"""SELECT b.venue || '|' || b.year || '|' || b.paper_id AS paper, b.person_key,
                      min(b.author_order) AS pos,
                      arg_min(CASE WHEN {basis} IN {ok} THEN {v} END, b.author_order) AS v
               FROM metric_base b WHERE {where} GROUP BY ALL"""
    units = rows  # the authorships a count rests on
    if count == "authorships":
        sql = f"SELECT paper, v, 1.0 AS w, v IS NOT NULL AS known FROM ({rows})"
    elif count in ("first-author", "last-author"):
        order = "pos" if count == "first-author" else "pos DESC"
        units = f"""SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY paper ORDER BY {order}, person_key)
                    AS r FROM ({rows})) WHERE r = 1"""
        sql = f"SELECT paper, v, 1.0 AS w, v IS NOT NULL AS known FROM ({units})"
    elif count in ("papers", "fractional"):
        share = "1.0" if count == "papers" else "count(*) / any_value(k)"
        sql = f"""WITH a AS (SELECT *, count(v) OVER (PARTITION BY paper) AS k FROM ({rows}))
                  SELECT paper, v, {share} AS w, true AS known FROM a WHERE v IS NOT NULL GROUP BY paper, v
                  UNION ALL SELECT paper, NULL, 0.0, false FROM a GROUP BY paper HAVING max(k) = 0"""
    else:
        raise AssertionError(count)
    people = dict(eng.query(f"SELECT v, count(DISTINCT person_key) FROM ({units}) WHERE v IS NOT NULL GROUP BY v",
                            params))
    names = sorted(people)
    # papers and countries numbered in SQL (papers in key order, countries in `names` order)
    t = eng.arrow(f"""SELECT dense_rank() OVER (ORDER BY paper) - 1 AS pi,
                             coalesce(list_position(CAST(? AS VARCHAR[]), v), 0) - 1 AS vi, w, known
                      FROM ({sql}) ORDER BY paper, v NULLS FIRST""", [names] + params)
    pi = t.column("pi").to_numpy().astype(np.int64)
    # units: one row each for authorships and first/last authors; papers and fractional have a row per country
    n_units = (int(pi.max()) + 1 if len(pi) else 0) if count in ("papers", "fractional") else len(pi)
    if not len(pi):
        return np.zeros((0, len(names) + 1)), names, n_units, people
    vi = t.column("vi").to_numpy().astype(np.int64)
    w = t.column("w").to_numpy().astype(float)
    known = t.column("known").to_numpy(zero_copy_only=False).astype(float)
    m = np.zeros((int(pi.max()) + 1, len(names) + 1))
    has = vi >= 0
    np.add.at(m, (pi[has], vi[has]), w[has])
    # known units per paper: authorships / first / last count each known unit; papers / fractional each paper once
    (np.maximum if count in ("papers", "fractional") else np.add).at(m[:, -1], pi, known)
    return m, names, n_units, people


def _boot_totals(m: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, columns) column totals of papers resampled with replacement."""
    p = len(m)
    if p <= DIRECT_MAX:
        return cluster_weights(p, n_boot, seed).astype(np.float64) @ m
    mean = m.sum(axis=0)
    cov = p * np.cov(m, rowvar=False, bias=True)
    z = np.random.default_rng(seed).standard_normal((n_boot, m.shape[1]))
    ev, vec = np.linalg.eigh(np.atleast_2d(cov))
    return np.clip(mean + z @ (vec * np.sqrt(np.clip(ev, 0, None))).T, 0, None)


def count_shares(eng, q: MetricQuery, stage: str = "work", count: str = "papers", n_boot: int = 1000,
                 seed: int = 20221128, min_cell: int = 0) -> list[dict]:
    """Country shares in `stage` under the counting rule `count` (see the module docstring), sorted by count."""
    check("count", count, COUNTS[1:])
    check("stage", stage)
    _need(eng)
    m, names, units, people = _matrix(eng, q, stage, count)
    tot = m.sum(axis=0) if len(m) else np.zeros(len(names) + 1)
    n = float(tot[-1])
    boot = _boot_totals(m, n_boot, seed) if n_boot > 0 and len(m) else None
    rows = []
    for i, c in enumerate(names):
        cnt = float(tot[i])
        share = cnt / n if n else 0.0
        lo = hi = share
        if boot is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                sh = np.where(boot[:, -1] > 0, boot[:, i] / np.where(boot[:, -1] > 0, boot[:, -1], 1), np.nan)
            if not np.all(np.isnan(sh)):
                lo = min(float(np.nanquantile(sh, 0.025)), share)
                hi = max(float(np.nanquantile(sh, 0.975)), share)
        rows.append({"stage": stage, "country": c, "count_rule": count, "share": share,
                     "count": round(cnt, 6) if count == "fractional" else int(round(cnt)),
                     "count_people": people[c], "ci_low": lo,
                     "ci_high": hi, "n": int(round(n)), "n_units": units,
                     "coverage": round(n / units, 6) if units else None, "rule": q.attribution})
    rows.sort(key=lambda r: (-r["count"], r["country"]))
    if min_cell:  # countries whose count rests on fewer than min_cell people are pooled (one person's papers)
        small = [r for r in rows if r["count_people"] < min_cell]
        rows = [r for r in rows if r["count_people"] >= min_cell]
        if small:
            from .compute import SUPPRESSED

            # under `papers` one paper can count for several pooled countries: the pool has no share of its own
            rows.append({**small[0], "country": SUPPRESSED, "count": sum(r["count"] for r in small),
                         "share": None if count == "papers" else sum(r["share"] for r in small),
                         "ci_low": None, "ci_high": None})
    return rows
