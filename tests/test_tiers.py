"""Tier mapping: rules on hand-made papers, validation of tiers.toml, and hygiene against the real mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from talentflow.careers.tiers import TIERS_FILE, build_tiers, hygiene, load_tiers
from talentflow.engine import connect
from talentflow.errors import InputError
from talentflow.settings import Settings

PAPERS_DDL = """CREATE TABLE papers (venue VARCHAR, year INTEGER, paper_id VARCHAR, title VARCHAR, status_raw VARCHAR,
    accepted BOOLEAN, track VARCHAR, keywords VARCHAR, primary_area VARCHAR, abstract VARCHAR, dataset_id VARCHAR,
    unit_id VARCHAR)"""

# (venue, year, paper_id, status_raw, track, accepted, expected tier, expected fragment of tier_rule)
CASES = [
    ("icml", 2018, "a", "Oral", "main", True, "accepted", "icml_all_oral"),       # every paper 'Oral'
    ("icml", 2021, "b", "Spotlight", "main", True, "accepted", "icml_spotlight_is_poster"),
    ("icml", 2021, "c", "Oral", "main", True, "oral", "Oral -> oral"),
    ("icml", 2024, "d", "Spotlight", "main", True, "spotlight", "Spotlight -> spotlight"),
    ("nips", 2022, "e", "Highlighted", "main", True, "oral", "nips2022_highlighted"),
    ("nips", 2022, "f", "Journal", None, False, "not_accepted", "journal-to-conference"),
    ("nips", 2023, "g", "Spotlight", "Datasets & Benchmarks", True, "spotlight", "[track Datasets & Benchmarks]"),
    ("nips", 2024, "h", "Poster", "main", True, "accepted", "nips2024_site"),
    ("iclr", 2023, "i", "Top-5%", "main", True, "oral", "Top-5% -> oral"),
    ("iclr", 2023, "j", "Top-25%", "main", True, "spotlight", "Top-25% -> spotlight"),
    ("iclr", 2020, "k", "Talk", "main", True, "oral", "iclr2020_talk"),
    ("iclr", 2021, "l", "Withdraw", "main", False, "not_accepted", "withdrawn"),
    ("iclr", 2021, "m", "Desk Reject", "main", False, "not_accepted", "desk-rejected"),
    ("iclr", 2017, "n", "Workshop", "main", False, "not_accepted", "workshop"),
    ("iclr", 2025, "o", None, None, True, "accepted", "<missing> -> accepted"),   # title not matched on iclr.cc
    ("iclr", 2026, "p", "", None, True, "accepted", "iclr2026_accepted_list"),    # blank = missing
    ("cvpr", 2023, "q", " Highlight ", None, True, "spotlight", "Highlight -> spotlight"),  # trimmed
    ("acl", 2022, "r", "Findings", "main", True, "not_accepted", "Findings volume"),
    ("ijcai", 2022, "s", "Poster", "Doctoral Consortium", True, "not_accepted", "track Doctoral Consortium"),
    ("ijcai", 2022, "t", "Poster", "Special Track on AI for Good", True, "accepted", "[track Special Track on AI for Good]"),
    ("siggraph", 2025, "u", "Poster", "main", True, "not_accepted", "posters programme"),
    ("corl", 2025, "v", "Accept(Oral)", "main", True, "oral", "corl2025"),
    ("icml", 2025, "w", "Mystery", "main", True, "not_accepted", "unmapped status Mystery"),
    ("neverconf", 2020, "x", "Poster", "main", True, "not_accepted", "no tier scheme for neverconf 2020"),
    ("nips", 2021, "y", "Poster", "Brand New Track", True, "accepted", "[unmapped track Brand New Track]"),
]


@pytest.fixture()
def fixture_engine(tmp_path):
    eng = connect(Settings(), tmp_path / "t.duckdb")
    eng.execute(PAPERS_DDL)
    for v, y, pid, st, tr, acc, _, _ in CASES:
        eng.execute("INSERT INTO papers (venue, year, paper_id, title, status_raw, accepted, track) "
                    "VALUES (?, ?, ?, 'T', ?, ?, ?)", [v, y, pid, st, acc, tr])
    yield eng
    eng.close()


def test_rules_on_fixture_rows(fixture_engine):
    stats = build_tiers(fixture_engine)
    got = {r[0]: r[1:] for r in fixture_engine.query("SELECT paper_id, tier, tier_rule, tier_rank FROM paper_tiers")}
    assert stats["paper_tiers"] == len(CASES)
    for v, y, pid, *_, tier, rule in CASES:
        assert got[pid][0] == tier, (v, y, pid, got[pid])
        assert rule in got[pid][1], (pid, got[pid][1])
        assert got[pid][2] == {"oral": 3, "spotlight": 2, "accepted": 1, "not_accepted": 0}[tier]


def test_availability_is_explicit(fixture_engine):
    build_tiers(fixture_engine)
    av = {(v, y): (a, s, o) for v, y, a, s, o in fixture_engine.query(
        "SELECT venue, year, accepted, spotlight, oral FROM tier_availability")}
    assert av[("icml", 2018)] == ("available", "not_available", "not_available")
    assert av[("icml", 2021)] == ("available", "not_available", "available")
    assert av[("nips", 2024)] == ("available", "not_available", "available")
    assert av[("nips", 2022)][1:] == ("not_available", "available")
    assert av[("icml", 2025)][2] == "partial"
    assert av[("cvpr", 2023)] == ("available", "available", "not_available")
    assert av[("eccv", 2018)][0] == "not_available"
    assert len(av) == len(load_tiers().venue_years)


def test_hygiene_reports_gaps_both_ways(fixture_engine):
    h = hygiene(fixture_engine)
    assert [(r["venue"], r["year"], r["status"]) for r in h.uncovered_statuses] == [("icml", 2025, "Mystery")]
    assert [(r["venue"], r["year"]) for r in h.venue_years_without_scheme] == [("neverconf", 2020)]
    assert [r["track"] for r in h.uncovered_tracks] == ["Brand New Track"]
    # a fixture uses a handful of entries: the rest are reported as matching nothing
    assert "scheme:acl_style:Long" in h.unused_entries and "global:Reject" in h.unused_entries
    assert "scheme:icml_all_oral:Oral" not in h.unused_entries
    assert "nips 1987" in h.unused_venue_years and "eccv 2018" not in h.unused_venue_years  # excluded file
    dis = {(r["status_raw"], r["accepted"], r["tier"]) for r in h.accepted_disagreements}
    assert ("Findings", True, "not_accepted") in dis and not h.clean


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "tiers.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_mapping_validation(tmp_path):
    base = TIERS_FILE.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="unknown scheme"):
        load_tiers(_write(tmp_path, base + '\n[venue_years.newconf]\n2030 = "no_such_scheme"\n'))
    bad = base.replace('[schemes.oral_poster]\nnote = "Oral vs Poster; no spotlight label in the data."\n'
                       'accepted = ["Poster", "<missing>"]',
                       '[schemes.oral_poster]\nnote = "x"\naccepted = ["Poster", "<missing>", "Oral"]')
    assert bad != base
    with pytest.raises(InputError, match="mapped to both"):
        load_tiers(_write(tmp_path, bad))
    with pytest.raises(InputError, match="cannot read"):
        load_tiers(_write(tmp_path, "not = [valid"))


@pytest.mark.mirror
def test_hygiene_on_raw_mirror_statuses(mirror_dir):
    """Every status/track in the raw files is mapped, and every mapping entry matches something."""
    from talentflow.careers.mirror_papers import create_mirror_papers

    with connect(Settings(), Path(":memory:")) as eng:
        create_mirror_papers(eng, mirror_dir)
        h = hygiene(eng, source="mirror_papers")
    assert h.uncovered_statuses == [] and h.uncovered_tracks == [] and h.venue_years_without_scheme == []
    assert h.unused_entries == [] and h.unused_venue_years == []


@pytest.mark.mirror
def test_hygiene_on_built_papers(mirror_engine):
    h = hygiene(mirror_engine)
    assert h.clean, h
    # papers.accepted (accepted anywhere at the venue) is broader than tier accepted (main conference): the only
    # disagreements are accepted papers in Findings/industry/demo volumes, side tracks and poster programmes.
    assert h.accepted_disagreements
    assert all(r["accepted"] is True and r["tier"] == "not_accepted" for r in h.accepted_disagreements)
    reasons = {r[0] for r in mirror_engine.query(
        "SELECT DISTINCT t.tier_rule FROM paper_tiers t JOIN papers p "
        "USING (venue, year, paper_id) WHERE p.accepted AND t.tier = 'not_accepted'")}
    assert reasons and all(any(k in r for k in ("Findings", "industry", "demonstrations", "track ", "posters"))
                           for r in reasons), reasons


@pytest.mark.mirror
def test_tier_counts_on_mirror(mirror_engine):
    counts = {(v, y, t): n for v, y, t, n in mirror_engine.query(
        "SELECT venue, year, tier, count(*) FROM paper_tiers GROUP BY ALL")}
    assert counts.get(("icml", 2018, "oral"), 0) == 0 and counts[("icml", 2018, "accepted")] == 623
    assert counts[("icml", 2021, "oral")] == 166 and counts.get(("icml", 2021, "spotlight"), 0) == 0
    assert counts[("nips", 2022, "oral")] == 199 and counts.get(("nips", 2022, "spotlight"), 0) == 0
    assert counts[("iclr", 2023, "oral")] == 91 and counts[("iclr", 2023, "spotlight")] == 280
    assert counts.get(("nips", 2024, "spotlight"), 0) == 0 and counts[("nips", 2024, "oral")] == 72
    n_papers = mirror_engine.scalar("SELECT count(*) FROM papers")
    assert mirror_engine.scalar("SELECT count(*) FROM paper_tiers") == n_papers
    assert mirror_engine.scalar("SELECT count(DISTINCT (venue, year, paper_id)) FROM paper_tiers") == n_papers


@pytest.mark.mirror
def test_doc_tier_table_matches_build(mirror_engine):
    from talentflow.careers.tiers import render_tier_table, tier_table

    doc = (Path(__file__).resolve().parents[1] / "docs" / "tiers-and-subfields.md").read_text(encoding="utf-8")
    table = doc.split("<!-- tier-table:start -->\n", 1)[1].split("<!-- tier-table:end -->", 1)[0]
    assert table == render_tier_table(tier_table(mirror_engine))


@pytest.mark.mirror
def test_cli_eval_tiers(mirror_settings):
    import json

    from typer.testing import CliRunner

    from talentflow.cli.main import app

    r = CliRunner().invoke(app, ["--db", str(mirror_settings.db_path), "eval", "tiers", "--format", "json"])
    assert r.exit_code == 0, r.output
    h = json.loads(r.stdout[r.stdout.index("{"):])
    assert h["uncovered_statuses"] == [] and h["unused_entries"] == [] and h["accepted_disagreements"]
