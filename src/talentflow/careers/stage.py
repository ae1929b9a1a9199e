"""Pipeline stage `careers`: person links, `career_events`, `people` and `person_stages`.

Reads `authorships` (ingest), `paper_tiers` (papers) and, when present, `affiliation_resolutions` (resolve) and
the career histories of `profile_history` (live).
"""

from __future__ import annotations

import time

from ..errors import NotBuilt
from ..pipeline.stage import Stage
from . import linking
from .events import build_events
from .histories import build_profile_events, country_checks
from .stages import build_stages

VERSION = "4"


def params(settings) -> str:
    """splink trains the linking models: its version is part of what the links are made of."""
    from importlib import metadata

    try:
        return "splink " + metadata.version("splink")
    except metadata.PackageNotFoundError:
        return "no splink"


def run(engine, settings, progress) -> dict:
    if not engine.table_exists("authorships"):
        raise NotBuilt("The careers stage needs the `authorships` table from the ingest stage.")
    stats: dict = {}
    t = time.perf_counter()
    progress("careers: linking", 0, 3)
    stats.update(linking.build_links(engine, settings))
    stats["linking_seconds"] = round(time.perf_counter() - t, 1)
    progress("careers: events", 1, 3)
    stats.update(build_profile_events(engine))
    stats.update(build_events(engine))
    if engine.table_exists("profile_history") and engine.table_exists("affiliation_resolutions"):
        stats.update(country_checks(engine))
    progress("careers: stages", 2, 3)
    stats.update(build_stages(engine))
    progress("careers: stages", 3, 3)
    return stats


STAGE = Stage("careers", needs=("ingest", "live", "resolve", "papers"),
              writes=("person_links", "profile_events", "career_events", "profile_country_checks", "people",
                      "person_stages"),
              version=VERSION, run=run, data=("careers/positions.csv",), params=params)
