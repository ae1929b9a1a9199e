"""Ingest units: the datasets that together make one conference-year (a status file and its enrichment).

A unit is rebuilt when the checksum of any member file or the reader version changes.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from ..sources.catalog import Dataset

# Kinds that are catalogued but not turned into papers/authorships by themselves.
NOT_INGESTED = {
    "excluded": "mislabelled file",
    "neurips_scrape_tsv": "second scrape of the page already read from the .json scrape",
}


@dataclass
class Unit:
    """One conference-year. `roles` maps a role to the dataset playing it."""

    id: str
    venue: str
    year: int
    roles: dict[str, Dataset] = field(default_factory=dict)

    @property
    def members(self) -> list[Dataset]:
        return sorted(self.roles.values(), key=lambda d: d.id)

    def key(self, reader_version: str) -> str:
        h = hashlib.sha256(reader_version.encode())
        for d in self.members:
            h.update(f"{d.id}:{d.sha256}".encode())
        return h.hexdigest()[:32]

    @property
    def shape(self) -> str:
        """Which reader builds this unit (see stage.py)."""
        r = self.roles
        if "chang" in r and "base" not in r:
            return "chang"
        if "emails" in r:
            return "emails"
        if "scrape" in r:
            return "scrape"
        if "openreview" in r:
            return "openreview"
        if "enrichment" in r:
            return "enrichment"
        return "paperlists"


ROLE_OF_KIND = {
    "paperlists": "base",
    "or_enrichment": "enrichment",
    "openreview_paperlists": "openreview",
    "neurips_scrape": "scrape",
    "iclr_emails": "emails",
    "chang_authorids": "chang",
    "chang_firstinst": "firstinst",
    "iclr_site_status": "site_status",
    "lossfunk_peer": "peer",
}


def plan_units(catalog: list[Dataset]) -> tuple[list[Unit], list[tuple[Dataset, str]]]:
    """Group conference datasets into units. Returns (units, [(dataset, reason not ingested)])."""
    by_vy: dict[tuple[str, int], Unit] = {}
    skipped: list[tuple[Dataset, str]] = []
    for d in catalog:
        if d.group != "conferences":
            continue
        if d.kind in NOT_INGESTED:
            skipped.append((d, NOT_INGESTED[d.kind] + (f": {d.excluded_reason}" if d.excluded_reason else "")))
            continue
        u = by_vy.setdefault((d.venue, d.year), Unit(f"{d.venue}{d.year}", d.venue, d.year))
        role = ROLE_OF_KIND[d.kind]
        if role in u.roles:
            raise ValueError(f"two {role} datasets for {u.id}: {u.roles[role].id}, {d.id}")
        u.roles[role] = d
    units = sorted(by_vy.values(), key=lambda u: (u.venue, u.year))
    out = []
    for u in units:
        if set(u.roles) == {"peer"}:
            out.append(u)  # peer-only unit: feeds peer_author_country
        elif "base" not in u.roles and "chang" not in u.roles and "emails" not in u.roles:
            for d in u.members:
                skipped.append((d, f"no paper list for {u.id}"))
        else:
            out.append(u)
    return out, skipped
