"""Same input → same tables: resolver tie-breaks, registry records listed twice, person aggregates; a synthetic
mirror built twice, and (integration suite) the real mirror built twice, every table's checksum compared."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from talentflow.engine import connect
from talentflow.resolve.registry import build_registry
from talentflow.resolve.resolver import Inst, Resolver
from talentflow.settings import Settings


def _inst(iid: str, name: str, country: str, source: str = "hipo") -> Inst:
    return Inst(iid, name, country, country, "academia", "education", source)


def test_domain_tie_does_not_depend_on_load_order():
    """Two same-source, same-type, same-country records share a domain: the answer is the one with the lower
    id, whichever order the registry rows were read in."""
    insts = {"hipo:b": _inst("hipo:b", "Beta College", "US"), "hipo:a": _inst("hipo:a", "Alpha College", "US")}
    got = set()
    for cands in ([("hipo:b", "hipo"), ("hipo:a", "hipo")], [("hipo:a", "hipo"), ("hipo:b", "hipo")]):
        r = Resolver(insts, {"ab.edu": cands}, {}, set(), {}, [])
        got.add(r.resolve("", "ab.edu").institution_id)
    assert got == {"hipo:a"}


FUZZY_SCRIPT = """
from talentflow.resolve.resolver import Inst, Resolver
a, b = "abcdefgh university of qwertx", "abcdefgh university of qwerta"
insts = {"ror:x": Inst("ror:x", a, "US", "US", "academia", "education", "ror"),
         "ror:y": Inst("ror:y", b, "FR", "FR", "academia", "education", "ror")}
