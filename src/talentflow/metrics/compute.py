"""The metrics: shares, flows, retention, cohort, trend, institutions, person. Each takes an engine and a
`MetricQuery` and returns a list of dict rows (group key, share 0-1, count, ci_low, ci_high, n, coverage).

Unit: a person at a venue-year (a person counted once per selected venue-year, whatever their number of
papers); cluster: the person's first paper there (co-authors are resampled together). `n` is the denominator
the share rests on; `n_people` every unit in the population; `n_observed` / `n_proxy` / `n_unknown` how the
stage value of those units was obtained. Proxy values enter the estimate only with `include_proxy`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import NotBuilt
from ..limits import check_n_boot, check_rows, check_seed
from .bootstrap import boot_counts, nan_row_quantile, share_intervals
from .query import BY, FLOW_FROM, FLOW_TO, STAGES, MetricQuery, check
from .rowstore import held
from .units import (HISTORY_SOURCES, _need, fast_cohort, fast_units, reference_cohort,  # noqa: F401 (re-exported)
                    reference_units, unit_select)

SUPPRESSED = "(suppressed)"
OTHER = "(other)"
BASIS = {"observed": 0, "proxy": 1, "unknown": 2}


def _bounds(n_boot, seed, limit=None) -> None:
    """Parameters checked before any query runs (limits.py); n_boot 0 means counts without intervals."""
    check_n_boot(n_boot, allow_zero=True)
    check_seed(seed)
    if limit is not None:
        check_rows(limit)


def _units(eng, q: MetricQuery, stages: list[str], by: str = "country", reference: bool = False
           ) -> dict[str, np.ndarray]:
    """Per unit: cluster code, year and, per stage, value (codes, labels), basis and source codes — from the
    coded `metric_rows` when the build has it (`reference=True`: grouped from metric_base, the definition)."""
    if not reference and (held(eng) is not None or eng.table_exists("metric_rows")):
        return fast_units(eng, q, stages, by)
    return reference_units(eng, q, stages, by)


def _dense_codes(cluster: np.ndarray) -> np.ndarray:
    """Cluster codes renumbered 0..n-1 in their order (how the bootstrap numbers clusters)."""
    from .bootstrap import _dense

    return _dense(cluster)[0]


def _values(u: dict, stage: str) -> np.ndarray:
    """Object array of a stage's values (None where unknown); for small selections and pair building."""
    idx, labels = u[f"v_{stage}"]
    out = np.full(len(idx), None, dtype=object)
    out[idx >= 0] = labels[idx[idx >= 0]]
    return out


def _included(basis: np.ndarray, q: MetricQuery) -> np.ndarray:
    return (basis == 0) | ((basis == 1) & q.include_proxy)


def _encode(values, mask: np.ndarray, min_cell: int, limit: int | None) -> tuple[np.ndarray, list]:
    """Category codes (-1 outside mask) ordered by count; groups under min_cell merge into SUPPRESSED and those
    past `limit` into OTHER, so shares still sum to 1. `values` is (codes, labels) or an object array."""
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
    order = (keep[np.lexsort((np.asarray(np.asarray(labels, dtype=object)[keep], dtype=str), -cnt[keep]))]
             if len(keep) else keep)
    slot: dict[str, int] = {}
    remap = np.full(len(labels), -1, dtype=np.int64)
    for rank, i in enumerate(order):  # loops over groups (countries, institutions), never over people
        if cnt[i] < min_cell:
            key = SUPPRESSED
        elif limit is not None and rank >= limit:
            key = OTHER
        else:
            key = str(labels[i])
        remap[i] = slot.setdefault(key, len(slot))
    names = list(slot)
    codes = np.where(idx >= 0, remap[np.maximum(idx, 0)], -1) if len(labels) else np.full(len(idx), -1)
    return codes.astype(np.int64), names


def _coverage(basis: np.ndarray, src: np.ndarray | None = None) -> dict:
    """How the stage value of the population's units was obtained; observed values split by where they came
    from: a paper's author record or a dated career history (profile)."""
    obs = basis == 0
    src = np.full(len(basis), -1, dtype=np.int8) if src is None else src
    return {"n_people": int(len(basis)), "n_observed": int(obs.sum()), "n_proxy": int((basis == 1).sum()),
            "n_unknown": int((basis == 2).sum()), "n_observed_paper": int((obs & (src == 0)).sum()),
            "n_observed_profile": int((obs & (src == 1)).sum())}


