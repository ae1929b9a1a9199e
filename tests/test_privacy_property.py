"""Property tests of the one suppression rule (report/privacy.py → report/cells.py): over random tables of every
published shape, no published number — nor any linear combination of published numbers and known relations —
reveals a count of 1..k-1 people. The audit (tests/privacy_audit.py) is independent of the solver: it rebuilds
each table from its true underlying counts and checks with numpy."""

from __future__ import annotations

import time

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privacy_audit import Audit, FlowAtoms, check_flows, check_retention, flow_coverage, retention_rows
from talentflow.report import privacy

PROP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
small_heavy = st.one_of(st.integers(0, 4), st.integers(0, 40))
K = st.integers(2, 8)


def matrices(max_m=6):
    return st.integers(1, max_m).flatmap(lambda m: st.lists(small_heavy, min_size=m * m, max_size=m * m))


def _coverage_draw(f, b, c, d, fp, tp):
    both = int(f.sum())
    return b, c, d, min(fp, both), min(tp, both)


@PROP
@given(matrices(), small_heavy, small_heavy, small_heavy, small_heavy, small_heavy, K, st.booleans(), st.booleans())
def test_retention_reveals_no_small_count(flat, b, c, d, fp, tp, k, one_country, with_flows):
    """With the flow rows of the same query (as the report, API and CLI pass them) not even a flow cell follows;
    without them (a library that offers none) the table's own counts are protected."""
    m = int(round(len(flat) ** 0.5))
    f = np.array(flat).reshape(m, m)
    b, c, d, fp, tp = _coverage_draw(f, b, c, d, fp, tp)
    names = [f"C{i}" for i in range(m)]
    cov = flow_coverage(f, b, c, d, fp, tp)
    rows = retention_rows(f, names, cov)
    if one_country:  # `--country`: one row of the table
        rows = rows[:1]
    flows = [{"from_country": names[i], "to_country": names[j], "count": int(f[i, j]), **cov}
             for i in range(m) for j in range(m) if f[i, j]]
    out = privacy.protect("retention", rows, k, flows=flows if with_flows else None)
    assert [r["country"] for r in out] == [r["country"] for r in rows]
    check_retention(out, FlowAtoms(f, b, c, d, fp, tp, k), names, cells=with_flows)


@PROP
@given(matrices(), small_heavy, small_heavy, small_heavy, small_heavy, small_heavy, K)
def test_flows_reveal_no_small_count(flat, b, c, d, fp, tp, k):
    m = int(round(len(flat) ** 0.5))
    f = np.array(flat).reshape(m, m)
    b, c, d, fp, tp = _coverage_draw(f, b, c, d, fp, tp)
    names = [f"C{i}" for i in range(m)]
    cov = flow_coverage(f, b, c, d, fp, tp)
    rows = [{"from_country": names[i], "to_country": names[j], "country": names[i], "count": int(f[i, j]),
             "share": f[i, j] / f[i].sum(), "ci_low": 0.0, "ci_high": 1.0, "n": int(f[i].sum()), **cov}
            for i in range(m) for j in range(m) if f[i, j]]
    check_flows(privacy.protect("flows", rows, k), FlowAtoms(f, b, c, d, fp, tp, k), names, f)


@PROP
@given(st.lists(st.tuples(small_heavy, small_heavy), min_size=1, max_size=10), small_heavy, small_heavy,
       st.tuples(small_heavy, small_heavy), K, st.booleans(), st.booleans())
