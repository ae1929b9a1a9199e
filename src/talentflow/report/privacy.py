"""Small-cell suppression and the person-level guard, applied to every published number: report pages and
downloads, dashboard, JSON API and the CLI's metric tables.

`protect(kind, rows, min_cell)` is the one entry point. It describes the table a metric returns — its cells,
totals, coverage counts, differences and the relations between them (n = Σ cells, stayed + left = n,
n_people = n_observed + n_proxy + n_unknown, Σ outflows = Σ inflows, …) — to the solver in `cells.py`, which
decides what must not be published (primary and secondary suppression, then an exact audit that no hidden
count of 1..k-1 can be derived from what is shown), and writes the answer back into the rows: hidden values
become None; hidden categories of a distribution are pooled into one SUPPRESSED row per group.

The guarantee is per published table (one API answer, one CSV, one CLI output): combining tables of different
queries can narrow a hidden count down; see docs/reliability.md#privacy.
"""

from __future__ import annotations

from typing import Iterable

from .cells import CELL, COV, COV_TOTAL, TOTAL, Cells

SUPPRESSED = "(suppressed: cells < k)"

# Columns that would identify a person; metric rows never need them, so they are dropped wherever they appear.
PERSON_FIELDS = frozenset({"person_id", "author_name", "authorid_raw", "full_name", "email", "or_profile",
                           "homepage", "orcid", "dblp", "google_scholar", "linkedin", "person_ids", "people"})
VALUE_FIELDS = ("share", "ci_low", "ci_high", "count", "n", "value", "rate")
RATIO_FIELDS = ("share", "ci_low", "ci_high")
# Integer columns that are not counts of people (everything else integer-valued is treated as a people count).
NOT_PEOPLE = frozenset({"year", "first_year", "last_year", "rank", "n_boot", "seed", "cells_pooled", "from_year",
                        "to_year", "years_after", "share", "ci_low", "ci_high", "coverage", "rate", "value",
                        "confidence", "net", "cohort_year", "median_last_year", "ref_year"})
COVERAGE = ("n_people", "n_observed", "n_proxy", "n_unknown", "n_observed_paper", "n_observed_profile")
FLOW_COVERAGE = ("n_people", "n_both_known", "n_from_unknown", "n_to_unknown", "n_from_profile", "n_to_profile")
# How each metric's rows are laid out: groups (each its own distribution), category label, coverage kind.
KINDS = {
    "shares": dict(groups=(), labels=("country",), coverage="population"),
    "institutions": dict(groups=(), labels=("institution",), coverage="population", unshown_other=True),
    "trend": dict(groups=("year", "stage"), labels=("country",), coverage="population"),
    "cohort": dict(groups=(), labels=("whereabouts", "country"), coverage=None),
    "flows": dict(groups=("from_country", "country"), labels=("to_country",), coverage="flow"),
}


def counting_layout(count_rule: str) -> dict:
    """protect() options for shares under a counting rule (metrics.counting): a paper or authorship count can
    rest on one prolific person, so cells are judged by the distinct people behind them (`count_people`)."""
    return {} if count_rule == "people" else {"count": "count_people"}


def protect(kind: str, rows: Iterable[dict], min_cell: int, **opts) -> list[dict]:
    """Rows of one metric table ready to publish at threshold `min_cell` (k). `kind`: shares, institutions,
    trend, cohort, flows (options override the layout: groups, labels, coverage) or retention (option `flows`:
    the unsuppressed flow rows of the same query, so the counts are modelled on the flow matrix)."""
    rows = strip_person_fields(rows)
    if min_cell <= 1:  # nothing is small
        return [{**r, "suppressed": False} for r in rows]
    if kind == "retention":
        return _retention(rows, min_cell, opts.get("flows"))
    if kind not in KINDS:
        raise ValueError(f"unknown table kind {kind!r}: one of {sorted(KINDS) + ['retention']}")
    layout = {**KINDS[kind], **opts}
    layout["groups"] = tuple(g for g in layout["groups"] if not rows or g in rows[0])
    return _distribution(rows, min_cell, **layout)


