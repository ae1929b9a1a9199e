"""Scale benchmark: a synthetic mirror of N authorships in the mirror's own format, built cold, at several N.

    python benchmarks/synth.py --data ../shared/data --n 1000000,3000000,10000000 [--engine duckdb] [--keep DIR]

The synthetic conference files are Paper Copilot "paperlists" JSON (the mirror's main format), one per real
conference-year, with distributions drawn from the real mirror: affiliation/domain/position triples by their real
frequency (so the long tail of rare strings is there, and the resolver sees real strings), author counts per paper,
name tokens, people who publish as often as the mirror's identified people do (OpenReview ids from 2021 on, names only before), some who move, and per-author lists whose length does not match
the author count in 0.5% of records (quarantined by ingest, as in the real data). Registry, indicator and peer files
are the real ones (symlinked), so every stage runs. The catalog lists the synthetic files with their checksums, so a
build verifies them like real inputs.

Appends one row per N to benchmarks/RESULTS.md: wall time, peak RSS of the build process, per-stage seconds, the
same-run floor (DuckDB reading every synthetic file once) and the ratio to it."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).with_name("RESULTS.md")
SEED = 20261202
FAULT_RATE = 0.005
MOVE_RATE = 0.10  # share of people whose affiliation changes once, half-way through their years


def real_distributions(data: Path, catalog: Path, max_sources: int | None = None) -> dict:
    """Empirical distributions from the real mirror's paperlists files with OpenReview ids and aligned lists
    (`max_sources`: only that many files, every k-th one, for a quick check of the generator)."""
    triples: Counter = Counter()
    sizes: Counter = Counter()
    first: Counter = Counter()
    last: Counter = Counter()
    years: list[tuple[str, str, int]] = []
    per_id: Counter = Counter()
    with catalog.open() as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["kind"] == "paperlists"]
    if max_sources:
        rows = rows[::max(1, len(rows) // max_sources)][:max_sources]
    for r in rows:
        recs = json.loads(gzip.open(data / r["path"]).read())
        if not isinstance(recs, list):
            continue
        years.append((r["venue"], r["year"], len(recs)))
        for p in recs:
            names = [a.strip() for a in str(p.get("author") or "").split(";") if a.strip()]
            if not names:
                continue
            sizes[min(len(names), 40)] += 1
            for n in names:
                parts = n.split()
                if len(parts) >= 2:
                    first[parts[0]] += 1
                    last[parts[-1]] += 1
            ids = str(p.get("authorids") or "").split(";")
            per_id.update(i for i in ids if i.startswith("~"))
            aff, dom, pos = (str(p.get(k) or "").split(";") for k in ("aff", "aff_domain", "position"))
            if ids[:1] and ids[0].startswith("~") and len(aff) == len(dom) == len(names):
                for i in range(len(names)):
                    if aff[i] or dom[i]:
                        triples[(aff[i], dom[i], pos[i] if len(pos) == len(names) else "")] += 1
    def arr(c: Counter):
        keys = sorted(c)  # sorted: the same mirror gives the same synthetic files
        w = np.array([c[k] for k in keys], dtype=float)
        return keys, w / w.sum()
    return {"triples": arr(triples), "sizes": arr(sizes), "first": arr(first), "last": arr(last),
            "papers_per_person": arr(Counter(per_id.values())),
            "years": sorted(y for y in years if y[2] > 0)}


def write_synthetic(data: Path, catalog: Path, out: Path, n: int, max_sources: int | None = None) -> dict:
    """Writes out/{conferences,registry,indicators,peers} and out/catalog.tsv; returns counts."""
    rng = np.random.default_rng(SEED)
    d = real_distributions(data, catalog, max_sources)
    out.mkdir(parents=True, exist_ok=True)
    for g in ("registry", "indicators", "peers"):
        if (data / g).exists() and not (out / g).exists():
            (out / g).symlink_to((data / g).resolve())
    sizes, size_p = d["sizes"]
    mean_size = float(np.dot(sizes, size_p))
    n_papers = max(1, int(n / mean_size))
    # people publish as often as the mirror's identified people do (1 paper for most, up to ~180)
    ck, cp = d["papers_per_person"]
    n_people = max(1, int(n / float(np.dot(ck, cp))))
    fk, fp = d["first"]
    lk, lp = d["last"]
    tk, tp = d["triples"]
    fi = rng.choice(len(fk), n_people, p=fp)
    li = rng.choice(len(lk), n_people, p=lp)
    t1 = rng.choice(len(tk), n_people, p=tp)
    t2 = np.where(rng.random(n_people) < MOVE_RATE, rng.choice(len(tk), n_people, p=tp), t1)
    slots = np.repeat(np.arange(n_people), rng.choice(ck, n_people, p=cp))
    rng.shuffle(slots)
    vy = d["years"]
    weight = np.array([c for *_, c in vy], dtype=float)
    per_file = np.bincount(rng.choice(len(vy), n_papers, p=weight / weight.sum()), minlength=len(vy))
    year_rank = {k: i for i, k in enumerate(sorted({int(y) for _, y, _ in vy}))}
    half = len(year_rank) / 2
    conf_rows, total_auth, faults, cursor = [], 0, 0, 0
    for (venue, year, _), k in zip(vy, per_file):
        if k == 0:
            continue
        late = year_rank[int(year)] >= half
        counts = rng.choice(sizes, k, p=size_p)
        people = np.take(slots, np.arange(cursor, cursor + int(counts.sum())), mode="wrap")
        cursor = (cursor + int(counts.sum())) % len(slots)
        ids_known = int(year) >= 2021  # OpenReview ids exist from 2021 on; earlier years are linked by name
        recs, at = [], 0
        for j, c in enumerate(counts):
            who = people[at:at + c]
            at += c
            trip = [tk[t2[w] if late else t1[w]] for w in who]
            names = [f"{fk[fi[w]]} {lk[li[w]]}" for w in who]
            aff = [t[0] for t in trip]
            if rng.random() < FAULT_RATE:
                aff = aff[:-1] if len(aff) > 1 else aff + ["extra"]
                faults += 1
            recs.append({"id": f"syn{venue}{year}-{j}", "title": f"Synthetic paper {venue} {year} {j}",
                         "track": "main", "status": "Poster" if rng.random() > 0.1 else "Oral",
                         "author": ";".join(names),
                         "authorids": ";".join(f"~{fk[fi[w]]}_{lk[li[w]]}{w}" for w in who) if ids_known else "",
                         "aff": ";".join(aff), "aff_domain": ";".join(t[1] for t in trip),
                         "position": ";".join(t[2] for t in trip)})
        total_auth += int(counts.sum())
        rel = f"conferences/{venue}/{venue}{year}.json.gz"
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        raw = json.dumps(recs).encode()
        p.write_bytes(gzip.compress(raw, compresslevel=3, mtime=0))
        conf_rows.append({"id": f"{venue}{year}", "group": "conferences", "venue": venue, "year": year,
                          "kind": "paperlists", "path": rel, "repo": "synthetic/talentflow-bench",
                          "commit": "0" * 40, "src_path": rel, "blob_sha": hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest(),
                          "license": "synthetic", "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                          "bytes": str(p.stat().st_size), "note": f"synthetic, seed {SEED}"})
    with catalog.open() as f:
        reader = csv.DictReader(f, delimiter="\t")
        cols = reader.fieldnames
        keep = [r for r in reader if r["group"] != "conferences"]
    with (out / "catalog.tsv").open("w", newline="") as f:
        w = csv.DictWriter(f, cols, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(keep + conf_rows)
    return {"authorships": total_auth, "papers": int(per_file.sum()), "people": n_people, "files": len(conf_rows),
            "faults": faults, "bytes": sum(int(r["bytes"]) for r in conf_rows)}


CHILD = """
import json, resource, sys, time
from pathlib import Path
from talentflow.settings import Settings
from talentflow.pipeline import build
s = Settings.from_env(data_dir=sys.argv[1], db_path=sys.argv[2], catalog_path=Path(sys.argv[1]) / "catalog.tsv",
                      engine=sys.argv[3])
