"""The suppression solver behind `report.privacy`: the people counts of one table as sums of non-negative counts
("atoms"), the relations between them, and which counts must not be published at threshold k.

Rule (one for every table):

1. *Primary*: a count of 1..k-1 people is not published. A small total hides all of its parts as well (even a
   zero part would say where all of its few people are).
2. *Secondary*: within every published total, the hidden parts add up to 0 or at least k — otherwise the
   smallest visible part (by preference: coverage counts, then cells, then totals) is hidden too, until they do.
   A difference (`net`) is published only when both of its terms are.
3. *Audit*: no hidden count of 1..k-1 may be an exact linear combination of the published numbers and the
   relations an observer knows (Σ outflows = Σ inflows, …). Where one is, a published number the derivation
   used is withdrawn, and the rule runs again. Every step only hides more, so the loop ends.

The audit is exact and fast: an atom that occurs in one relation only makes that relation uninformative about
the rest, so such relations are peeled off first (the usual case: every margin of a one-way table has at least
two hidden parts); only what remains (cycles of hidden cells) is checked with dense linear algebra, per
connected component. Tables of thousands of cells take milliseconds.
"""

from __future__ import annotations

import heapq
from fractions import Fraction

import numpy as np

# Which published number to withdraw first when more must be hidden (smallest value within a rank).
COV_TOTAL, COV, CELL, TOTAL = 0, 1, 2, 3


