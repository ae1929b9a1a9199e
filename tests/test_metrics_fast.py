"""The fast metric paths give exactly the reference answers: coded unit tables (metric_rows) against the SQL
grouping of metric_base, the stored trend years (metric_trend) against computing them live, the bootstrap's
shortcuts against its definition — on a synthetic database (every regime of the bootstrap forced by lowering its
thresholds) and on random queries over the real mirror."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from metrics_synthetic import COUNTRIES, synthetic_engine
from talentflow.metrics import bootstrap, compute, cube, rowstore
from talentflow.metrics.query import MetricQuery
from talentflow.metrics.units import build_rows, fast_units, reference_units

STAGES = ("origin", "graduate", "work", "current")


@pytest.fixture(scope="module")
def syn():
    e = synthetic_engine()
    build_rows(e)
    yield e
    e.close()


@pytest.fixture(params=["direct", "profile", "normal"])
def regime(request, monkeypatch):
    """Lower the bootstrap's thresholds so the synthetic populations take each of its three ways."""
    direct, normal = {"direct": (8000, 20000), "profile": (40, 100000), "normal": (40, 60)}[request.param]
    monkeypatch.setattr(bootstrap, "DIRECT_MAX", direct)
    monkeypatch.setattr(bootstrap, "NORMAL_ABOVE", normal)
    return request.param


def reference_mode(monkeypatch) -> None:
    """Every metric through its definition: SQL-grouped units, no stored trend years, cohorts and institution
    countries from metric_base, the bootstrap without its shortcuts."""
    monkeypatch.setattr(compute, "_units", lambda e, q, st, by="country", reference=False:
                        reference_units(e, q, st, by))
    monkeypatch.setattr(cube, "trend_rows", lambda *a, **k: None)
    monkeypatch.setattr(compute, "fast_cohort", compute.reference_cohort)
    real = compute.institution_countries
    monkeypatch.setattr(compute, "institution_countries", lambda *a, **k: real(*a, **{**k, "reference": True}))
    monkeypatch.setattr(bootstrap, "boot_counts_many", bootstrap.reference_boot_counts_many)
    monkeypatch.setattr(cube, "share_rows", lambda *a, **k: None)


def random_query(rnd: random.Random, venues, years) -> MetricQuery:
    ys = None
    if rnd.random() < 0.6:
        a, b = sorted(rnd.sample(years, 2))
        ys = tuple(range(a, b + 1)) if rnd.random() < 0.5 else (a,)
    return MetricQuery(venue=rnd.choice([None, *venues]), years=ys, tier=rnd.choice(["accepted", "spotlight", "oral"]),
                       subfield=rnd.choice([None, None, "vision", "other", "llm", "diffusion"]),
                       sector=rnd.choice([None, None, "academia", "industry"]),
                       attribution=rnd.choice(["location", "hq"]), include_proxy=rnd.random() < 0.4)


def _decoded(u: dict, stages, by_stage=True):
    out = {"cluster": compute._dense_codes(u["cluster"]).tolist(), "year": np.asarray(u["year"]).tolist()}
    for s in stages:
        idx, labels = u[f"v_{s}"]
        out[s] = [None if i < 0 else labels[i] for i in idx.tolist()]
        out[f"b_{s}"] = u[f"b_{s}"].tolist()
        out[f"s_{s}"] = u[f"s_{s}"].tolist()
    return out


def test_labels_are_coded_in_python_string_order(syn):
    for kind in ("country", "institution", "sector", "parent"):
        got = [r[0] for r in syn.query("SELECT label FROM metric_labels WHERE kind = ? ORDER BY code", [kind])]
        assert got == sorted(got) and len(got) == len(set(got)) > 2


def test_fast_units_equal_the_sql_grouping(syn):
    rnd = random.Random(1)
    venues, years = ["nips", "iclr", "cvpr"], list(range(2015, 2023))
    for _ in range(60):
        q = random_query(rnd, venues, years)
        by = rnd.choice(["country", "institution", "sector", "parent"])
        stages = rnd.sample([s for s in STAGES if not (by == "sector" and s == "origin")], rnd.randint(1, 3))
        a, b = fast_units(syn, q, stages, by), reference_units(syn, q, stages, by)
        assert _decoded(a, stages) == _decoded(b, stages), (q, by, stages)


