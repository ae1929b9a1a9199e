"""Bounded resources (limits.py): parameters checked before any work, in the library, so the CLI gives a one-line
error and the API a 422 naming the parameter; gzip content streamed with a cap from the catalog; resolve input
length capped. Each test failed before its limit existed."""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc

import pytest
from typer.testing import CliRunner

from conftest import fixture_settings
from talentflow.cli.main import app
from talentflow.errors import ChecksumMismatch, InputError, UnknownValue
from talentflow.ingest.build import build
from talentflow.sources.catalog import load_catalog
from talentflow.sources.verify import check

PAPERS = [{"id": "P1", "title": "T", "status": "Poster", "author": "Ann Lee;Bo Chen",
           "aff": "Alpha University;Alpha University", "aff_domain": "alpha.edu;alpha.edu"}]
BOMB_MIB = 100  # decompressed size of the test's gzip bomb (~100 kB on disk)


def _bomb(path) -> None:
    """A gzip of BOMB_MIB MiB of zeros, written in pieces (the test itself stays small)."""
    zeros = b"\0" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as f:
        for _ in range(BOMB_MIB):
            f.write(zeros)


# ---- gzip content: streamed, capped ------------------------------------------------------------------------
def test_verify_of_a_gzip_bomb_streams_and_stops_at_the_cap(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": PAPERS})
    (ds,) = load_catalog(s.catalog_path)
    _bomb(ds.local(s.data_dir))
    tracemalloc.start()
    t = time.monotonic()
    c = check(ds, s.data_dir)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB allocated"  # was the whole content (100 MiB) at once
    assert c.status == "mismatch" and "decompresses to more than" in c.detail and "gzip bomb" in c.detail
    assert time.monotonic() - t < 5


def test_a_recompressed_file_still_verifies_by_content(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": PAPERS})
    (ds,) = load_catalog(s.catalog_path)
    p = ds.local(s.data_dir)
    content = gzip.decompress(p.read_bytes())
    p.write_bytes(gzip.compress(content, compresslevel=1, mtime=12345))  # other gzip bytes, same content
    assert check(ds, s.data_dir).status == "content-ok"
    # two gzip members: the trailer's length is not the content's, the streamed blob id is still right
    p.write_bytes(gzip.compress(content[:10]) + gzip.compress(content[10:]))
    assert check(ds, s.data_dir).status == "content-ok"


def test_data_verify_names_the_bomb(tmp_path):
    data = tmp_path / "d"
    (ds,) = [d for d in load_catalog() if d.id == "aaai2021"]  # packaged catalog: the cap is ~64 MB here
    ds.local(data).parent.mkdir(parents=True)
    _bomb(ds.local(data))
    res = CliRunner().invoke(app, ["--data", str(data), "data", "verify", "--venue", "aaai", "--partial",
                                   "--format", "json"])
    assert res.exit_code == 1, res.output
    row = next(r for r in json.loads(res.stdout) if r["id"] == "aaai2021")
    assert row["status"] == "mismatch" and "gzip bomb" in row["detail"]


def test_build_refuses_a_bomb_naming_it_even_with_allow_changed(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": PAPERS})
    (ds,) = load_catalog(s.catalog_path)
    _bomb(ds.local(s.data_dir))
    with pytest.raises(ChecksumMismatch, match="aaai2021.json.gz.*decompresses to more than"):
        build(s)
    tracemalloc.start()
    with pytest.raises(InputError, match="aaai2021.json.gz.*decompresses to more than"):
        build(s.with_(allow_changed=True))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 << 20
    assert not s.db_path.exists()
