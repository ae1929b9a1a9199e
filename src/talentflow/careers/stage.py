"""Pipeline stage `careers`: person links, `career_events`, `people` and `person_stages`.

Reads `authorships` (ingest), `paper_tiers` (papers) and, when present, `affiliation_resolutions` (resolve).
"""

from __future__ import annotations

import hashlib
import time

from ..errors import NotBuilt
from . import linking
from .events import build_events
from .positions import POSITIONS_FILE
from .stages import build_stages

VERSION = "3"


def fingerprint(settings) -> str:
    h = hashlib.sha256()
    for p in (POSITIONS_FILE,):
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
    stats.update(build_events(engine))
    progress("careers: stages", 2, 3)
    stats.update(build_stages(engine))
    progress("careers: stages", 3, 3)
    return stats
