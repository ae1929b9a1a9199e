"""Everything a build reads is checked against the catalog: registry, indicator and conference files; a changed
file stops the build (naming it) unless --allow-changed, which records it; fixing the file rebuilds what depends
on it; the resolver's registry cache is keyed by the files' contents; `data verify` fails on missing files."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from talentflow.cli.main import app
from talentflow.engine import connect
from talentflow.errors import ChecksumMismatch
from talentflow.pipeline import build
from talentflow.resolve.registry import FILES, registry_db
from talentflow.sources.catalog import CATALOG_COLUMNS

from conftest import fixture_settings

HIPO = FILES["hipo"]
PAPERS = [{"id": "P1", "title": "T", "status": "Poster", "author": "Ann Lee;Bo Chen",
           "aff": "Alpha University;Alpha University", "aff_domain": "alpha.edu;alpha.edu"}]


def _hipo(country: str) -> bytes:
    return gzip.compress(json.dumps([{"name": "Alpha University", "alpha_two_code": country,
                                      "domains": ["alpha.edu"]}]).encode(), mtime=0)


def _catalogue(s, rel: str, group: str, content: bytes, write: bool = True) -> None:
    """Write a data file and add its catalog row (id, group, checksums) to the fixture catalog."""
    p = s.data_dir / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if write:
        p.write_bytes(content)
    with s.catalog_path.open("a", newline="") as f:
        csv.DictWriter(f, CATALOG_COLUMNS, delimiter="\t", lineterminator="\n").writerow(dict(
            id=Path(rel).name.removesuffix(".gz"), group=group, venue="", year="", kind=group, path=rel,
            repo="example/repo", commit="0" * 40, src_path=rel.removesuffix(".gz"), blob_sha="", license="test",
            sha256=hashlib.sha256(content).hexdigest(), bytes=len(content), note="fixture"))


def _country(s) -> str | None:
    with connect(s, read_only=True) as e:
        return e.scalar("SELECT country_hq FROM affiliation_resolutions WHERE domain_raw = 'alpha.edu'")


@pytest.fixture()
def reg_mirror(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": PAPERS})
    _catalogue(s, HIPO, "registry", _hipo("DE"))
    return s


def test_changed_registry_file_stops_the_build_naming_it(reg_mirror):
    s = reg_mirror
    build(s)
    assert _country(s) == "DE"
    (s.data_dir / HIPO).write_bytes(_hipo("KP"))
    with pytest.raises(ChecksumMismatch, match="world_universities_and_domains") as e:
        build(s)
    assert "--allow-changed" in e.value.hint
    assert _country(s) == "DE"  # the database is untouched


def test_allow_changed_records_the_file_and_fixing_it_rebuilds(reg_mirror):
    s = reg_mirror
    build(s)
    (s.data_dir / HIPO).write_bytes(_hipo("KP"))
    res = build(s.with_(allow_changed=True))
    assert res.changed == [HIPO] and "resolve" in res.ran
    assert _country(s) == "KP"
    with connect(s, read_only=True) as e:
        rec = e.query_dicts("SELECT stage, status, sha256_catalog <> sha256_read AS differs FROM input_files "
                            "WHERE path = ?", [HIPO])
    assert rec == [{"stage": "resolve", "status": "changed", "differs": True}]
    (s.data_dir / HIPO).write_bytes(_hipo("DE"))  # fixed: what was built from the bad file is rebuilt
    res = build(s)
    assert "resolve" in res.ran and res.changed == []
    assert _country(s) == "DE"
    assert build(s).ran == []


def test_registry_file_outside_the_catalog_is_refused(reg_mirror):
    s = reg_mirror
    extra = s.data_dir / FILES["ror2021"].replace("*", "extra")
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_bytes(gzip.compress(b"[]"))
    with pytest.raises(ChecksumMismatch, match="not in the catalog"):
        build(s)


def test_changed_indicator_file_stops_the_build(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": PAPERS})
    rel = "indicators/owid/owid_artificial-intelligence-training-computation.csv"
    _catalogue(s, rel, "indicators", b"Entity,Code,Year\n")
    (s.data_dir / rel).write_bytes(b"Entity,Code,Year\nX,Y,2020\n")
    with pytest.raises(ChecksumMismatch, match="owid_artificial-intelligence"):
        build(s)
    assert not s.db_path.exists()


def test_changed_conference_file_is_read_as_is_and_reread_once_fixed(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": PAPERS})
    p = s.data_dir / "conferences/aaai/aaai2021.json.gz"
    good = p.read_bytes()
    p.write_bytes(gzip.compress(json.dumps([{**PAPERS[0], "author": "Ann Lee;Bo Chen;Cy Dee",
                                             "aff": "A;B;C", "aff_domain": "a.org;b.org;c.org"}]).encode()))
    with pytest.raises(ChecksumMismatch, match="aaai2021"):
        build(s)
    res = build(s.with_(allow_changed=True))
    assert res.changed == ["conferences/aaai/aaai2021.json.gz"]
    with connect(s, read_only=True) as e:
        assert e.scalar("SELECT count(*) FROM authorships") == 3
    p.write_bytes(good)
    assert "ingest" in build(s).ran
    with connect(s, read_only=True) as e:
        assert e.scalar("SELECT count(*) FROM authorships") == 2


def test_registry_cache_is_keyed_by_the_files_read(reg_mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    s = reg_mirror

    def answer(path: Path) -> str:
        with connect(s, path, read_only=True) as e:
            return e.scalar("SELECT country FROM reg_institutions WHERE name = 'Alpha University'")

    good = registry_db(s)
    assert answer(good) == "DE"
    (s.data_dir / HIPO).write_bytes(_hipo("KP"))
    with pytest.raises(ChecksumMismatch, match="world_universities"):
        registry_db(s)
    bad = registry_db(s.with_(allow_changed=True))
    assert bad != good and answer(bad) == "KP"
    (s.data_dir / HIPO).write_bytes(_hipo("DE"))
    again = registry_db(s)
    assert answer(again) == "DE"


def test_dead_processes_half_written_registry_cache_is_removed(reg_mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    base = tmp_path / "cache" / "talentflow"
    base.mkdir(parents=True)
    stale = base / "registry-0123456789abcdef.duckdb.tmp999999999"
    stale.write_bytes(b"half")
    registry_db(reg_mirror)
    assert not stale.exists()


def test_data_verify_fails_on_missing_files_unless_partial(tmp_path, monkeypatch):
    from talentflow.settings import Settings

    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": PAPERS, "aaai/aaai2022.json.gz": PAPERS})
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, **kw: s))  # the fixture catalog

    def run(*extra):
        return CliRunner().invoke(app, ["data", "verify", *extra])

    assert run().exit_code == 0
    (s.data_dir / "conferences/aaai/aaai2022.json.gz").unlink()
    res = run()
    assert res.exit_code == 1 and "1 missing" in res.output and "--partial" in res.output
    assert run("--partial").exit_code == 0
    p = s.data_dir / "conferences/aaai/aaai2021.json.gz"
    p.write_bytes(p.read_bytes()[:-3])
    assert run("--partial").exit_code == 1  # a changed file fails even a partial mirror


def test_data_checksum_prints_and_compares(tmp_path, monkeypatch):
    from talentflow.settings import Settings

    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": PAPERS})
    build(s)
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, **kw: s))
    res = CliRunner().invoke(app, ["data", "checksum", "--format", "json"])
    rows = {r["table"]: r for r in json.loads(res.stdout)}
    assert res.exit_code == 0 and rows["authorships"]["rows"] == 2 and len(rows["papers"]["checksum"]) == 16
    assert "build_state" not in rows  # when a stage ran is no part of the data
    res = CliRunner().invoke(app, ["data", "checksum", "--table", "papers", "--format", "csv"])
    assert res.stdout.splitlines()[0] == "table,rows,columns,checksum" and len(res.stdout.splitlines()) == 2
    other = tmp_path / "other.duckdb"
    build(s.with_(db_path=other))
    assert CliRunner().invoke(app, ["data", "checksum", "--compare", str(other)]).exit_code == 0
    with connect(s, other) as e:
        e.execute("UPDATE papers SET title = 'changed'")
    res = CliRunner().invoke(app, ["data", "checksum", "--compare", str(other), "--format", "json"])
    assert res.exit_code == 1 and [r["table"] for r in json.loads(res.stdout)] == ["papers"]


def test_changed_peer_file_is_refused(tmp_path):
    from talentflow.resolve.evaluate import peer_agreement

    p = tmp_path / "peers" / "peer_aff_country.tsv.gz"
    p.parent.mkdir(parents=True)
    p.write_bytes(gzip.compress(b"aff\tcountry_counts\nX\t{}\n"))
    with pytest.raises(ChecksumMismatch, match="peer_aff_country"):
        peer_agreement(None, tmp_path)
    p.unlink()
    assert peer_agreement(None, tmp_path) == {}  # absent peers are skipped, as before


def test_cli_build_refuses_then_warns_with_allow_changed(reg_mirror, monkeypatch):
    from talentflow.settings import Settings

    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, **kw: reg_mirror))
    (reg_mirror.data_dir / HIPO).write_bytes(_hipo("KP"))
    res = CliRunner().invoke(app, ["build"])
    assert res.exit_code == 2 and "world_universities_and_domains" in res.output and "--allow-changed" in res.output
    res = CliRunner().invoke(app, ["build", "--allow-changed"])
    assert res.exit_code == 0 and "Warning" in res.output and HIPO in res.output.replace("\n", "")
