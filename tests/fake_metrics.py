"""A stand-in for `talentflow.metrics` with the agreed contract (MetricQuery, ALLOWED, shares, flows, retention,
cohort, trend, institutions), used only by the report/web tests. Numbers are deterministic functions of the
query; some cells are deliberately tiny and some rows carry a person field, so the privacy guards are exercised."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

COUNTRIES = ["CN", "US", "IN", "DE", "GB", "CA", "FR", "KR", "JP", "SG", "CH", "IL", "IS", "LU"]
ALLOWED = {
    "venue": ["nips", "iclr", "icml", "cvpr", "corl"],
    "year": list(range(2017, 2026)),
    "tier": ["accepted", "spotlight", "oral"],
    "subfield": ["generative_ai", "robotics", "vision", "language", "other"],
    "sector": ["academia", "industry", "government"],
    "attribution": ["location", "hq"],
    "country": COUNTRIES,
    "stage": ["origin", "graduate", "work", "current"],
    "frm": ["origin", "graduate"],
    "to": ["graduate", "work", "current"],
    "rollup": ["none", "parent"],
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


def shares(eng, q, stage="origin", by="country", n_boot=1000, seed=0, rollup="none"):
    CALLS.append(("shares", q, stage))
    d = _dist(q, stage)
    n = sum(v for _, v in d)
    out = []
    for c, v in d:
        p = v / n
        half = 1.96 * (p * (1 - p) / n) ** 0.5
        out.append({by: c, "share": p, "count": v, "ci_low": max(0, p - half), "ci_high": min(1, p + half), "n": n,
                    "n_unresolved": 40, "coverage": 0.9})
    return out


def flows(eng, q, frm="origin", to="work", n_boot=1000, seed=0):
    CALLS.append(("flows", q, frm, to))
    r = _rng(q, frm, to)
    rows = []
    for a in COUNTRIES[:8]:
        for b in ["US", "CN", "GB", "DE", a]:
            rows.append({"from_country": a, "to_country": b, "count": r.randint(1, 120)})
    merged: dict = {}
    for x in rows:
        merged[(x["from_country"], x["to_country"])] = merged.get((x["from_country"], x["to_country"]), 0) + x["count"]
    n = sum(merged.values())
    return [{"from_stage": frm, "to_stage": to, "from_country": a, "to_country": b, "country": a, "count": v,
             "share": v / n, "n": n} for (a, b), v in merged.items()]


def retention(eng, q, country=None, frm="graduate", to="work", n_boot=1000, seed=0):
    CALLS.append(("retention", q, country))
    cs = [country] if country else COUNTRIES
    out = []
    for c in cs:
        n = dict(_dist(q, "origin"))[c]
        stay, inflow = int(n * 0.6), int(n * 0.3)
        if c == "IL":  # the mirror's nips 2022 row: 6 of 13 stayed, 7 left, 3 came in (net -4)
            n, stay, inflow = 13, 6, 3
        out.append({"country": c, "n": n, "count": stay, "share": stay / n if n else None, "ci_low": 0.5,
                    "ci_high": 0.7, "outflow": n - stay, "inflow": inflow, "net": inflow - (n - stay)})
    return out


def cohort(eng, q, origin=None, work=None, n_boot=1000, seed=0):
    CALLS.append(("cohort", q, origin, work))
    return [{"whereabouts": w, "country": w, "count": c, "n": 100, "cohort_year": q.year,
             "share": c / 100, "ci_low": c / 100 - 0.05, "ci_high": c / 100 + 0.05, "person_id": "~Jane_Doe1"}
            for w, c in [("US", 87), ("CN", 10), ("GB", 3)]]


def trend(eng, q, stage="origin", country=None, n_boot=1000, seed=0):
    CALLS.append(("trend", q, stage, country))
    out = []
    for y in range(2017, 2025):
        for c in ([country] if country else ["CN", "US", "IN"]):
            d = dict(_dist(MetricQuery(venue=q.venue, year=y, tier=q.tier), stage))
            n = sum(d.values())
            p = d[c] / n
            out.append({"year": y, "country": c, "share": p, "count": d[c], "n": n, "ci_low": p - 0.02,
                        "ci_high": p + 0.02})
    return out


def institutions(eng, q, stage="work", limit=25, n_boot=1000, seed=0, rollup="none"):
    CALLS.append(("institutions", q, stage) + ((rollup,) if rollup != "none" else ()))
    names = [("Google", "US", "industry"), ("Tsinghua University", "CN", "academia"), ("Stanford University", "US",
             "academia"), ("Peking University", "CN", "academia"), ("Tiny Lab", "IS", "academia")]
    r = _rng(q, stage)
    rows = [{"institution": nm, "country": c, "sector": s, "count": (r.randint(30, 90) if c != "IS" else 2),
             "share": 0.05, "n": 1000} for nm, c, s in names]
    if rollup == "parent":  # Google DeepMind's people counted under Google
        rows[0]["count"] += 45
        rows = [{**x, "rollup": rollup} for x in rows]
    return rows
