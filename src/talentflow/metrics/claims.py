"""The talent claims of the debate checked against talentflow's own metrics.

"China accounts for nearly half of the world's top AI researchers", "fewer of them go to the US", "87 of 100
stayed", "especially in generative AI and humanoid robotics": each check computes talentflow's figure with the
library (published n_boot, seed and small-cell rule), says what it rests on (people observed, coverage) and gives
a verdict by a rule written beside it — supported / partly supported / not supported / not measurable yet. A figure
is measurable only when it rests on at least MIN_N people and on at least MIN_COVERAGE of the population it speaks
for; below that, who happens to be observed can decide the answer (origin is observed today only for people who
published as undergraduates). The claims are rendered into docs/claims.md and the report's claims page.
"""

from __future__ import annotations

import numpy as np

from ..indicators.claims import Claim
from .bootstrap import boot_counts, share_intervals
from .compute import cohort_basis, flows, shares
from .query import MetricQuery

MIN_N = 100
MIN_COVERAGE = 0.40
RECENT = (2023, 2024, 2025)  # the latest complete years (2026's venues are only partly in the mirror)
MEASURABLE = (f"measurable when the figure rests on ≥ {MIN_N} people and on ≥ {MIN_COVERAGE:.0%} of the "
              "population it describes")
SOURCE = "talentflow metrics (metric_base, person_last_seen)"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _ci(r: dict | None) -> str:
    return "" if not r else f" (95% CI {100 * r['ci_low']:.1f}–{100 * r['ci_high']:.1f})"


class _Checker:
    def __init__(self, eng, n_boot: int, seed: int, min_cell: int):
        self.eng, self.n_boot, self.seed, self.k = eng, n_boot, seed, min_cell

    def count(self, x: int) -> str:
        """A people count as published: small cells are not printed."""
        return f"fewer than {self.k}" if 0 < x < self.k else f"{x:,}"

    def share(self, q: MetricQuery, stage: str, country: str) -> tuple[dict | None, dict]:
        rows = shares(self.eng, q, stage, n_boot=self.n_boot, seed=self.seed)
        row = next((r for r in rows if r.get("country") == country), None)
        cov = rows[0] if rows else {"n": 0, "n_people": 0}
        return (row if row and row["count"] >= self.k else None), cov

    def value(self, row: dict | None, n: int) -> str:
        """A share with its interval, or why it is not shown."""
        if row is None:
            return f"not shown (under {self.k} people)" if n else "no one observed"
        return f"{_pct(row['share'])}{_ci(row)}"

    def rests(self, cov: dict) -> str:
        n, people = cov.get("n", 0), cov.get("n_people", 0)
        small = 0 < n < self.k or 0 < people < self.k  # a percentage of a small cell would give it away
        return f"{self.count(n)} of {self.count(people)} people" + ("" if small else
                                                                     f" ({_pct(n / people if people else 0)})")

    @staticmethod
    def measurable(n: int, people: int) -> bool:
        return n >= MIN_N and people > 0 and n / people >= MIN_COVERAGE


def cn_nearly_half(c: _Checker) -> Claim:
    q = MetricQuery(venue="nips", year=2022)
    row, cov = c.share(q, "origin", "CN")
    work, wcov = c.share(MetricQuery(venue="nips", year=2022, attribution="hq"), "current", "CN")
    grad, gcov = c.share(q, "graduate", "CN")
    ok = c.measurable(cov["n"], cov["n_people"])
    if not ok:
        verdict = "not measurable yet"
    else:
        verdict = "supported" if row and row["ci_low"] <= 0.50 and row["ci_high"] >= 0.40 else "not supported"
    return Claim(
        "talent-cn-half", "“China accounts for nearly half of the world's top AI researchers” (MacroPolo 2.0: 47% "
        "of NeurIPS 2022 authors by undergraduate origin).", verdict,
        f"Undergraduate origin China at NeurIPS 2022: {c.value(row, cov['n'])}, resting on "
        f"{c.rests(cov)} with an observed undergraduate country", [SOURCE], "NeurIPS 2022, accepted papers",
        [f"Observed origin comes from papers written as undergraduates ({cov.get('n_observed_paper', 0):,}) and "
         f"from career histories ({cov.get('n_observed_profile', 0):,}); people who published as undergraduates "
         "are a selected group, so the share cannot stand for all authors until career histories are synced "
         "(`talentflow sync openreview` / `sync profiles`).",
         f"Best-supported alternative — workplace (affiliation on the paper, headquarters rule): China "
         f"{c.value(work, wcov['n'])} on {c.rests(wcov)} (MacroPolo 2.0: 28%).",
         f"Graduate school in China (earliest graduate study observed): {c.value(grad, gcov['n'])} "
         f"on {c.rests(gcov)}."],
        f"{MEASURABLE}; then supported when the 95% interval of China's origin share meets 40–50%")


