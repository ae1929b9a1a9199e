"""Cluster bootstrap of category counts, vectorised with numpy (no Python loop over people).

Units (people) belong to clusters (papers); a replicate resamples clusters with replacement and every unit with
its cluster. Three exact-or-asymptotically-exact ways to draw the same thing, chosen by the number of clusters C:

- C ≤ DIRECT_MAX: draw the cluster indices of every replicate (B × C integers), count draws per cluster (W), and
  multiply by the cluster × category count matrix. W depends only on the seed and C, so several category codings
  of the same units (stages, proxy variants, one country vs the rest) share it and agree exactly;
- C ≤ NORMAL_ABOVE: clusters are grouped by their profile (count per category), and one multinomial draw over
  profiles per replicate equals resampling clusters;
- above NORMAL_ABOVE (whole-mirror queries): replicate counts are drawn from their exact mean and covariance under
  cluster resampling (a sum of that many i.i.d. cluster draws is normal to high accuracy).
The excluded units (unknown, or proxy when proxies are not admitted) are the last column, so a replicate's
denominator varies as it should.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..limits import check_n_boot

_HASH_SEED = 0x7A1E  # fixed: profile hashing must not depend on the user's seed
DIRECT_MAX = 8_000
NORMAL_ABOVE = 20_000
SPARSE_FROM = 200  # categories from which a direct draw sums rows instead of multiplying a dense matrix


def _dense(cluster: np.ndarray) -> tuple[np.ndarray, int]:
    """Cluster codes renumbered 0..n-1 in their order (= np.unique's inverse; a bincount when codes are small
    non-negative integers, which is what the unit tables hand over)."""
    cluster = np.asarray(cluster)
    if not len(cluster):
        return np.zeros(0, dtype=np.int64), 0
    if cluster.dtype.kind in "iu" and cluster.min() >= 0 and cluster.max() < 4 * len(cluster):
        seen = np.zeros(int(cluster.max()) + 1, dtype=bool)
        seen[cluster] = True
        rank = np.cumsum(seen) - 1
        return rank[cluster].astype(np.int64), int(rank[-1]) + 1
    _, cl = np.unique(cluster, return_inverse=True)
    return cl, int(cl.max()) + 1


def reference_cluster_weights(n_cl: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_cl) how many times each cluster is drawn in each replicate: the definition."""
    rng = np.random.default_rng(seed)
    it = np.int32 if n_boot * n_cl < 2**31 else np.int64  # int32 draws are ~3x faster
    idx = rng.integers(0, n_cl, size=(n_boot, n_cl), dtype=it)
    idx += (np.arange(n_boot, dtype=it) * n_cl)[:, None]
    return np.bincount(idx.ravel(), minlength=n_boot * n_cl).reshape(n_boot, n_cl).astype(np.float32)


