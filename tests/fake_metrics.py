"""A stand-in for `talentflow.metrics` keeping its contract (`talentflow.metrics.contract`: the functions and
parameters, ALLOWED's parameters, MetricQuery's fields, each row type's columns), used only by the report/web
tests. Numbers are deterministic functions of the query; some cells are deliberately tiny and the cohort rows carry
a person field beyond the contract, so the privacy guards are exercised."""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass

from talentflow.metrics import contract as c

COUNTRIES = ["CN", "US", "IN", "DE", "GB", "CA", "FR", "KR", "JP", "SG", "CH", "IL", "IS", "LU"]
ALLOWED = {
    "venue": ["nips", "iclr", "icml", "cvpr", "corl"],
    "tier": ["accepted", "spotlight", "oral"],
    "subfield": ["generative_ai", "robotics", "vision", "language", "other"],
    "sector": ["academia", "industry", "government"],
    "attribution": ["location", "hq"],
    "country": COUNTRIES,
    "stage": ["origin", "graduate", "work", "current"],
    "by": ["country", "institution", "sector"],
    "frm": ["origin", "graduate"],
    "to": ["graduate", "work", "current"],
    "rollup": ["none", "parent"],
    "count": ["people", "authorships", "papers"],
}
CALLS: list[tuple] = []  # (function, query) for tests that check caching


@dataclass(frozen=True)
class MetricQuery:
    venue: str | None = None
    year: int | None = None
    years: tuple[int, ...] | None = None
    tier: str | None = None
    subfield: str | None = None
    sector: str | None = None
    attribution: str | None = None
    country: str | None = None
    include_proxy: bool = False


def _rng(*key) -> random.Random:
    return random.Random(int(hashlib.md5(repr(key).encode()).hexdigest()[:8], 16))


def _dist(q: MetricQuery, stage: str) -> list[tuple[str, int]]:
    r = _rng(q, stage)
    base = {"CN": 300, "US": 250, "IN": 60, "DE": 40, "GB": 35, "CA": 30, "FR": 25, "KR": 20, "JP": 15, "SG": 8,
            "CH": 6, "IL": 4, "IS": 2, "LU": 1}
    if stage == "work":
        base = {**base, "US": 420, "CN": 200, "IN": 10}
    return [(c, max(1, int(v * r.uniform(0.8, 1.2))) if v > 4 else v) for c, v in base.items()]


def _interval(p: float, n: int) -> tuple[float, float]:
    half = 1.96 * (p * (1 - p) / n) ** 0.5
    return max(0.0, p - half), min(1.0, p + half)


def _coverage(n: int, unknown: int = 40) -> dict:
    return dict(count_proxy=0, n_people=n + unknown, n_observed=n, n_proxy=0, n_unknown=unknown,
                n_observed_paper=n, n_observed_profile=0)


def _rename(row: dict, by: str) -> dict:
    return {(by if k == "country" else k): v for k, v in row.items()}


def shares(eng, q, stage="origin", by="country", n_boot=1000, seed=0, count="people", rollup="none"):
    CALLS.append(("shares", q, stage))
    d = _dist(q, stage)
    n = sum(v for _, v in d)
    rule = q.attribution or "location"
    out = []
    for code, v in d:
        p = v / n
        lo, hi = _interval(p, n)
        if count == "people":
            row = c.Share(stage, code, p, v, lo, hi, n, **_coverage(n), rule=rule)
        else:
            row = c.CountedShare(stage, code, count, p, v, v, lo, hi, n, n_units=n + 40, coverage=n / (n + 40),
                                 rule=rule)
        out.append(_rename(asdict(row), by))
    return out