def _share_rows(cluster, codes, names, n_boot, seed, cluster_by_paper=True, boot=None) -> list[dict]:
    """Share rows of each name; `boot` is boot_counts' answer when already drawn (several codings at once)."""
    k = len(names)
    counts = np.bincount(codes[codes >= 0], minlength=k) if k else np.zeros(0, dtype=int)
    n = int(counts.sum())
    cl = cluster if cluster_by_paper else np.arange(len(codes))
    if boot is None:
        boot = boot_counts(cl, codes, k, n_boot, seed)
    lo, hi = share_intervals(counts, boot) if n_boot > 0 and n else (counts / max(n, 1), counts / max(n, 1))
    return [{"group": names[i], "share": float(counts[i] / n) if n else 0.0, "count": int(counts[i]),
             "ci_low": float(lo[i]), "ci_high": float(hi[i]), "n": n} for i in range(k)]


def shares(eng, q: MetricQuery, stage: str = "work", by: str = "country", n_boot: int = 1000, seed: int = 20221128,
           min_cell: int = 0, limit: int | None = None, cluster_by_paper: bool = True,
           count: str = "people", rollup: str = "none") -> list[dict]:
    """Share of each group (country, institution or sector) in one stage, with a 95% percentile bootstrap
    interval (n_boot resamples of people, clustered by paper), sorted by count. `count` picks the unit: people
    (default) or, for countries, authorships, papers, fractional, first-author, last-author (metrics.counting).
    `rollup='parent'` counts institutions under their ultimate parent organisation (institution_parents): each
    person still has one value per unit, so a person seen at two of its members counts once."""
    _bounds(n_boot, seed, limit)
    check("stage", stage)
    check("by", by)
    check("count", count)
    check("rollup", rollup)
    if rollup != "none":
        check("by", by, ["institution"])
    if count != "people":
        from .counting import count_shares

        check("by", by, ["country"])
        return count_shares(eng, q, stage, count, n_boot=n_boot, seed=seed, min_cell=min_cell)[:limit]
    if by == "country" and rollup == "none" and limit is None and cluster_by_paper:
        from .cube import share_rows

        stored = share_rows(eng, q, stage, n_boot, seed, min_cell)
        if stored is not None:
            return stored
    u = _units(eng, q, [stage], "parent" if rollup == "parent" else by)
    basis = u[f"b_{stage}"]
    inc = _included(basis, q)
    codes, names = _encode(u[f"v_{stage}"], inc, min_cell, limit)
    cov = _coverage(basis, u[f"s_{stage}"])
    proxy_codes = np.where(basis == 1, codes, -1)
    cnt_proxy = np.bincount(proxy_codes[proxy_codes >= 0], minlength=len(names))
    rows = []
    for i, r in enumerate(_share_rows(u["cluster"], codes, names, n_boot, seed, cluster_by_paper)):
        rows.append({"stage": stage, by: r.pop("group"), **r, "count_proxy": int(cnt_proxy[i]), **cov,
                     "rule": q.attribution, **({"rollup": rollup} if rollup != "none" else {})})
    return rows