def test_held_rows_give_the_scanned_answers(syn, regime):
    """The rows held in memory (a server's) give every metric exactly the answers of the SQL scan."""
    rnd_q = random.Random(7)
    venues, years = ["nips", "iclr", "cvpr"], list(range(2015, 2023))
    queries = [(random_query(rnd_q, venues, years), rnd_q.random()) for _ in range(10)]
    scanned = [_all_metrics(syn, q, random.Random(x)) for q, x in queries]
    assert rowstore.hold(syn) is not None and rowstore.held(syn.cursor()) is rowstore.held(syn)
    try:
        held = [_all_metrics(syn.cursor(), q, random.Random(x)) for q, x in queries]
        for q in [q for q, _ in queries] + [MetricQuery(venue="acl"), MetricQuery(subfield="robotics")]:
            by = rnd_q.choice(["country", "institution"])
            assert _decoded(fast_units(syn, q, ["work", "origin"], by), ["work", "origin"]) == \
                _decoded(reference_units(syn, q, ["work", "origin"], by), ["work", "origin"])
    finally:
        rowstore.release(syn)
    for (q, _), a, b in zip(queries, held, scanned):
        assert a == b and [list(r) for x in a for r in x] == [list(r) for x in b for r in x], q


def test_a_scan_out_of_order_is_sorted_back(syn):
    q = MetricQuery(venue="nips")
    want = _decoded(fast_units(syn, q, ["current", "work"]), ["current", "work"])
    syn.execute("CREATE TABLE keep_rows AS SELECT * FROM metric_rows")
    try:
        syn.execute("CREATE OR REPLACE TABLE metric_rows AS SELECT * FROM keep_rows ORDER BY hash(seq)")
        assert _decoded(fast_units(syn, q, ["current", "work"]), ["current", "work"]) == want
        rowstore.hold(syn)  # held rows are put back in seq order too
        assert _decoded(fast_units(syn, q, ["current", "work"]), ["current", "work"]) == want
    finally:
        rowstore.release(syn)
        syn.execute("CREATE OR REPLACE TABLE metric_rows AS SELECT * FROM keep_rows ORDER BY seq")
        syn.execute("DROP TABLE keep_rows")


def _all_metrics(e, q: MetricQuery, rnd: random.Random, n_boot: int = 120, seed: int = 3) -> list:
    stage = rnd.choice(STAGES)
    by = rnd.choice(["country", "country", "institution"] + (["sector"] if stage != "origin" else []))
    y = q.year_list()
    one = dataclasses.replace(q, year=(y or [2020])[0], years=None)
    frm, to = rnd.choice([("origin", "work"), ("graduate", "work"), ("origin", "graduate"), ("graduate", "current")])
    country = rnd.choice([None, *COUNTRIES[:4]])
    return [compute.shares(e, q, stage, by, n_boot=n_boot, seed=seed),
            compute.shares(e, q, stage, "institution", n_boot=n_boot, seed=seed, limit=rnd.choice([None, 3])),
            compute.flows(e, q, frm, to, n_boot=n_boot, seed=seed),
            compute.retention(e, q, country, frm, to, n_boot=n_boot, seed=seed),
            compute.trend(e, q, stage, country, n_boot=n_boot, seed=seed),
            compute.cohort(e, one, rnd.choice([None, "US"]), rnd.choice([None, "CN"]), n_boot=n_boot, seed=seed),
            compute.institutions(e, q, stage, 5, n_boot=n_boot, seed=seed),
            compute.institutions(e, q, stage, 5, n_boot=n_boot, seed=seed, rollup="parent")]