class Cells:
    """Quantities are ids; each is a linear function of atoms (`vec`) with its value (`val`)."""

    def __init__(self) -> None:
        self.val: list[int] = []
        self.vec: list[dict[int, int]] = []
        self.pref: list[int] = []
        self.margins: list[tuple[int, list[int]]] = []
        self.diffs: dict[int, tuple[int, int]] = {}
        self.known: list[dict[int, int]] = []  # combinations of atoms an observer knows to be 0
        self.unshown: set[int] = set()  # never published (remainders, counts only an observer could derive)
        self.atom_q: dict[int, int] = {}  # atom → its quantity id
        self.made_of: dict[int, list[int]] = {}  # a total → the parts it was built from

    def _new(self, vec: dict[int, int], value, pref: int, shown: bool) -> int:
        self.vec.append(vec)
        self.val.append(int(value or 0))
        self.pref.append(pref)
        q = len(self.val) - 1
        if not shown:
            self.unshown.add(q)
        return q

    def atom(self, value, pref: int = CELL, shown: bool = True) -> int:
        a = len(self.atom_q)
        q = self._new({a: 1}, value, pref, shown)
        self.atom_q[a] = q
        return q

    def total(self, parts: list[int], pref: int = TOTAL, shown: bool = True) -> int:
        """The sum of disjoint parts, published as one number (a margin)."""
        vec: dict[int, int] = {}
        for p in parts:
            for a, c in self.vec[p].items():
                vec[a] = vec.get(a, 0) + c
        q = self._new({a: c for a, c in vec.items() if c}, sum(self.val[p] for p in parts), pref, shown)
        self.margins.append((q, list(parts)))
        self.made_of[q] = list(parts)
        return q

    def split(self, whole: int, parts: list[int]) -> None:
        """One more decomposition of an existing total (n = n_observed + n_proxy besides n = Σ cells); when the
        parts are counted apart (n_observed_paper, …), an observer knows the relation too."""
        self.margins.append((whole, list(parts)))
        self.equal([whole], parts)

    def diff(self, a: int, b: int) -> int:
        vec = dict(self.vec[a])
        for x, c in self.vec[b].items():
            vec[x] = vec.get(x, 0) - c
        q = self._new({x: c for x, c in vec.items() if c}, self.val[a] - self.val[b], CELL, True)
        self.diffs[q] = (a, b)
        return q

    def equal(self, a: list[int], b: list[int]) -> None:
        """An observer knows Σa = Σb (e.g. Σ outflows = Σ inflows)."""
        vec: dict[int, int] = {}
        for sign, qs in ((1, a), (-1, b)):
            for q in qs:
                for x, c in self.vec[q].items():
                    vec[x] = vec.get(x, 0) + sign * c
        vec = {x: c for x, c in vec.items() if c}
        if vec:  # (an identity of the atoms, e.g. a total and its own parts, adds nothing)
            self.known.append(vec)

    # -- solver ----------------------------------------------------------------------------------------------
    def small(self, q: int, k: int) -> bool:
        return q not in self.diffs and 0 < self.val[q] < k

    def solve(self, k: int) -> set[int]:
        """Quantity ids that must not be published at threshold k."""
        n = len(self.val)
        hidden = set(self.unshown) | {q for q in range(n) if self.small(q, k)}
        # small published counts, whose parts are hidden whatever they are (a remainder no one sees is not)
        closed = {q for q in hidden if self.small(q, k) and q not in self.unshown}
        changed = True
        while changed:
            changed = False
            for total, parts in self.margins:
                if total in closed:
                    for p in parts:
                        if p not in closed:
                            closed.add(p)
                            hidden.add(p)
                            changed = True
        while True:
            changed = self._secondary(hidden, k)
            if changed:
                continue
            bad = self.audit(hidden, k)
            if not bad:
                return hidden
            fixed = False
            for _, cands in bad:
                cands = [q for q in cands if q not in hidden]
                if cands:
                    hidden.add(min(cands, key=lambda q: (self.pref[q], abs(self.val[q]), q)))
                    fixed = True
            if not fixed:  # determined by what an observer knows anyway: publish nothing of this table
                return set(range(n))

    def _secondary(self, hidden: set[int], k: int) -> bool:
        changed = False
        for total, parts in self.margins:
            if total in hidden:
                continue
            while 0 < sum(self.val[p] for p in parts if p in hidden) < k:
                opts = [p for p in parts if p not in hidden and self.val[p] > 0] + [total]
                pick = min(opts, key=lambda q: (self.pref[q], self.val[q], q))
                hidden.add(pick)
                changed = True
                if pick == total:
                    break
        for q, (a, b) in self.diffs.items():
            if q not in hidden and (a in hidden or b in hidden):
                hidden.add(q)
                changed = True
        return changed

    def audit(self, hidden: set[int], k: int) -> list[tuple[int, set[int]]]:
        """Hidden counts of 1..k-1 that the published numbers and the known relations determine exactly, each
        with the published quantities its derivation used (withdrawing one of them breaks that derivation)."""
        targets = sorted(q for q in hidden if self.small(q, k))
        if not targets:
            return []
        shown = [q for q in range(len(self.val)) if q not in hidden]
        known = {a: q for a, q in self.atom_q.items() if q not in hidden}  # atom → the number publishing it
        for q in shown:  # a published zero total of counts: each of its parts is zero
            if self.val[q] == 0 and q not in self.diffs and all(c > 0 for c in self.vec[q].values()):
                for a in self.vec[q]:
                    known.setdefault(a, q)
        rels: list[dict[int, int]] = []
        srcs: list[list[int]] = []  # per relation: quantity ids publishing it, or ~i for known relation i
        index: dict[tuple, int] = {}
        for src, vec in [(q, self._reduced(q, hidden)) for q in shown] + [(~i, v) for i, v in enumerate(self.known)]:
            r = {a: c for a, c in vec.items() if a not in known}
            if not r:
                continue
            key = tuple(sorted(r.items()))
            if key[0][1] < 0:
                key = tuple((a, -c) for a, c in key)
            if key in index:
                srcs[index[key]].append(src)
            else:
                index[key] = len(rels)
                rels.append(r)
                srcs.append([src])
        core, order, pivot = _peel(rels)
        pidx = {a: i for i, a in enumerate(order)}
        core_atoms = {a for r in core for a in rels[r]}
        comps = _components(core, rels)
        pending: dict[frozenset, list] = {}  # component → targets left to check with linear algebra
        out = []
        for t in targets:
            vec = {a: Fraction(c) for a, c in self.vec[t].items() if a not in known}
            used: set[int] = set()
            heap = [pidx[a] for a in vec if a in pidx]
            heapq.heapify(heap)
            while heap:
                a = order[heapq.heappop(heap)]
                if a not in vec:
                    continue
                r = pivot[a]
                used.add(r)
                f = vec[a] / rels[r][a]
                for b, c in rels[r].items():
                    nv = vec.get(b, 0) - f * c
                    if nv:
                        if b not in vec and b in pidx:
                            heapq.heappush(heap, pidx[b])
                        vec[b] = nv
                    else:
                        vec.pop(b, None)
            if not vec:
                out.append((t, used))
            elif set(vec) <= core_atoms:  # else an atom no remaining relation constrains: free
                pending.setdefault(frozenset(r for a in vec for r in comps[a]), []).append((t, vec, used))
        for rs, items in pending.items():
            got = _in_span([rels[r] for r in sorted(rs)], [vec for _, vec, _ in items])
            out += [(t, used | rs) for (t, _, used), yes in zip(items, got) if yes]
        bad = []
        for t, used in sorted(out):
            cands: set[int] = set()
            for vec in [self.vec[t]] + [self.known[~q] if q < 0 else self.vec[q] for r in used for q in srcs[r]]:
                cands.update(known[a] for a in vec if a in known)
            cands.update(q for r in used for q in srcs[r] if q >= 0)
            bad.append((t, cands))
        return bad

    def _reduced(self, q: int, hidden: set[int]) -> dict[int, int]:
        """A published total minus its published parts (a row operation: parts are built before their totals,
        so the published numbers span the same space): the sum of its hidden parts. Keeps a hierarchy of
        totals (cells, rows, the whole table) from tying every hidden cell into one big system."""
        if q not in self.made_of:
            return self.vec[q]
        vec: dict[int, int] = {}
        for p in self.made_of[q]:
            if p in hidden:
                for a, c in self.vec[p].items():
                    vec[a] = vec.get(a, 0) + c
        return vec


