"""The stage DAG: a deterministic topological order; needs that are what each stage really reads (traced from the
SQL of a build with every kind of input); a key made of each stage's code, data files, version, params, inputs
and needs, so a change rebuilds the stage it touches and its dependants, nothing else."""

from __future__ import annotations

import dataclasses
import re
from fnmatch import fnmatch
import shutil
from pathlib import Path

import pytest

import live_scenario as sc
import openalex_fixtures as F
from conftest import fixture_settings
from fake_openreview import PASSWORD, USER, FakeServer, FakeState
from talentflow.engine import connect
from talentflow.engine.duck import DuckEngine
from talentflow.pipeline import DagError, Stage, build, dependants, load, order
from talentflow.pipeline import stage as stage_mod
from talentflow.pipeline.dag import table as dag_table
from talentflow.pipeline.stage import code_files, data_files
from talentflow.sources import openreview as orv

PAPERS = [{"id": f"P{i}", "title": f"Paper {i}", "status": "Oral" if i % 3 == 0 else "Poster",
           "author": "Ann Lee;Bob Ray", "authorids": "~Ann_Lee1;", "aff": "MIT;Tsinghua University",
           "aff_domain": "mit.edu;tsinghua.edu.cn", "position": "PhD student;Professor"} for i in range(6)]
RUNNER_TABLES = {"build_state", "input_files"}  # written by the runner itself, after the stages


def _stage(name: str, needs: tuple[str, ...] = (), writes: tuple[str, ...] = ()) -> Stage:
    return Stage(name, needs=needs, writes=writes or (f"t_{name}",), version="1", run=lambda e, s, p: {})


# -- the order ---------------------------------------------------------------------------------------------------

def test_the_run_order_is_topological_and_the_declared_order_breaks_ties():
    stages = load()
    names = [s.name for s in order(stages)]
    assert names == ["ingest", "live", "datasets", "indicators", "resolve", "papers", "careers", "metrics",
                     "openalex"]
    for i, s in enumerate(order(stages)):
        assert set(s.needs) <= set(names[:i]), s.name
    assert order(list(reversed(stages))) != order(stages)  # ties follow the list given …
    assert [s.name for s in order([_stage("b", ("a",)), _stage("a")])] == ["a", "b"]  # … needs come first
    assert dependants(stages, "indicators") == []
    assert dependants(stages, "papers") == ["careers", "metrics"]


def test_inconsistent_declarations_are_refused():
    with pytest.raises(DagError, match="cycle"):
        order([_stage("a", ("b",)), _stage("b", ("a",))])
    with pytest.raises(DagError, match="needs zz"):
        order([_stage("a", ("zz",))])
    with pytest.raises(DagError, match="written by both"):
        order([_stage("a", writes=("t",)), _stage("b", writes=("t",))])
    with pytest.raises(DagError, match="twice"):
        order([_stage("a"), _stage("a")])


# -- code and data files -----------------------------------------------------------------------------------------

def _rel(paths) -> set[str]:
    return {p.relative_to(stage_mod.ROOT).as_posix() for p in paths}


def test_a_stages_code_is_what_its_module_imports():
    by = {s.name: s for s in load()}
    careers = _rel(code_files(by["careers"].module))
    assert {"careers/stage.py", "careers/events.py", "careers/linking_models.py", "careers/positions.py",
            "engine/duck.py"} <= careers
    assert "careers/tiers.py" not in careers and "careers/linking_eval.py" not in careers  # papers' / eval only
    assert "errors.py" not in careers
    assert "ingest/profiles.py" in _rel(code_files(by["openalex"].module))  # imported from another package
    indicators = _rel(code_files(by["indicators"].module))
    assert "indicators/derive.py" in indicators and "indicators/scorecard.py" not in indicators  # reads only


SHIPPED = ("csv", "toml", "tsv", "sql", "json")
# Shipped files no stage reads, and why.
NOT_STAGE_DATA = {
    "sources/datasets.tsv": "the catalog: its rows are the stages' input files (checksummed), the datasets stage's params",
    "sources/openreview_venues.csv": "read by `sync openreview`, not by the build",
    "report/*": "the report and dashboard",
}


def test_every_shipped_data_file_is_declared_by_the_stage_that_reads_it():
    """Each curated file is a stage's data or listed as read outside the build; each declared file is named in the
    stage's code (its name, or its folder's for a glob): an unused or misplaced declaration fails."""
    declared: dict[str, str] = {}
    for s in load():
        for p in _rel(data_files(s)):
            assert p not in declared, f"{p} declared by {declared[p]} and {s.name}"
            declared[p] = s.name
        code = "\n".join(p.read_text() for p in code_files(s.module))
        for pattern in s.data:
            named = Path(pattern).name if "*" not in Path(pattern).name else Path(pattern).parent.name
            assert re.search(rf"[\"']{re.escape(named)}[\"']", code), f"{s.name} declares {pattern}, its code never names it"
    shipped = {p.relative_to(stage_mod.ROOT).as_posix() for p in stage_mod.ROOT.rglob("*")
               if p.is_file() and p.suffix.lstrip(".") in SHIPPED}
    exempt = {p for p in shipped if any(fnmatch(p, x) for x in NOT_STAGE_DATA)}
    assert shipped - exempt - set(declared) == set(), "data files no stage declares"
    assert exempt & set(declared) == set()


