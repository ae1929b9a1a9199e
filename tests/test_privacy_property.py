"""Property tests of the one suppression rule: over random tables, no published number — nor any linear
combination an observer can form from the published numbers — reveals a count of 1..k-1 people.

The audit here is independent of the solver in report/privacy.py: it rebuilds each table from its underlying
counts (a flow matrix; category counts and coverage), writes every published number as a linear function of
those counts, and checks with numpy that no small count lies in their span."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentflow.report import privacy

PROP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
small_heavy = st.one_of(st.integers(0, 4), st.integers(0, 40))


def _span_contains(published: list[np.ndarray], target: np.ndarray) -> bool:
    if not published:
        return not target.any()
    m = np.array(published, dtype=float)
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    v = vt[s > 1e-9 * max(1.0, s.max())]
    return np.linalg.norm(target - v.T @ (v @ target)) < 1e-6


def retention_rows(f: np.ndarray, names: list[str]) -> list[dict]:
    """What metrics.retention computes from a flow matrix (rows: from, columns: to)."""
    rows = []
    for i, c in enumerate(names):
        n, stay = int(f[i].sum()), int(f[i, i])
        inflow = int(f[:, i].sum() - stay)
        rows.append({"country": c, "count": stay, "n": n, "share": stay / n if n else 0.0, "ci_low": 0.0,
                     "ci_high": 1.0, "outflow": n - stay, "inflow": inflow, "net": inflow - (n - stay)})
    return rows


def _unit(m: int, cells) -> np.ndarray:
    v = np.zeros(m * m)
    for i, j in cells:
        v[i * m + j] = 1
    return v


@PROP
@given(st.integers(2, 6).flatmap(lambda m: st.lists(small_heavy, min_size=m * m, max_size=m * m)),
       st.integers(2, 6))
def test_retention_reveals_no_small_count(flat, k):
    m = int(round(len(flat) ** 0.5))
    f = np.array(flat).reshape(m, m)
    names = [f"C{i}" for i in range(m)]
    flows = [{"from_country": names[i], "to_country": names[j], "count": int(f[i, j])}
             for i in range(m) for j in range(m) if f[i, j]]
    out = privacy.protect("retention", retention_rows(f, names), k)
    assert [r["country"] for r in out] == names
    q = {}  # every count of the table as a functional of the flow matrix
    for i in range(m):
        others = [j for j in range(m) if j != i]
        q[i, "count"] = _unit(m, [(i, i)])
        q[i, "outflow"] = _unit(m, [(i, j) for j in others])
        q[i, "n"] = q[i, "count"] + q[i, "outflow"]
        q[i, "inflow"] = _unit(m, [(j, i) for j in others])
        q[i, "net"] = q[i, "inflow"] - q[i, "outflow"]
    published = [q[i, c] for i, r in enumerate(out) for c in ("count", "outflow", "n", "inflow", "net")
                 if r[c] is not None]
    published += [q[i, "count"] for i, r in enumerate(out) if r["share"] is not None]  # share × n = count
    for i, r in enumerate(out):
        for c in ("count", "outflow", "n", "inflow"):
            v = int(q[i, c] @ f.ravel())
            if r[c] is not None:
                assert not 0 < v < k, (c, r)
                assert r[c] == v
            if 0 < v < k:
                assert not _span_contains(published, q[i, c]), f"{names[i]} {c}={v} recoverable: {out}"
        if r["n"] is None and 0 < int(q[i, "n"] @ f.ravel()) < k:
            assert r["count"] is None and r["outflow"] is None  # no part of a small group


def test_net_does_not_reveal_a_suppressed_inflow():
    # IL: 3 people came in (suppressed), 40 left (shown): net = 3 - 40 would give the 3 back.
    f = np.array([[60, 3, 9], [40, 30, 8], [7, 0, 50]])  # rows/columns US, IL, DE; IL: inflow 3, outflow 48
    rows = retention_rows(f, ["US", "IL", "DE"])
    il = next(r for r in privacy.protect("retention", rows, 5) if r["country"] == "IL")
    assert il["inflow"] is None and il["net"] is None and il["outflow"] == 48


def _dist_rows(counts: list[int], n_proxy: int, n_unknown: int) -> list[dict]:
    n = sum(counts)
    return [{"country": f"C{i}", "count": c, "share": c / n if n else 0.0, "ci_low": 0.0, "ci_high": 1.0, "n": n,
             "count_proxy": 0, "n_people": n + n_proxy + n_unknown, "n_observed": n, "n_proxy": n_proxy,
             "n_unknown": n_unknown} for i, c in enumerate(counts) if c > 0]


@PROP
@given(st.lists(small_heavy, min_size=1, max_size=12), small_heavy, small_heavy, st.integers(2, 8))
def test_distribution_reveals_no_small_count(counts, n_proxy, n_unknown, k):
    rows = _dist_rows(counts, n_proxy, n_unknown)
    if not rows:
        return
    out = privacy.protect("shares", rows, k)
    names = [r["country"] for r in rows]
    m = len(names) + 2  # atoms: each category, the proxies, the unknowns
    vec = {nm: np.eye(m)[i] for i, nm in enumerate(names)}
    vec["n_proxy"], vec["n_unknown"] = np.eye(m)[-2], np.eye(m)[-1]
    vec["n"] = sum(vec[nm] for nm in names)
    vec["n_observed"] = vec["n"]
    vec["n_people"] = vec["n"] + vec["n_proxy"] + vec["n_unknown"]
    truth = np.array([r["count"] for r in rows] + [n_proxy, n_unknown], dtype=float)
    published = []
    pooled = [nm for nm in names if nm not in {r["country"] for r in out}]
    for r in out:
        for c in ("n", "n_observed", "n_proxy", "n_unknown", "n_people"):
            if r.get(c) is not None:
                published.append(vec[c])
                assert not 0 < r[c] < k and r[c] == vec[c] @ truth
        if r["country"] == privacy.SUPPRESSED:
            if r["count"] is not None:
                published.append(sum(vec[nm] for nm in pooled))
                assert r["count"] >= k
        else:
            assert r["count"] >= k
            published.append(vec[r["country"]])
    for nm in names + ["n_proxy", "n_unknown", "n", "n_people"]:
        v = vec[nm] @ truth
        if 0 < v < k:
            assert not _span_contains(published, vec[nm]), f"{nm}={v} recoverable from {out}"
    if pooled:  # the pool as a whole is either unknown or at least k
        pool = sum(vec[nm] for nm in pooled)
        assert pool @ truth >= k or not _span_contains(published, pool)


def test_a_trend_row_for_one_country_hides_a_small_rest():
    # 98 of 100 people in CN: n − count would say exactly 2 people are elsewhere.
    rows = [{"year": 2022, "country": "CN", "count": 98, "n": 100, "share": 0.98, "ci_low": 0.9, "ci_high": 1.0}]
    (r,) = [x for x in privacy.protect("trend", rows, 5) if x["year"] == 2022]
    assert r["count"] is None or r["n"] is None


def test_coverage_counts_cannot_be_subtracted():
    # n_unknown = 3 is masked, but n_people − n_observed − n_proxy would give it back unless one more is hidden.
    rows = _dist_rows([50, 40], n_proxy=20, n_unknown=3)
    out = privacy.protect("shares", rows, 5)
    r = out[0]
    assert r["n_unknown"] is None
    assert r["n_people"] is None or r["n_proxy"] is None or r["n_observed"] is None
