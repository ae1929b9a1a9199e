"""Pipeline stage `papers`: tier and subfield of every paper (tables paper_tiers, tier_availability,
paper_subfields, paper_subfield_tags), from the `papers` table and the two reviewable rule files."""

from __future__ import annotations

from ..errors import NotBuilt
from ..pipeline.stage import Stage
from .subfields import build_subfields, load_subfields
from .tiers import build_tiers, hygiene, load_tiers

VERSION = "2"


def run(engine, settings, progress) -> dict:
    if not engine.table_exists("papers"):
        raise NotBuilt("The papers stage needs the `papers` table from the ingest stage.")
    tiers_cfg, sub_cfg = load_tiers(), load_subfields()
    progress("paper tiers", 0, 2)
    stats = build_tiers(engine, tiers_cfg)
    h = hygiene(engine, tiers_cfg)
    # Counted in the build stats so a new status label in the data shows up without failing the build.
    stats["tier_uncovered_statuses"] = sum(r["n"] for r in h.uncovered_statuses)
    stats["tier_uncovered_tracks"] = sum(r["n"] for r in h.uncovered_tracks)
    stats["tier_venue_years_without_scheme"] = len(h.venue_years_without_scheme)
    progress("paper subfields", 1, 2)
    stats.update(build_subfields(engine, sub_cfg))
    progress("paper subfields", 2, 2)
    return stats


# `papers` holds the rows of ingest and of live (new venue-years).
STAGE = Stage("papers", needs=("ingest", "live"),
              writes=("paper_tiers", "tier_availability", "paper_subfields", "paper_subfield_tags"),
              version=VERSION, run=run, data=("careers/tiers.toml", "careers/subfields.toml"))
