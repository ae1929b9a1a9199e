"""An audit of published rows that shares no code with report/cells.py: the true underlying counts (atoms: the
cells of a flow matrix, the people of unknown stage, …) are known to the test; every number a table publishes
is written as a linear function of them; a hidden count of 1..k-1 must not lie in the span of what is published
and of the relations anyone knows (checked with numpy's SVD)."""

from __future__ import annotations

import numpy as np


def span_contains(rows: list[np.ndarray], target: np.ndarray) -> bool:
    if not rows:
        return not target.any()
    m = np.array(rows, dtype=float)
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    v = vt[s > 1e-9 * max(1.0, s.max())]
    return bool(np.linalg.norm(target - v.T @ (v @ target)) < 1e-6)


class Audit:
    def __init__(self, truth, k: int):
        self.x = np.asarray(truth, dtype=float)
        self.k = k
        self.rows: list[np.ndarray] = []

    def unit(self, *atoms: int) -> np.ndarray:
        v = np.zeros(len(self.x))
        for a in atoms:
            v[a] += 1
        return v

    def known(self, vec: np.ndarray) -> None:
        """A relation everyone knows (vec · atoms = 0), e.g. n_observed = paper + profile + other."""
        self.rows.append(vec)

    def shown(self, vec: np.ndarray, value, what="") -> None:
        """A published number: it must be right, and not a count of 1..k-1 (a published zero total says each of
        its parts is zero)."""
        if value is None:
            return
        true = float(vec @ self.x)
        assert value == true, f"{what}: published {value}, true {true}"
        if (vec >= 0).all():
            assert not 0 < value < self.k, f"{what}={value} published below k={self.k}"
            if value == 0:
                self.rows += [self.unit(a) for a in np.flatnonzero(vec)]
        self.rows.append(vec)

    def ratio(self, num: np.ndarray, den: np.ndarray, num_value, den_value, share) -> None:
        """share = num / den: with one of them published, the other follows."""
        if share is None:
            return
        if num_value is not None:
            self.rows.append(den)
        if den_value is not None:
            self.rows.append(num)

    def check(self, targets: dict) -> None:
        """No target count of 1..k-1 (name → vec) can be computed from what is published."""
        for name, vec in targets.items():
            v = float(vec @ self.x)
            if 0 < v < self.k:
                assert not span_contains(self.rows, vec), f"{name}={v:g} can be recovered from the published numbers"