def flows(eng, q, frm="origin", to="work", n_boot=1000, seed=0):
    CALLS.append(("flows", q, frm, to))
    r = _rng(q, frm, to)
    merged: dict = {}
    for a in COUNTRIES[:8]:
        for b in ["US", "CN", "GB", "DE", a]:
            merged[(a, b)] = merged.get((a, b), 0) + r.randint(1, 120)
    n = sum(merged.values())
    cov = dict(n_people=n + 50, n_both_known=n, n_from_unknown=30, n_to_unknown=20, n_from_profile=0,
               n_to_profile=0)
    return [asdict(c.Flow(frm, to, a, b, a, v / n, v, None, None, n, **cov, rule=q.attribution or "location"))
            for (a, b), v in merged.items()]


def retention_from_flows(fl, q, country=None, frm="graduate", to="work"):
    CALLS.append(("retention", q, country))
    out = []
    for code in ([country] if country else COUNTRIES):
        n = dict(_dist(q, "origin"))[code]
        stay, inflow = int(n * 0.6), int(n * 0.3)
        if code == "IL":  # the mirror's nips 2022 row: 6 of 13 stayed, 7 left, 3 came in (net -4)
            n, stay, inflow = 13, 6, 3
        cov = {k: (fl[0][k] if fl else 0) for k in c.FLOW_COVERAGE}  # the flow table's, as the library's
        out.append(asdict(c.Retention(code, frm, to, stay / n if n else None, stay, 0.5, 0.7, n, n - stay, inflow,
                                      inflow - (n - stay), **cov, rule=q.attribution or "location")))
    return out


def retention(eng, q, country=None, frm="graduate", to="work", n_boot=1000, seed=0):
    return retention_from_flows(flows(eng, q, frm, to, n_boot, seed), q, country, frm, to)


def cohort(eng, q, origin=None, work=None, n_boot=1000, seed=0):
    CALLS.append(("cohort", q, origin, work))
    return [{**asdict(c.Cohort(w, w, k / 100, k, k / 100 - 0.05, k / 100 + 0.05, 100, None, q.year or 0,
                               q.attribution or "location")), "person_id": "~Jane_Doe1"}
            for w, k in [("US", 87), ("CN", 10), ("GB", 3)]]


def cohort_basis(eng, q, origin=None, work=None):
    return asdict(c.CohortBasis(q.year or 0, origin, work, people=100, origin_observed=60, origin_from_history=0,
                                origin_match=60, origin_and_work_match=40, seen_after_cohort_year=30,
                                work_by_proxy_only=0))


def explain_cohort(b, min_cell=0):
    return f"{b.get('people')} people in the cohort; {b.get('seen_after_cohort_year')} seen after {b['cohort_year']}."


def trend(eng, q, stage="origin", country=None, n_boot=1000, seed=0):
    CALLS.append(("trend", q, stage, country))
    out = []
    for y in range(2017, 2025):
        for code in ([country] if country else ["CN", "US", "IN"]):
            d = dict(_dist(MetricQuery(venue=q.venue, year=y, tier=q.tier), stage))
            n = sum(d.values())
            p = d[code] / n
            out.append(asdict(c.Trend(y, stage, code, p, d[code], p - 0.02, p + 0.02, n, **_coverage(n),
                                      rule=q.attribution or "location")))
    return out


def institutions(eng, q, stage="work", limit=25, n_boot=1000, seed=0, rollup="none"):
    CALLS.append(("institutions", q, stage) + ((rollup,) if rollup != "none" else ()))
    names = [("Google", "US", "industry"), ("Tsinghua University", "CN", "academia"), ("Stanford University", "US",
             "academia"), ("Peking University", "CN", "academia"), ("Tiny Lab", "IS", "academia")]
    r = _rng(q, stage)
    counts = [r.randint(30, 90) if code != "IS" else 2 for _, code, _ in names]
    if rollup == "parent":  # Google DeepMind's people counted under Google
        counts[0] += 45
    n = 1000
    return [asdict(c.Institution(stage, nm, k / n, k, None, None, n, **_coverage(n), rule=q.attribution or "location",
                                 rank=i, country=code))
            for i, ((nm, code, _), k) in enumerate(zip(names, counts), start=1)]
