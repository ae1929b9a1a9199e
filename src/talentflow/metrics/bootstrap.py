"""Cluster bootstrap of category shares, vectorised with numpy.

Units (people) belong to clusters (papers). Resampling clusters with replacement is exactly equivalent to drawing,
for every distinct cluster *profile* (its count of units per category), how many times it is drawn: a multinomial
over profiles. Papers share few profiles, so this is fast even for hundreds of thousands of people, and no
Python loop runs over people. With `cluster=False` every unit is its own cluster (plain people bootstrap).

Above NORMAL_ABOVE clusters (whole-mirror queries) the replicate counts are drawn from their exact mean and
covariance under cluster resampling (a sum of that many i.i.d. cluster draws is normal to high accuracy) instead
of enumerating draws, which keeps a query on 600,000 people under a second.
"""

from __future__ import annotations

import numpy as np

_HASH_SEED = 0x7A1E  # fixed: profile hashing must not depend on the user's seed
NORMAL_ABOVE = 20_000


def boot_counts(cluster: np.ndarray, cat: np.ndarray, n_cat: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_cat + 1) resampled counts per category; category -1 (excluded units: unknown or proxy) is the
    last column so the denominators vary with the resample as they should."""
    cat = np.where(cat < 0, n_cat, cat).astype(np.int64)
    _, cl = np.unique(cluster, return_inverse=True)
    n_cl = int(cl.max()) + 1 if len(cl) else 0
    if n_cl == 0 or n_boot <= 0:
        return np.zeros((max(n_boot, 0), n_cat + 1), dtype=np.int64)
    salt = np.random.default_rng(_HASH_SEED).integers(1, 2**63 - 1, size=n_cat + 1, dtype=np.uint64)
    h = np.zeros(n_cl, dtype=np.uint64)
    np.add.at(h, cl, salt[cat])  # multiset hash of each cluster's categories (wraps mod 2**64)
    _, first, prof = np.unique(h, return_index=True, return_inverse=True)
    freq = np.bincount(prof, minlength=len(first))
    is_rep = np.zeros(n_cl, dtype=bool)
    is_rep[first] = True
    m = is_rep[cl]
    profiles = np.zeros((len(first), n_cat + 1), dtype=np.int64)
    np.add.at(profiles, (prof[cl[m]], cat[m]), 1)
    rng = np.random.default_rng(seed)
    if n_cl > NORMAL_ABOVE:
        prof = profiles.astype(float)
        mean = freq @ prof  # = the observed counts
        mu = mean / n_cl
        cov = n_cl * ((prof.T * (freq / n_cl)) @ prof - np.outer(mu, mu))
        draws = rng.multivariate_normal(mean, cov, size=n_boot, method="eigh", check_valid="ignore")
        return np.clip(draws, 0, None)
    w = rng.multinomial(n_cl, freq / n_cl, size=n_boot)
    return w @ profiles


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
    lo = np.nanquantile(sh, a, axis=0)
    hi = np.nanquantile(sh, 1 - a, axis=0)
    return np.minimum(lo, est), np.maximum(hi, est)