@lru_cache(maxsize=2)  # the stages and proxy variants of one population reuse the same draw
def cluster_weights(n_cl: int, n_boot: int, seed: int) -> np.ndarray:
    """reference_cluster_weights, the same draws counted a block of replicates at a time (a block's counters
    stay in cache: twice as fast as one bincount over the whole matrix). Read-only: cached. The matrix is
    n_boot × n_cl: n_boot is checked here too, for callers that come straight to it."""
    check_n_boot(n_boot)
    rng = np.random.default_rng(seed)
    it = np.int32 if n_boot * n_cl < 2**31 else np.int64
    idx = rng.integers(0, n_cl, size=(n_boot, n_cl), dtype=it)
    # float32 is exact for these integer counts (all far below 2**24) and halves the matrix product's cost
    w = np.empty((n_boot, n_cl), dtype=np.float32)
    rows = max(1, min(n_boot, 65536 // max(n_cl, 1)))
    off = (np.arange(rows, dtype=it) * n_cl)[:, None]
    for s in range(0, n_boot, rows):
        e = min(n_boot, s + rows)
        w[s:e] = np.bincount((idx[s:e] + off[:e - s]).ravel(), minlength=(e - s) * n_cl).reshape(e - s, n_cl)
    w.flags.writeable = False
    return w


def _matrix(cl: np.ndarray, cat: np.ndarray, n_cl: int, n_cat: int) -> np.ndarray:
    k = n_cat + 1
    return np.bincount(cl * k + cat, minlength=n_cl * k).reshape(n_cl, k).astype(np.float32)


def _cats(cat: np.ndarray, n_cat: int) -> np.ndarray:
    return np.where(cat < 0, n_cat, cat).astype(np.int64)


def boot_counts(cluster: np.ndarray, cat: np.ndarray, n_cat: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_cat + 1) resampled counts per category (category -1 → the last column)."""
    return boot_counts_many(cluster, [cat], [n_cat], n_boot, seed)[0]


def boot_counts_many(cluster: np.ndarray, cats: list[np.ndarray], n_cats: list[int], n_boot: int,
                     seed: int) -> list[np.ndarray]:
    """boot_counts for several category codings of the same units, sharing the resampling. n_boot 0: no
    replicates; a negative or huge n_boot is refused (limits.N_BOOT_MAX) before anything is allocated."""
    n_boot = check_n_boot(n_boot, allow_zero=True)
    cl, n_cl = _dense(cluster)
    if n_cl == 0 or n_boot == 0:
        return [np.zeros((n_boot, k + 1)) for k in n_cats]
    cats = [_cats(c, k) for c, k in zip(cats, n_cats)]
    if n_cl <= DIRECT_MAX:
        w = cluster_weights(n_cl, n_boot, seed)
        out: list = [None] * len(cats)
        same = {}  # a coding equal to an earlier one (a proxy choice where there are no proxies) reuses it
        for i in range(len(cats)):
            same[i] = next((j for j in range(i) if same[j] == j and n_cats[j] == n_cats[i]
                            and np.array_equal(cats[j], cats[i])), i)
        dense = [i for i in range(len(cats)) if same[i] == i and n_cats[i] < SPARSE_FROM]
        if dense:  # one product for every coding: the draw matrix is read once (exact: integer sums)
            both = w @ np.hstack([_matrix(cl, cats[i], n_cl, n_cats[i]) for i in dense])
            ends = np.cumsum([n_cats[i] + 1 for i in dense])
            for i, e in zip(dense, ends.tolist()):
                out[i] = np.ascontiguousarray(both[:, e - n_cats[i] - 1:e])
        sparse = [i for i in range(len(cats)) if same[i] == i and n_cats[i] >= SPARSE_FROM]
        for i, b in zip(sparse, _sparse_products(w, cl, [cats[i] for i in sparse], [n_cats[i] for i in sparse],
                                                 n_cl, seed)):
            out[i] = b
        return [out[same[i]] for i in range(len(cats))]
    return [_profile_or_normal(cl, n_cl, c, k, n_boot, seed) for c, k in zip(cats, n_cats)]


def reference_boot_counts_many(cluster: np.ndarray, cats: list[np.ndarray], n_cats: list[int], n_boot: int,
                               seed: int) -> list[np.ndarray]:
    """boot_counts_many as defined: one dense product per coding on reference_cluster_weights."""
    cl, n_cl = _dense(cluster)
    if n_cl == 0 or n_boot <= 0:
        return [np.zeros((max(n_boot, 0), k + 1)) for k in n_cats]
    cats = [_cats(c, k) for c, k in zip(cats, n_cats)]
    if n_cl <= DIRECT_MAX:
        w = reference_cluster_weights(n_cl, n_boot, seed)
        return [w @ _matrix(cl, c, n_cl, k) for c, k in zip(cats, n_cats)]
    return [reference_profile_or_normal(cl, n_cl, c, k, n_boot, seed) for c, k in zip(cats, n_cats)]


def reference_profile_or_normal(cl, n_cl, cat, n_cat, n_boot, seed) -> np.ndarray:
    """_profile_or_normal as first written (np.add.at, dense products): the definition it is tested against."""
    salt = np.random.default_rng(_HASH_SEED).integers(1, 2**63 - 1, size=n_cat + 1, dtype=np.uint64)
    h = np.zeros(n_cl, dtype=np.uint64)
    np.add.at(h, cl, salt[cat])
    _, first, prof = np.unique(h, return_index=True, return_inverse=True)
    freq = np.bincount(prof, minlength=len(first))
    is_rep = np.zeros(n_cl, dtype=bool)
    is_rep[first] = True
    m = is_rep[cl]
    profiles = np.zeros((len(first), n_cat + 1), dtype=np.float64)
    np.add.at(profiles, (prof[cl[m]], cat[m]), 1.0)
    rng = np.random.default_rng(seed)
    if n_cl > NORMAL_ABOVE:
        mean = freq @ profiles
        mu = mean / n_cl
        cov = n_cl * ((profiles.T * (freq / n_cl)) @ profiles - np.outer(mu, mu))
        z = rng.standard_normal((n_boot, len(mean)))
        try:
            factor = np.linalg.cholesky(cov + np.eye(len(mean)) * 1e-9 * max(1.0, float(np.trace(cov))))
        except np.linalg.LinAlgError:
            ev, vec = np.linalg.eigh(cov)
            factor = vec * np.sqrt(np.clip(ev, 0, None))
        return np.clip(mean + z @ factor.T, 0, None)
    w = rng.multinomial(n_cl, freq / n_cl, size=n_boot).astype(np.float64)
    return w @ profiles


@lru_cache(maxsize=2)
def _weights_by_cluster(n_cl: int, n_boot: int, seed: int) -> np.ndarray:
    """cluster_weights transposed, (n_cl, n_boot) C-ordered: one cluster's draws are one contiguous row."""
    t = np.ascontiguousarray(cluster_weights(n_cl, n_boot, seed).T)
    t.flags.writeable = False
    return t


def _sparse_products(w: np.ndarray, cl: np.ndarray, cats: list[np.ndarray], n_cats: list[int], n_cl: int,
                     seed: int) -> list[np.ndarray]:
    """[w @ _matrix(cl, cat, ...) for each coding] without the matrices, for many categories in all: a
    category's column is the sum of the draw rows of its units' clusters (a loop over categories, never over
    people); the excluded units are one matrix-vector product per coding. The same numbers: float32 sums of
    integers this small are exact in any order."""
    n_boot = w.shape[0]
    wt = None
    out = []
    for cat, n_cat in zip(cats, n_cats):
        res = np.zeros((n_cat + 1, n_boot), dtype=np.float32)
        res[n_cat] = w @ np.bincount(cl[cat == n_cat], minlength=n_cl).astype(np.float32)
        inc = np.flatnonzero(cat < n_cat)
        if len(inc):
            wt = _weights_by_cluster(n_cl, n_boot, seed) if wt is None else wt
            inc = inc[np.argsort(cat[inc], kind="stable")]
            k = cat[inc]
            bounds = np.flatnonzero(np.r_[True, k[1:] != k[:-1], True])
            rows = cl[inc]
            for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
                res[k[a]] = wt[rows[a]] if b - a == 1 else np.take(wt, rows[a:b], axis=0).sum(axis=0)
        out.append(np.ascontiguousarray(res.T))
    return out


def _cluster_hash(cl: np.ndarray, values: np.ndarray, n_cl: int, bits: int | None = None) -> np.ndarray:
    """Per cluster, the sum modulo 2**64 of its units' uint64 values (what np.add.at into uint64 gives), as limb
    sums: a float64 bincount of b-bit numbers is exact while a cluster has fewer than 2**(53 - b) units, and the
    limbs' shifted sum wraps like the uint64 sum. 32-bit limbs (two passes) unless a cluster is that large."""
    bits = bits or (32 if len(cl) < 2**21 else 16)
    mask = np.uint64(2**bits - 1)
    h = np.zeros(n_cl, dtype=np.uint64)
    for k in range(64 // bits):
        limb = ((values >> np.uint64(bits * k)) & mask).astype(np.float64)
        h += np.bincount(cl, weights=limb, minlength=n_cl).astype(np.uint64) << np.uint64(bits * k)
    return h


def _profile_matrix(prof_of_unit: np.ndarray, cat: np.ndarray, n_prof: int, k: int) -> np.ndarray:
    """(n_prof, k) float64 count of each category per profile (= np.add.at of ones; only nonzero cells written)."""
    out = np.zeros((n_prof, k), dtype=np.float64)
    cells, cnt = np.unique(prof_of_unit.astype(np.int64) * k + cat, return_counts=True)
    out.ravel()[cells] = cnt
    return out


def _sparse_rows_product(w: np.ndarray, profiles: np.ndarray) -> np.ndarray:
    """w @ profiles for a sparse profile matrix: each category's column sums the draw columns of the profiles
    holding it, times their count. float64 sums of integers below 2**53 are exact in any order: the same numbers
    as the dense product."""
    k_idx, p_idx = np.nonzero(profiles.T)  # by category, then profile
    vals = profiles[p_idx, k_idx]
    wt = np.ascontiguousarray(w.T)
    out = np.zeros((profiles.shape[1], w.shape[0]), dtype=np.float64)
    bounds = np.flatnonzero(np.r_[True, k_idx[1:] != k_idx[:-1], True]) if len(k_idx) else np.zeros(1, int)
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):  # loops over categories, never over people
        rows, v = p_idx[a:b], vals[a:b]
        if (v == 1).all():
            out[k_idx[a]] = wt[rows[0]] if b - a == 1 else np.take(wt, rows, axis=0).sum(axis=0)
        else:
            out[k_idx[a]] = (np.take(wt, rows, axis=0) * v[:, None]).sum(axis=0)
    return np.ascontiguousarray(out.T)


def _profile_or_normal(cl, n_cl, cat, n_cat, n_boot, seed) -> np.ndarray:
    salt = np.random.default_rng(_HASH_SEED).integers(1, 2**63 - 1, size=n_cat + 1, dtype=np.uint64)
    h = _cluster_hash(cl, salt[cat], n_cl)  # multiset hash of each cluster's categories (wraps mod 2**64)
    _, first, prof = np.unique(h, return_index=True, return_inverse=True)
    freq = np.bincount(prof, minlength=len(first))
    is_rep = np.zeros(n_cl, dtype=bool)
    is_rep[first] = True
    m = is_rep[cl]
    profiles = _profile_matrix(prof[cl[m]], cat[m], len(first), n_cat + 1)
    rng = np.random.default_rng(seed)
    if n_cl > NORMAL_ABOVE:
        mean = np.asarray(freq, dtype=np.float64) @ profiles  # = the observed counts (exact integer sums)
        mu = mean / n_cl
        cov = n_cl * ((profiles.T * (freq / n_cl)) @ profiles - np.outer(mu, mu))
        z = rng.standard_normal((n_boot, len(mean)))
        try:  # Cholesky is several times faster than eigh on ~200 categories; jitter keeps it positive definite
            factor = np.linalg.cholesky(cov + np.eye(len(mean)) * 1e-9 * max(1.0, float(np.trace(cov))))
        except np.linalg.LinAlgError:
            ev, vec = np.linalg.eigh(cov)
            factor = vec * np.sqrt(np.clip(ev, 0, None))
        return np.clip(mean + z @ factor.T, 0, None)
    w = rng.multinomial(n_cl, freq / n_cl, size=n_boot).astype(np.float64)
    if n_cat + 1 >= SPARSE_FROM and np.count_nonzero(profiles) * 8 < profiles.size:
        return _sparse_rows_product(w, profiles)
    return w @ profiles


def nan_row_quantile(x: np.ndarray, q: float, ok: np.ndarray) -> np.ndarray:
    """np.nanquantile(x, q, axis=0) where the NaNs of x are whole rows (the replicates without a denominator; `ok`
    marks the others): the quantile of the other rows, which is what nanquantile computes column by column in
    Python — the same numbers and dtype (tests)."""
    if ok.all():
        return np.quantile(x, q, axis=0)
    return np.quantile(x[ok], q, axis=0) if ok.any() else np.nanquantile(x, q, axis=0)


def share_intervals(counts: np.ndarray, boot: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals of shares among the included categories (all columns but the last). An interval is
    widened to contain the point estimate in the degenerate cases where the percentiles miss it."""
    inc = boot[:, :-1].astype(float)
    tot = inc.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        sh = np.where(tot > 0, inc / np.where(tot > 0, tot, 1), np.nan)
    n = counts.sum()
    est = counts / n if n else np.zeros_like(counts, dtype=float)
    a = (1 - level) / 2
    if not len(sh) or np.all(np.isnan(sh)):
        return est.copy(), est.copy()
    if np.isnan(sh).any():  # whole replicates without a denominator (tot = 0)
        ok = tot[:, 0] > 0
        lo = nan_row_quantile(sh, a, ok)
        hi = nan_row_quantile(sh, 1 - a, ok)
    else:  # the same numbers: nanquantile loops over columns in Python; quantile sorts them all at once
        lo, hi = np.quantile(sh, [a, 1 - a], axis=0)
    return np.minimum(lo, est), np.maximum(hi, est)