def flows(eng, q: MetricQuery, frm: str = "origin", to: str = "work", n_boot: int = 1000, seed: int = 20221128,
          min_cell: int = 0) -> list[dict]:
    """Country-to-country matrix: count and row share (of people from `frm` country, the share in each `to`
    country), with intervals. Only people with both stages known enter; coverage says how many that is."""
    _bounds(n_boot, seed)
    check("frm", frm)
    check("to", to)
    u = _units(eng, q, [frm, to])
    bf, bt = u[f"b_{frm}"], u[f"b_{to}"]
    inc = _included(bf, q) & _included(bt, q)
    fi, fl = u[f"v_{frm}"]
    ti, tl = u[f"v_{to}"]
    # pair code = from * |to| + to, decoded into "from\x1fto" labels (per pair of countries, not per person)
    pc_ = np.where(inc, np.maximum(fi, 0) * len(tl) + np.maximum(ti, 0), -1)
    present = np.unique(pc_[inc])  # label only the pairs that occur (not every pair of countries)
    pair_labels = np.array([f"{fl[p // len(tl)]}\x1f{tl[p % len(tl)]}" for p in present.tolist()], dtype=object)
    pc_ = np.where(inc, np.searchsorted(present, pc_), -1)
    codes, names = _encode((pc_, pair_labels), inc, 0, None)
    k = len(names)
    counts = np.bincount(codes[codes >= 0], minlength=k)
    boot = boot_counts(u["cluster"], codes, k, n_boot, seed)[:, :k] if n_boot > 0 else np.zeros((0, k))
    src = np.array([nm.split("\x1f")[0] for nm in names], dtype=object)
    rows = []
    cov = {"n_people": int(len(bf)), "n_both_known": int(inc.sum()),
           "n_from_unknown": int((~_included(bf, q)).sum()), "n_to_unknown": int((~_included(bt, q)).sum()),
           # of the people counted, whose stage values came from a career history rather than a paper
           "n_from_profile": int((inc & (u[f"s_{frm}"] == 1)).sum()),
           "n_to_profile": int((inc & (u[f"s_{to}"] == 1)).sum())}
    for s in np.unique(src) if k else []:
        m = src == s
        row_n = int(counts[m].sum())
        if row_n < min_cell:
            continue
        bsum = boot[:, m].sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            bs = np.where(bsum > 0, boot[:, m] / np.where(bsum > 0, bsum, 1), np.nan)
        est = counts[m] / row_n
        if len(bs) and not np.all(np.isnan(bs)):
            lo = np.minimum(nan_row_quantile(bs, 0.025, bsum[:, 0] > 0), est)
            hi = np.maximum(nan_row_quantile(bs, 0.975, bsum[:, 0] > 0), est)
        else:
            lo, hi = est, est
        for j, i in enumerate(np.flatnonzero(m)):
            rows.append({"from_stage": frm, "to_stage": to, "from_country": s, "to_country": names[i].split("\x1f")[1],
                         "country": s, "share": float(est[j]), "count": int(counts[i]), "ci_low": float(lo[j]),
                         "ci_high": float(hi[j]), "n": row_n, **cov, "rule": q.attribution})
    rows.sort(key=lambda r: (-r["n"], r["from_country"], -r["count"]))
    return rows


def retention(eng, q: MetricQuery, country: str | None = None, frm: str = "graduate", to: str = "work",
              n_boot: int = 1000, seed: int = 20221128, min_cell: int = 0) -> list[dict]:
    """Per country C: of people whose `frm` stage is in C (and `to` stage known), the share whose `to` stage is
    also in C (stay rate, with interval), the count who left (outflow) and the count from elsewhere now in C
    (inflow)."""
    return retention_from_flows(flows(eng, q, frm, to, n_boot=n_boot, seed=seed), q, country, frm, to, min_cell)


def retention_from_flows(fl: list[dict], q: MetricQuery, country: str | None = None, frm: str = "graduate",
                         to: str = "work", min_cell: int = 0) -> list[dict]:
    """`retention` from the rows of `flows` (the published outputs protect both together, computed once)."""
    country = (country or q.country)
    out_by: dict[str, dict] = {}
    inflow: dict[str, int] = {}
    for r in fl:
        if r["from_country"] == r["to_country"]:
            out_by[r["from_country"]] = r
        else:
            inflow[r["to_country"]] = inflow.get(r["to_country"], 0) + r["count"]
    row_n = {r["from_country"]: r["n"] for r in fl}
    rows = []
    for c in sorted(set(row_n) | set(inflow), key=lambda c: (-row_n.get(c, 0), c)):  # ties: by country code
        if country and c != country.upper():
            continue
        n = row_n.get(c, 0)
        if n < min_cell:
            continue
        st = out_by.get(c)
        stayed = st["count"] if st else 0
        rows.append({"country": c, "from_stage": frm, "to_stage": to, "share": stayed / n if n else 0.0,
                     "count": stayed, "ci_low": st["ci_low"] if st else 0.0, "ci_high": st["ci_high"] if st else 0.0,
                     "n": n, "outflow": n - stayed, "inflow": inflow.get(c, 0),
                     "net": inflow.get(c, 0) - (n - stayed),
                     **{k: v for k, v in (fl[0] if fl else {}).items() if k.startswith("n_")}, "rule": q.attribution})
    return rows