def _peel(rels: list[dict[int, int]]) -> tuple[list[int], list[int], dict[int, int]]:
    """Remove, one at a time, relations holding an atom no other remaining relation holds. Returns the
    remaining (core) relation ids, the peeled atoms in order, and the relation each was peeled with."""
    occ: dict[int, set[int]] = {}
    for i, r in enumerate(rels):
        for a in r:
            occ.setdefault(a, set()).add(i)
    alive = [True] * len(rels)
    stack = [a for a, s in occ.items() if len(s) == 1]
    order: list[int] = []
    pivot: dict[int, int] = {}
    while stack:
        a = stack.pop()
        if a in pivot or len(occ[a]) != 1:
            continue
        (r,) = occ[a]
        pivot[a] = r
        order.append(a)
        alive[r] = False
        for b in rels[r]:
            occ[b].discard(r)
            if len(occ[b]) == 1:
                stack.append(b)
    return [i for i, ok in enumerate(alive) if ok], order, pivot


def _components(core: list[int], rels: list[dict[int, int]]) -> dict[int, set[int]]:
    """Atom → the core relations of its connected component."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for r in core:
        first = next(iter(rels[r]))
        for a in rels[r]:
            parent[find(a)] = find(first)
    by_root: dict[int, set[int]] = {}
    for r in core:
        by_root.setdefault(find(next(iter(rels[r]))), set()).add(r)
    return {a: by_root[find(a)] for r in core for a in rels[r]}


def _in_span(rows: list[dict[int, int]], targets: list[dict]) -> list[bool]:
    """Which targets lie in the span of `rows`: t does iff ‖t‖² = (Mt)ᵀ G⁺ (Mt) with G = MMᵀ (the projection of t
    on the row space of M). G is small (one row per relation) and built from the sparse rows, so a component
    of thousands of cells costs one small eigendecomposition, not a dense SVD of the whole table."""
    by_atom: dict[int, list[tuple[int, float]]] = {}
    for i, row in enumerate(rows):
        for a, c in row.items():
            by_atom.setdefault(a, []).append((i, float(c)))
    g = np.zeros((len(rows), len(rows)))
    for entries in by_atom.values():
        for i, ci in entries:
            for j, cj in entries:
                g[i, j] += ci * cj
    lam, u = np.linalg.eigh(g)
    keep = lam > 1e-11 * max(1.0, float(lam.max(initial=0.0)))
    w = u[:, keep] / np.sqrt(lam[keep])
    mt = np.zeros((len(rows), len(targets)))
    norm2 = np.zeros(len(targets))
    for j, t in enumerate(targets):
        for a, c in t.items():
            norm2[j] += float(c) ** 2
            for i, ci in by_atom.get(a, ()):
                mt[i, j] += ci * float(c)
    z = w.T @ mt
    return list(norm2 - (z * z).sum(axis=0) < 1e-6 * np.maximum(1.0, norm2))
