"""Careers: position mapping, person links, career events and stages on hand-made tables; the real mirror."""

from __future__ import annotations

import pytest

from careers_fixtures import careers_engine, run_careers
from talentflow.careers.positions import POSITIONS, classify, hygiene, load_positions
from talentflow.errors import InputError


@pytest.fixture(scope="module")
def eng():
    e = careers_engine()
    e.stats = run_careers(e)
    yield e
    e.close()


@pytest.mark.parametrize("raw,pos,student", [
    ("PhD student", "phd", True), ("Ph.D. Student", "phd", True), ("Postdoctoral Researcher", "postdoc", False),
    ("Undergrad student", "undergrad", True), ("MS student", "masters", True), ("Full Professor", "faculty", False),
    ("Research Scientist", "researcher_engineer", False), ("Chief Scientist", "leadership", False),
    ("Intern", "other", True), ("Researcher+PhD student", "researcher_engineer", False),
    ("Chair Professor", "faculty", False), ("Consultant", "other", False)])
def test_position_rules(raw, pos, student):
    got = classify(raw, load_positions())
    assert got[:2] == (pos, student)
    assert got[2] != "unmatched" or raw == "Consultant"


def test_position_absent_is_not_guessed():
    assert classify(None, load_positions()) == (None, None, "no_position")
    assert classify("  ", load_positions())[0] is None


def test_position_file_validation(tmp_path):
    p = tmp_path / "positions.csv"
    p.write_text("match,pattern,position,student,note\nregex,professor,prof,false,\n")
    with pytest.raises(InputError, match="position"):
        load_positions(p)
    p.write_text("match,pattern,position,student,note\nregex,(unclosed,faculty,false,\n")
    with pytest.raises(InputError, match="pattern"):
        load_positions(p)


def test_position_hygiene_reports_unmatched_and_unused():
    rules = load_positions()
    h = hygiene({"PhD student": 3, "Zookeeper": 2}, rules)
    assert h["unmatched"] == {"Zookeeper": 2}
    assert "positions.csv:2" in h["unused_rules"]  # the postdoc rule matched nothing here
    assert all(r.position in POSITIONS for r in rules)


def test_every_authorship_has_a_person(eng):
    assert eng.scalar("SELECT count(*) FROM person_links") == eng.scalar("SELECT count(*) FROM authorships")
    assert eng.scalar("SELECT count(*) FROM career_events") == eng.scalar("SELECT count(*) FROM authorships")
    keys = dict(eng.query("SELECT author_name, min(person_key) FROM career_events GROUP BY 1"))
    assert keys["Ann Li"] == "~Ann_Li1" and keys["Cat Kim"].startswith("a:")
    assert eng.stats["linking_skipped"]  # too few records to train: nothing linked, said so


def test_events_keep_raw_and_both_countries(eng):
    row = eng.query_dicts("SELECT * FROM career_events WHERE person_key = '~Ann_Li1' AND year = 2022")[0]
    assert (row["position"], row["position_raw"], row["country_location"], row["country_hq"], row["sector"]) == \
        ("researcher_engineer", "Research Scientist", "GB", "US", "industry")
    unres = eng.query_dicts("SELECT * FROM career_events WHERE person_key = '~Eve_Ng1'")[0]
    assert unres["country_location"] is None and unres["institution_id"] is None


def _stage(eng, key, year, rule="location"):
    return eng.query_dicts("SELECT * FROM person_stages WHERE person_key = ? AND ref_year = ? AND rule = ?",
                           [key, year, rule])[0]


def test_stages_observed_rules(eng):
    ann = _stage(eng, "~Ann_Li1", 2022)
    assert (ann["origin_country"], ann["origin_basis"], ann["origin_stage_rule"]) == ("CN", "observed", "undergrad")
    assert (ann["graduate_country"], ann["graduate_stage_rule"]) == ("US", "phd")
    assert (ann["work_country"], ann["work_basis"]) == ("GB", "observed")
    assert _stage(eng, "~Ann_Li1", 2022, "hq")["work_country"] == "US"
    # At 2020 Ann has no non-student observation yet: work unknown, not her PhD country.
    assert _stage(eng, "~Ann_Li1", 2020)["work_basis"] == "unknown"