def _cohort_year(eng, q: MetricQuery) -> int:
    _need(eng)
    ys = q.year_list()
    if not ys or len(ys) != 1:
        from ..errors import InvalidValue

        raise InvalidValue("year", "none" if not ys else ",".join(map(str, ys)), "one cohort year, e.g. 2019")
    return ys[0]


def cohort(eng, q: MetricQuery, origin: str | None = None, work: str | None = None, n_boot: int = 1000,
           seed: int = 20221128, min_cell: int = 0, reference: bool = False) -> list[dict]:
    """Where a cohort (the people of `q`, optionally of origin country `origin` and working in `work` at the
    cohort year) is in the last year each of them appears anywhere in the mirror: a country, `not_seen_since`
    (no later appearance) or `unresolved` (seen later, never with a resolved country). Counts add up to n."""
    _bounds(n_boot, seed)
    year = _cohort_year(eng, q)
    for c in (origin, work):
        if c:
            check("country", c.upper())
    fast = held(eng) is not None or eng.table_exists("metric_rows")
    fetch = fast_cohort if fast and not reference else reference_cohort
    cl, vals, last = fetch(eng, q, year, origin and origin.upper(), work and work.upper())
    codes, names = _encode(vals, np.ones(len(vals), dtype=bool), min_cell, None)
    if len(codes):  # labels after merging suppressed cells (indexing, not a loop over people)
        vals = np.array(names, dtype=object)[codes]
    rows = []
    for r in _share_rows(cl, codes, names, n_boot, seed):
        g = r.pop("group")
        sel = vals == g
        special = g in ("not_seen_since", "unresolved", SUPPRESSED)
        rows.append({"whereabouts": g, "country": None if special else g, **r,
                     "median_last_year": float(np.median(last[sel])) if sel.any() else None,
                     "cohort_year": year, "rule": q.attribution})
    return rows


def cohort_basis(eng, q: MetricQuery, origin: str | None = None, work: str | None = None) -> dict:
    """What a cohort re-check rests on, step by step: the venue-year's people, those whose origin is observed
    (from papers or from career histories), of the origin asked, also working in the country asked, and how many
    of those are seen again after the cohort year. Explains an empty cohort instead of printing nothing."""
    year = _cohort_year(eng, q)
    where, params = q.where("b")
    ok = "('observed', 'proxy')" if q.include_proxy else "('observed')"
    o = "b.origin_country = ?" if origin else "true"
    w = "b.work_country = ?" if work else "true"
    # no origin asked: the cohort is everyone of the venue-year (as in cohort()), observed origin or not
    oc = f"b.origin_basis IN {ok} AND b.origin_country = ?" if origin else "true"
    op = [origin.upper()] if origin else []
    wp = [work.upper()] if work else []
    # placeholder order: origin_match (o), both_match (o, w), then the WHERE clause, then the outer query
    r = eng.query(f"""
        WITH u AS (SELECT b.person_key,
                          bool_or(b.origin_basis IN {ok}) AS origin_known,
                          bool_or(b.origin_basis IN {ok} AND b.origin_source IN ('openreview_profile', 'orcid'))
                              AS origin_from_history,
                          bool_or(b.origin_basis IN {ok} AND {o}) AS origin_match,
                          bool_or({oc} AND b.work_basis IN {ok} AND {w}) AS both_match,
                          bool_or({oc} AND b.work_basis = 'proxy' AND {w}) AS work_proxy_match
                   FROM metric_base b WHERE {where} GROUP BY b.person_key)
        SELECT count(*), count(*) FILTER (origin_known), count(*) FILTER (origin_from_history),
               count(*) FILTER (origin_match), count(*) FILTER (both_match),
               count(*) FILTER (both_match AND l.last_year > ?), count(*) FILTER (work_proxy_match)
        FROM u LEFT JOIN person_last_seen l ON l.person_key = u.person_key AND l.rule = ?""",
                  op + op + wp + op + wp + list(params) + [year, q.attribution])[0]
    keys = ("people", "origin_observed", "origin_from_history", "origin_match", "origin_and_work_match",
            "seen_after_cohort_year", "work_by_proxy_only")
    return {"cohort_year": year, "origin": origin and origin.upper(), "work": work and work.upper(),
            **dict(zip(keys, (int(x or 0) for x in r)))}


