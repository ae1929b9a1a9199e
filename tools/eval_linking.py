"""Evaluate person linking on a built database and write the figures into docs/linking.md (GENERATED block).

    python tools/eval_linking.py --db PATH [--labels eval/linking_pairs.tsv] [--out docs/linking.md]

1. Profile-id pairs: same-name pairs of authorships that both carry an OpenReview profile id (truth: same id),
   scored by the model trained as in the build, ids hidden from the comparison — precision and recall per
   threshold.
2. Hand-labelled pairs (eval/linking_pairs.tsv, id-less authorships, drawn by tools/sample_linking_pairs.py):
   the build's final decision (same person_key) against the hand label.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import tempfile
import time
from pathlib import Path

from talentflow.careers import linking
from talentflow.engine import connect
from talentflow.settings import Settings

BEGIN, END = "<!-- GENERATED:BEGIN -->", "<!-- GENERATED:END -->"


def f3(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--labels", default="eval/linking_pairs.tsv")
    ap.add_argument("--out", default="docs/linking.md")
    ap.add_argument("--sample-mod", type=int, default=10)
    a = ap.parse_args()
    s = Settings.from_env(db_path=a.db)
    lines = [BEGIN, ""]
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td) / "l.duckdb"
        shutil.copyfile(a.db, tmp)
        with connect(s, tmp) as e:
            res = e.table_exists("affiliation_resolutions")
            t = time.perf_counter()
            linking.build_records(e)
            n = e.scalar("SELECT count(*) FROM _lk_records")
            lk = linking.train_and_predict(e, seed=s.seed)
            secs = time.perf_counter() - t
            rows = linking.evaluate_on_profiles(e, lk, sample_mod=a.sample_mod,
                                                thresholds=(0.5, 0.8, 0.9, 0.95, 0.99, 0.999))
            methods = dict(e.query("SELECT link_method, count(*) FROM person_links GROUP BY 1"))
    lines += [f"Build links: " + ", ".join(f"{k} {v:,}" for k, v in sorted(methods.items())) + ".",
              f"Model training and scoring of {n:,} candidate authorships: {secs:.0f} s on this machine "
              f"(affiliation resolutions {'present' if res else 'absent'}).", "",
              "**Profile-id pairs** (same normalised name, both with a profile id; names with hash mod "
              f"{a.sample_mod} = 0):", "",
              "| threshold | pairs | true matches | precision | recall |", "|---|---|---|---|---|"]
    for r in rows:
        mark = " (build)" if r["threshold"] == linking.LINK_THRESHOLD else ""
        lines.append(f"| {r['threshold']}{mark} | {r['pairs']:,} | {r['true_matches']:,} | {f3(r['precision'])} | "
                     f"{f3(r['recall'])} |")
    base = rows[0]
    lines += ["", f"Baseline 'same name = same person' on the same pairs: precision "
              f"{f3(base['true_matches'] / base['pairs'] if base['pairs'] else None)}, recall 1.000.", ""]
    lab = Path(a.labels)
    if lab.exists():
        with lab.open() as f:
            pairs = [r for r in csv.DictReader(f, delimiter="\t") if r["same_person"] in ("yes", "no")]
        with connect(s, read_only=True) as e:
            nn = linking.name_norm_sql("a.author_name", e.dialect)
            # Stratum sizes in the sampled population (id-less, same normalised name), to weight the strata.
            n_all, n_linked = e.query(f"""
                WITH r AS (SELECT {nn} AS nn, l.person_key FROM authorships a
                           JOIN person_links l USING (venue, year, paper_id, author_order)
                           WHERE a.person_id IS NULL AND length({nn}) >= 5),
                     byname AS (SELECT nn, count(*) AS n FROM r GROUP BY 1),
                     bykey AS (SELECT nn, person_key, count(*) AS m FROM r GROUP BY 1, 2)
                SELECT (SELECT sum(n * (n - 1) / 2) FROM byname), (SELECT sum(m * (m - 1) / 2) FROM bykey)""")[0]
            key = {}
            for r in e.query("SELECT venue || ' ' || year || ' ' || paper_id || ' #' || author_order, person_key "
                             "FROM person_links"):
                key[r[0]] = r[1]
        tp = sum(1 for p in pairs if p["same_person"] == "yes" and key.get(p["left_key"]) == key.get(p["right_key"]))
        fp = sum(1 for p in pairs if p["same_person"] == "no" and key.get(p["left_key"]) == key.get(p["right_key"]))
        fn = sum(1 for p in pairs if p["same_person"] == "yes" and key.get(p["left_key"]) != key.get(p["right_key"]))
        tn = sum(1 for p in pairs if p["same_person"] == "no" and key.get(p["left_key"]) != key.get(p["right_key"]))
        strata = {}
        for p in pairs:
            strata.setdefault(p["stratum"], [0, 0])[p["same_person"] == "yes"] += 1
        lines += [f"**Hand-labelled id-less pairs** ({lab}, {len(pairs)} labelled yes/no; strata drawn equally from "
                  "pairs the build linked and did not link, so precision is per linked pair and recall within the "
                  "sample, not population-weighted):", "",
                  "| | labelled same | labelled different |", "|---|---|---|",
                  f"| linked by the build | {tp} | {fp} |", f"| not linked | {fn} | {tn} |", "",
                  f"precision {f3(tp / (tp + fp) if tp + fp else None)}, recall in sample "
                  f"{f3(tp / (tp + fn) if tp + fn else None)}; strata (different, same): "
                  + ", ".join(f"{k} {v}" for k, v in sorted(strata.items())) + ".", ""]
        n_not = n_all - n_linked
        ls, ns = strata.get("linked", [0, 0]), strata.get("not_linked", [0, 0])
        same_l = n_linked * (ls[1] / sum(ls)) if sum(ls) else 0
        same_n = n_not * (ns[1] / sum(ns)) if sum(ns) else 0
        lines += [f"Weighted by stratum size ({n_linked:,.0f} linked and {n_not:,.0f} not-linked same-name id-less "
                  f"pairs in the build), the estimated recall over all same-name pairs is "
                  f"{f3(same_l / (same_l + same_n) if same_l + same_n else None)} — pairs, not people: a prolific "
                  "author split into a few groups contributes many missed pairs. With 30 pairs per stratum these "
                  "estimates carry several points of sampling error.", ""]
    lines.append(END)
    out = Path(a.out)
    text = out.read_text() if out.exists() else f"{BEGIN}\n{END}\n"
    out.write_text(re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda m: "\n".join(lines), text, flags=re.S))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