def fewer_to_us(c: _Checker) -> Claim:
    per_year = {}
    for y in (2019, 2022):
        rows = flows(c.eng, MetricQuery(venue="nips", year=y), "origin", "current", n_boot=c.n_boot, seed=c.seed)
        cn = [r for r in rows if r["from_country"] == "CN"]
        us = next((r for r in cn if r["to_country"] == "US"), None)
        per_year[y] = (us if us and us["count"] >= c.k else None, cn[0]["n"] if cn else 0,
                       rows[0]["n_people"] if rows else 0)
    ok = all(c.measurable(n, people) for _, n, people in per_year.values())
    (a, na, _), (b, nb, _) = per_year[2019], per_year[2022]
    if not ok:
        verdict = "not measurable yet"
    else:
        verdict = "supported" if a and b and b["ci_high"] < a["ci_low"] else "not supported"
    alt = {y: c.share(MetricQuery(venue="nips", year=y, attribution="hq"), "current", "US") for y in (2019, 2022)}
    return Claim(
        "talent-fewer-us", "“Fewer of China's top AI researchers go to the US” (MacroPolo: of Chinese-undergraduate "
        "top-tier researchers, 56% worked in the US in 2019, fewer in 2022).", verdict,
        f"Chinese-origin NeurIPS authors affiliated in the US: 2019 {c.value(a, na)} of {c.count(na)}; 2022 "
        f"{c.value(b, nb)} of {c.count(nb)} (people with both an observed "
        "origin and a located affiliation)", [SOURCE], "NeurIPS 2019 and 2022, accepted papers",
        ["The share rests on the people whose undergraduate country is observed (see the claim above); both "
         "years fall far below the measurable threshold.",
         "Best-supported alternative — all authors affiliated in the US (headquarters rule): 2019 "
         f"{c.value(alt[2019][0], alt[2019][1]['n'])} on {c.rests(alt[2019][1])}; 2022 "
         f"{c.value(alt[2022][0], alt[2022][1]['n'])} on {c.rests(alt[2022][1])} "
         "(MacroPolo workplace: 59% → 42%)."],
        f"{MEASURABLE} in both years; then supported when the 2022 interval lies below the 2019 interval")


def _us_stayers(c: _Checker) -> tuple[dict | None, int, int]:
    """Of NeurIPS 2019 people whose paper affiliation is in the US and who are seen with a located affiliation
    after 2019: the share whose latest one is in the US (clustered by their 2019 paper)."""
    t = c.eng.arrow("""
        WITH c AS (SELECT b.person_key, min(b.paper_id) AS paper FROM metric_base b
                   WHERE b.rule = 'location' AND b.venue = 'nips' AND b.year = 2019 AND b.tier_rank >= 1
                   GROUP BY b.person_key HAVING arg_min(b.current_country, b.paper_id) = 'US')
        SELECT c.paper, l.last_country = 'US' AS in_us FROM c
        JOIN person_last_seen l ON l.person_key = c.person_key AND l.rule = 'location'
        WHERE l.last_located_year > 2019 ORDER BY c.paper, c.person_key""")
    cohort_n = int(c.eng.scalar("""
        SELECT count(*) FROM (SELECT b.person_key FROM metric_base b WHERE b.rule = 'location' AND b.venue = 'nips'
        AND b.year = 2019 GROUP BY b.person_key HAVING arg_min(b.current_country, b.paper_id) = 'US')"""))
    if not t.num_rows:
        return None, 0, cohort_n
    _, cl = np.unique(np.asarray(t.column("paper").to_pylist(), dtype=object).astype(str), return_inverse=True)
    cat = np.where(np.asarray(t.column("in_us").to_pylist(), dtype=bool), 0, 1)
    counts = np.bincount(cat, minlength=2)
    lo, hi = share_intervals(counts, boot_counts(cl, cat, 2, c.n_boot, c.seed))
    row = {"share": counts[0] / counts.sum(), "ci_low": float(lo[0]), "ci_high": float(hi[0]),
           "count": int(counts[0])}
    # two categories: the share gives away both counts, so both must reach the threshold
    return (row if counts.min() >= c.k else None), int(counts.sum()), cohort_n


