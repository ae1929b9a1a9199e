"""Draw the linking evaluation sample: pairs of id-less authorships with the same normalised name, half linked by
the build (same person_key) and half not, written to eval/linking_pairs.tsv for hand labelling.

    python tools/sample_linking_pairs.py --db PATH [--n 40] [--seed 7] [--out eval/linking_pairs.tsv]

The label column (`same_person`: yes / no / unsure) is filled by hand; re-running does not overwrite a labelled
file unless --force is given.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from talentflow.careers.linking import name_norm_sql
from talentflow.engine import connect
from talentflow.settings import Settings

COLS = ["pair_id", "stratum", "name", "left_key", "left_affiliation", "left_domain", "left_coauthors",
        "right_key", "right_affiliation", "right_domain", "right_coauthors", "same_person", "note"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--n", type=int, default=40, help="pairs per stratum")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="eval/linking_pairs.tsv")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.force:
        raise SystemExit(f"{out} exists (labelled?); pass --force to redraw")
    s = Settings.from_env(db_path=a.db)
    with connect(s, read_only=True) as e:
        nn = name_norm_sql("a.author_name", e.dialect)
        e.execute(f"""CREATE TEMP TABLE _r AS
            SELECT a.venue || ' ' || a.year || ' ' || a.paper_id || ' #' || a.author_order AS k, a.author_name,
                   {nn} AS nn, a.affiliation_raw, a.domain_raw, l.person_key, a.venue, a.year, a.paper_id,
                   a.author_order
            FROM authorships a JOIN person_links l USING (venue, year, paper_id, author_order)
            WHERE a.person_id IS NULL AND length({nn}) >= 5""")
        e.execute("""CREATE TEMP TABLE _co AS SELECT venue, year, paper_id,
                     string_agg(author_name, '; ' ORDER BY author_order) AS names FROM authorships
                     GROUP BY ALL""")
        e.execute(f"SELECT setseed({1 / (a.seed + 1)})")
        rows = e.query_dicts(f"""
            WITH p AS (
              SELECT l.k AS left_key, r.k AS right_key, l.author_name AS name,
                     l.affiliation_raw AS left_affiliation, l.domain_raw AS left_domain,
                     r.affiliation_raw AS right_affiliation, r.domain_raw AS right_domain,
                     l.venue lv, l.year ly, l.paper_id lp, r.venue rv, r.year ry, r.paper_id rp,
                     CASE WHEN l.person_key = r.person_key THEN 'linked' ELSE 'not_linked' END AS stratum,
                     hash(l.k || r.k || {a.seed}) AS h
              FROM _r l JOIN _r r ON l.nn = r.nn AND l.k < r.k AND l.paper_id <> r.paper_id)
            SELECT * FROM p QUALIFY row_number() OVER (PARTITION BY stratum ORDER BY h) <= {a.n}
            ORDER BY stratum, h""")
        co = {(v, y, p): n for v, y, p, n in e.query("SELECT * FROM _co")}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, COLS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        for i, r in enumerate(rows, 1):
            w.writerow({"pair_id": i, "stratum": r["stratum"], "name": r["name"], "left_key": r["left_key"],
                        "left_affiliation": r["left_affiliation"] or "", "left_domain": r["left_domain"] or "",
                        "left_coauthors": co.get((r["lv"], r["ly"], r["lp"]), ""),
                        "right_key": r["right_key"], "right_affiliation": r["right_affiliation"] or "",
                        "right_domain": r["right_domain"] or "",
                        "right_coauthors": co.get((r["rv"], r["ry"], r["rp"]), ""), "same_person": "", "note": ""})
    print(f"wrote {len(rows)} pairs to {out}")


if __name__ == "__main__":
    main()