def protect_basis(basis: dict, min_cell: int) -> dict:
    """What a cohort re-check rests on (metrics.cohort_basis): nested counts people ⊇ origin observed ⊇ origin
    match ⊇ origin and work match ⊇ seen after the cohort year, and origin from histories ⊆ origin observed.
    Hidden counts become None."""
    chain = ("seen_after_cohort_year", "origin_and_work_match", "origin_match", "origin_observed", "people")
    if min_cell <= 1 or not all(isinstance(basis.get(c), int) for c in chain + ("origin_from_history",)):
        return dict(basis)
    t = Cells()
    q = {chain[0]: t.atom(basis[chain[0]], CELL)}
    for inner, outer in zip(chain, chain[1:]):
        rest = basis[outer] - basis[inner]
        q[outer] = (t.total([q[inner], t.atom(rest, CELL, shown=False)]) if rest >= 0
                    else t.atom(basis[outer], TOTAL))
    hist, obs = basis["origin_from_history"], basis["origin_observed"]
    q["origin_from_history"] = t.atom(hist, COV)
    if 0 <= hist <= obs:
        t.split(q["origin_observed"], [q["origin_from_history"], t.atom(obs - hist, CELL, shown=False)])
    hidden = t.solve(min_cell)
    return {k: (None if k in q and q[k] in hidden else v) for k, v in basis.items()}


# ---- rows ↔ cells ------------------------------------------------------------------------------------------
def strip_person_fields(rows: Iterable[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in PERSON_FIELDS} for r in rows]


def _int(v) -> int | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v
    if hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "iu":  # numpy integers
        return int(v)
    return None


def _people_ints(r: dict, skip: Iterable[str] = ()) -> list[str]:
    skip = set(skip)
    return [k for k, v in r.items() if _int(v) is not None and k not in NOT_PEOPLE and k not in skip]


def _population(t: Cells, first: dict, n_q: int | None, obs_q: int | None = None, proxy_q: int | None = None
                ) -> dict[str, int]:
    """Coverage of one population: n_people = n_observed + n_proxy + n_unknown; n_observed is n when proxies
    are not admitted (the same number), n_observed + n_proxy = n when they are (built by the caller), and
    n_observed = from papers + from career histories + from elsewhere."""
    v = {c: _int(first.get(c)) for c in COVERAGE}
    n = t.val[n_q] if n_q is not None else None
    out: dict[str, int] = {}
    if obs_q is not None:
        out["n_observed"], out["n_proxy"] = obs_q, proxy_q
    else:
        if v["n_observed"] is not None:
            out["n_observed"] = n_q if n_q is not None and v["n_observed"] == n else t.atom(v["n_observed"], COV)
        if v["n_proxy"] is not None:
            out["n_proxy"] = t.atom(v["n_proxy"], COV)
        if n_q is not None and v["n_observed"] is not None and v["n_proxy"] and v["n_observed"] + v["n_proxy"] == n:
            t.split(n_q, [out["n_observed"], out["n_proxy"]])  # proxies admitted, cells not split by basis
    if v["n_unknown"] is not None:
        out["n_unknown"] = t.atom(v["n_unknown"], COV)
    parts = [out[c] for c in ("n_observed", "n_proxy", "n_unknown") if c in out]
    if v["n_people"] is not None:
        out["n_people"] = (t.total(parts, COV_TOTAL) if len(parts) == 3 and v["n_people"] == sum(t.val[p] for p in parts)
                           else t.atom(v["n_people"], COV_TOTAL))
    src = [c for c in ("n_observed_paper", "n_observed_profile") if v[c] is not None]
    for c in src:
        out[c] = t.atom(v[c], COV)
    if "n_observed" in out and src:
        rest = t.val[out["n_observed"]] - sum(t.val[out[c]] for c in src)
        if rest >= 0:
            t.split(out["n_observed"], [out[c] for c in src] + [t.atom(rest, COV, shown=False)])
    return out