def carnegie_87(c: _Checker) -> Claim:
    b = cohort_basis(c.eng, MetricQuery(venue="nips", year=2019), "CN", "US")
    followed = b["seen_after_cohort_year"]
    verdict = "not measurable yet" if followed < MIN_N else "partly supported"
    stay, n_seen, n_us = _us_stayers(c)
    return Claim(
        "talent-87-of-100", "“87 of 100 stayed”: of NeurIPS 2019 researchers with a Chinese undergraduate degree "
        "working in the US, 87 were still in the US in 2025 (Carnegie Endowment, a hand re-check of 100).", verdict,
        f"NeurIPS 2019 cohort: {c.count(b['people'])} people; origin observed for {c.count(b['origin_observed'])}; China "
        f"{c.count(b['origin_match'])}; of them with an observed US workplace in 2019 "
        f"{c.count(b['origin_and_work_match'])}; followed after 2019 {c.count(followed)}", [SOURCE],
        "NeurIPS 2019, latest year each person appears",
        ["Papers before 2021 state no positions, so a 2019 workplace is a proxy (the affiliation may be a "
         "student's), and undergraduate origin is observed for very few; the panel needs career histories.",
         f"Best-supported alternative — all NeurIPS 2019 people affiliated in the US ({c.count(n_us)}), of the "
         f"{c.count(n_seen)} seen later with a located affiliation: {c.value(stay, n_seen)} are in the US at "
         "their latest paper. People before 2021 are followed by name "
         "links only, so those who moved institution are found less often."],
        f"measurable when ≥ {MIN_N} panel members are followed after 2019; then supported when the 95% interval "
        "of the share still in the US contains 87%")


def genai_humanoid(c: _Checker) -> Claim:
    base, bcov = c.share(MetricQuery(years=RECENT), "current", "CN")
    parts = {sf: c.share(MetricQuery(years=RECENT, subfield=sf), "current", "CN")
             for sf in ("generative_ai", "humanoid")}
    ok = c.measurable(bcov["n"], bcov["n_people"]) and all(c.measurable(cv["n"], cv["n_people"])
                                                          for _, cv in parts.values())
    above = [sf for sf, (r, _) in parts.items() if r and base and r["ci_low"] > base["ci_high"]]
    verdict = ("not measurable yet" if not ok else "supported" if len(above) == 2 else
               "partly supported" if above else "not supported")
    label = {"generative_ai": "generative AI", "humanoid": "humanoid robotics"}
    figs = "; ".join(f"{label[sf]} {c.value(r, cv['n'])} on {c.rests(cv)}" for sf, (r, cv) in parts.items())
    return Claim(
        "talent-genai-humanoid", "“China is especially strong in generative AI and humanoid robotics.”", verdict,
        f"China's share of authors (affiliation on the paper, location rule), {RECENT[0]}–{RECENT[-1]}, all venues: "
        f"all papers {c.value(base, bcov['n'])} on {c.rests(bcov)}; {figs}", [SOURCE],
        f"{RECENT[0]}–{RECENT[-1]}, accepted papers",
        ["Generative AI is a primary subfield; humanoid is a flag (papers mentioning humanoids), see "
         "docs/tiers-and-subfields.md. Each person is counted once per venue-year."],
        f"{MEASURABLE} (each group); supported when China's interval in both fields lies above its interval over "
        "all papers, partly when in one")


CHECKS = (cn_nearly_half, fewer_to_us, carnegie_87, genai_humanoid)


def check_talent_claims(eng, n_boot: int = 1000, seed: int = 20221128, min_cell: int = 5) -> list[Claim]:
    """The four talent claims, computed with the given bootstrap settings and small-cell threshold."""
    if not eng.table_exists("metric_base"):
        return []
    c = _Checker(eng, n_boot, seed, min_cell)
    return [f(c) for f in CHECKS]