def explain_cohort(b: dict, min_cell: int = 0) -> str:
    """One sentence saying what a cohort rests on and, when it is empty, why (from cohort_basis()). A count
    withheld by small-cell suppression (report.privacy.protect_basis) is None and printed as such; any other
    count under min_cell is written as "fewer than min_cell" (the sentence is published beside the cohort)."""
    def n(key: str) -> str:
        x = b.get(key)
        if x is None:
            return "(suppressed)"
        return f"fewer than {min_cell}" if 0 < x < min_cell else f"{x:,}"

    steps = [f"{n('people')} people at the cohort venue-year",
             f"origin observed for {n('origin_observed')} ({n('origin_from_history')} from career histories)"]
    if b["origin"]:
        steps.append(f"origin {b['origin']}: {n('origin_match')}")
    if b["work"]:
        steps.append(f"{'of them ' if b['origin'] else ''}working in {b['work']} that year: "
                     f"{n('origin_and_work_match')}")
    steps.append(f"seen again after {b['cohort_year']}: {n('seen_after_cohort_year')}")
    why = ""
    if b["origin"] and b["people"] and b["origin_observed"] == 0:
        why = (" No one's origin is observed: undergraduate origin comes from papers written as undergraduates and"
               " from synced career histories (talentflow sync profiles / openreview / orcid).")
    elif b["work"] and b["origin_and_work_match"] == 0 and b.get("work_by_proxy_only"):
        why = (f" The workplace of {n('work_by_proxy_only')} of them is in {b['work']} by proxy only: papers of"
               " that year state no positions, so the affiliation may be a student's (--proxy, or proxy=true"
               " in the API, admits proxy values of both stages).")
    elif b["origin_and_work_match"] and b["seen_after_cohort_year"] == 0:
        why = (" None of them is seen after the cohort year: that needs a later paper under the same person or a"
               " career history (years before 2021 carry no OpenReview ids; people are followed by name links).")
    return "; ".join(steps) + "." + why


def trend(eng, q: MetricQuery, stage: str = "work", country: str | None = None, n_boot: int = 1000,
          seed: int = 20221128, min_cell: int = 0) -> list[dict]:
    """Share of `country` (default q.country; every country when neither is given) in `stage`, per year, with
    intervals; a year where the country is absent gets share 0."""
    _bounds(n_boot, seed)
    check("stage", stage)
    country = (country or q.country)
    if country:
        country = country.upper()
        check("country", country)
    from .cube import trend_rows

    def live(years=None):
        qq = q if years is None else dataclasses.replace(q, year=None, years=tuple(years))
        return trend_from_units(_units(eng, qq, [stage]), qq, stage, country, n_boot, seed, min_cell)
    stored = trend_rows(eng, q, stage, country, n_boot, seed, min_cell, live)
    return live() if stored is None else stored


def year_coding(u: dict, m: np.ndarray, q: MetricQuery, stage: str, min_cell: int = 0):
    """A trend year's category codes, names, coverage and proxy counts (units `m` of u)."""
    basis = u[f"b_{stage}"][m]
    idx, labels = u[f"v_{stage}"]
    codes, names = _encode((idx[m], labels), _included(basis, q), min_cell, None)
    cov = _coverage(basis, u[f"s_{stage}"][m])
    pcodes = np.where(basis == 1, codes, -1)
    return codes, names, cov, np.bincount(pcodes[pcodes >= 0], minlength=len(names))