def _flow_coverage(t: Cells, first: dict, row_totals: list[int]) -> dict[str, int]:
    """Coverage of a flow table: a = both stages known (= Σ row_totals, when they add up), b = origin unknown only, c =
    destination unknown only, d = both unknown; published a, b+d, c+d, a+b+c+d, and how many of a came from
    career histories at either stage."""
    v = {c: _int(first.get(c)) for c in FLOW_COVERAGE}
    out: dict[str, int] = {}
    if all(v[c] is not None for c in FLOW_COVERAGE[:4]):
        a = v["n_both_known"]
        d = v["n_from_unknown"] + v["n_to_unknown"] - (v["n_people"] - a)
        b, c = v["n_from_unknown"] - d, v["n_to_unknown"] - d
        if min(d, b, c) >= 0:
            a_q = (t.total(row_totals, COV) if row_totals and a == sum(t.val[q] for q in row_totals)
                   else t.atom(a, COV))
            b_q, c_q, d_q = (t.atom(x, COV, shown=False) for x in (b, c, d))
            out = {"n_both_known": a_q, "n_from_unknown": t.total([b_q, d_q], COV),
                   "n_to_unknown": t.total([c_q, d_q], COV), "n_people": t.total([a_q, b_q, c_q, d_q], COV_TOTAL)}
    for c in FLOW_COVERAGE:
        if v[c] is not None and c not in out:
            out[c] = t.atom(v[c], COV)
    for c in ("n_from_profile", "n_to_profile"):  # of the people counted: from a history, and the rest
        if c in out and 0 <= v[c] <= t.val[out["n_both_known"]]:
            t.split(out["n_both_known"], [out[c], t.atom(t.val[out["n_both_known"]] - v[c], COV, shown=False)])
    return out


def _extra(t: Cells, rows: list[dict], idx: list[int], handled: set[str]) -> dict[str, int]:
    """Any other people count (no known relation): one number per group, or per row when rows differ."""
    out: dict[str, int] = {}
    for c in _people_ints(rows[idx[0]], handled):
        vals = {_int(rows[i].get(c)) for i in idx}
        if len(vals) == 1:
            out[c] = t.atom(vals.pop(), COV)
        else:
            for i in idx:
                if _int(rows[i].get(c)) is not None:
                    out[f"{c}\x1f{i}"] = t.atom(_int(rows[i][c]), COV)
    return out


