"""The scale benchmark's synthetic mirror (benchmarks/synth.py) is a valid mirror: its catalog verifies, ingest
reads every authorship it wrote, and the per-author lists it spoiled on purpose are quarantined, not misaligned."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from talentflow.engine import connect
from talentflow.pipeline import build
from talentflow.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _synth():
    spec = importlib.util.spec_from_file_location("synth", ROOT / "benchmarks" / "synth.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_synthetic_mirror_ingests_completely_and_quarantines_its_faults(mirror_dir, tmp_path):
    synth = _synth()
    catalog = ROOT / "src" / "talentflow" / "sources" / "datasets.tsv"
    info = synth.write_synthetic(mirror_dir, catalog, tmp_path / "m", 4000, max_sources=40)
    assert 3000 < info["authorships"] < 5000 and info["files"] > 20
    s = Settings(data_dir=tmp_path / "m", db_path=tmp_path / "db.duckdb", catalog_path=tmp_path / "m" / "catalog.tsv")
    res = build(s, stages=["talentflow.ingest.stage"])
    assert not res.changed  # every synthetic file matches its catalog checksum
    with connect(s, read_only=True) as e:
        assert e.scalar("SELECT count(*) FROM authorships") == info["authorships"]
        # a spoiled record keeps its authors, loses its per-author fields, and is counted
        q = e.scalar("SELECT count(DISTINCT record_key) FROM quarantine WHERE field = 'aff' "
                     "AND problem = 'list_length_mismatch'")
        assert q == info["faults"]
        ids = e.scalar("SELECT count(*) FROM authorships WHERE person_id IS NOT NULL AND year < 2021")
        assert ids == 0  # names only before OpenReview ids, as in the real mirror
    again = synth.write_synthetic(mirror_dir, catalog, tmp_path / "m2", 4000, max_sources=40)
    assert again == info  # seeded: the same mirror gives the same synthetic files
    for p in (tmp_path / "m" / "conferences").rglob("*.json.gz"):
        twin = tmp_path / "m2" / p.relative_to(tmp_path / "m")
        assert p.read_bytes() == twin.read_bytes()
