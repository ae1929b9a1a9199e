"""Regenerate src/talentflow/sources/datasets.tsv from a data mirror's MANIFEST files.

Run by a maintainer when the mirror changes:  python tools/make_catalog.py ../shared/data
The catalog carries provenance (repository, commit, path, blob sha, licence) and the sha256/size of each mirrored
file; it contains no data.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from talentflow.sources.catalog import CATALOG_COLUMNS, CATALOG_PATH, classify  # noqa: E402
from talentflow.sources.verify import file_sha256  # noqa: E402


def sha256(p: Path) -> str:
    return file_sha256(p)


def read_tsv(p: Path) -> list[dict]:
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def main(data: Path) -> None:
    rows = []
    # conferences: one MANIFEST row per staged file
    for m in read_tsv(data / "conferences/MANIFEST.tsv"):
        rel = "conferences/" + m["staged_path"]
        f = data / rel
        name = Path(m["staged_path"]).name
        venue, year, kind = classify(name)
        rows.append(dict(id=re.sub(r"\.json\.gz$|\.gz$", "", name), group="conferences", venue=venue, year=year,
                         kind=kind, path=rel, repo=m["repo"], commit=m["commit"], src_path=m["src_path"],
                         blob_sha=m["blob_sha"], license=m["license"], note=m["note"],
                         sha256=sha256(f), bytes=f.stat().st_size))
    # registry, indicators, peers: folder MANIFESTs keyed by staged name
    for group in ("registry", "indicators", "peers"):
        for mf in sorted((data / group).rglob("MANIFEST*.tsv*")):
            if mf.name == "MANIFEST_ALL.tsv" or mf.name == "MANIFEST.tsv.gz":
                continue
            for m in read_tsv(mf):
                staged = m.get("staged_as") or m.get("file")
                if not staged:
                    continue
                candidates = [mf.parent / staged, mf.parent / (staged + ".gz")]
                f = next((c for c in candidates if c.is_file()), None)
                if f is None:
                    continue
                rel = str(f.relative_to(data))
                rows.append(dict(id=re.sub(r"\.gz$", "", rel), group=group, venue="", year="", kind=group,
                                 path=rel, repo=m.get("repo", ""), commit=m.get("commit", ""),
                                 src_path=m.get("path", ""), blob_sha=m.get("blob", ""),
                                 license=m.get("license", ""), note=(m.get("note") or m.get("notes") or ""),
                                 sha256=sha256(f), bytes=f.stat().st_size))
    # files that no MANIFEST row names: catalogued as local-only (not fetchable from a single upstream blob)
    known = {r["path"] for r in rows}
    for group in ("registry", "indicators", "peers"):
        for f in sorted((data / group).rglob("*")):
            rel = str(f.relative_to(data))
            if f.is_file() and rel not in known and "MANIFEST" not in f.name and f.name != "README.md":
                rows.append(dict(id=re.sub(r"\.gz$", "", rel), group=group, venue="", year="", kind=group,
                                 path=rel, repo="", commit="", src_path="", blob_sha="", license="",
                                 note="no per-file upstream record in the mirror MANIFEST (derived or aggregated)",
                                 sha256=sha256(f), bytes=f.stat().st_size))
    rows.sort(key=lambda r: (r["group"], r["path"]))
    with open(CATALOG_PATH, "w", encoding="utf-8", newline="") as out:
        w = csv.DictWriter(out, CATALOG_COLUMNS, delimiter="\t", lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            r["note"] = r["note"].replace("\t", " ").replace("\n", " ")
            w.writerow(r)
    print(f"wrote {len(rows)} datasets to {CATALOG_PATH}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