def _distribution(rows: list[dict], k: int, groups: tuple[str, ...], labels: tuple[str, ...],
                  coverage: str | None, count: str = "count", n_key: str = "n",
                  unshown_other: bool = False) -> list[dict]:
    """Rows of distributions, one per group: each row a category with its count (and count_proxy), the group's
    total n and coverage (`population`: per group; `flow`: one for the whole table)."""
    by_group: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        by_group.setdefault(tuple(r.get(g) for g in groups), []).append(i)
    t = Cells()
    cell, proxy, group_q, extra = {}, {}, {}, {}
    unshown = {i for i, r in enumerate(rows) if unshown_other and str(r.get(labels[0], "")).startswith("(")}
    handled = {count, n_key, "count_proxy", *COVERAGE, *FLOW_COVERAGE, *groups, *labels}
    n_qs = []
    for g, idx in by_group.items():
        first = rows[idx[0]]
        counts = {i: _int(rows[i].get(count)) or 0 for i in idx}
        cps = {i: _int(rows[i].get("count_proxy")) or 0 for i in idx}
        n = _int(first.get(n_key))
        n_obs, n_prox = _int(first.get("n_observed")), _int(first.get("n_proxy"))
        # proxies admitted (n = n_observed + n_proxy, n_proxy > 0): each cell = observed + proxy, a two-way table
        split = (n is not None and n_obs is not None and n_prox is not None and n_prox > 0
                 and n == n_obs + n_prox and all(0 <= cps[i] <= counts[i] for i in idx)
                 and n_prox >= sum(cps.values()) and n_obs >= sum(counts.values()) - sum(cps.values()))
        has_cp = "count_proxy" in first
        obs_parts, prox_parts = [], []
        for i in idx:
            if split:
                o = t.atom(counts[i] - cps[i], CELL, shown=False)
                proxy[i] = t.atom(cps[i], CELL, shown=has_cp)
                cell[i] = t.total([o, proxy[i]], CELL, shown=i not in unshown)
                obs_parts.append(o)
                prox_parts.append(proxy[i])
            else:
                cell[i] = t.atom(counts[i], CELL, shown=i not in unshown)
        qs: dict[str, int] = {}
        if n is not None and split:
            rest_o = n_obs - sum(t.val[o] for o in obs_parts)
            rest_p = n_prox - sum(t.val[p] for p in prox_parts)
            ro = [t.atom(rest_o, CELL, shown=False)] if rest_o else []
            rp = [t.atom(rest_p, CELL, shown=False)] if rest_p else []
            obs_q, prx_q = t.total(obs_parts + ro, COV), t.total(prox_parts + rp, COV)
            qs[n_key] = t.total([obs_q, prx_q], TOTAL)
            rest = [t.total(ro + rp, CELL, shown=False)] if ro or rp else []
            t.split(qs[n_key], [cell[i] for i in idx] + rest)
            if coverage == "population":
                qs.update(_population(t, first, qs[n_key], obs_q, prx_q))
        elif n is not None:
            rest = n - sum(counts.values())
            parts = [cell[i] for i in idx] + ([t.atom(rest, CELL, shown=False)] if rest > 0 else [])
            qs[n_key] = t.total(parts, TOTAL) if rest >= 0 else t.atom(n, TOTAL)
            if coverage == "population":
                qs.update(_population(t, first, qs[n_key]))
        elif coverage == "population":
            qs.update(_population(t, first, None))
        if n is not None:
            n_qs.append(qs[n_key])
        group_q[g] = qs
        extra[g] = _extra(t, rows, idx, handled)
    table_q = _flow_coverage(t, rows[0], n_qs if len(n_qs) == len(by_group) else []) \
        if coverage == "flow" and rows else {}
    hidden = t.solve(k)

    out = []
    for g, idx in by_group.items():
        qs = {**group_q[g], **table_q}
        n_hidden = n_key in group_q[g] and group_q[g][n_key] in hidden
        pool = [i for i in idx if cell[i] in hidden]
        for i in idx:
            if i in pool:
                continue
            r = dict(rows[i])
            _write(r, qs, extra[g], hidden, i)
            if i in proxy and proxy[i] in hidden and "count_proxy" in r:
                r["count_proxy"] = None
            if n_hidden:
                _blank(r, RATIO_FIELDS)
            r["suppressed"] = False
            out.append(r)
        shown_pool = [i for i in pool if i not in unshown]
        if shown_pool:
            first = rows[idx[0]]
            agg = {c: None for c in first}
            agg.update({c: first.get(c) for c in groups})
            for c in labels:
                agg[c] = SUPPRESSED
            pooled = sum(t.val[cell[i]] for i in pool)
            # the pool's size is n minus the visible cells: shown when that is exact (and so ≥ k)
            n = _int(first.get(n_key))
            exact = (n is not None and not n_hidden and len(pool) == len(shown_pool)
                     and n == sum(t.val[cell[i]] for i in idx))
            if exact and pooled >= k:
                agg[count] = pooled
                if "share" in first and n:
                    agg["share"] = pooled / n
            _write(agg, qs, {}, hidden, None, src=first)
            agg["suppressed"] = True
            agg["cells_pooled"] = len(shown_pool)
            out.append(agg)
    return out


def _write(r: dict, qs: dict[str, int], extra: dict[str, int], hidden: set[int], i, src: dict | None = None) -> None:
    for c, q in qs.items():
        if c in r:
            r[c] = None if q in hidden else (src[c] if src is not None else r[c])
    for c, q in extra.items():
        col, _, row = c.partition("\x1f")
        if q in hidden and col in r and (not row or row == str(i)):
            r[col] = None