def test_every_metric_equals_its_reference(syn, regime, monkeypatch):
    rnd_q = random.Random(2)
    venues, years = ["nips", "iclr", "cvpr"], list(range(2015, 2023))
    queries = [(random_query(rnd_q, venues, years), rnd_q.random()) for _ in range(12)]
    fast = [_all_metrics(syn, q, random.Random(s)) for q, s in queries]
    reference_mode(monkeypatch)
    ref = [_all_metrics(syn, q, random.Random(s)) for q, s in queries]
    assert any(r for got in ref for r in got)
    for (q, _), a, b in zip(queries, fast, ref):
        assert a == b, q
        assert [list(r) for x in a for r in x] == [list(r) for x in b for r in x]  # same keys in the same order


@pytest.mark.parametrize("large,held", [(False, False), (True, False), (True, True)])
def test_stored_trend_years_equal_the_live_trend(syn, monkeypatch, large, held):
    from talentflow.settings import Settings

    monkeypatch.setattr(bootstrap, "DIRECT_MAX", 60)  # years of every regime are mixed
    monkeypatch.setattr(bootstrap, "NORMAL_ABOVE", 200)
    s = Settings(n_boot=150, seed=5, min_cell=0)
    stats = cube.build_trend(syn, s, min_clusters=0, large=large)
    assert stats["metric_trend_scopes"] > 20
    # large=False: the years above DIRECT_MAX are live; large=True: stored, for every country's trend only
    assert syn.scalar("SELECT count(*) FROM metric_trend_years WHERE NOT stored") > 0 or large
    assert syn.scalar("SELECT count(*) FROM metric_trend_years WHERE stored AND NOT per_country") > 0 or not large
    assert syn.scalar("SELECT count(*) FROM metric_trend_years WHERE stored AND NOT include_proxy") > 0
    if held:  # the server's copies in memory answer as the tables do, without asking the database
        monkeypatch.setitem(syn.shared, rowstore.KEY, rowstore.RowStore(syn))
        monkeypatch.setitem(syn.shared, cube.TREND_KEY, cube.TrendStore(syn))
        monkeypatch.setattr(syn, "table_exists", lambda name: pytest.fail(f"held, yet asked for {name}"))
    scopes = syn.query("SELECT DISTINCT venue, tier, subfield, sector FROM metric_trend_years ORDER BY ALL")
    rnd = random.Random(4)
    live, stored_shares = cube.trend_rows, cube.share_rows
    for v, t, sf, sec in rnd.sample(scopes, 25):
        ys = None if rnd.random() < 0.5 else tuple(range(rnd.choice([2015, 2018, 2020]), 2023))
        q = MetricQuery(venue=v or None, tier=t, subfield=sf or None, sector=sec or None, years=ys,
                        attribution=rnd.choice(["location", "hq"]), include_proxy=rnd.random() < 0.5)
        for stage in rnd.sample(STAGES, 2):
            for country in (None, "US", "LU", "KR"):
                got = compute.trend(syn, q, stage, country, n_boot=150, seed=5)
                assert cube.stored_years(syn, q, stage, 150, 5, 0) is not None
                monkeypatch.setattr(cube, "trend_rows", lambda *a, **k: None)
                want = compute.trend(syn, q, stage, country, n_boot=150, seed=5)
                monkeypatch.setattr(cube, "trend_rows", live)
                assert got == want and [list(r) for r in got] == [list(r) for r in want], (q, stage, country)
    # a one-year `shares` by country of a stored scope is that year's stored rows
    n_read = 0
    for v, t, sf, sec in rnd.sample(scopes, 12):
        for y in rnd.sample(range(2015, 2023), 3):
            q = MetricQuery(venue=v or None, tier=t, subfield=sf or None, sector=sec or None, year=y,
                            attribution=rnd.choice(["location", "hq"]), include_proxy=rnd.random() < 0.5)
            stage = rnd.choice(STAGES)
            n_read += cube.share_rows(syn, q, stage, 150, 5, 0) is not None
            got = compute.shares(syn, q, stage, n_boot=150, seed=5)
            monkeypatch.setattr(cube, "share_rows", lambda *a, **k: None)
            want = compute.shares(syn, q, stage, n_boot=150, seed=5)
            monkeypatch.setattr(cube, "share_rows", stored_shares)
            assert got == want and [list(r) for r in got] == [list(r) for r in want], (q, stage)
    assert n_read > 20
    # another n_boot, seed or min_cell is not what was stored: computed live
    assert cube.share_rows(syn, MetricQuery(year=2020), "work", 151, 5, 0) is None
    assert cube.stored_years(syn, MetricQuery(), "work", 151, 5, 0) is None
    assert cube.stored_years(syn, MetricQuery(), "work", 150, 5, 5) is None


