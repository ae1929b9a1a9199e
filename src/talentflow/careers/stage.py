"""Pipeline stage `careers`: person links, `career_events`, `people` and `person_stages`.

Reads `authorships` (ingest), `paper_tiers` (papers) and, when present, `affiliation_resolutions` (resolve) and
the career histories of `profile_history` (live).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from ..errors import NotBuilt
from . import linking
from .events import build_events
from .histories import build_profile_events, country_checks
from .positions import POSITIONS_FILE
from .stages import build_stages

VERSION = "4"


def fingerprint(settings) -> str:
    h = hashlib.sha256()
    here = Path(__file__).parent
    # its own code too: editing how events or stages are formed rebuilds them
    code = ("stage.py", "events.py", "stages.py", "histories.py", "linking.py", "linking_models.py")
    for p in (POSITIONS_FILE, *(here / f for f in code)):
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    h.update(linking.fingerprint().encode())
    return h.hexdigest()


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