def trend_from_units(u: dict, q: MetricQuery, stage: str, country: str | None, n_boot: int, seed: int,
                     min_cell: int = 0) -> list[dict]:
    """`trend` on units already fetched (the metrics stage fetches every stage once per venue, tier and rule)."""
    rows = []
    for y in np.unique(u["year"]):  # loops over years
        m = u["year"] == y
        codes, names, cov, cnt_proxy = year_coding(u, m, q, stage, min_cell)
        if country and country in names:
            # One country's share among the known does not depend on how the rest split: bootstrap two
            # categories (the country, everyone else known), which keeps a 40-year trend fast.
            ci = names.index(country)
            two = np.where(codes < 0, -1, np.where(codes == ci, 0, 1))
            got = _share_rows(u["cluster"][m], two, [country, OTHER], n_boot, seed)[:1]
            cnt_proxy = cnt_proxy[[ci]]
        else:
            got = _share_rows(u["cluster"][m], codes, names, n_boot, seed)
        for i, r in enumerate(got):
            if country is None or r["group"] == country:
                rows.append({"year": int(y), "stage": stage, "country": r.pop("group"), **r,
                             "count_proxy": int(cnt_proxy[i]), **cov, "rule": q.attribution})
        if country and country not in names:
            n = int((codes >= 0).sum())
            rows.append({"year": int(y), "stage": stage, "country": country, "share": 0.0, "count": 0,
                         "ci_low": 0.0, "ci_high": 0.0, "n": n, "count_proxy": 0, **cov, "rule": q.attribution})
    return rows


def institutions(eng, q: MetricQuery, stage: str = "work", limit: int = 25, n_boot: int = 1000,
                 seed: int = 20221128, min_cell: int = 0, rollup: str = "none") -> list[dict]:
    """Ranking of institutions by the number of people of `q` whose `stage` is there (origin/graduate:
    producing; work/current: employing); `rollup='parent'` ranks their ultimate parent organisations."""
    _bounds(n_boot, seed, limit)
    rows = shares(eng, q, stage, "institution", n_boot=n_boot, seed=seed, min_cell=min_cell, limit=limit,
                  rollup=rollup)
    names = [r["institution"] for r in rows if r["institution"] not in (OTHER, SUPPRESSED)]
    cc = institution_countries(eng, q, stage, names, kind="parent" if rollup == "parent" else "institution")
    for i, r in enumerate(rows, 1):
        r["rank"] = i if r["institution"] not in (OTHER, SUPPRESSED) else None
        r["country"] = cc.get(r["institution"])
    return rows


def institution_countries(eng, q: MetricQuery, stage: str, names: list[str], reference: bool = False,
                          kind: str = "institution") -> dict[str, str]:
    """Each institution's (`kind='parent'`: parent organisation's) most frequent `stage` country among the
    population's rows (ties: the first country code) — the people's countries as attributed, whatever the
    roll-up; from metric_rows when built (`reference=True`: from metric_base)."""
    from .units import COLUMN, KINDS

    if not names:
        return {}
    store = held(eng) if not reference else None
    if store is not None:
        return _institution_countries_held(store, q, stage, names, kind)
    where, params = q.where("b")
    marks = ", ".join("?" * len(names))
    if not reference and eng.table_exists("metric_rows"):
        sql = f"""SELECT li.label, lc.label, count(*) FROM metric_rows b
                  JOIN metric_labels li ON li.kind = '{kind}' AND li.code = b.{stage}_{KINDS[kind]}
                  JOIN metric_labels lc ON lc.kind = 'country' AND lc.code = b.{stage}_c
                  WHERE {where} AND li.label IN ({marks}) GROUP BY ALL"""
    else:
        col = f"b.{stage}_{COLUMN[kind]}"
        sql = f"""SELECT {col}, b.{stage}_country, count(*) FROM metric_base b
                  WHERE {where} AND {col} IN ({marks}) AND b.{stage}_country IS NOT NULL
                  GROUP BY ALL"""
    best: dict[str, tuple[int, str]] = {}
    for name, country, n in eng.query(sql, params + names):
        if name not in best or (-n, country) < (-best[name][0], best[name][1]):
            best[name] = (n, country)
    return {k: v[1] for k, v in best.items()}