def test_retention_rows_with_equal_bases_are_in_country_order(syn):
    rows = compute.retention(syn, MetricQuery(), None, "graduate", "work", n_boot=50, seed=1)
    keys = [(-r["n"], r["country"]) for r in rows]
    assert keys == sorted(keys) and len({r["n"] for r in rows}) < len(rows)


# ---- the bootstrap's shortcuts against its definition ----------------------------------------------------------

def test_cluster_weights_and_products_equal_the_definition():
    rng = np.random.default_rng(0)
    for n, b in [(1, 1), (2, 5), (7, 1000), (999, 33), (4097, 16), (8000, 3)]:
        assert np.array_equal(bootstrap.cluster_weights(n, b, 9), bootstrap.reference_cluster_weights(n, b, 9))
    for trial in range(40):
        units = int(rng.integers(1, 6000))
        n_cl = int(rng.integers(1, min(units, 7999) + 1))
        cl = rng.integers(0, n_cl, units) * 3 + 11  # codes need not be dense
        ks = [int(rng.integers(1, 400)) for _ in range(int(rng.integers(1, 5)))]
        cats = [np.where(rng.random(units) < rng.random(), -1, rng.zipf(1.5, units) % k) for k in ks]
        if len(cats) > 1:
            cats[-1], ks[-1] = cats[0].copy(), ks[0]  # a repeated coding is answered once
        n_boot = int(rng.choice([1, 9, 500]))
        got = bootstrap.boot_counts_many(cl, cats, ks, n_boot, 4)
        want = bootstrap.reference_boot_counts_many(cl, cats, ks, n_boot, 4)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and np.array_equal(g, w), trial


@pytest.mark.parametrize("normal", [False, True])
def test_profile_and_normal_draws_equal_their_definition(normal):
    """Bincount hashing and profile counts, the per-category sum of a sparse profile product: bit for bit the
    np.add.at and dense-product definition (which the normal regime's covariance product still is)."""
    rng = np.random.default_rng(6)
    for trial in range(25):
        units = int(rng.integers(1, 20000))
        cl = np.unique(rng.integers(0, int(rng.integers(1, units + 1)), units), return_inverse=True)[1]
        k = int(rng.choice([1, 3, 60, 250, 900]))
        cat = np.where(rng.random(units) < 0.3, k, rng.zipf(1.3, units) % k)
        n_cl, n_boot = int(cl.max()) + 1, int(rng.choice([1, 10, 120]))
        args = (cl, n_cl, cat, k, n_boot, 7)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(bootstrap, "NORMAL_ABOVE", 0 if normal else 10**9)
            got, want = bootstrap._profile_or_normal(*args), bootstrap.reference_profile_or_normal(*args)
        assert got.dtype == want.dtype and np.array_equal(got, want), trial


def test_cluster_hash_equals_add_at():
    rng = np.random.default_rng(8)
    for trial in range(30):
        n = int(rng.integers(1, 5000))
        cl = rng.integers(0, int(rng.integers(1, n + 1)), n)
        values = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)
        want = np.zeros(int(cl.max()) + 1, dtype=np.uint64)
        np.add.at(want, cl, values)
        for bits in (16, 32, None):
            assert np.array_equal(bootstrap._cluster_hash(cl, values, len(want), bits), want), (trial, bits)


def test_dense_cluster_codes_equal_unique():
    rng = np.random.default_rng(1)
    for size in (1, 10, 5000):
        for high in (3, 10**4, 10**9):
            x = rng.integers(0, high, size)
            got, n = bootstrap._dense(x)
            want = np.unique(x, return_inverse=True)[1]
            assert np.array_equal(got, want) and n == len(np.unique(x))


