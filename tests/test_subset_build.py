"""Subset builds (`build --venue V [--year Y]`): only those conference-years' files are read, build_state records the
subset, and a full build after a subset build (or a subset build after a full one) is never taken as up to date."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conftest import fixture_settings
from talentflow.cli.main import app
from talentflow.engine import connect
from talentflow.errors import UnknownValue
from talentflow.pipeline import build


def _papers(venue: str, year: int) -> list[dict]:
    return [{"id": f"{venue}{year}-{i}", "title": f"{venue} {year} paper {i}", "status": "Poster",
             "author": "Ann Lee;Bob Ray", "aff": "MIT;Tsinghua University", "aff_domain": "mit.edu;tsinghua.edu.cn"}
            for i in range(3)]


FILES = {f"{v}/{v}{y}.json.gz": _papers(v, y) for v, y in (("nips", 2022), ("nips", 2023), ("iclr", 2023))}


def _state(s) -> tuple[set, set, set]:
    with connect(s, read_only=True) as e:
        return (set(e.query("SELECT DISTINCT venue, year FROM papers")),
                {p for p, in e.query("SELECT path FROM input_files WHERE stage = 'ingest'")},
                {x for x, in e.query("SELECT DISTINCT subset FROM build_state")})


def test_a_subset_build_reads_only_its_conference_years_and_records_the_subset(tmp_path):
    s = fixture_settings(tmp_path, FILES)
    sub = s.with_(subset=(("nips", 2023),))
    assert build(sub).ran[0] == "ingest"
    assert _state(sub) == ({("nips", 2023)}, {"conferences/nips/nips2023.json.gz"}, {"nips2023"})
    with connect(s, read_only=True) as e:
        reasons = dict(e.query("SELECT id, not_ingested_reason FROM datasets WHERE \"group\" = 'conferences'"))
    assert reasons == {"nips2022": "not ingested: not in this subset build", "nips2023": None,
                       "iclr2023": "not ingested: not in this subset build"}
    assert build(sub).ran == []  # the same subset again: up to date
    full = build(s)  # a full build is not mistaken for up to date …
    assert full.ran[0] == "ingest" and "metrics" in full.ran
    assert "indicators" not in full.ran  # … and rebuilds only what reads conference data
    assert _state(s)[0] == {("nips", 2022), ("nips", 2023), ("iclr", 2023)} and _state(s)[2] == {""}
    assert build(sub).ran[0] == "ingest"  # nor a subset build after a full one
    assert _state(s)[0] == {("nips", 2023)}


def _digest(eng, sql: str) -> tuple[int, int]:
    """(rows, order-independent sum of row hashes) of a query."""
    return tuple(eng.query(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM ({sql}) t")[0])


def test_a_subset_gives_the_rows_a_full_build_has_for_those_years(tmp_path):
    full = fixture_settings(tmp_path / "a", FILES)
    build(full)
    sub = fixture_settings(tmp_path / "b", FILES).with_(subset=(("nips", 2023),))
    build(sub)
    for t in ("papers", "authorships", "paper_tiers", "paper_subfields"):  # what a conference-year alone decides
        q = f"SELECT * FROM {t} WHERE venue = 'nips' AND year = 2023"
        with connect(full, read_only=True) as a, connect(sub, read_only=True) as b:
            got, want = _digest(b, q), _digest(a, q)
        assert got == want and got[0] > 0, t


def test_a_venue_without_years_takes_all_of_its_years(tmp_path):
    s = fixture_settings(tmp_path, FILES).with_(subset=(("nips", None),))
    build(s)
    assert _state(s)[0] == {("nips", 2022), ("nips", 2023)} and _state(s)[2] == {"nips"}


def test_a_conference_year_the_catalog_lacks_is_refused_before_any_work(tmp_path):
    s = fixture_settings(tmp_path, FILES)
    with pytest.raises(UnknownValue, match="nips2031") as e:
        build(s.with_(subset=(("nips", 2031),)))
    assert e.value.allowed == ["nips2022", "nips2023"]
    with pytest.raises(UnknownValue, match="icml") as e:
        build(s.with_(subset=(("icml", None),)))
    assert "iclr" in e.value.allowed
    assert not s.db_path.exists()


def test_build_venue_and_year_options(tmp_path, monkeypatch):
    s = fixture_settings(tmp_path, FILES)
    monkeypatch.setattr("talentflow.sources.catalog.CATALOG_PATH", s.catalog_path)  # the CLI takes the packaged one
    base = ["--data", str(s.data_dir), "--db", str(s.db_path)]
    env = {"COLUMNS": "300"}
    run = CliRunner().invoke
    r = run(app, [*base, "build", "--year", "2023"], env=env)
    assert r.exit_code == 2 and "--year needs --venue" in r.output
    r = run(app, [*base, "build", "--venue", "nope"], env=env)
    assert r.exit_code == 2 and "Unknown conference-year 'nope'" in r.output
    r = run(app, [*base, "build", "--venue", "NIPS", "--venue", "iclr", "--year", "2023"], env=env)
    assert r.exit_code == 0, r.output
    assert "subset iclr2023,nips2023" in " ".join(r.output.split())
    assert _state(s)[0] == {("nips", 2023), ("iclr", 2023)}


@pytest.mark.mirror
def test_nips_2019_alone_on_the_mirror(mirror_dir, mirror_engine, tmp_path):
    """`build --venue nips --year 2019` on the real mirror: NeurIPS 2019's papers and authorships, the same
    rows as in the full build, and nothing of any other conference-year."""
    from talentflow.settings import Settings

    s = Settings(data_dir=mirror_dir, db_path=tmp_path / "nips2019.duckdb", subset=(("nips", 2019),))
    res = build(s)
    assert res.ran[:3] == ["ingest", "live", "datasets"]
    with connect(s, read_only=True) as e:
        assert e.query("SELECT DISTINCT venue, year FROM papers") == [("nips", 2019)]
        for t in ("papers", "authorships", "paper_tiers", "paper_subfields"):
            q = f"SELECT * FROM {t} WHERE venue = 'nips' AND year = 2019"
            got, want = _digest(e, q), _digest(mirror_engine, q)
            assert got == want and got[0] > 1000, t