def _institution_countries_held(store, q: MetricQuery, stage: str, names: list[str],
                                kind: str = "institution") -> dict[str, str]:
    """institution_countries over the held rows: (institution or parent, country) pairs counted in numpy."""
    from .units import KINDS

    idx = store.rows(q)
    inst, ctry = store.cols[f"{stage}_{KINDS[kind]}"][idx], store.cols[f"{stage}_c"][idx]
    asked = np.zeros(len(store.labels[kind]) + 1, dtype=bool)  # index -1 (NULL) stays False
    asked[[store.label_code[kind][n] for n in names if n in store.label_code[kind]]] = True
    m = asked[inst] & (ctry >= 0)
    n_c = max(len(store.labels["country"]), 1)
    pairs, cnt = np.unique(inst[m].astype(np.int64) * n_c + ctry[m], return_counts=True)
    best: dict[str, tuple[int, str]] = {}
    for p, n in zip(pairs.tolist(), cnt.tolist()):  # one per (institution, country) pair, not per person
        name, country = store.labels[kind][p // n_c], store.labels["country"][p % n_c]
        if name not in best or (-n, country) < (-best[name][0], best[name][1]):
            best[name] = (n, country)
    return {k: v[1] for k, v in best.items()}


def warm_up(eng) -> None:
    """Every metric once on the smallest venue-year, with a few resamples (answers discarded, nothing cached but
    the module imports and lazily loaded parts of numpy a first query would otherwise pay for)."""
    got = eng.query("SELECT venue, year FROM metric_rows GROUP BY ALL ORDER BY count(*), venue, year LIMIT 1")
    if not got:
        return
    q = MetricQuery(venue=got[0][0], year=got[0][1])
    for stage, by in (("work", "country"), ("current", "institution"), ("graduate", "sector")):
        shares(eng, q, stage, by, n_boot=20, seed=0)
    retention(eng, q, None, "graduate", "work", n_boot=20, seed=0)
    trend(eng, dataclasses.replace(q, year=None, years=(got[0][1],)), "origin", "US", n_boot=20, seed=0)
    institutions(eng, q, "work", 5, n_boot=20, seed=0)
    cohort(eng, q, None, None, n_boot=20, seed=0)


PERSON_EVENT_COLS = ("year", "venue", "paper_id", "author_order", "author_name", "position", "position_raw",
                     "institution_name", "country_location", "country_hq", "sector", "link_method", "source")


def person(eng, person_id: str) -> list[dict]:
    """One person's observations (public conference data) and stages per reference year. Not an aggregate:
    never published in reports."""
    if not eng.table_exists("career_events"):
        raise NotBuilt("The careers tables are missing (stage `careers`).")
    ev = eng.query_dicts(f"""SELECT 'event' AS kind, {', '.join(PERSON_EVENT_COLS)} FROM career_events
                             WHERE person_key = ? ORDER BY year, venue, paper_id""", [person_id])
    if not ev:
        from ..errors import UnknownValue

        raise UnknownValue("person", person_id, ["a person_key from `people` (an OpenReview id like ~Jane_Doe1)"])
    st = eng.query_dicts("SELECT 'stages' AS kind, * FROM person_stages WHERE person_key = ? ORDER BY ref_year, rule",
                         [person_id])
    hist = []
    if eng.table_exists("profile_history"):
        # the career history as its owner listed it (public profile / ORCID record), dated, in time order
        hist = eng.query_dicts("""
            SELECT 'history' AS kind, h.source, h.kind AS entry_kind, h.position_raw, h.institution_raw,
                   h.domain_raw, h.country AS country_profile, h.start_year, h.end_year, h.open_end AS current,
                   h.dataset_id
            FROM profile_history h LEFT JOIN profile_aliases a ON a.username = h.profile_id
            WHERE coalesce(a.profile_id, h.profile_id) = ?
            ORDER BY h.start_year NULLS LAST, h.end_year NULLS LAST, h.source, h.entry_no""", [person_id])
    # yearly observations drawn from those histories are summarised by the history rows
    return [e for e in ev if e["source"] == "authorship"] + hist + st


__all__ = ["shares", "flows", "retention", "retention_from_flows", "cohort", "cohort_basis", "explain_cohort", "trend", "institutions", "person", "STAGES", "BY",
           "FLOW_FROM", "FLOW_TO"]
