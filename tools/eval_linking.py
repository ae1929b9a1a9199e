"""Evaluate person linking on a built database and write the figures into docs/linking.md (GENERATED block).

    python tools/eval_linking.py --db PATH [--labels eval/linking_pairs.tsv] [--out docs/linking.md]
                                 [--last-masked-year 2022]

1. Masked profile ids (careers/linking_eval.py): on a copy of the build, the ids of every authorship up to the
   cut year are hidden and the linker runs as in a build; person keys against the hidden ids, per half of the
   names (tune / holdout), for a range of profile thresholds — the build's marked.
2. Independent ids the linker never reads (IEEE Xplore for ICRA/IROS, ACL Anthology), against the build.
3. NeurIPS 2019 people followed into later years, in the build.
4. Hand-labelled pairs (eval/linking_pairs.tsv, id-less authorships, drawn by tools/sample_linking_pairs.py):
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

from talentflow.careers import linking, linking_eval
from talentflow.engine import connect
from talentflow.settings import Settings

BEGIN, END = "<!-- GENERATED:BEGIN -->", "<!-- GENERATED:END -->"
PROFILE_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)
# Pairs in each stratum of the build the hand-labelled sample was drawn from (same-name id-less pairs that build
# linked / did not link): the weights of the population estimate, fixed with the sample.
DRAW_STRATA = {"linked": 835_741, "not_linked": 4_146_615}


def f3(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def pr(d: dict) -> str:
    return f"{f3(d['precision'])} / {f3(d['recall'])} ({d['tp']:,} / {d['fp']:,} / {d['fn']:,})"


def masked(s: Settings, db: str, last_year: int) -> tuple[list[str], dict]:
    lines = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td) / "m.duckdb"
        shutil.copyfile(db, tmp)
        with connect(s, tmp) as e:
            m = linking_eval.mask_profile_ids(e, last_year)
            wall, cpu = time.perf_counter(), time.process_time()
            linking.build_records(e)
            linking.predict(e, seed=s.seed)
            linking.drop_splink_tables(e)
            timing = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
            rows = []
            for t in PROFILE_THRESHOLDS:
                linking.decide(e, linking.RECORD_THRESHOLD, t)
                linking.write_links(e)
                rows.append((t, linking_eval.score_masked(e)))
    lines += [f"**Masked profile ids**: the ids of {m['masked']:,} authorships of {m['profiles_masked']:,} profiles "
              f"in years ≤ {last_year} hidden ({m['ids']:,} authorships carry one). Pairs with at least one masked "
              "member and both ids known: precision / recall (TP / FP / FN); record-pair threshold "
              f"{linking.RECORD_THRESHOLD}. Tune and holdout: names by hash, halves 0 and 1.", "",
              "| profile threshold | tune: precision / recall (TP / FP / FN) | holdout: precision / recall "
              "(TP / FP / FN) | masked authorships of a person with later ids: own / other / no profile | "
              "… of a person without: attached to a profile |", "|---|---|---|---|---|"]
    for t, res in rows:
        mark = " (build)" if t == linking.PROFILE_THRESHOLD else ""
        tune, hold, alls = res
        rec, orph = alls["records"], alls["orphans"]
        lines.append(f"| {t}{mark} | {pr(tune['all'])} | {pr(hold['all'])} | {rec['own_profile']:,} / "
                     f"{rec['other_profile']:,} / {rec['no_profile']:,} of {rec['n']:,} | "
                     f"{orph['other_profile']:,} of {orph['n']:,} |")
    build = dict(rows)[linking.PROFILE_THRESHOLD]
    sn = build[2]["same_name"]
    lines += ["", f"At the build's thresholds, over both halves: precision / recall {pr(build[2]['all'])}; "
              f"same-name pairs only {pr(sn)}. Linking the masked build took {timing['wall']:.0f} s "
              f"({timing['cpu']:.0f} s CPU) for both models.", ""]
    return lines, timing


def independent(e) -> list[str]:
    res = linking_eval.score_independent(e)
    lines = ["**Independent ids** (the linker reads neither; same-name pairs of id-less authorships that both "
             "carry one, against the build's person keys):", "",
             "| id | precision | recall | TP / FP / FN |", "|---|---|---|---|"]
    for k, label in (("acl_anthology", "ACL Anthology (ACL, EMNLP, NAACL, COLING 2020–2025)"),
                     ("ieee", "IEEE Xplore (ICRA, IROS 2000–2023; precision not meaningful, see below)")):
        r = res[k]
        lines.append(f"| {label} | {f3(r['precision'])} | {f3(r['recall'])} | {r['tp']:,} / {r['fp']:,} / "
                     f"{r['fn']:,} |")
    return lines + [""]


def nips2019(e) -> list[str]:
    people, later, later21, prof = e.query("""
        WITH n19 AS (SELECT DISTINCT l.person_key FROM person_links l JOIN paper_tiers t USING (venue, year, paper_id)
                     WHERE l.venue = 'nips' AND l.year = 2019 AND t.tier_rank > 0),
             last AS (SELECT person_key, max(year) AS last_year FROM person_links GROUP BY 1)
        SELECT count(*), count(*) FILTER (last_year > 2019), count(*) FILTER (last_year >= 2021),
               count(*) FILTER (starts_with(person_key, '~'))
        FROM n19 JOIN last USING (person_key)""")[0]
    return [f"**NeurIPS 2019** (accepted papers): {people:,} people; seen in a later year {later:,} "
            f"({later / people:.1%}), in 2021 or later {later21:,}, linked to an OpenReview profile {prof:,}.", ""]


def wrong_profile(path: Path) -> list[str]:
    """The hand check of attachments the masked evaluation calls wrong (another profile than the hidden id)."""
    with path.open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    n = {k: sum(r["same_person"] == k for r in rows) for k in ("same", "different", "unsure")}
    return [f"**Wrong-profile attachments by hand** ({path}: {len(rows)} masked authorships of the holdout half "
            "attached to another profile than their hidden id, read by name, affiliations and co-authors): "
            f"the same person under a second OpenReview profile {n['same']}, a different person {n['different']}, "
            f"unsure {n['unsure']}.", ""]


def labelled(s: Settings, lab: Path) -> list[str]:
    with lab.open() as f:
        pairs = [r for r in csv.DictReader(f, delimiter="\t") if r["same_person"] in ("yes", "no")]
    with connect(s, read_only=True) as e:
        key = dict(e.query("SELECT venue || ' ' || year || ' ' || paper_id || ' #' || author_order, person_key "
                           "FROM person_links"))
    cells: dict = {}
    for p in pairs:
        same = key.get(p["left_key"]) == key.get(p["right_key"])
        cells.setdefault(p["stratum"], {}).setdefault((p["same_person"], same), 0)
        cells[p["stratum"]][(p["same_person"], same)] += 1
    tp = sum(c.get(("yes", True), 0) for c in cells.values())
    fp = sum(c.get(("no", True), 0) for c in cells.values())
    fn = sum(c.get(("yes", False), 0) for c in cells.values())
    tn = sum(c.get(("no", False), 0) for c in cells.values())
    # Population recall: each stratum of the draw build weighted by its size.
    found = sum(DRAW_STRATA[k] * c.get(("yes", True), 0) / sum(c.values()) for k, c in cells.items())
    same = sum(DRAW_STRATA[k] * (c.get(("yes", True), 0) + c.get(("yes", False), 0)) / sum(c.values())
               for k, c in cells.items())
    return [f"**Hand-labelled id-less pairs** ({lab}, {len(pairs)} labelled yes/no, drawn equally from pairs an "
            "earlier build linked and did not link):", "",
            "| | labelled same | labelled different |", "|---|---|---|",
            f"| linked by this build | {tp} | {fp} |", f"| not linked | {fn} | {tn} |", "",
            f"Precision {f3(tp / (tp + fp) if tp + fp else None)}, recall in sample "
            f"{f3(tp / (tp + fn) if tp + fn else None)}; weighted by the draw build's strata "
            f"({DRAW_STRATA['linked']:,} linked, {DRAW_STRATA['not_linked']:,} not-linked same-name pairs) the "
            f"estimated recall over all same-name id-less pairs is {f3(found / same if same else None)} (pairs, not "
            "people; about 30 pairs per stratum: several points of sampling error).", ""]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--labels", default="eval/linking_pairs.tsv")
    ap.add_argument("--out", default="docs/linking.md")
    ap.add_argument("--last-masked-year", type=int, default=2022)
    a = ap.parse_args()
    s = Settings.from_env(db_path=a.db)
    lines = [BEGIN, ""]
    with connect(s, read_only=True) as e:
        methods = dict(e.query("SELECT link_method, count(*) FROM person_links GROUP BY 1"))
        lines += ["Build links: " + ", ".join(f"{k} {v:,}" for k, v in sorted(methods.items())) + ".", ""]
        lines += independent(e) + nips2019(e)
    mlines, _ = masked(s, a.db, a.last_masked_year)
    lines += mlines
    wp = Path(a.labels).with_name("linking_masked_wrong_profile.tsv")
    if wp.exists():
        lines += wrong_profile(wp)
    lab = Path(a.labels)
    if lab.exists():
        lines += labelled(s, lab)
    lines.append(END)
    out = Path(a.out)
    text = out.read_text() if out.exists() else f"{BEGIN}\n{END}\n"
    out.write_text(re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda m: "\n".join(lines), text, flags=re.S))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