marks = []
def progress(label, done=0, total=0):  # the build announces each stage as it starts
    if str(label).startswith("stage ") and (not marks or marks[-1][0] != label[6:]):
        marks.append((label[6:], time.perf_counter()))
t = time.perf_counter()
r = build(s, progress=progress)
end = time.perf_counter()
spans = {m[0]: (marks[i + 1][1] if i + 1 < len(marks) else end) - m[1] for i, m in enumerate(marks)}
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": end - t, "ran": r.ran, "stages": spans, "cpu": u.ru_utime + u.ru_stime,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

FLOOR = """
import sys, time, duckdb
t = time.perf_counter()
duckdb.connect(config={"threads": 2}).execute(
    "SELECT count(*) FROM read_json_objects(?, format='array', maximum_object_size=1073741824)",
    [sys.argv[1] + "/conferences/*/*.json.gz"]).fetchall()
print(time.perf_counter() - t)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("TALENTFLOW_DATA", "../shared/data"))
    ap.add_argument("--n", default="1000000", help="comma-separated authorship counts")
    ap.add_argument("--engine", default="duckdb")
    ap.add_argument("--keep", type=Path, help="keep the synthetic mirrors under this directory")
    ap.add_argument("--no-results", action="store_true", help="do not append to RESULTS.md")
    args = ap.parse_args()
    data = Path(args.data).resolve()
    catalog = Path(__file__).resolve().parents[1] / "src" / "talentflow" / "sources" / "datasets.tsv"
    root = args.keep or Path(tempfile.mkdtemp(prefix="talentflow-synth-"))
    try:
        for n in [int(float(x)) for x in args.n.split(",")]:
            out = root / f"n{n}"
            t = time.perf_counter()
            info = write_synthetic(data, catalog, out, n)
            wrote = time.perf_counter() - t
            floor = float(subprocess.run([sys.executable, "-c", FLOOR, str(out)], check=True, capture_output=True,
                                         text=True).stdout.strip())
            db = out / "bench.duckdb"
            db.unlink(missing_ok=True)
            res = subprocess.run([sys.executable, "-c", CHILD, str(out), str(db), args.engine], capture_output=True,
                                 text=True)
            if res.returncode:
                sys.exit(f"build of n={n} failed:\n{res.stderr[-4000:]}")
            r = json.loads(res.stdout.strip().splitlines()[-1])
            stages = ", ".join(f"{k} {v:.0f} s" for k, v in r["stages"].items() if v)
            load = os.getloadavg()[0]
            row = (f"| {dt.date.today()} | synth build ({args.engine}) | {os.cpu_count()} cores, load {load:.1f} | "
                   f"{info['authorships']:,} authorships, {info['papers']:,} papers, {info['files']} files "
                   f"({info['bytes'] / 2**20:.0f} MiB gz), {info['faults']} list faults | cold {r['seconds']:.1f} s "
                   f"({r['cpu']:.0f} CPU-s), "
                   f"peak RSS {r['rss_mb'] / 1024:.2f} GB | floor (DuckDB reads every file) {floor:.1f} s → "
                   f"{r['seconds'] / floor:.1f}× | {stages}; files written in {wrote:.0f} s |")
            print(row, flush=True)
            if not args.no_results:
                with RESULTS.open("a") as f:
                    f.write(row + "\n")
            db.unlink(missing_ok=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