def _blank(r: dict, keys: Iterable[str]) -> None:
    for c in keys:
        if c in r:
            r[c] = None


def _retention(rows: list[dict], k: int, flows: list[dict] | None = None) -> list[dict]:
    """Retention rows, one per country C: stayed (`count`) + left (`outflow`) = `n`; `inflow` from elsewhere;
    `net` = inflow − outflow; share = stayed / n. Given the unsuppressed flow rows they come from (`flows`), every
    count is modelled as a sum of flow cells — so a zero inflow saying that no one went to C also says where the
    others went; without them (or when they do not add up) as counts of their own, with Σ outflows = Σ inflows
    (two countries: one's outflow is the other's inflow)."""
    t = Cells()
    got = _retention_on_cells(t, rows, flows) if flows else None
    if got is None:
        t = Cells()
        got = _retention_on_rows(t, rows)
    per, cov = got
    for r, qs in zip(rows, per):
        if "net" in r and "inflow" in qs and "outflow" in qs:
            qs["net"] = t.diff(qs["inflow"], qs["outflow"])
    extra = [_extra(t, [r], [0], {"count", "n", "outflow", "inflow", *FLOW_COVERAGE}) for r in rows]
    hidden = t.solve(k)
    out = []
    for r, qs, ex in zip(rows, per, extra):
        r = dict(r)
        _write(r, {**qs, **cov}, ex, hidden, 0)
        if qs["count"] in hidden or ("n" in qs and qs["n"] in hidden):
            _blank(r, RATIO_FIELDS)
        r["suppressed"] = any(c in qs and qs[c] in hidden for c in ("count", "n", "outflow", "inflow"))
        out.append(r)
    return out


def _retention_on_cells(t: Cells, rows: list[dict], flows: list[dict]) -> tuple[list, dict] | None:
    cells: dict[tuple, int] = {}
    for x in flows:
        if _int(x.get("count")):
            key = (x.get("from_country"), x.get("to_country"))
            cells[key] = cells.get(key, 0) + _int(x["count"])
    listed = {r.get("country") for r in rows}
    atom = {key: t.atom(v, CELL, shown=key[0] == key[1] and key[0] in listed)
            for key, v in sorted(cells.items(), key=lambda kv: tuple(map(str, kv[0])))}
    for c in sorted({a for key in cells for a in key if a not in listed}, key=str):
        # a country the table does not list (`--country`): its counts are not shown, and must not follow either
        left = t.total([q for (a, b), q in atom.items() if a == c and b != c], CELL, shown=False)
        t.total([atom[(c, c)], left] if (c, c) in atom else [left], TOTAL, shown=False)
        t.total([q for (a, b), q in atom.items() if b == c and a != c], CELL, shown=False)
    per = []
    for r in rows:
        c = r.get("country")
        stay = atom.get((c, c))
        left = [q for (a, b), q in atom.items() if a == c and b != c]
        came = [q for (a, b), q in atom.items() if b == c and a != c]
        qs = {"count": stay if stay is not None else t.total([], CELL)}
        o = t.total(left, CELL, shown=r.get("outflow") is not None)
        qs["n"] = t.total([qs["count"], o], TOTAL)
        if "outflow" in r:
            qs["outflow"] = o
        if "inflow" in r:
            qs["inflow"] = t.total(came, CELL)
        want = {"count": _int(r.get("count")) or 0, "n": _int(r.get("n")), "outflow": _int(r.get("outflow")),
                "inflow": _int(r.get("inflow"))}
        if any(col in qs and want[col] != t.val[q] for col, q in qs.items()):
            return None  # not the flows these rows came from
        per.append(qs)
    return per, (_flow_coverage(t, rows[0], list(atom.values())) if rows else {})