r = Resolver(insts, {}, {a: [("ror:x", "ror")], b: [("ror:y", "ror")]}, set(), {}, [])
r._fuzzy_index = ({"abcdefgh": [a, b]}, {"abcdefgh": 2, "qwerty": 3, "university": 500, "of": 900})
res = r.resolve("Abcdefgh University of Qwerty", "")
print(res.institution_id, res.reason)
"""


def test_fuzzy_tie_does_not_depend_on_string_hashing():
    """Two registry names equally close to the string: the same one wins in every process (set iteration order
    changes with PYTHONHASHSEED)."""
    out = set()
    for seed in range(8):
        p = subprocess.run([sys.executable, "-c", FUZZY_SCRIPT], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)})
        out.add(p.stdout.strip())
    assert out == {"ror:y fuzzy"}  # equal scores: the alphabetically first name


def _gz_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps(obj).encode(), mtime=0))


def test_registry_records_listed_twice_become_one(tmp_path):
    """HIPO lists a university once per domain set and ROR 2021 once per type set under the same (name,
    country) — the id both are keyed by. Each must be one institution, or lookups depend on load order."""
    data = tmp_path / "data"
    _gz_json(data / "registry/hipo_university_domains/world_universities_and_domains.json.gz", [
        {"name": "Twin University", "alpha_two_code": "US", "domains": ["twin.edu"]},
        {"name": "Twin University", "alpha_two_code": "US", "domains": ["mail.twin.edu", "twin.edu"]}])
    _gz_json(data / "registry/ror2021_parser/data/part1.json.gz", [
        {"name": "Twin Institute", "country_code": "DE", "types": ["Company"]},
        {"name": "Twin Institute", "country_code": "DE", "types": ["Education", "Company"]}])
    with connect(Settings(), tmp_path / "r.duckdb") as eng:
        build_registry(eng, data)
        rows = eng.query("SELECT institution_id, org_type FROM reg_institutions WHERE source IN ('hipo', 'ror2021') "
                         "ORDER BY 1")
        assert len(rows) == len({r[0] for r in rows}) == 2
        assert dict((r[0].split(":")[0], r[1]) for r in rows)["ror2021"] == "education"  # the most telling type
        doms = eng.query("SELECT domain FROM registry_domains WHERE source = 'hipo' ORDER BY 1")
        assert [d for (d,) in doms] == ["mail.twin.edu", "twin.edu"]


def test_person_aggregates_break_ties_by_a_total_order():
    """A person written two ways equally often is shown under the alphabetically first spelling; of two papers
    in their last year, the last-seen country is the one of the last paper in (venue, paper id) order."""
    from careers_fixtures import careers_engine, run_careers

    e = careers_engine()
    e.con.executemany("INSERT INTO authorships VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("nips", 2022, "p9a", 1, "Zed Kb", "~Zed_K1", "Stanford University", "stanford.edu", "Researcher"),
        ("nips", 2022, "p9b", 1, "Zed Ka", "~Zed_K1", "Tsinghua University", "tsinghua.edu.cn", "Researcher")])
    e.con.executemany("INSERT INTO paper_tiers VALUES (?, ?, ?, 'accepted', 1)",
                      [("nips", 2022, "p9a"), ("nips", 2022, "p9b")])
    run_careers(e)
    assert e.scalar("SELECT display_name FROM people WHERE person_key = '~Zed_K1'") == "Zed Ka"
    assert e.query("SELECT rule, last_country FROM person_last_seen WHERE person_key = '~Zed_K1' ORDER BY 1") == [
        ("hq", "CN"), ("location", "CN")]
    e.close()


def _synthetic_mirror(tmp_path: Path):
    """Enough authorships for the person-linking model to train (splink runs, as on the mirror), with the ties
    that used to break differently: one person written two ways, a university listed twice in the registry,
    several people per name."""
    import random

    from conftest import fixture_settings

    rnd = random.Random(7)
    unis = [("Alpha University", "alpha.edu", "US"), ("Beta University", "beta.ac.uk", "GB"),
            ("Gamma Institute of Technology", "gamma.de", "DE"), ("Delta University", "delta.edu.cn", "CN")]
    first = ["Ann", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo", "Kai", "Lu", "Max", "Ned", "Oda"]
    last = ["Lee", "Chen", "Garcia", "Smith", "Wang", "Khan", "Ito", "Novak", "Silva", "Meyer", "Rossi", "Kim",
            "Popov", "Dubois", "Okafor", "Haddad", "Berg", "Costa", "Jensen", "Sato"]
    people = [(f"{f} {g}", f"~{f}_{g}{k}" if k else None, unis[(i + k) % 4])
              for i, (f, g) in enumerate((f, g) for f in first for g in last) for k in (0, 1)][:520]
    files = {}
    for year in (2019, 2020, 2021, 2022):
        recs = []
        for n in range(160):
            authors = rnd.sample(people, 3)
            recs.append({"id": f"P{year}{n}", "title": f"Paper {year} {n}", "status": rnd.choice(["Poster", "Oral"]),
                         "author": ";".join(("Zed Kb" if a[0] == "Ann Lee" and n % 2 else a[0]) for a in authors),
                         "authorids": ";".join(a[1] or "" for a in authors),
                         "aff": ";".join(a[2][0] for a in authors), "aff_domain": ";".join(a[2][1] for a in authors),
                         "position": ";".join(rnd.choice(["PhD student", "Researcher", "Professor", ""])
                                              for _ in authors)})
        files[f"nips/nips{year}.json.gz"] = recs
    s = fixture_settings(tmp_path, files)
    hipo = [{"name": u, "alpha_two_code": c, "domains": [d]} for u, d, c in unis]
    hipo.append({"name": "Alpha University", "alpha_two_code": "US", "domains": ["mail.alpha.edu"]})
    _gz_json(s.data_dir / "registry/hipo_university_domains/world_universities_and_domains.json.gz", hipo)
    return s


def test_two_cold_builds_of_a_fixture_are_identical(tmp_path):
    """Every table of two cold builds has the same rows; no engine scratch table is published. (Both builds run
    in this process; tie-breaks that depend on the process's string-hash seed are tested above.)"""
    from talentflow.engine.checksum import compare, scratch_tables, table_checksums
    from talentflow.pipeline import build

    s = _synthetic_mirror(tmp_path)
    sums, stats = [], []
    for k in (1, 2):
        sk = s.with_(db_path=tmp_path / f"b{k}" / "t.duckdb", n_boot=50)
        res = build(sk)
        stats.append(res.stats["careers"])
        with connect(sk, read_only=True) as e:
            assert scratch_tables(e) == []
            sums.append(table_checksums(e))
    assert "linking_skipped" not in stats[0] and stats[0]["linking_candidates"] >= 1000  # splink really ran
    assert compare(*sums) == []
    assert {r["table"] for r in sums[0]} >= {"people", "institutions", "affiliation_resolutions", "person_links",
                                             "metric_base", "person_last_seen"}


SECOND_BUILD = """
import sys
from pathlib import Path
from talentflow.pipeline import build
from talentflow.settings import Settings
build(Settings(data_dir=Path(sys.argv[1]), db_path=Path(sys.argv[2])))
"""


@pytest.mark.mirror
def test_two_cold_builds_of_the_mirror_are_identical(mirror_settings, tmp_path):
    """The session's build and one more cold build, in another process (its own string-hash seed): every table
    the same, no scratch table in either."""
    from talentflow.engine.checksum import compare, scratch_tables, table_checksums

    db2 = tmp_path / "second.duckdb"
    subprocess.run([sys.executable, "-c", SECOND_BUILD, str(mirror_settings.data_dir), str(db2)], check=True,
                   timeout=1800)
    sums = []
    for db in (mirror_settings.db_path, db2):
        with connect(mirror_settings, db, read_only=True) as e:
            assert scratch_tables(e) == [], db
            sums.append(table_checksums(e))
    assert len(sums[0]) >= 40
    assert compare(*sums) == []


def test_intervals_do_not_depend_on_the_row_order_of_the_units():
    """The bootstrap resamples clusters; which cluster gets which draw must follow from the data, not from the
    order a (parallel) scan returns the rows in. metric_rows stored in another order (a scan that loses the
    table order) gives the same intervals as the stored order and as the SQL grouping of metric_base."""
    from careers_fixtures import careers_engine, run_careers

    from talentflow.metrics import compute
    from talentflow.metrics.compute import shares
    from talentflow.metrics.query import MetricQuery

    e = careers_engine()
    run_careers(e)
    from talentflow.metrics.stage import build_base

    build_base(e)
    q = MetricQuery(venue="nips", years=(2018, 2019, 2020, 2021, 2022), tier="accepted", attribution="location")
    got = []
    for order in ("seq", "unit DESC, seq DESC", "hash(seq)"):
        e.execute(f"CREATE OR REPLACE TABLE metric_rows AS SELECT * FROM metric_rows ORDER BY {order}")
        got.append([(r["country"], r["ci_low"], r["ci_high"]) for r in shares(e, q, "current", n_boot=200)])
    ref = compute.reference_units(e, q, ["current"])
    fast = compute.fast_units(e, q, ["current"])
    e.close()
    assert got[0] == got[1] == got[2] and len(got[0]) >= 2
    assert (compute._dense_codes(ref["cluster"]) == compute._dense_codes(fast["cluster"])).all()


def test_leaderboard_positions_of_a_model_listed_twice_are_fixed():
    """Two entries with the same score and model name: their positions follow the published rank, in whatever
    order the rows arrive."""
    from talentflow.engine.duck import DuckEngine
    from talentflow.indicators.derive import _leaderboards

    got = []
    for order in ("ASC", "DESC"):
        e = DuckEngine(":memory:")
        e.execute("""CREATE TEMP TABLE _lb_raw AS SELECT * FROM (VALUES
            ('arena', 'overall', DATE '2025-08-04', 200, 'Yi', 1134.0, 'pts', 10, 'O', 'file', NULL, '', 'k200', 'd'),
            ('arena', 'overall', DATE '2025-08-04', 201, 'Yi', 1134.0, 'pts', 10, 'O', 'file', NULL, '', 'k201', 'd'),
            ('arena', 'overall', DATE '2025-08-04', 1, 'Top', 1500.0, 'pts', 10, 'O', 'file', NULL, '', 'k1', 'd'))
            t(leaderboard, category, date, published_rank, model, score, score_unit, votes, organization_raw,
              organization_source, model_prefix, notes, record_key, source_dataset)""")
        e.execute(f"CREATE TEMP TABLE _lb_all AS SELECT * FROM _lb_raw ORDER BY record_key {order}")
        e.execute("CREATE TABLE indicator_org_names (name VARCHAR, organization VARCHAR, country VARCHAR, "
                  "method VARCHAR)")
        e.execute("CREATE TEMP TABLE _ind_catalog (dataset_id VARCHAR, license VARCHAR, catalog_note VARCHAR)")
        e.execute("SET threads = 1")  # single-threaded: the order the rows arrive in is the order below
        _leaderboards(e)
        got.append(e.query("SELECT record_key, position FROM leaderboard_entries ORDER BY record_key"))
        e.close()
    assert got[0] == got[1] == [("k1", 1), ("k200", 2), ("k201", 3)]
