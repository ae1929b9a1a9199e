"""Pipeline stage `datasets`: the `datasets` table — every catalogued file (conferences, registry, indicators,
peers) with its provenance, its role in a conference-year and the rows read from it.

A stage of its own because it lists the whole catalog: a new indicator or registry file changes this table, not
the papers (the ingest stage's key holds only the conference files it reads)."""

from __future__ import annotations

import hashlib

from ..pipeline.stage import Stage
from ..sources import catalog as cat
from ..sources.catalog import load_catalog
from . import stage as ingest
from .units import plan_units

VERSION = "1"


def params(settings) -> str:
    """The catalog itself (every row is listed)."""
    return hashlib.sha256((settings.catalog_path or cat.CATALOG_PATH).read_bytes()).hexdigest()


def run(eng, settings, progress) -> dict:
    catalog = load_catalog(settings.catalog_path)
    units, skipped = plan_units(catalog)
    chosen = ingest.selected_units(settings)
    ids = {u.id for u in chosen}
    skipped += [(d, "not ingested: not in this subset build") for u in units if u.id not in ids for d in u.members]
    ingest._datasets_table(eng, chosen, skipped, catalog)
    return {"datasets": eng.scalar("SELECT count(*) FROM datasets")}


STAGE = Stage("datasets", needs=("ingest", "live"), writes=("datasets",), version=VERSION, run=run, params=params)
