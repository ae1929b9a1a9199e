"""Draw the hand-labelled evaluation sample of (affiliation, domain) pairs from the raw conference mirror.

Reproducible: the pair counts depend only on the mirror files, the draw only on SEED. Run
    python eval/sample_affiliations.py [--data DIR] [--out eval/sample.tsv]
The sample (not the labels) is written as TSV: affiliation, domain, stratum, n_authorships.

Pairs are counted per authorship over every record of every file that carries per-author affiliations
(rejected and withdrawn papers included: the resolver must resolve them all). One source per conference-year,
so no authorship is counted twice; see SOURCES_SKIPPED for files that are left out and why.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import re
import sys
from collections import Counter
from pathlib import Path

SEED = 20261122
N_FREQUENT = 215
N_LONGTAIL = 215
LONGTAIL_MAX = 3  # a pair is long tail when seen in at most this many authorships

# Files whose `aff` is a list of a paper's unique affiliations, not one entry per author (cannot be paired with
# people), or whose conference-year is covered by a richer file of the same year.
_PAPER_LEVEL = re.compile(r"^(cvpr|iccv|eccv|siggraph|siggraphasia)/")
_WACV_PAPER_LEVEL = re.compile(r"^wacv/wacv(\d{4})\.json\.gz$")
_ICLR_PAPER_LEVEL = re.compile(r"^iclr/iclr(2017|2018|2019|2020|2022)\.json\.gz$")
_SKIP_KINDS = ("chang_authorids", "chang_firstinst", "sites_status", "lossfunk_author_country")
SOURCES_SKIPPED = {
    "cvpr/iccv/eccv/siggraph/siggraphasia, wacv<=2024": "aff is a paper-level list of unique affiliations",
    "iclr2017-2020.json, iclr2022.json": "aff is paper-level; per-author signal is in .emails / .authors files",
    "nips2020.acceptedpapers.tsv": "second scrape of the same page as nips2020.acceptedpapers.json",
    "chang_*, sites_status, lossfunk": "no per-author affiliation strings",
    "<venue><year>.json when <venue><year>.authors.json or .openreview.json exists": "same papers, richer file",
}


def data_root(data: str | os.PathLike | None = None) -> Path:
    root = Path(data or os.environ.get("TALENTFLOW_DATA") or "/work/shared/data")
    return root / "conferences" if (root / "conferences").is_dir() else root


def source_files(conf: Path) -> list[Path]:
    """Per-author affiliation sources, one per conference-year, sorted for determinism."""
    files = sorted(p for p in conf.glob("*/*.json.gz"))
    names = {p.relative_to(conf).as_posix() for p in files}
    out = []
    for p in files:
        rel = p.relative_to(conf).as_posix()
        if _PAPER_LEVEL.match(rel) or _ICLR_PAPER_LEVEL.match(rel) or any(k in rel for k in _SKIP_KINDS):
            continue
        m = _WACV_PAPER_LEVEL.match(rel)
        if m and int(m.group(1)) <= 2024:
            continue
        stem = rel[: -len(".json.gz")]
        if "." not in stem.split("/")[-1]:  # plain paperlists file: skip if a richer sibling exists
            if f"{stem}.authors.json.gz" in names or f"{stem}.openreview.json.gz" in names:
                continue
        out.append(p)
    return out


def _split(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    return [v.strip() for v in str(value).split(";")]


def pairs_from_file(path: Path) -> tuple[Counter, dict]:
    """(affiliation, domain) -> authorship count for one file, plus counts of skipped records."""
    name = path.name
    counts: Counter = Counter()
    stats = Counter()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    if name.endswith(".acceptedpapers.json.gz"):
        # {title: {"authors": [[name, [aff, ...]], ...]}}: each listed affiliation of an author counts once.
        for paper in data.values():
            for _name, affs in paper.get("authors", []):
                for aff in affs or []:
                    aff = str(aff).strip()
                    if aff:
                        counts[(aff, "")] += 1
        return counts, dict(stats)
    records = data["records"] if isinstance(data, dict) else data
    if name.endswith(".emails.json.gz"):
        # authorids are e-mail domains ('@mit.edu'); the domain is the only per-author signal.
        for r in records:
            for aid in _split(r.get("authorids")):
                if aid.startswith("@") and len(aid) > 1:
                    counts[("", aid[1:].strip())] += 1
        return counts, dict(stats)
    for r in records:
        affs = _split(r.get("aff"))
        doms = _split(r.get("aff_domain"))
        if not any(affs) and not any(doms):
            continue
        if not any(doms):
            # Files without domains (AAAI, ICRA/IROS, old NeurIPS): one aff entry per author. ICRA/IROS author
            # lists are doubled but aff is already given once per author, so every entry counts once.
            for aff in affs:
                if aff:
                    counts[(aff, "")] += 1
            stats["aff_only_records"] += 1
            continue
        if not any(affs):
            affs = [""] * len(doms)
        if len(affs) != len(doms):
            stats["skipped_length_mismatch"] += 1
            continue
        for aff, dom in zip(affs, doms):
            if aff or dom:
                counts[(aff, dom)] += 1
        stats["paired_records"] += 1
    return counts, dict(stats)


def count_pairs(data: str | os.PathLike | None = None) -> tuple[Counter, dict]:
    conf = data_root(data)
    total: Counter = Counter()
    per_file = {}
    for p in source_files(conf):
        c, s = pairs_from_file(p)
        total.update(c)
        per_file[p.relative_to(conf).as_posix()] = {"authorships": sum(c.values()), **s}
    return total, per_file


def draw(counts: Counter, seed: int = SEED, n_frequent: int = N_FREQUENT, n_longtail: int = N_LONGTAIL):
    """Frequency-weighted draw without replacement, then a uniform draw from the remaining long tail."""
    rng = random.Random(seed)
    items = sorted(counts.items())  # deterministic order before any random number is used
    # Efraimidis–Spirakis: key u**(1/w), take the largest keys.
    keyed = sorted(((rng.random() ** (1.0 / n), pair) for pair, n in items), reverse=True)
    frequent = [pair for _k, pair in keyed[:n_frequent]]
    taken = set(frequent)
    tail = [pair for pair, n in items if n <= LONGTAIL_MAX and pair not in taken]
    longtail = rng.sample(tail, n_longtail)
    rows = [(a, d, "frequent", counts[(a, d)]) for a, d in frequent]
    rows += [(a, d, "longtail", counts[(a, d)]) for a, d in longtail]
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="mirror root (default $TALENTFLOW_DATA or /work/shared/data)")
    ap.add_argument("--out", default="-", help="output TSV (default stdout)")
    ap.add_argument("--stats", action="store_true", help="print per-file authorship counts to stderr")
    args = ap.parse_args(argv)
    counts, per_file = count_pairs(args.data)
    if args.stats:
        for f, s in per_file.items():
            print(f, s, file=sys.stderr)
    print(f"{len(per_file)} files, {sum(counts.values())} authorships, {len(counts)} distinct pairs, "
          f"{sum(1 for n in counts.values() if n <= LONGTAIL_MAX)} long-tail pairs", file=sys.stderr)
    write_tsv(args.out, ["affiliation", "domain", "stratum", "n_authorships"], draw(counts))
    return 0


def write_tsv(out: str, header: list[str], rows) -> None:
    """A drawn sample as TSV to a file, or to stdout for '-'."""
    fh = sys.stdout if out == "-" else open(out, "w", newline="", encoding="utf-8")
    w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    if fh is not sys.stdout:
        fh.close()


if __name__ == "__main__":
    raise SystemExit(main())