def _retention_on_rows(t: Cells, rows: list[dict]) -> tuple[list, dict]:
    per = []
    for r in rows:
        stay, n, left = _int(r.get("count")) or 0, _int(r.get("n")), _int(r.get("outflow"))
        qs = {"count": t.atom(stay, CELL)}
        if n is not None and n >= stay:
            o = t.atom(n - stay, CELL, shown=left is not None and left == n - stay)
            qs["n"] = t.total([qs["count"], o], TOTAL)
            if left is not None:
                qs["outflow"] = o if left == n - stay else t.atom(left, CELL)
        else:
            if n is not None:
                qs["n"] = t.atom(n, TOTAL)
            if left is not None:
                qs["outflow"] = t.atom(left, CELL)
        if _int(r.get("inflow")) is not None:
            qs["inflow"] = t.atom(_int(r["inflow"]), CELL)
        per.append(qs)
    outs = [q.get("outflow") for q in per]
    ins = [q.get("inflow") for q in per]
    if len(rows) >= 2 and None not in outs + ins:
        if sum(t.val[q] for q in outs) == sum(t.val[q] for q in ins):
            t.equal(outs, ins)
        if len(rows) == 2:
            for a, b in ((0, 1), (1, 0)):
                if t.val[outs[a]] == t.val[ins[b]]:
                    t.equal([outs[a]], [ins[b]])
    n_qs = [q["n"] for q in per if "n" in q]
    both = _int(rows[0].get("n_both_known")) if rows else None
    if len(rows) == 1 and both is not None and "n" in per[0] and "inflow" in per[0]:
        # one country's row: everyone counted is from it, came to it, or neither
        rest = both - t.val[per[0]["n"]] - t.val[per[0]["inflow"]]
        if rest >= 0:  # the people from elsewhere (came to it, or neither) are a count of their own
            n_qs = [per[0]["n"], t.total([per[0]["inflow"], t.atom(rest, CELL, shown=False)], CELL, shown=False)]
    return per, (_flow_coverage(t, rows[0], n_qs if len(n_qs) >= len(rows) else []) if rows else {})


# ---- earlier entry points, kept as thin wrappers over the one rule ------------------------------------------
def pool_small(rows: list[dict], min_cell: int, label_keys: tuple[str, ...], count_key: str = "count",
               n_key: str = "n") -> list[dict]:
    return protect("shares", rows, min_cell, labels=label_keys, count=count_key, n_key=n_key)


def pool_by(rows: list[dict], group_keys: tuple[str, ...], min_cell: int, label_keys: tuple[str, ...],
            count_key: str = "count", n_key: str = "n") -> list[dict]:
    return protect("shares", rows, min_cell, groups=group_keys, labels=label_keys, count=count_key, n_key=n_key)


def drop_small(rows: list[dict], min_cell: int) -> list[dict]:
    """Rows that are each their own population (a rate: count of n): a row whose count must be suppressed
    keeps its labels and loses its values (marked suppressed)."""
    out = []
    for i, r in enumerate(strip_person_fields(rows)):
        p = protect("shares", [{**r, "\x1frow": i}], min_cell, groups=("\x1frow",), labels=("\x1flabel",))
        p = [x for x in p if x.get("\x1flabel") is None]
        if p:
            got = {c: v for c, v in p[0].items() if not c.startswith("\x1f")}
        else:  # the row's own count is hidden: keep its labels, blank every value
            got = {**r, "suppressed": True}
            _blank(got, set(VALUE_FIELDS) | set(_people_ints(r)) | {"outflow", "inflow", "net"})
        out.append(got)
    return out


def assert_publishable(rows: list[dict], min_cell: int) -> None:
    """Raise ValueError if a row would publish a people count below min_cell or a person-level field."""
    for r in rows:
        bad = PERSON_FIELDS.intersection(r)
        if bad:
            raise ValueError(f"person-level field(s) {sorted(bad)} in a published row")
        for c in _people_ints(r):
            if 0 < _int(r[c]) < min_cell:
                raise ValueError(f"published {c}={r[c]} is below min_cell={min_cell}: {r}")