def test_distribution_reveals_no_small_count(cats, n_proxy, n_unknown, src, k, proxy, rest):
    """Shares by country with coverage: with proxies admitted every cell is observed + proxy (count_proxy); the
    observed are split by source (papers, career histories, other); `rest`: the last category is not listed
    (a one-country trend, the tail of a ranking) though n counts it."""
    cats = [(o, p if proxy else 0) for o, p in cats]
    m = len(cats)
    obs = sum(o for o, _ in cats)
    paper, profile = min(src[0], obs), min(src[1], obs - min(src[0], obs))
    # atoms: observed and proxy people of each category, excluded proxies, unknown, observed by source
    x = [v for o, p in cats for v in (o, p)] + [0 if proxy else n_proxy, n_unknown, paper, profile,
                                                obs - paper - profile]
    a = Audit(x, k)
    o_v, p_v = (lambda i: a.unit(2 * i)), (lambda i: a.unit(2 * i + 1))
    xp, un, pa, pr, ot = range(2 * m, 2 * m + 5)
    a.known(sum((o_v(i) for i in range(m)), a.unit()) - a.unit(pa, pr, ot))
    cell = [o_v(i) + p_v(i) for i in range(m)]
    n_vec = sum(cell, a.unit())
    vec = {"n": n_vec, "n_observed": sum((o_v(i) for i in range(m)), a.unit()),
           "n_proxy": sum((p_v(i) for i in range(m)), a.unit()) if proxy else a.unit(xp), "n_unknown": a.unit(un),
           "n_observed_paper": a.unit(pa), "n_observed_profile": a.unit(pr)}
    vec["n_people"] = n_vec + (a.unit(un) if proxy else a.unit(xp, un))
    truth = {c: int(v @ a.x) for c, v in vec.items()}
    n = truth["n"]
    listed = [i for i in range(m) if cat_count(cats[i])] [: m - 1 if rest and m > 1 else m]
    rows = [{"stage": "work", "country": f"C{i}", "count": cat_count(cats[i]), "share": cat_count(cats[i]) / n,
             "ci_low": 0.0, "ci_high": 1.0, "n": n, "count_proxy": cats[i][1], **truth} for i in listed]
    if not rows:
        return
    out = privacy.protect("shares", rows, k)
    shown = {r["country"] for r in out}
    for r in out:
        for c, v in vec.items():
            a.shown(v, r.get(c), c)
        if r["country"] == privacy.SUPPRESSED:
            pool = sum((cell[i] for i in listed if f"C{i}" not in shown), a.unit())
            a.shown(pool, r["count"], "pool")
            a.ratio(pool, n_vec, r["count"], r["n"], r["share"])
        else:
            i = int(r["country"][1:])
            a.shown(cell[i], r["count"], r["country"])
            a.shown(p_v(i), r["count_proxy"], "count_proxy")
            a.ratio(cell[i], n_vec, r["count"], r["n"], r["share"])
    targets = {**{f"C{i}": cell[i] for i in range(m)}, **{f"C{i} observed": o_v(i) for i in range(m)},
               **{f"C{i} proxy": p_v(i) for i in range(m)}, **vec, "other source": a.unit(ot),
               "excluded proxies": a.unit(xp), "pool": sum((cell[i] for i in listed if f"C{i}" not in shown), a.unit())}
    a.check(targets)


def cat_count(c):
    return c[0] + c[1]


@PROP
@given(st.lists(small_heavy, min_size=5, max_size=5), small_heavy, K)
def test_cohort_basis_reveals_no_small_count(steps, hist, k):
    # nested counts, innermost first: seen after ⊆ origin and work ⊆ origin match ⊆ origin observed ⊆ people
    chain = ("seen_after_cohort_year", "origin_and_work_match", "origin_match", "origin_observed", "people")
    vals = np.cumsum(steps)
    basis = {"cohort_year": 2019, "origin": "CN", "work": "US", **{c: int(v) for c, v in zip(chain, vals)},
             "origin_from_history": min(hist, int(vals[3]))}
    out = privacy.protect_basis(basis, k)
    a = Audit(list(steps) + [basis["origin_from_history"], int(vals[3]) - basis["origin_from_history"]], k)
    vec = {c: a.unit(*range(i + 1)) for i, c in enumerate(chain)}
    vec["origin_from_history"] = a.unit(5)
    a.known(vec["origin_observed"] - a.unit(5, 6))
    for c, v in vec.items():
        a.shown(v, out[c], c)
    a.check({**vec, **{f"step {i}": a.unit(i) for i in range(5)}, "not from history": a.unit(6)})


