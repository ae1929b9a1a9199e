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
from talentflow.pipeline import build
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


# ---- metric parameters: one check in the library, a one-line error in the CLI ---------------------------------
@pytest.fixture(scope="module")
def metrics_db(tmp_path_factory):
    from report_support import synthetic_metric_tables, tiny_settings

    s = tiny_settings(tmp_path_factory.mktemp("limits"))
    synthetic_metric_tables(s.db_path)
    return s


def _cli(s, *args):
    return CliRunner().invoke(app, ["--db", str(s.db_path), *args])


@pytest.mark.parametrize("args,what", [
    (["shares", "--n-boot", "-5"], "--n-boot"),       # gave zero-width intervals, exit 0
    (["shares", "--n-boot", "0"], "--n-boot"),
    (["shares", "--n-boot", "10001"], "--n-boot"),    # 10,000,000 raised MemoryError (205 GiB)
    (["trend", "--n-boot", "10001"], "--n-boot"),
    (["flows", "--n-boot", "-1"], "--n-boot"),
    (["shares", "--seed", "-1"], "--seed"),           # a numpy ValueError traceback
    (["institutions", "--limit", "0"], "limit"),
    (["shares", "--limit", "-3"], "limit"),
    (["shares", "--year", "1"], "year"),
    (["shares", "--venue", "x" * 5000], "venue"),
])
def test_cli_refuses_out_of_bounds_parameters_with_one_line(metrics_db, args, what):
    t = time.monotonic()
    res = _cli(metrics_db, *args, "--format", "json")
    assert res.exit_code == 2, (res.exit_code, res.output[-500:])
    assert f"{what}" in res.output and "Traceback" not in res.output and len(res.output) < 600
    assert time.monotonic() - t < 5


def test_cli_accepts_the_bounds(metrics_db):
    for n in ("1", "10000"):
        res = _cli(metrics_db, "shares", "--venue", "nips", "--year", "2019", "--n-boot", n, "--format", "json")
        assert res.exit_code == 0, res.output
        rows = json.loads(res.stdout)
        shown = [r for r in rows if r.get("ci_low") is not None]  # a pooled small-cell row has no interval
        assert shown and all(r["ci_low"] <= r["share"] <= r["ci_high"] for r in shown)


def test_library_refuses_out_of_bounds_before_any_query(metrics_db):
    import numpy as np

    from talentflow.engine import connect
    from talentflow.metrics import MetricQuery, flows, institutions, shares
    from talentflow.metrics.bootstrap import boot_counts

    with connect(metrics_db, read_only=True) as eng:
        q = MetricQuery(venue="nips")
        for call in (lambda: shares(eng, q, n_boot=-5), lambda: shares(eng, q, n_boot=10_000_000),
                     lambda: flows(eng, q, n_boot=-1), lambda: institutions(eng, q, limit=0),
                     lambda: shares(eng, q, seed=-1)):
            with pytest.raises(UnknownValue):
                call()
        assert shares(eng, q, n_boot=0)  # 0: counts without intervals (the dashboard's Sankey diagrams)
    with pytest.raises(UnknownValue, match="n_boot"):
        boot_counts(np.arange(10), np.zeros(10, dtype=int), 1, 10_000_001, 1)
    from talentflow.metrics.bootstrap import cluster_weights

    with pytest.raises(UnknownValue, match="n_boot"):  # the replicate matrix itself: 10,000,000 × 3,000
        cluster_weights(3000, 10_000_000, 1)
    for bad in (dict(year=1), dict(years=range(1, 100_000_000)), dict(years=(2019, 3000)),
                dict(venue="n" * 10_000), dict(country="X" * 300)):
        t = time.monotonic()
        with pytest.raises(UnknownValue):
            MetricQuery(**bad)
        assert time.monotonic() - t < 0.5


def test_years_range_is_bounded_before_it_is_expanded():
    from talentflow.report.source import MetricSource

    src = MetricSource()
    tracemalloc.start()
    for text in ("1980-3000000", "1-100000000", "2100-1980", "-5", "1979", "9" * 5000):
        with pytest.raises(UnknownValue) as e:
            src.query(src.filters(years=text))
        assert e.value.what == "years"
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 << 20  # '1-100000000' expanded to a tuple took 5.9 GB
    assert src.filters(years="2019-2022").years == (2019, 2022)
    assert src.filters(years="2022").years == (2022, 2022)


# ---- resolve: input length ---------------------------------------------------------------------------------
def test_resolve_refuses_an_overlong_affiliation_before_loading_the_registry(tmp_path):
    t = time.monotonic()
    res = CliRunner().invoke(app, ["--data", str(tmp_path), "resolve", "Stanford University; " * 5000])
    assert res.exit_code == 2 and "at most 2,000 characters" in res.output and "affiliation" in res.output
    assert "Traceback" not in res.output and len(res.output) < 600
    res = CliRunner().invoke(app, ["--data", str(tmp_path), "resolve", "MIT", "--domain", "a" * 1000 + ".edu"])
    assert res.exit_code == 2 and "domain" in res.output
    batch = tmp_path / "in.tsv"
    batch.write_text("affiliation\tdomain\nMIT\tmit.edu\n" + "x" * 3000 + "\t\n", encoding="utf-8")
    assert time.monotonic() - t < 5  # nothing was loaded (the registry of a real mirror takes seconds)
    res = CliRunner().invoke(app, ["--data", str(tmp_path), "resolve", "--input", str(batch)])
    # a batch keeps one output row per input line: the over-long one is not resolved, says why, and is named
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert res.exit_code == 0 and [r["reason"] for r in rows][1] == "unresolved:too-long", res.output
    assert rows[1]["affiliation"] == "x" * 3000 and rows[1]["country_location"] is None
    assert "record 3" in res.stderr and "'affiliation'" in res.stderr


def test_other_library_entry_points_bound_their_parameters(tmp_path):
    from talentflow.exporting import export_table
    from talentflow.indicators.query import indicator_rows
    from talentflow.resolve.hygiene import hygiene
    from talentflow.settings import Settings

    with pytest.raises(UnknownValue, match="limit"):  # was a SQL error (-1) or every row (0)
        indicator_rows(None, limit=-1)
    with pytest.raises(UnknownValue, match="limit"):
        indicator_rows(None, limit=0)
    with pytest.raises(UnknownValue, match="top"):  # a BinderException traceback
        hygiene(None, top=-1)
    with pytest.raises(UnknownValue, match="year"):  # an empty export, exit 0
        export_table(Settings(db_path=tmp_path / "none.duckdb"), "papers", year=99999999999999999999)


@pytest.mark.mirror
def test_every_mirror_file_is_within_its_decompression_cap(mirror_dir):
    """The cap (64 × the catalogued size + 1 MiB) holds for every catalogued file with room to spare: the largest
    ratio of content to catalogued size is far below it (14.7 when the cap was chosen)."""
    from talentflow.limits import GZIP_RATIO_MAX, gzip_cap
    from talentflow.sources.verify import content_size

    worst = 0.0
    for d in load_catalog():
        p = d.local(mirror_dir)
        if p.suffix == ".gz" and p.is_file():
            n = content_size(p, gzip_cap(d.bytes))  # raises InputError past the cap
            worst = max(worst, n / d.bytes)
    assert 1 < worst < GZIP_RATIO_MAX / 2, worst
