"""Generate the figures of docs/macropolo-comparison.md from a built database (never typed by hand).

    python tools/make_comparison.py --db PATH [--n-boot 1000] [--seed 20221128] [--out docs/macropolo-comparison.md]

Replaces the block between the GENERATED markers of the output file with tables computed by talentflow.metrics.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

from talentflow.engine import connect
from talentflow.metrics import MetricQuery, cohort, shares
from talentflow.settings import Settings

YEARS = (2019, 2021, 2022, 2023, 2024)
MACROPOLO = {  # REFERENCE.md: (year, figure) -> {country: percent}
    (2019, "origin"): {"CN": 29, "US": 20, "IN": 8, "CA": 5, "GB": 4},
    (2022, "origin"): {"CN": 47, "US": 18, "IN": 5, "CA": 2, "GB": 2, "KR": 2, "RU": 2},
    (2019, "work"): {"US": 59, "CN": 11, "CA": 6, "GB": 4},
    (2022, "work"): {"US": 42, "CN": 28},
    (2019, "elite_origin"): {"US": 35, "IN": 12, "CN": 10},
    (2022, "elite_origin"): {"US": 28, "CN": 26},
    (2019, "elite_work"): {"US": 65, "CA": 10},
    (2022, "elite_work"): {"CN": 12},
}
SHOW = ("US", "CN", "HK", "GB", "CA", "IN", "KR")
BEGIN, END = "<!-- GENERATED:BEGIN -->", "<!-- GENERATED:END -->"


def pct(x) -> str:
    return f"{100 * x:.1f}"


def cell(rows, c) -> str:
    r = rows.get(c)
    if not r:
        return "0"
    return f"{pct(r['share'])} [{pct(r['ci_low'])}–{pct(r['ci_high'])}]"


def table(eng, title, stage, tier, proxy, mp_key, n_boot, seed) -> list[str]:
    out = [f"### {title}", "",
           f"stage `{stage}`, tier ≥ `{tier}`, HQ rule, proxy values {'included (counted in n_proxy)' if proxy else 'excluded'}; "
           "% of people with a known value, 95% cluster-bootstrap interval.", "",
           "| NeurIPS | " + " | ".join(SHOW) + " | n (estimate rests on) | people | observed | proxy | unknown | MacroPolo |",
           "|---|" + "---|" * (len(SHOW) + 6)]
    for y in YEARS:
        q = MetricQuery(venue="nips", year=y, tier=tier, attribution="hq", include_proxy=proxy)
        rows = {r["country"]: r for r in shares(eng, q, stage, "country", n_boot=n_boot, seed=seed)}
        any_r = next(iter(rows.values()), None)
        if any_r is None:
            cov = shares(eng, q, "current", "country", n_boot=0)
            ppl = cov[0]["n_people"] if cov else 0
            out.append(f"| {y} | " + " | ".join("–" for _ in SHOW) + f" | 0 | {ppl} | 0 | 0 | {ppl} | "
                       f"{fmt_mp(y, mp_key)} |")
            continue
        out.append(f"| {y} | " + " | ".join(cell(rows, c) for c in SHOW) +
                   f" | {any_r['n']} | {any_r['n_people']} | {any_r['n_observed']} | {any_r['n_proxy']} | "
                   f"{any_r['n_unknown']} | {fmt_mp(y, mp_key)} |")
    return out + [""]


def fmt_mp(y, key) -> str:
    mp = MACROPOLO.get((y, key))
    return ", ".join(f"{c} {v}" for c, v in mp.items()) if mp else "–"


def macropolo_uncertainty(eng, n_boot, seed) -> list[str]:
    """MacroPolo published no intervals. Their sampling error is implied by their sample size and the design effect
    of sampling whole papers, which we measure on our own NeurIPS 2022 population (variance of the clustered
    bootstrap over the variance of the people bootstrap)."""
    import numpy as np

    q = MetricQuery(venue="nips", year=2022, attribution="hq")
    out = ["### MacroPolo's own sampling uncertainty (implied)", "",
           "MacroPolo sampled whole papers. With the design effect measured on our NeurIPS 2022 population "
           "(clustered vs. people bootstrap), their 95% intervals would be about:", "",
           "| figure | MacroPolo | authors sampled | design effect | implied 95% interval |", "|---|---|---|---|---|"]
    cl = {r["country"]: r for r in shares(eng, q, "current", "country", n_boot=n_boot, seed=seed)}
    pp = {r["country"]: r for r in shares(eng, q, "current", "country", n_boot=n_boot, seed=seed,
                                          cluster_by_paper=False)}
    for c, mp, n_mp in (("US", 42, 867), ("CN", 28, 867)):
        w_cl = cl[c]["ci_high"] - cl[c]["ci_low"]
        w_pp = pp[c]["ci_high"] - pp[c]["ci_low"]
        deff = (w_cl / w_pp) ** 2 if w_pp else float("nan")
        p = mp / 100
        half = 1.96 * np.sqrt(deff * p * (1 - p) / n_mp)
        out.append(f"| 2022 work {c} | {mp} | {n_mp} | {deff:.2f} | {pct(p - half)}–{pct(p + half)} |")
    return out + [""]


def missing_2022(eng) -> list[str]:
    """Who the unknowns of the headline row are, and where the locatable ones are in a neighbouring year."""
    rows = eng.query("""
        WITH u AS (SELECT b.person_key, min_by(b.current_country, (b.current_country IS NULL)::INT || b.paper_id) cc
                   FROM metric_base b WHERE venue = 'nips' AND year = 2022 AND rule = 'hq' AND tier_rank >= 1
                   GROUP BY 1),
             unk AS (SELECT person_key FROM u WHERE cc IS NULL),
             why AS (SELECT e.person_key, bool_and(e.affiliation_raw IS NULL AND e.domain_raw IS NULL) AS no_aff,
                            bool_and(e.person_id IS NULL) AS no_id
                     FROM career_events e JOIN unk USING (person_key) WHERE e.venue = 'nips' AND e.year = 2022
                     GROUP BY 1),
             near AS (SELECT e.person_key, e.country_hq FROM career_events e JOIN unk USING (person_key)
                      WHERE e.country_hq IS NOT NULL AND abs(e.year - 2022) <= 1
                      QUALIFY row_number() OVER (PARTITION BY e.person_key
                                                 ORDER BY abs(e.year - 2022), e.year DESC, e.venue, e.paper_id) = 1)
        SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM unk),
               (SELECT count(*) FROM why WHERE no_aff), (SELECT count(*) FROM why WHERE no_aff AND no_id),
               (SELECT count(*) FROM near), (SELECT count(*) FROM near WHERE country_hq = 'US'),
               (SELECT count(*) FROM near WHERE country_hq = 'CN'),
               (SELECT count(*) FROM u WHERE cc = 'US'), (SELECT count(*) FROM u WHERE cc = 'CN'),
               (SELECT count(*) FROM u WHERE cc IS NOT NULL)""")[0]
    n, unk, no_aff, no_aff_noid, near, near_us, near_cn, us, cn, known = rows
    return ["### Who is unknown in the headline row (NeurIPS 2022, accepted, current affiliation, HQ rule)", "",
            f"- people {n}, unknown {unk} ({pct(unk / n)}%); of the unknown, {no_aff} have no affiliation string or "
            f"domain on their NeurIPS 2022 record at all ({no_aff_noid} of them have no OpenReview profile id: "
            "authors listed only by e-mail in the OpenReview export); the rest are strings the resolver could not place;",
            f"- {near} of the unknown are located by another observation within ±1 year (other venues, same person): "
            f"US {near_us} ({pct(near_us / near) if near else '–'}%), CN {near_cn} ({pct(near_cn / near) if near else '–'}%) "
            f"— against US {pct(us / known)}% and CN {pct(cn / known)}% among the located;",
            f"- filling those {near} in (a sensitivity check, not the published rule) gives US "
            f"{pct((us + near_us) / (known + near))}% and CN {pct((cn + near_cn) / (known + near))}%.", ""]


def carnegie(eng, n_boot, seed) -> list[str]:
    out = ["### Carnegie re-check: NeurIPS 2019 authors of Chinese origin working in the US", "",
           "Cohort: accepted NeurIPS 2019 authors, origin CN (proxy admitted: 2019 has no positions), work stage US "
           "at 2019 (position unknown: proxy); whereabouts = country of the last located observation after 2019 "
           "anywhere in the mirror (location rule).", "",
           "| whereabouts | count | % of cohort [95% CI] | median last year |", "|---|---|---|---|"]
    q = MetricQuery(venue="nips", year=2019, attribution="location", include_proxy=True)
    rows = cohort(eng, q, origin="CN", work="US", n_boot=n_boot, seed=seed)
    for r in rows:
        out.append(f"| {r['whereabouts']} | {r['count']} | {pct(r['share'])} [{pct(r['ci_low'])}–{pct(r['ci_high'])}] "
                   f"| {r['median_last_year']:.0f} |")
    n = rows[0]["n"] if rows else 0
    out += ["", f"Cohort size n = {n}. Carnegie (hand re-location of MacroPolo's 100): 87 US, 10 China, 3 elsewhere.",
            ""]
    for wk in ("US", "CN"):
        out += [f"Wider cohort: every accepted NeurIPS 2019 author whose 2019 affiliation is in {wk} (work stage, "
                "position unknown → proxy; students included), location rule:", "",
                "| whereabouts | count | % of cohort [95% CI] | median last year |", "|---|---|---|---|"]
        rows = cohort(eng, q, work=wk, n_boot=n_boot, seed=seed)
        for r in rows[:8]:
            out.append(f"| {r['whereabouts']} | {r['count']} | {pct(r['share'])} [{pct(r['ci_low'])}–"
                       f"{pct(r['ci_high'])}] | {r['median_last_year']:.0f} |")
        rest = rows[8:]
        if rest:
            out.append(f"| {len(rest)} other countries | {sum(r['count'] for r in rest)} | "
                       f"{pct(sum(r['share'] for r in rest))} | |")
        out += ["", f"n = {rows[0]['n'] if rows else 0}.", ""]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20221128)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "macropolo-comparison.md"))
    a = ap.parse_args()
    s = Settings.from_env(db_path=a.db)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    with connect(s, read_only=True) as eng:
        res = "yes" if eng.table_exists("affiliation_resolutions") else "NO (every country unknown)"
        links = dict(eng.query("SELECT link_method, count(*) FROM person_links GROUP BY 1"))
        built = eng.scalar("SELECT max(built_at) FROM build_state") if eng.table_exists("build_state") else None
        lines = [BEGIN, "", f"Generated by `tools/make_comparison.py` (code at {commit}; n_boot={a.n_boot}, "
                 f"seed={a.seed}); database built {built}; affiliation resolutions present: {res}; person links: "
                 + ", ".join(f"{k} {v}" for k, v in sorted(links.items())) + ".", ""]
        lines += table(eng, "Top-tier workplace, MacroPolo definition (current affiliation at the paper)", "current",
                       "accepted", False, "work", a.n_boot, a.seed)
        lines += table(eng, "Top-tier workplace, talentflow work stage (latest non-student observation)", "work",
                       "accepted", True, "work", a.n_boot, a.seed)
        lines += table(eng, "Top-tier undergraduate origin, observed only", "origin", "accepted", False, "origin",
                       a.n_boot, a.seed)
        lines += table(eng, "Top-tier origin including the earliest-graduate-study proxy", "origin", "accepted", True,
                       "origin", a.n_boot, a.seed)
        lines += table(eng, "Elite (oral) workplace, current affiliation", "current", "oral", False, "elite_work",
                       a.n_boot, a.seed)
        lines += table(eng, "Elite (oral) origin, observed only", "origin", "oral", False, "elite_origin",
                       a.n_boot, a.seed)
        lines += macropolo_uncertainty(eng, a.n_boot, a.seed)
        lines += missing_2022(eng)
        lines += carnegie(eng, a.n_boot, a.seed)
    lines.append(END)
    out = Path(a.out)
    text = out.read_text() if out.exists() else f"{BEGIN}\n{END}\n"
    text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda m: "\n".join(lines), text, flags=re.S)
    out.write_text(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
