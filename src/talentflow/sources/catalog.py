"""The dataset catalog: one row per mirrored file, with upstream provenance and checksums.

The catalog is a reviewable data file (`datasets.tsv`) shipped in the package and regenerated from the mirror's
MANIFEST files by `tools/make_catalog.py`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, asdict
from pathlib import Path

from ..errors import UnknownValue

CATALOG_PATH = Path(__file__).with_name("datasets.tsv")
CATALOG_COLUMNS = ["id", "group", "venue", "year", "kind", "path", "repo", "commit", "src_path", "blob_sha",
                   "license", "sha256", "bytes", "note"]

# File kinds of conferences/ (see docs/schema.md). `excluded` files are catalogued but never ingested.
KINDS = {
    "paperlists": "Paper Copilot paperlists array (per-author ';' lists, or ', ' names in site scrapes)",
    "or_enrichment": "OpenReview author enrichment keyed by paper id; per-author fields aligned with or_profile",
    "openreview_paperlists": "paperlists-format OpenReview export whose status is only Accept/Reject",
    "neurips_scrape": "neurips.cc accepted-paper scrape {title: {authors: [[name, [aff…]]]}}",
    "neurips_scrape_tsv": "second scrape of the same neurips.cc page (kept for reference, not ingested)",
    "iclr_emails": "paperlists whose authorids are e-mail domains (@mit.edu)",
    "chang_authorids": "accepted ICLR papers with OpenReview author ids {records: [...]}",
    "chang_firstinst": "paper-level first institution for part of the ICLR papers",
    "iclr_site_status": "iclr.cc Poster/Spotlight/Oral status by title",
    "lossfunk_peer": "a peer's per-author country answers (not authorships)",
    "excluded": "mislabelled file (content belongs to another year); never ingested",
}
MISLABELLED = {"eccv2018.json.gz": "contains ECCV 2022 papers", "eccv2020.json.gz": "contains ECCV 2022 papers"}


def classify(filename: str) -> tuple[str, str, str]:
    """(venue, year, kind) from a mirror file name such as `nips2023.authors.json.gz`."""
    m = re.match(r"^([a-z0-9]+?)(\d{4})\.(.*)$", filename)
    if not m:
        raise ValueError(f"unrecognised conference file name {filename!r}")
    venue, year, rest = m.groups()
    if filename in MISLABELLED:
        kind = "excluded"
    elif rest == "json.gz":
        kind = "paperlists"
    elif rest == "authors.json.gz":
        kind = "or_enrichment"
    elif rest == "openreview.json.gz":
        kind = "openreview_paperlists"
    elif rest == "acceptedpapers.json.gz":
        kind = "neurips_scrape"
    elif rest == "acceptedpapers.tsv.gz":
        kind = "neurips_scrape_tsv"
    elif rest == "emails.json.gz":
        kind = "iclr_emails"
    elif rest == "chang_authorids.json.gz":
        kind = "chang_authorids"
    elif rest == "chang_firstinst.json.gz":
        kind = "chang_firstinst"
    elif rest == "sites_status.json.gz":
        kind = "iclr_site_status"
    elif rest == "lossfunk_author_country.json.gz":
        kind = "lossfunk_peer"
    else:
        raise ValueError(f"unrecognised conference file kind {filename!r}")
    return venue, year, kind


@dataclass(frozen=True)
class Dataset:
    id: str
    group: str
    venue: str
    year: int | None
    kind: str
    path: str
    repo: str
    commit: str
    src_path: str
    blob_sha: str
    license: str
    sha256: str
    bytes: int
    note: str

    @property
    def upstream_url(self) -> str | None:
        """Raw file URL at the pinned commit, when the file is one upstream blob."""
        if "/" not in self.repo or not re.fullmatch(r"[0-9a-f]{40}", self.commit or "") or not self.src_path:
            return None
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{self.src_path}"

    @property
    def fetchable(self) -> bool:
        # e-mail files had their local parts removed in the mirror: upstream differs by design.
        return self.upstream_url is not None and self.kind != "iclr_emails" and bool(self.blob_sha)

    @property
    def excluded_reason(self) -> str | None:
        return MISLABELLED.get(Path(self.path).name)

    def local(self, data_dir: Path) -> Path:
        return data_dir / self.path

    def as_row(self) -> dict:
        d = asdict(self)
        d["upstream_url"] = self.upstream_url or ""
        return d


def load_catalog(path: Path | None = None) -> list[Dataset]:
    """The catalog at `path` (settings.catalog_path), default the packaged one."""
    path = path or CATALOG_PATH
    with path.open(encoding="utf-8", newline="") as f:
        out = []
        for r in csv.DictReader(f, delimiter="\t"):
            out.append(Dataset(**{**r, "year": int(r["year"]) if r["year"] else None, "bytes": int(r["bytes"])}))
    return out


def select(catalog: list[Dataset], ids: list[str] | None = None, group: str | None = None,
           venue: str | None = None, year: int | None = None) -> list[Dataset]:
    """Filter the catalog; unknown ids/venues raise UnknownValue with close matches."""
    if ids:
        by_id = {d.id: d for d in catalog}
        for i in ids:
            if i not in by_id:
                raise UnknownValue("dataset", i, sorted(by_id))
        catalog = [by_id[i] for i in ids]
    if group:
        catalog = [d for d in catalog if d.group == group]
    if venue:
        venues = sorted({d.venue for d in catalog if d.venue})
        if venue not in venues:
            raise UnknownValue("venue", venue, venues)
        catalog = [d for d in catalog if d.venue == venue]
    if year is not None:
        catalog = [d for d in catalog if d.year == year]
    return catalog