# -- what each stage reads and writes, traced -------------------------------------------------------------------

KEYWORD = re.compile(r"(?is)\b(from|join|into|update|table|view|exists)\s+([a-z_][a-z0-9_]*)")


CTE = re.compile(r"(?is)\b([a-z_][a-z0-9_]*)\s+as\s*\(\s*(?:select|with|from)\b")


def _tables(sql: str) -> list[tuple[str, str]]:
    """(keyword, name) of each table a statement names; names of its common table expressions left out."""
    sql = re.sub(r"--[^\n]*", " ", sql)
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    ctes = {c.lower() for c in CTE.findall(sql)}
    return [(k.lower(), t.lower()) for k, t in KEYWORD.findall(sql) if t.lower() not in ctes]


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """A build of a fixture mirror with synced OpenReview notes and profiles and an OpenAlex snapshot, every SQL
    statement recorded under the stage that sent it."""
    tmp = tmp_path_factory.mktemp("traced")
    s = fixture_settings(tmp, {"nips/nips2022.json.gz": PAPERS, "nips/nips2024.json.gz": PAPERS})
    with FakeServer(FakeState(sc.notes(), sc.profiles())) as srv:
        api = orv.Api(srv.url, orv.Credentials(USER, PASSWORD))
        venue = orv.venue_of(sc.VENUE_ID)
        orv.sync_notes(api, s.data_dir, venue)
        orv.sync_profiles(api, s.data_dir, orv.notes_snapshot_ids(s.data_dir, venue), (sc.VENUE_ID,),
                          {"venue": "nips", "year": 2025})
    F.write_snapshot(s.data_dir / "openalex", {
        "works": {"updated_date=2024-05-01": [F.work("W1", "Paper 1", 2022, F.NEURIPS,
                                                      [F.authorship("first", "A1", "Ann Lee", ["I99065089"])])]},
        "institutions": {"updated_date=2024-04-02": [F.institution(i) for i in F.INSTITUTIONS]},
        "authors": {"updated_date=2024-05-01": [F.author("A1", "Ann Lee", [("I99065089", [2022])])]}})
    log: dict[str, list[str]] = {}
    current = ["-"]
    mp = pytest.MonkeyPatch()
    for name in ("execute", "query", "query_dicts", "columns", "arrow", "copy_to"):
        orig = getattr(DuckEngine, name)

        def recorder(self, sql, *a, _orig=orig, **k):
            log.setdefault(current[0], []).append(sql)
            return _orig(self, sql, *a, **k)
        mp.setattr(DuckEngine, name, recorder)

    def progress(desc, done, total):
        if desc.startswith("stage "):
            current[0] = desc[len("stage "):]
    try:
        res = build(s, progress=progress)
    finally:
        mp.undo()
    with connect(s, read_only=True) as e:
        published = {t for t, in e.query("SELECT table_name FROM information_schema.tables")}
    return res, log, published


def test_every_stage_ran_on_real_input(traced):
    res, log, published = traced
    assert res.ran == [s.name for s in order(load())]
    assert res.stats["live"]["live_papers"] > 0 and res.stats["openalex"]["parts"] == 3


def test_each_published_table_is_declared_by_the_stage_that_creates_it(traced):
    _, log, published = traced
    stages = {s.name: s for s in load()}
    owner = {t: n for n, s in stages.items() for t in s.writes}
    assert published - set(owner) - RUNNER_TABLES == set(), "tables no stage declares"
    for name, sqls in log.items():
        if name not in stages:
            continue
        for sql in sqls:
            if re.search(r"(?i)create\s+(or\s+replace\s+)?temp", sql):
                continue
            for kw, t in _tables(sql):
                if t in RUNNER_TABLES:  # recorded under the last stage
                    continue
                if kw in ("table", "view") and t in published:
                    assert owner[t] == name, f"{name} creates {t}, declared by {owner.get(t)}"
                if kw in ("into", "update") and t in published and owner[t] != name:
                    assert t in stages[name].appends, f"{name} adds rows to {t} without declaring it"


def test_needs_are_exactly_the_stages_whose_tables_a_stage_reads(traced):
    _, log, published = traced
    stages = {s.name: s for s in load()}
    makers: dict[str, set[str]] = {}
    for s in stages.values():
        for t in (*s.writes, *s.appends):
            makers.setdefault(t, set()).add(s.name)
    for name, s in stages.items():
        # a table it creates itself it reads before any other stage adds rows (ingest's papers, then live's)
        read = {t for sql in log.get(name, []) for kw, t in _tables(sql)
                if kw in ("from", "join", "exists") and t in makers and t not in s.writes}
        from_others = {m for t in read for m in makers[t] if m != name}
        assert from_others <= set(s.needs), f"{name} reads tables of {from_others - set(s.needs)} it does not need"
        assert set(s.needs) <= from_others, f"{name} needs {set(s.needs) - from_others} but reads none of their tables"