def test_stages_proxy_is_labelled(eng):
    bob = _stage(eng, "~Bob_Roe1", 2022)
    assert (bob["origin_country"], bob["origin_basis"], bob["origin_stage_rule"]) == \
        ("GB", "proxy", "proxy:earliest_graduate")
    assert (bob["graduate_country"], bob["graduate_stage_rule"]) == ("GB", "masters")
    assert bob["work_country"] == "DE"
    # 2023: latest observation is unresolved; the work stage falls back to the latest resolved one (2022).
    assert _stage(eng, "~Bob_Roe1", 2023)["work_country"] == "DE"
    cat = eng.query_dicts("SELECT * FROM person_stages WHERE person_key LIKE 'a:%' AND rule = 'location'")[0]
    assert (cat["work_country"], cat["work_basis"], cat["work_stage_rule"]) == \
        ("US", "proxy", "proxy:position_unknown")
    assert cat["origin_basis"] == "unknown"


def test_student_is_never_work(eng):
    dan = _stage(eng, "~Dan_Wu1", 2022)
    assert dan["work_basis"] == "unknown" and dan["graduate_country"] == "CN"


def test_metric_base_only_accepted(eng):
    assert eng.scalar("SELECT count(*) FROM metric_base WHERE paper_id = 'p8'") == 0
    assert eng.scalar("SELECT count(DISTINCT rule) FROM metric_base") == 2


@pytest.mark.mirror
def test_mirror_careers(mirror_engine):
    e = mirror_engine
    n_auth = e.scalar("SELECT count(*) FROM authorships")
    assert e.scalar("SELECT count(*) FROM career_events") == n_auth
    assert e.scalar("SELECT count(*) FROM person_links") == n_auth
    methods = dict(e.query("SELECT link_method, count(*) FROM person_links GROUP BY 1"))
    assert methods["profile_id"] > 150_000
    # Linking is conservative: a minority of id-less authorships are linked, none to two profiles.
    linked = methods.get("linked_to_profile", 0) + methods.get("linked", 0)
    assert 0 < linked < 0.7 * (n_auth - methods["profile_id"])
    assert e.scalar("""SELECT count(*) FROM (SELECT person_key FROM career_events WHERE person_id IS NOT NULL
                       GROUP BY 1 HAVING count(DISTINCT person_id) > 1)""") == 0
    vals = dict(e.query("SELECT position_raw, count(*) FROM authorships WHERE position_raw IS NOT NULL GROUP BY 1"))
    h = hygiene(vals, load_positions())
    assert h["unused_rules"] == []
    assert sum(h["unmatched"].values()) < 0.01 * sum(vals.values()), list(h["unmatched"])[:20]
    assert e.scalar("SELECT count(*) FROM person_stages WHERE origin_basis NOT IN ('observed','proxy','unknown')") == 0


def test_profile_histories_are_events_with_their_own_years():
    e = careers_engine()
    e.execute("""CREATE TABLE profile_events AS SELECT * FROM (VALUES
                 ('~Bob_Roe1', 2014, 'Undergrad student', 'University of Oxford', 'ox.ac.uk', 'openreview_history',
                  NULL::VARCHAR))
                 t(person_id, year, position_raw, affiliation_raw, domain_raw, source, country_profile)""")
    run_careers(e)
    bob = _stage(e, "~Bob_Roe1", 2022)
    assert (bob["origin_country"], bob["origin_basis"], bob["origin_stage_year"]) == ("GB", "observed", 2014)
    ev = e.query_dicts("SELECT * FROM career_events WHERE source = 'openreview_history'")
    assert len(ev) == 1 and ev[0]["venue"] is None and ev[0]["accepted"] is False
    assert e.scalar("SELECT count(*) FROM metric_base WHERE paper_id IS NULL") == 0
    e.close()
