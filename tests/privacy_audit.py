"""An audit of published rows that shares no code with report/cells.py: the true underlying counts (atoms: the
cells of a flow matrix, the people of unknown stage, …) are known to the test; every number a table publishes
is written as a linear function of them; a hidden count of 1..k-1 must not lie in the span of what is published
and of the relations anyone knows (checked with numpy's SVD)."""

from __future__ import annotations

import numpy as np

from talentflow.report.privacy import SUPPRESSED


def row_space(rows: list[np.ndarray], width: int) -> np.ndarray:
    """An orthonormal basis of the span of `rows`."""
    if not rows:
        return np.zeros((0, width))
    _, s, vt = np.linalg.svd(np.array(rows, dtype=float), full_matrices=False)
    return vt[s > 1e-9 * max(1.0, s.max())]


def in_span(basis: np.ndarray, target: np.ndarray) -> bool:
    return bool(np.linalg.norm(target - basis.T @ (basis @ target)) < 1e-6)


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
        basis = row_space(self.rows, len(self.x))
        for name, vec in targets.items():
            v = float(vec @ self.x)
            if 0 < v < self.k:
                assert not in_span(basis, vec), f"{name}={v:g} can be recovered from the published numbers"


def flow_coverage(f: np.ndarray, b: int, c: int, d: int, pf: int, pt: int) -> dict:
    both = int(f.sum())
    return {"n_people": both + b + c + d, "n_both_known": both, "n_from_unknown": b + d, "n_to_unknown": c + d,
            "n_from_profile": pf, "n_to_profile": pt}


class FlowAtoms:
    """Atoms of a flow table: the m×m cells, then b, c, d (origin / destination / both unknown), then people
    counted whose origin (destination) came from a career history and the rest: pf, rf, pt, rt."""

    def __init__(self, f, b, c, d, pf, pt, k):
        self.m = m = len(f)
        both = int(f.sum())
        self.audit = Audit(list(f.ravel()) + [b, c, d, pf, both - pf, pt, both - pt], k)
        self.b, self.c, self.d, self.pf, self.rf, self.pt, self.rt = range(m * m, m * m + 7)
        a = self.audit
        self.all = a.unit(*range(m * m))
        a.known(self.all - a.unit(self.pf, self.rf))
        a.known(self.all - a.unit(self.pt, self.rt))
        self.cov = {"n_people": self.all + a.unit(self.b, self.c, self.d), "n_both_known": self.all,
                    "n_from_unknown": a.unit(self.b, self.d), "n_to_unknown": a.unit(self.c, self.d),
                    "n_from_profile": a.unit(self.pf), "n_to_profile": a.unit(self.pt)}

    def cell(self, i, j):
        return self.audit.unit(i * self.m + j)

    def row(self, i, diag=True):
        return sum((self.cell(i, j) for j in range(self.m) if diag or j != i), self.audit.unit())

    def col(self, j, diag=True):
        return sum((self.cell(i, j) for i in range(self.m) if diag or i != j), self.audit.unit())

    def shown_coverage(self, r: dict) -> None:
        for c, vec in self.cov.items():
            self.audit.shown(vec, r.get(c), c)

    def targets(self) -> dict:
        t = {f"cell {i},{j}": self.cell(i, j) for i in range(self.m) for j in range(self.m)}
        a = self.audit
        t.update({f"row {i}": self.row(i) for i in range(self.m)})
        t.update({"b": a.unit(self.b), "c": a.unit(self.c), "d": a.unit(self.d), "rest of n_from_profile":
                  a.unit(self.rf), "rest of n_to_profile": a.unit(self.rt)})
        t.update(self.cov)
        return t


def retention_rows(f: np.ndarray, names: list[str], cov: dict) -> list[dict]:
    """What metrics.retention computes from a flow matrix (rows: from, columns: to)."""
    rows = []
    for i, c in enumerate(names):
        n, stay = int(f[i].sum()), int(f[i, i])
        inflow = int(f[:, i].sum() - stay)
        if n or inflow:
            rows.append({"country": c, "count": stay, "n": n, "share": stay / n if n else 0.0, "ci_low": 0.0,
                         "ci_high": 1.0, "outflow": n - stay, "inflow": inflow, "net": inflow - (n - stay), **cov})
    return rows


def check_retention(out: list[dict], fa: FlowAtoms, names: list[str], cells: bool = True) -> None:
    """Every number of published retention rows, against the flow matrix they come from (`cells`: no flow
    cell of 1..k-1 follows either)."""
    a = fa.audit
    for r in out:
        i = names.index(r["country"])
        q = {"count": fa.cell(i, i), "outflow": fa.row(i, diag=False), "n": fa.row(i),
             "inflow": fa.col(i, diag=False)}
        for col, vec in q.items():
            a.shown(vec, r[col], f"{r['country']} {col}")
        if r["net"] is not None:
            assert r["inflow"] is not None and r["outflow"] is not None, r  # else net gives the hidden one back
            a.shown(q["inflow"] - q["outflow"], r["net"], "net")
        a.ratio(q["count"], q["n"], r["count"], r["n"], r["share"])
        fa.shown_coverage(r)
    targets = {c: v for c, v in fa.targets().items() if cells or not c.startswith("cell ")}
    a.check({**targets, **{f"{c} inflow": fa.col(i, diag=False) for i, c in enumerate(names)},
             **{f"{c} outflow": fa.row(i, diag=False) for i, c in enumerate(names)}})


def check_flows(out: list[dict], fa: FlowAtoms, names: list[str], f: np.ndarray) -> None:
    """Every number of published flow rows (pooled links included), against the flow matrix."""
    a = fa.audit
    for r in out:
        i = names.index(r["from_country"])
        a.shown(fa.row(i), r["n"], f"{r['from_country']} n")
        fa.shown_coverage(r)
        if r["to_country"] == SUPPRESSED:
            visible = {x["to_country"] for x in out if x["from_country"] == r["from_country"]}
            pool = sum((fa.cell(i, j) for j in range(fa.m) if f[i, j] and names[j] not in visible), a.unit())
            a.shown(pool, r["count"], "pool")
            a.ratio(pool, fa.row(i), r["count"], r["n"], r["share"])
        else:
            j = names.index(r["to_country"])
            a.shown(fa.cell(i, j), r["count"], "cell")
            a.ratio(fa.cell(i, j), fa.row(i), r["count"], r["n"], r["share"])
    a.check(fa.targets())


def flow_matrix(rows: list[dict]) -> tuple[np.ndarray, list[str], tuple]:
    """The flow matrix, country names and (b, c, d, pf, pt) of unsuppressed metrics.flows rows."""
    names = sorted({r["from_country"] for r in rows} | {r["to_country"] for r in rows})
    f = np.zeros((len(names), len(names)), dtype=int)
    for r in rows:
        f[names.index(r["from_country"]), names.index(r["to_country"])] += r["count"]
    c0 = rows[0]
    d = c0["n_from_unknown"] + c0["n_to_unknown"] - (c0["n_people"] - c0["n_both_known"])
    return f, names, (c0["n_from_unknown"] - d, c0["n_to_unknown"] - d, d, c0["n_from_profile"], c0["n_to_profile"])