# -- what rebuilds what -----------------------------------------------------------------------------------------

@pytest.fixture()
def copied(tmp_path, monkeypatch):
    """Keys computed from a copy of the package's files (the code that runs is the real one), and a built fixture
    mirror: edit a file of the copy and see what the next build reruns."""
    root = tmp_path / "src" / "talentflow"
    shutil.copytree(stage_mod.ROOT, root, ignore=shutil.ignore_patterns("__pycache__", "static"))
    monkeypatch.setattr(stage_mod, "ROOT", root)
    s = fixture_settings(tmp_path, {"nips/nips2022.json.gz": PAPERS})
    assert build(s).ran == [st.name for st in order(load())]
    assert build(s).ran == []
    return s, root


def _touch(p: Path) -> None:
    p.write_bytes(p.read_bytes() + (b"\n# edited\n" if p.suffix == ".py" or p.suffix == ".toml" else b""))


def test_editing_a_stages_code_rebuilds_it_and_its_dependants_only(copied):
    s, root = copied
    stages = load()
    for st in order(stages):
        _touch(root.parent / (st.module.replace(".", "/") + ".py"))
        assert build(s).ran == [st.name, *dependants(stages, st.name)], st.name


def test_editing_a_module_two_stages_share_rebuilds_both(copied):
    s, root = copied
    _touch(root / "careers" / "subfields.py")  # papers' rules, and metrics' filter names
    assert build(s).ran == ["papers", "careers", "metrics"]
    _touch(root / "engine" / "base.py")  # the engine runs every stage
    assert build(s).ran == [st.name for st in order(load())]


def test_editing_a_data_file_rebuilds_the_stage_that_reads_it(copied):
    s, root = copied
    (root / "careers" / "tiers.toml").write_text((root / "careers" / "tiers.toml").read_text() + "\n# edited\n")
    assert build(s).ran == ["papers", "careers", "metrics"]
    aliases = root / "indicators" / "country_aliases.csv"
    aliases.write_text(aliases.read_text() + "\n")
    assert build(s).ran == ["indicators"]  # nothing in the build reads the indicator tables
    places = root / "resolve" / "data" / "places.csv"
    places.write_text(places.read_text() + "\n")
    assert build(s).ran == ["resolve", "careers", "metrics"]


def test_a_new_indicator_file_rebuilds_indicators_and_the_catalog_listing_only(copied):
    import csv
    import hashlib

    from talentflow.sources.catalog import CATALOG_COLUMNS

    s, _ = copied
    rel = "indicators/ai_models/owid_artificial-intelligence-training-computation.csv"
    body = b"Entity,Day,Training computation (petaFLOP),Domain\nGPT-4,2023-03-15,2.1e10,Language\n"
    (s.data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (s.data_dir / rel).write_bytes(body)
    with s.catalog_path.open("a", newline="") as f:
        csv.DictWriter(f, CATALOG_COLUMNS, delimiter="\t", lineterminator="\n").writerow(dict(
            id=rel, group="indicators", venue="", year="", kind="indicators", path=rel, repo="example/repo",
            commit="0" * 40, src_path=rel, blob_sha="", license="CC-BY", sha256=hashlib.sha256(body).hexdigest(),
            bytes=len(body), note="fixture"))
    res = build(s)
    assert res.ran == ["datasets", "indicators"]
    with connect(s, read_only=True) as e:
        assert e.scalar("SELECT count(*) FROM ai_models WHERE list = 'owid_training_compute'") == 1


def test_params_and_version_rebuild_their_stage(copied):
    s, _ = copied
    assert build(s.with_(n_boot=7)).ran == ["metrics"]
    stages = [dataclasses.replace(st, version=st.version + "x") if st.name == "papers" else st for st in load()]
    assert build(s.with_(n_boot=7), stages=stages).ran == ["papers", "careers", "metrics"]


def test_the_dag_table_in_the_docs_is_the_declared_one():
    text = (stage_mod.ROOT.parents[1] / "docs" / "schema.md").read_text()
    block = text.split("| stage | needs | writes |\n|---|---|---|\n", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("| ").split(" | ") for line in block.splitlines()]
    got = [(n, "" if needs == "—" else needs, w) for n, needs, w in rows]
    want = []
    for r in dag_table(load()):
        w = ", ".join(f"`{t}`" for t in r["writes"].split(", "))
        if r["appends"]:
            w += "; adds rows to " + ", ".join(f"`{t}`" for t in r["appends"].split(", "))
        want.append((r["stage"], r["needs"], w))
    assert got == want
