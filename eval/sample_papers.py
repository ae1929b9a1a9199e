"""Draw the hand-labelled evaluation sample for paper subfields from the raw conference mirror.

Reproducible: the candidate set depends only on the mirror files and tiers.toml, the draw only on SEED. Run
    python eval/sample_papers.py [--data DIR] [--out /tmp/subfield_sample.tsv] [--seed N] [--n N]
The sample is written as TSV for labelling (venue, year, paper_id, title, keywords, primary_area, abstract
excerpt); it is not committed — eval/subfield_labels.tsv holds the keys, titles and labels.

Candidates: every paper of every venue-year (the ingest's paper list per venue-year, see
talentflow.careers.mirror_papers) whose tier is accepted, spotlight or oral and that has a title and a unique id.
Allocation: each venue gets round(N * w * sqrt(n_venue) / sum(w * sqrt(n))) papers, at least 1, with weight w = 2
for the general ML/AI venues the talent metrics are about (NeurIPS, ICML, ICLR, AAAI, IJCAI) and 1 otherwise.
Within a venue, papers are ordered by md5(seed|venue|year|paper_id) and the first k taken, so years are
represented in proportion to their size.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from pathlib import Path

SEED = 20261122
N = 240
DEV_SEEDS = (7, 8)  # other draws used to inspect rules while writing them (never the evaluation set)
MAIN_VENUES = {"nips": 2.0, "icml": 2.0, "iclr": 2.0, "aaai": 2.0, "ijcai": 2.0}


def candidates(engine, data: Path) -> None:
    """Temp table `cand`: accepted papers with a title and an id unique within their venue-year."""
    from talentflow.careers.mirror_papers import create_mirror_papers
    from talentflow.careers.tiers import build_tiers

    create_mirror_papers(engine, data, reuse=True)
    engine.execute("CREATE OR REPLACE TEMP TABLE mp AS SELECT * FROM mirror_papers "
                   "QUALIFY count(*) OVER (PARTITION BY venue, year, paper_id) = 1")
    build_tiers(engine, source="mp")
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE cand AS
        SELECT mp.* FROM mp JOIN paper_tiers t USING (venue, year, paper_id)
        WHERE t.tier <> 'not_accepted' AND mp.title IS NOT NULL""")


def allocation(engine, n: int) -> dict[str, int]:
    sizes = dict(engine.query("SELECT venue, count(*) FROM cand GROUP BY 1 ORDER BY 1"))
    weight = {v: MAIN_VENUES.get(v, 1.0) * math.sqrt(c) for v, c in sizes.items()}
    total = sum(weight.values())
    return {v: max(1, round(n * w / total)) for v, w in weight.items()}


def draw(engine, seed: int, n: int) -> list[dict]:
    alloc = allocation(engine, n)
    engine.execute("CREATE OR REPLACE TEMP TABLE alloc (venue VARCHAR, k INTEGER)")
    for v, k in alloc.items():
        engine.execute("INSERT INTO alloc VALUES (?, ?)", [v, k])
    return engine.query_dicts(f"""
        SELECT venue, year, paper_id, title, keywords, primary_area, left(abstract, 600) AS abstract
        FROM (SELECT c.*, row_number() OVER (PARTITION BY c.venue
                       ORDER BY md5('{int(seed)}|' || c.venue || '|' || c.year || '|' || c.paper_id)) AS r
              FROM cand c) x JOIN alloc a USING (venue)
        WHERE r <= a.k ORDER BY venue, year, paper_id""")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("TALENTFLOW_DATA"))
    ap.add_argument("--out", default="-")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--n", type=int, default=N)
    args = ap.parse_args(argv)
    if not args.data:
        ap.error("--data DIR or TALENTFLOW_DATA is required")
    from talentflow.engine import connect
    from talentflow.settings import Settings

    s = Settings.from_env(data_dir=args.data)
    with connect(s, Path(":memory:")) as eng:
        candidates(eng, s.require_data())
        rows = draw(eng, args.seed, args.n)
    out = sys.stdout if args.out == "-" else open(args.out, "w", newline="", encoding="utf-8")
    w = csv.DictWriter(out, list(rows[0].keys()), delimiter="\t", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else " ".join(str(v).split())) for k, v in r.items()})
    if out is not sys.stdout:
        out.close()
    print(f"{len(rows)} papers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