def _nanquantile_intervals(counts, boot, level=0.95):
    """share_intervals before it skipped nanquantile's per-column loop (verbatim)."""
    inc = boot[:, :-1].astype(float)
    tot = inc.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        sh = np.where(tot > 0, inc / np.where(tot > 0, tot, 1), np.nan)
    n = counts.sum()
    est = counts / n if n else np.zeros_like(counts, dtype=float)
    a = (1 - level) / 2
    if not len(sh) or np.all(np.isnan(sh)):
        return est.copy(), est.copy()
    lo = np.nanquantile(sh, a, axis=0)
    hi = np.nanquantile(sh, 1 - a, axis=0)
    return np.minimum(lo, est), np.maximum(hi, est)


def test_share_intervals_equal_nanquantile():
    rng = np.random.default_rng(2)
    for trial in range(300):
        b, k = int(rng.choice([1, 2, 10, 1000])), int(rng.integers(1, 30))
        boot = rng.integers(0, int(rng.choice([2, 5, 50])), (b, k + 1)).astype(np.float32)
        counts = rng.integers(0, 50, k)
        for got, want in zip(bootstrap.share_intervals(counts, boot), _nanquantile_intervals(counts, boot)):
            assert np.array_equal(got, want, equal_nan=True), trial


def test_quantile_of_the_rows_with_a_denominator_equals_nanquantile():
    rng = np.random.default_rng(5)
    for trial in range(600):
        b, k = int(rng.choice([1, 2, 5, 40, 1000])), int(rng.integers(1, 40))
        dt = rng.choice([np.float32, np.float64])  # direct draws are float32, the others float64
        x = rng.integers(0, int(rng.choice([2, 5, 50])), (b, k)).astype(dt) / dt(rng.integers(1, 60))
        ok = rng.random(b) >= rng.choice([0, 0.1, 0.5, 0.99])
        ok[rng.integers(b)] = True  # (a flow row or share without any denominator is not bootstrapped)
        x[~ok] = np.nan
        for q in (0.025, 0.975):
            with np.errstate(all="ignore"):
                want = np.nanquantile(x, q, axis=0)
            got = bootstrap.nan_row_quantile(x, q, ok)
            assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True), trial


def _encode_before(values, mask, min_cell, limit):
    """compute._encode before the name lookup became a dict (verbatim)."""
    if isinstance(values, tuple):
        idx, labels = values
        idx = np.where(mask, idx, -1)
    else:
        labels, inv = np.unique(values[mask].astype(str), return_inverse=True) if mask.any() else (np.array([]), None)
        idx = np.full(len(values), -1, dtype=np.int64)
        if inv is not None:
            idx[mask] = inv
    cnt = np.bincount(idx[idx >= 0], minlength=len(labels))
    keep = np.flatnonzero(cnt > 0)
    order = keep[np.lexsort((np.asarray(labels, dtype=str)[keep], -cnt[keep]))] if len(keep) else keep
    names = []
    remap = np.full(len(labels), -1, dtype=np.int64)
    for rank, i in enumerate(order):
        if cnt[i] < min_cell:
            key = compute.SUPPRESSED
        elif limit is not None and rank >= limit:
            key = compute.OTHER
        else:
            key = str(labels[i])
        if key not in names:
            names.append(key)
        remap[i] = names.index(key)
    codes = np.where(idx >= 0, remap[np.maximum(idx, 0)], -1) if len(labels) else np.full(len(idx), -1)
    return codes.astype(np.int64), names


def test_encode_equals_its_former_self():
    rng = np.random.default_rng(3)
    labels = np.array(["US", "CN", "École", "Zürich", "ab", "a", "b", "GB"], dtype=object)
    for trial in range(200):
        n = int(rng.integers(0, 300))
        idx = rng.integers(-1, len(labels), n)
        mask = rng.random(n) < 0.8
        args = (rng.choice([0, 2, 5]), rng.choice([None, 1, 3]))
        for values in ((idx, labels), np.where(idx >= 0, labels[np.maximum(idx, 0)], None)):
            got, want = compute._encode(values, mask, *args), _encode_before(values, mask, *args)
            assert np.array_equal(got[0], want[0]) and got[1] == want[1], trial