def test_net_does_not_reveal_a_suppressed_inflow():
    # the mirror's case (nips 2022, IL): 3 people came in (suppressed), 7 left (shown): net = 3 - 7 gave the 3 back
    f = np.array([[60, 3, 9], [4, 6, 3], [7, 0, 50]])  # rows/columns US, IL, DE; IL: n 13, stayed 6, inflow 3
    rows = retention_rows(f, ["US", "IL", "DE"], {})
    for flows in (None, [{"from_country": a, "to_country": b, "count": int(f[i, j])} for i, a in
                         enumerate(["US", "IL", "DE"]) for j, b in enumerate(["US", "IL", "DE"]) if f[i, j]]):
        il = next(r for r in privacy.protect("retention", rows, 5, flows=flows) if r["country"] == "IL")
        assert il["inflow"] is None and il["net"] is None


def test_a_trend_row_for_one_country_hides_a_small_rest():
    # 98 of 100 people in CN: n − count would say exactly 2 people are elsewhere.
    rows = [{"year": 2022, "stage": "work", "country": "CN", "count": 98, "n": 100, "share": 0.98, "ci_low": 0.9,
             "ci_high": 1.0}]
    (r,) = [x for x in privacy.protect("trend", rows, 5) if x["year"] == 2022]
    assert r["count"] is None or r["n"] is None


def test_coverage_counts_cannot_be_subtracted():
    # n_unknown = 3 is hidden, but n_people − n_observed − n_proxy would give it back unless one more is hidden.
    rows = [{"country": c, "count": v, "n": 90, "share": v / 90, "n_people": 113, "n_observed": 90,
             "n_proxy": 20, "n_unknown": 3} for c, v in (("US", 50), ("CN", 40))]
    r = privacy.protect("shares", rows, 5)[0]
    assert r["n_unknown"] is None
    assert r["n_people"] is None or r["n_proxy"] is None or r["n_observed"] is None


def test_observed_by_source_cannot_be_subtracted():
    # 3 observed values came from neither papers nor histories: n_observed − paper − profile would say so.
    rows = [{"country": "US", "count": 100, "n": 100, "share": 1.0, "n_people": 100, "n_observed": 100,
             "n_proxy": 0, "n_unknown": 0, "n_observed_paper": 90, "n_observed_profile": 7}]
    (r,) = privacy.protect("shares", rows, 5)
    assert None in (r["n_observed_paper"], r["n_observed_profile"], r["n_observed"])


def test_large_tables_are_protected_in_seconds():
    # far beyond the mirror's largest tables (52 countries, 305 flow cells): a 150-country flow matrix (≈3,200
    # cells, most of them small), the retention table of a 60-country one on its ≈1,600 flow cells, and a
    # 2,000-category distribution. The earlier solver took 2.4 s and 42 s for the 150-country flows and retention.
    rng = np.random.default_rng(1)
    t = time.perf_counter()
    for m, kind in ((150, "flows"), (60, "retention")):
        size = 2000 / (np.arange(m) + 1) ** 1.3
        f = rng.poisson(np.outer(size, size) / 2000 * (1 + 7 * np.eye(m)))
        names = [f"C{i:03d}" for i in range(m)]
        cov = flow_coverage(f, 200, 150, 40, 50, 40)
        flows = [{"from_country": names[i], "to_country": names[j], "country": names[i], "count": int(f[i, j]),
                  "share": f[i, j] / f[i].sum(), "n": int(f[i].sum()), **cov}
                 for i in range(m) for j in range(m) if f[i, j]]
        if kind == "flows":
            privacy.protect("flows", flows, 5)
        else:
            privacy.protect("retention", retention_rows(f, names, cov), 5, flows=flows)
    counts = np.concatenate([(2000 / (np.arange(150) + 1) ** 1.3).astype(int) + 1] * 14)[:2000]
    privacy.protect("shares", [{"country": f"I{i}", "count": int(v), "n": int(counts.sum()), "share": 0.0}
                               for i, v in enumerate(counts)], 5)
    assert time.perf_counter() - t < 10.0
