"""Institution roll-up to the ultimate parent organisation: the parent walk (resolve/parents.py) on hand-made
registry tables, the rolled-up ranking on a careers fixture, the CLI, and the real mirror."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from careers_fixtures import careers_engine, run_careers
from talentflow.engine.duck import DuckEngine
from talentflow.errors import InputError, UnknownValue
from talentflow.metrics import MetricQuery, institutions, shares
from talentflow.resolve import parents

# ---- the walk ------------------------------------------------------------------------------------------------

# (id, name, source, org_type, sector, curated parent)
REG = [
    ("cur:google", "Google", "curated", "company", "industry", None),
    ("cur:deepmind", "Google DeepMind", "curated", "company_lab", "industry", "cur:google"),
    ("cur:deepmind-paris", "Google DeepMind Paris", "curated", "company_lab", "industry", "cur:deepmind"),
    ("cur:cas", "Chinese Academy of Sciences", "curated", "academy", "academia", None),
    ("ror:gen", "Genentech", "ror", "company", "industry", None),
    ("ror:rocheus", "Roche (United States)", "ror", "company", "industry", None),
    ("ror:roche", "Roche (Switzerland)", "ror", "company", "industry", None),
    ("ror:ucl", "University College London", "ror", "education", "academia", None),
    ("ror:uol", "University of London", "ror", "education", "academia", None),
    ("ror:nih", "National Institutes of Health", "ror", "government", "government", None),
    ("ror:hhs", "Department of Health and Human Services", "ror", "government", "government", None),
    ("ror:sia", "Shenyang Institute of Automation", "ror", "facility", "academia", None),
    ("ror:rorcas", "Chinese Academy of Sciences", "ror", "government", "government", None),
    ("ror:joint", "A Joint Lab", "ror", "facility", "academia", None),
    ("ror:orphan", "An Orphan Unit", "ror", "facility", "academia", None),
    ("ror:p", "Loop P", "ror", "company", "industry", None),
    ("ror:q", "Loop Q", "ror", "company", "industry", None),
    ("ror:bsc", "A Consortium Centre", "ror", "facility", "academia", None),
    ("grid:x", "A GRID record", "grid", "education", "academia", None),
]
ROR = [("ror:gen", "ror:rocheus"), ("ror:rocheus", "ror:roche"), ("ror:ucl", "ror:uol"), ("ror:nih", "ror:hhs"),
       ("ror:sia", "ror:rorcas"), ("ror:joint", "ror:ucl"), ("ror:joint", "ror:sia"), ("ror:orphan", "ror:gone"),
       ("ror:p", "ror:q"), ("ror:q", "ror:p"), ("ror:bsc", "ror:ucl")]
CSV = ("child_id,parent_id,link,note\n"
       "ror:rorcas,cur:cas,same,ROR's CAS\n"
       "ror:bsc,,none,a consortium\n"
       "ror:absent,cur:google,same,a record this registry lacks\n")


def walk_engine(extra_institutions: tuple[str, ...] = ()) -> DuckEngine:
    e = DuckEngine(":memory:")
    e.execute("CREATE TABLE reg_institutions (institution_id VARCHAR, name VARCHAR, source VARCHAR, org_type VARCHAR, "
              "sector VARCHAR, parent_id VARCHAR)")
    e.con.executemany("INSERT INTO reg_institutions VALUES (?, ?, ?, ?, ?, ?)", REG)
    e.execute("CREATE TABLE registry_parents (institution_id VARCHAR, parent_id VARCHAR, source VARCHAR)")
    e.con.executemany("INSERT INTO registry_parents VALUES (?, ?, 'ror')", ROR)
    e.execute("CREATE TABLE institutions AS SELECT institution_id FROM reg_institutions")
    return e


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "parents.csv"
    p.write_text(text, encoding="utf-8")
    return p


def read(tmp_path: Path, text: str):
    return parents.read_parents(write(tmp_path, text), curated_ids={"cur:google", "cur:cas"})


@pytest.fixture()
def walked(tmp_path):
    e = walk_engine()
    stats = parents.build(e, read(tmp_path, CSV), write(tmp_path, CSV))
    rows = {r["institution_id"]: r for r in e.query_dicts("SELECT * FROM institution_parents")}
    yield e, rows, stats
    e.close()


def test_parent_chains_end_at_the_ultimate_parent(walked):
    _, rows, _ = walked
    dp = rows["cur:deepmind-paris"]
    assert (dp["parent_id"], dp["parent_name"], dp["depth"]) == ("cur:google", "Google", 2)
    assert dp["path"] == ["cur:deepmind-paris", "cur:deepmind", "cur:google"] and dp["links"] == ["curated"] * 2
    assert (rows["cur:google"]["parent_id"], rows["cur:google"]["depth"], rows["cur:google"]["stop"]) == \
        ("cur:google", 0, "top")
    gen = rows["ror:gen"]  # a chain of ROR links: Genentech → Roche (US) → Roche (Switzerland)
    assert (gen["parent_name"], gen["links"], gen["stop"]) == ("Roche (Switzerland)", ["ror", "ror"], "top")


def test_registry_links_that_are_not_followed_say_why(walked):
    _, rows, stats = walked
    want = {"ror:ucl": "ror:university",              # a university's ROR parent is its system or federation
            "ror:nih": "ror:government-parent",       # a ministry is no organisation to be counted under
            "ror:joint": "ror:several-parents",
            "ror:orphan": "ror:parent-unknown",
            "ror:bsc": "parents.csv:none",
            "grid:x": "top"}
    for i, stop in want.items():
        assert (rows[i]["stop"], rows[i]["parent_id"], rows[i]["depth"]) == (stop, i, 0), i
    # a government parent that parents.csv names as a curated organisation is followed, and on to the curated one
    sia = rows["ror:sia"]
    assert (sia["parent_id"], sia["links"]) == ("cur:cas", ["ror", "parents.csv:same"])
    assert stats["parents_csv_unmatched"] == ["ror:absent"]  # counted, not an error: a partial registry


def test_a_registry_cycle_is_kept_and_counted(walked):
    _, rows, stats = walked
    for i in ("ror:p", "ror:q"):
        assert (rows[i]["parent_id"], rows[i]["stop"], rows[i]["depth"]) == (i, "ror:cycle", 0)
    assert stats["stop:ror:cycle"] == 2


def test_a_cycle_through_parents_csv_is_an_error_naming_the_row(tmp_path):
    e = walk_engine()
    text = "child_id,parent_id,link,note\nror:roche,ror:gen,parent,a loop back to Genentech\n"
    with pytest.raises(InputError) as ei:
        parents.build(e, read(tmp_path, text), write(tmp_path, text))
    assert ei.value.record == "2" and ei.value.field == "parent_id" and "parents.csv" in ei.value.path
    assert "ror:gen" in str(ei.value)


def test_the_walk_is_deterministic(tmp_path):
    got = []
    for _ in range(2):
        e = walk_engine()
        parents.build(e, read(tmp_path, CSV), write(tmp_path, CSV))
        got.append(e.query("SELECT * FROM institution_parents"))
        e.close()
    assert got[0] == got[1] and [r[0] for r in got[0]] == sorted(r[0] for r in got[0])


@pytest.mark.parametrize("text,field", [
    ("child,parent,link,note\n", None),
    ("child_id,parent_id,link,note\ncur:google,cur:cas,parent,curated entries have their own column\n", "child_id"),
    ("child_id,parent_id,link,note\nror:a,cur:nowhere,same,x\n", "parent_id"),
    ("child_id,parent_id,link,note\nror:a,ror:b,same,a same entry names a curated id\n", "parent_id"),
    ("child_id,parent_id,link,note\nror:a,cur:cas,owns,x\n", "link"),
    ("child_id,parent_id,link,note\nror:a,cur:cas,none,x\n", "parent_id"),
    ("child_id,parent_id,link,note\nror:a,cur:cas,same,\n", "note"),
    ("child_id,parent_id,link,note\nror:a,cur:cas,same,x\nror:a,cur:google,same,y\n", "child_id"),
])
def test_parents_csv_errors_name_file_row_and_field(tmp_path, text, field):
    with pytest.raises(InputError) as ei:
        read(tmp_path, text)
    assert ei.value.path.endswith("parents.csv") and ei.value.field == field


def test_the_shipped_parents_csv_is_valid():
    entries = parents.read_parents()
    assert entries and all(e.note for e in entries.values())


# ---- the rolled-up ranking --------------------------------------------------------------------------------------

# Gia is at Google DeepMind (London) and Google (US) in one venue-year; Hal at DeepMind; Ann at Google London.
EXTRA_AUTHORSHIPS = [
    ("nips", 2022, "p10", 1, "Gia Po", "~Gia_Po1", "Google DeepMind", "deepmind.com", "Research Scientist"),
    ("nips", 2022, "p11", 1, "Gia Po", "~Gia_Po1", "Google", "google.com", "Research Scientist"),
    ("nips", 2022, "p10", 2, "Hal Yu", "~Hal_Yu1", "Google DeepMind", "deepmind.com", "Research Scientist"),
]
EXTRA_RESOLUTIONS = [
    ("Google DeepMind", "deepmind.com", "deepmind", "Google DeepMind", "GB", "US", "industry"),
    ("Google", "google.com", "google", "Google", "US", "US", "industry"),
]
# institution → (depth, ultimate parent name)
PARENT_ROWS = [("google-london", "Google", 1), ("deepmind", "Google", 1), ("google", "Google", 0),
               ("stanford", "Stanford University", 0)]


def rollup_engine(with_parents: bool = True, path=":memory:") -> DuckEngine:
    e = careers_engine(path)
    e.con.executemany("INSERT INTO authorships VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", EXTRA_AUTHORSHIPS)
    e.con.executemany("INSERT INTO affiliation_resolutions VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0.9, 'fixture')",
                      EXTRA_RESOLUTIONS)
    e.con.executemany("INSERT INTO paper_tiers VALUES (?, ?, ?, ?, ?)",
                      [("nips", 2022, "p10", "accepted", 1), ("nips", 2022, "p11", "accepted", 1)])
    e.con.executemany("INSERT INTO paper_subfields VALUES (?, ?, ?, ?, ?)",
                      [("nips", 2022, "p10", "other", []), ("nips", 2022, "p11", "other", [])])
    if with_parents:
        e.execute("CREATE TABLE institution_parents (institution_id VARCHAR, parent_name VARCHAR, depth INTEGER)")
        e.con.executemany("INSERT INTO institution_parents VALUES (?, ?, ?)", PARENT_ROWS)
    run_careers(e)
    return e


@pytest.fixture(scope="module")
def eng():
    e = rollup_engine()
    yield e
    e.close()


Q = MetricQuery(venue="nips", year=2022)


def _counts(rows) -> dict[str, int]:
    return {r["institution"]: r["count"] for r in rows}


def test_a_person_at_two_members_counts_once_under_the_parent(eng):
    plain = _counts(shares(eng, Q, "current", "institution", n_boot=0))
    up = _counts(shares(eng, Q, "current", "institution", n_boot=0, rollup="parent"))
    # Gia's first paper there (p10) is DeepMind's: the plain ranking counts her once, under DeepMind
    assert plain["Google DeepMind"] == 2 and plain["Google London"] == 1 and "Google" not in plain
    assert up["Google"] == 3 == plain["Google DeepMind"] + plain["Google London"]
    assert "Google DeepMind" not in up and "Google London" not in up
    # institutions with no parent keep their rows; the population and its coverage are the plain one's
    assert up["Stanford University"] == plain["Stanford University"]
    assert sum(up.values()) == sum(plain.values())


def test_intervals_and_coverage_are_computed_as_for_the_plain_ranking(eng):
    plain = shares(eng, Q, "current", "institution", n_boot=200, seed=5)
    up = shares(eng, Q, "current", "institution", n_boot=200, seed=5, rollup="parent")
    cov = ("n", "n_people", "n_observed", "n_proxy", "n_unknown", "n_observed_paper", "n_observed_profile")
    assert {k: up[0][k] for k in cov} == {k: plain[0][k] for k in cov}
    g = next(r for r in up if r["institution"] == "Google")
    assert g["ci_low"] <= g["share"] <= g["ci_high"] and g["rollup"] == "parent"
    assert up == shares(eng, Q, "current", "institution", n_boot=200, seed=5, rollup="parent")  # seeded


def test_rows_held_in_memory_give_the_same_rolled_up_ranking(eng):
    from talentflow.metrics import rowstore

    scanned = institutions(eng, Q, "current", n_boot=50, seed=3, rollup="parent")
    assert rowstore.hold(eng) is not None
    try:
        held = institutions(eng.cursor(), Q, "current", n_boot=50, seed=3, rollup="parent")
    finally:
        rowstore.release(eng)
    assert held == scanned and any(r["institution"] == "Google" for r in held)


def test_the_roll_up_never_changes_a_country(eng):
    e0 = rollup_engine(with_parents=False)
    try:
        sql = "SELECT person_key, paper_id, rule, current_country FROM metric_base ORDER BY ALL"
        assert eng.query(sql) == e0.query(sql)
        for a in ("location", "hq"):
            q = MetricQuery(venue="nips", year=2022, attribution=a)
            assert shares(eng, q, "current", n_boot=0) == shares(e0, q, "current", n_boot=0)
    finally:
        e0.close()
    # the rolled-up row's country is its people's most frequent attributed country, not the parent's seat
    loc = {r["institution"]: r["country"] for r in institutions(eng, Q, "current", n_boot=0, rollup="parent")}
    hq = {r["institution"]: r["country"] for r in
          institutions(eng, MetricQuery(venue="nips", year=2022, attribution="hq"), "current", n_boot=0,
                       rollup="parent")}
    assert loc["Google"] == "GB" and hq["Google"] == "US"


def test_rollup_values_are_checked(eng):
    with pytest.raises(UnknownValue) as ei:
        shares(eng, Q, "current", "institution", rollup="grandparent")
    assert ei.value.allowed == ["none", "parent"]
    with pytest.raises(UnknownValue) as ei:
        shares(eng, Q, "current", "country", rollup="parent")  # countries are never rolled up
    assert ei.value.what == "by" and ei.value.allowed == ["institution"]


def test_cli_institutions_rollup(tmp_path):
    from typer.testing import CliRunner

    from talentflow.cli.main import app

    db = tmp_path / "t.duckdb"
    e = rollup_engine(path=str(db))
    e.execute("CHECKPOINT")
    e.close()
    run = CliRunner().invoke
    base = ["--db", str(db), "institutions", "--venue", "nips", "--year", "2022", "--stage", "current",
            "--min-cell", "1", "--format", "json"]
    got = run(app, base + ["--rollup", "parent"])
    assert got.exit_code == 0, got.output
    rows = json.loads(got.stdout)
    assert {r["institution"]: r["count"] for r in rows}["Google"] == 3 and rows[0]["rollup"] == "parent"
    plain = json.loads(run(app, base).stdout)
    assert "Google DeepMind" in {r["institution"] for r in plain} and "rollup" not in plain[0]
    shares_rows = json.loads(run(app, ["--db", str(db), "shares", "--venue", "nips", "--year", "2022", "--stage",
                                       "current", "--by", "institution", "--rollup", "parent", "--min-cell", "1",
                                       "--format", "json"]).stdout)
    assert {r["institution"]: r["count"] for r in shares_rows}["Google"] == 3
    bad = run(app, base + ["--rollup", "owner"])
    assert bad.exit_code != 0 and "parent" in bad.output


# ---- the real mirror ------------------------------------------------------------------------------------------

def test_mirror_parents_csv_entries_are_all_matched_and_used(mirror_engine):
    """Every parents.csv entry names records of this registry, and some institution of the build goes through it."""
    entries = parents.read_parents()
    known = {i for (i,) in mirror_engine.query("SELECT institution_id FROM reg_institutions")}
    unmatched = sorted(c for c, e in entries.items() if c not in known or (e.parent_id and e.parent_id not in known))
    unused = sorted(set(entries) - parents.used_entries(mirror_engine))
    assert not unmatched, f"parents.csv entries naming ids the registry lacks: {unmatched}"
    assert len(unused) <= len(entries) // 10, f"parents.csv entries no institution of the mirror uses: {unused}"


def test_mirror_institution_parents_cover_every_institution(mirror_engine):
    n, covered, bad = mirror_engine.query("""
        SELECT count(*), count(p.institution_id), count(*) FILTER (p.parent_id IS NULL OR p.parent_name IS NULL)
        FROM institutions i LEFT JOIN institution_parents p USING (institution_id)""")[0]
    assert n == covered > 1000 and bad == 0
    row = mirror_engine.query_dicts("SELECT * FROM institution_parents WHERE institution_id = 'cur:deepmind'")[0]
    assert (row["parent_id"], row["parent_name"], row["links"]) == ("cur:google", "Google", ["curated"])


def test_mirror_neurips_2024_rolls_google_deepmind_into_google(mirror_engine):
    q = MetricQuery(venue="nips", year=2024)
    plain = shares(mirror_engine, q, "current", "institution", n_boot=0)
    up = shares(mirror_engine, q, "current", "institution", n_boot=0, rollup="parent")
    p, u = _counts(plain), _counts(up)
    assert "Google DeepMind" in p and "Google DeepMind" not in u
    # Google's members in this population, read from the build: every institution whose parent is Google
    members = {n for n, in mirror_engine.query(
        """SELECT DISTINCT current_institution_name FROM metric_base
           WHERE venue = 'nips' AND year = 2024 AND current_parent_name = 'Google'""")}
    assert {"Google", "Google DeepMind"} <= members
    assert p["Google"] + p["Google DeepMind"] <= u["Google"] == sum(p.get(m, 0) for m in members)
    assert sum(u.values()) == sum(p.values()) and up[0]["n_people"] == plain[0]["n_people"]
    assert u["Microsoft"] >= p["Microsoft"] + p.get("Microsoft Research Asia", 0)
    ranked = institutions(mirror_engine, q, "current", limit=10, n_boot=0, rollup="parent")
    assert ranked[0]["institution"] == "Google" and ranked[0]["rank"] == 1