# ---- the real mirror --------------------------------------------------------------------------------------------

@pytest.mark.mirror
def test_mirror_random_queries_equal_the_reference(mirror_engine, mirror_settings, monkeypatch):
    """Random queries of every metric at the published n_boot and seed: the fast paths (coded units, stored
    trend years, …) give the reference computation's rows, key for key."""
    s = mirror_settings
    vy = mirror_engine.query("SELECT DISTINCT venue, year FROM metric_rows ORDER BY ALL")
    rnd = random.Random(11)
    queries = []
    for _ in range(8):
        v, y = rnd.choice(vy)
        ys = (y,) if rnd.random() < 0.5 else None
        queries.append((MetricQuery(venue=v if rnd.random() < 0.85 else None, years=ys,
                                    tier=rnd.choice(["accepted", "accepted", "oral"]),
                                    subfield=rnd.choice([None, None, "vision", "llm"]),
                                    sector=rnd.choice([None, None, "industry"]),
                                    attribution=rnd.choice(["location", "hq"]), include_proxy=rnd.random() < 0.3),
                        rnd.random()))
    queries.append((MetricQuery(venue="nips"), 0.5))  # a stored trend scope
    fast = [_all_metrics(mirror_engine, q, random.Random(x), s.n_boot, s.seed) for q, x in queries]
    reference_mode(monkeypatch)
    ref = [_all_metrics(mirror_engine, q, random.Random(x), s.n_boot, s.seed) for q, x in queries]
    for (q, _), a, b in zip(queries, fast, ref):
        assert a == b, q.describe()
    assert sum(len(x) for got in ref for x in got) > 500


@pytest.mark.mirror
def test_mirror_held_rows_and_stored_years_equal_the_reference(mirror_engine, mirror_settings, monkeypatch):
    """The server's path (rows held in memory, stored trend years of every regime, one-year shares read back)
    against the definition on the populations that take each way: a stored year above DIRECT_MAX, an all-venue
    trend with and without a country, a profile-regime population by institution, normal-regime flows."""
    s = mirror_settings
    nb = dict(n_boot=s.n_boot, seed=s.seed)
    big = mirror_engine.scalar("""SELECT max(year) FROM metric_trend_years WHERE venue = '' AND tier = 'accepted'
                                  AND subfield = '' AND sector = '' AND stored AND NOT per_country""")
    assert big is not None  # the mirror has all-venue years bootstrapped by profile
    calls = [lambda e: compute.shares(e, MetricQuery(year=big), "work", **nb),
             lambda e: compute.shares(e, MetricQuery(year=big, attribution="hq", include_proxy=True), "origin", **nb),
             lambda e: compute.trend(e, MetricQuery(years=tuple(range(big - 3, big + 1))), "current", None, **nb),
             lambda e: compute.trend(e, MetricQuery(years=tuple(range(big - 2, big + 1))), "work", "CN", **nb),
             lambda e: compute.shares(e, MetricQuery(subfield="theory_optimisation"), "work", "institution", **nb),
             lambda e: compute.shares(e, MetricQuery(venue="icra"), "current", **nb),
             lambda e: compute.flows(e, MetricQuery(attribution="hq"), "graduate", "work", **nb),
             lambda e: compute.institutions(e, MetricQuery(year=big), "work", 20, **nb),
             lambda e: compute.institutions(e, MetricQuery(year=big), "current", 20, rollup="parent", **nb),
             lambda e: compute.shares(e, MetricQuery(venue="nips", year=2024), "work", "institution", rollup="parent",
                                      **nb),
             lambda e: compute.cohort(e, MetricQuery(venue="nips", year=2021), "CN", "US", **nb)]
    assert rowstore.hold(mirror_engine) is not None
    try:
        fast = [c(mirror_engine.cursor()) for c in calls]
    finally:
        rowstore.release(mirror_engine)
    reference_mode(monkeypatch)
    ref = [c(mirror_engine) for c in calls]
    for i, (a, b) in enumerate(zip(fast, ref)):
        assert a and a == b and [list(r) for r in a] == [list(r) for r in b], i
