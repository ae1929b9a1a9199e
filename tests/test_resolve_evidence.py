"""Evidence beyond one string (resolve/evidence.py), on hand-written authorships, paper affiliation lists and
career histories run through the real resolve stage: consensus of strings naming a place, the same domain, the
same person's profile; disagreement leaves a pair unanswered; what the cascade abstained on stays abstained."""

from __future__ import annotations

import pytest

from talentflow.engine import connect
from talentflow.engine.checksum import tables as tables_of
from talentflow.resolve import evidence, stage
from talentflow.resolve.resolver import load_resolver
from talentflow.settings import Settings

AUTHORSHIPS = [  # (person_id, affiliation, domain)
    # key consensus: two strings with a place, one without
    ("~A1", "Acme Robotics, Zurich, Switzerland", ""), ("~A2", "Acme Robotics, Zürich", ""),
    ("~A3", "Acme Robotics", ""),
    ("~A4", "Acme Robotics GmbH, Zurich", ""), ("~A5", "Acme Robotics GmbH", ""),
    # the same key in two countries: nobody gets an answer from it
    ("~B1", "Borealis Widgets, Berlin, Germany", ""), ("~B2", "Borealis Widgets, Paris, France", ""),
    ("~B3", "Borealis Widgets", ""),
    # domain consensus (.ai names no country)
    ("~C1", "Qwerty Robotics Inc., Munich, Germany", "mail.qwertyrobotics.ai"), ("~C2", "", "qwertyrobotics.ai"),
    # evidence against the ccTLD
    ("~D1", "Zeta Vision Labs, Vienna, Austria", ""), ("~D2", "Zeta Vision Labs", "zetavision.de"),
    # a name the registries know in two countries: the cascade abstains, evidence must not settle it
    ("~E1", "Southern University, Shanghai, China", ""), ("~E2", "Southern University", ""),
    # a unit, not an institution
    ("~F1", "Department of Computer Science, Wuhan, China", ""), ("~F2", "Department of Computer Science", ""),
    # the string's own place parts: an observation, never evidence for itself
    ("~G1", "Omega Widgets Paris, Germany", ""),
    # an office of a known multi-site company is no evidence for the bare name (Google without a place is at HQ)
    ("~H1", "AI at Googol, Zurich, Switzerland", "google.com"), ("~H2", "AI at Googol", ""),
    # the same person's profile
    ("~Ann_Lee2", "Gamma Photonics", ""),
    # a pair of one person whose profile disagrees with other people's strings: the person decides
    ("~Bob_Ray1", "Delta Systems", ""), ("~X1", "Delta Systems, Tokyo, Japan", ""),
    ("~X2", "Delta Systems, Seoul, Korea", ""),
    # the same disagreement, but the pair has a second author without evidence: no answer
    ("~Cy_Li1", "Epsilon Data", ""), ("~Y0", "Epsilon Data", ""), ("~Y1", "Epsilon Data, Tokyo, Japan", ""),
    ("~Y2", "Epsilon Data, Seoul, Korea", ""),
]
PAPER_AFFS = ["Kappa Optics, Lyon, France", "Kappa Optics, Grenoble"]
HISTORY = [  # (profile_id, institution, domain, country)
    ("~Ann_Lee1", "Gamma Photonics", "", "FI"),
    ("~Bob_Ray1", "Delta Systems", "", "JP"),
    ("~Cy_Li1", "Epsilon Data", "", "JP"),
]
ALIASES = [("~Ann_Lee1", "~Ann_Lee1"), ("~Ann_Lee2", "~Ann_Lee1"), ("~Bob_Ray1", "~Bob_Ray1"), ("~Cy_Li1", "~Cy_Li1")]


def _load(eng, with_profiles: bool = True) -> None:
    eng.execute("CREATE TABLE authorships (person_id VARCHAR, affiliation_raw VARCHAR, domain_raw VARCHAR)")
    eng.con.executemany("INSERT INTO authorships VALUES (?, ?, ?)", AUTHORSHIPS + [("~K1", "Kappa Optics", "")])
    eng.execute("CREATE TABLE paper_affiliations (affiliation_raw VARCHAR)")
    eng.con.executemany("INSERT INTO paper_affiliations VALUES (?)", [(a,) for a in PAPER_AFFS])
    if with_profiles:
        eng.execute("""CREATE TABLE profile_history (profile_id VARCHAR, institution_raw VARCHAR, domain_raw VARCHAR,
                       country VARCHAR)""")
        eng.con.executemany("INSERT INTO profile_history VALUES (?, ?, ?, ?)", HISTORY)
        eng.execute("CREATE TABLE profile_aliases (username VARCHAR, profile_id VARCHAR)")
        eng.con.executemany("INSERT INTO profile_aliases VALUES (?, ?)", ALIASES)


def _ror(root, records: list[dict]) -> None:
    """A registry file in the mirror's ROR flat format (the fields registry.py reads)."""
    import gzip
    import json

    p = root / "registry" / "ror_records_union" / "ror_records_latest.flat.jsonl.gz"
    p.parent.mkdir(parents=True, exist_ok=True)
    base = {"status": "active", "aliases": [], "labels": [], "acronyms": [], "domains": [], "link_hosts": [],
            "relationships": []}
    p.write_bytes(gzip.compress("".join(json.dumps({**base, **r}) + "\n" for r in records).encode(), mtime=0))


# two registry universities called 'Southern University' (US, CN), as ROR has such pairs
# (every list field non-empty somewhere, as in the real file, so that the JSON reader types them as lists)
SAME_NAME = [{"id": "https://ror.org/0s1", "name": "Southern University", "country_code": "US", "types": ["education"],
              "aliases": ["Southern University Baton Rouge"], "labels": ["Southern University"], "acronyms": ["SUBR"], "domains": ["subr.example"],
              "link_hosts": ["subr.example"], "relationships": [["related", "https://ror.org/0s2"]]},
             {"id": "https://ror.org/0s2", "name": "Southern University", "country_code": "CN", "types": ["education"]}]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("ev")
    _ror(d / "data", SAME_NAME)
    s = Settings(data_dir=d / "data", db_path=d / "t.duckdb", threads=1)
    with connect(s, s.db_path) as eng:
        _load(eng)
        stats = stage.run(eng, s, progress=None)
        rows = {(a, dm): r for a, dm, *r in eng.query(
            "SELECT affiliation_raw, domain_raw, country_location, country_hq, reason, confidence, sector, "
            "sector_basis, location_basis FROM affiliation_resolutions")}
        tables = tables_of(eng)
        ev = eng.query("SELECT kind, value, country, n_countries, n_strings FROM resolve_evidence ORDER BY 1, 2")
    return {"settings": s, "stats": stats, "rows": rows, "tables": tables, "evidence": ev}


def res(built, aff, dom=""):
    return built["rows"][(aff, dom)]


def test_key_consensus_answers_the_bare_string(built):
    loc, hq, reason, conf, *_ = res(built, "Acme Robotics")
    assert (loc, hq, reason, conf) == ("CH", "CH", "evidence:key", 0.75)  # two strings agree
    assert res(built, "Acme Robotics", "")[-1] == "evidence"  # location_basis


def test_paper_level_lists_are_observations_too(built):
    loc, _, reason, conf, *_ = res(built, "Kappa Optics")
    assert (loc, reason, conf) == ("FR", "evidence:key", 0.75)


def test_evidence_answers_carry_the_sector_of_their_words(built):
    loc, _, reason, _, sector, basis, _ = res(built, "Acme Robotics GmbH")
    assert (loc, reason, sector, basis) == ("CH", "evidence:key", "industry", "words")


def test_places_that_disagree_give_no_answer(built):
    loc, hq, reason, *_ = res(built, "Borealis Widgets")
    assert (loc, hq, reason) == (None, None, "unresolved:evidence-disagrees")
    assert ("key", "borealis widgets", None, 2, 2) in built["evidence"]


def test_domain_consensus(built):
    loc, _, reason, conf, *_ = res(built, "", "qwertyrobotics.ai")
    assert (loc, reason, conf) == ("DE", "evidence:domain", 0.65)  # one string: the single-observation confidence


def test_evidence_against_the_cctld_gives_no_answer(built):
    # without evidence the ccTLD would answer DE; the other string says Austria
    assert res(built, "Zeta Vision Labs", "zetavision.de")[:3] == [None, None, "unresolved:evidence-disagrees"]


def test_a_name_the_registries_hold_twice_stays_unanswered(built):
    loc, _, reason, *_ = res(built, "Southern University")
    assert loc is None and not reason.startswith("evidence")


def test_an_office_of_a_multi_site_company_is_no_evidence(built):
    assert res(built, "AI at Googol, Zurich, Switzerland", "google.com")[:2] == ["CH", "US"]  # place-hint
    assert res(built, "AI at Googol")[:3] == [None, None, "unresolved:no-match"]


def test_a_unit_is_no_key(built):
    loc, _, reason, *_ = res(built, "Department of Computer Science")
    assert loc is None and reason == "unresolved:no-match"


def test_a_string_is_no_evidence_for_itself(built):
    # whole-string places name FR (Paris) and DE: place-only abstains; its own 'Germany' part must not answer it
    loc, _, reason, *_ = res(built, "Omega Widgets Paris, Germany")
    assert loc is None and not reason.startswith("evidence")


def test_the_same_persons_profile_through_an_alias(built):
    loc, _, reason, conf, *_ = res(built, "Gamma Photonics")
    assert (loc, reason, conf) == ("FI", "evidence:person-profile", 0.85)


def test_a_pair_of_one_person_takes_that_persons_evidence(built):
    assert res(built, "Delta Systems")[:3] == ["JP", "JP", "evidence:person-profile"]


def test_a_pair_of_two_people_with_disagreeing_evidence_gets_none(built):
    assert res(built, "Epsilon Data")[:3] == [None, None, "unresolved:evidence-disagrees"]


def test_stats_and_no_scratch_tables(built):
    st = built["stats"]
    assert st["evidence_pairs_answered"] == 6 and st["evidence_pairs_disagreeing"] == 3
    assert st["person_evidence_pairs"] >= 3
    assert {"resolve_evidence", "resolve_person_evidence"} <= set(built["tables"])
    assert not [t for t in built["tables"] if t.startswith("_")]  # staging tables start with '_' 


def test_a_single_resolve_reads_the_same_evidence(built):
    """`talentflow resolve` / `eval resolve` load the built database's evidence tables: one pair resolved alone
    gets the build's answer."""
    from talentflow.resolve.registry import build_registry

    s = built["settings"]
    with connect(s, s.db_path.with_name("reg.duckdb")) as eng:
        build_registry(eng, s.data_dir)
        r = load_resolver(eng)
    assert r.resolve("Acme Robotics", "").country_location is None  # no evidence loaded yet
    assert evidence.load_built(r, s) == str(s.db_path)
    for aff, dom in [("Acme Robotics", ""), ("", "qwertyrobotics.ai"), ("Gamma Photonics", ""),
                     ("Borealis Widgets", ""), ("Zeta Vision Labs", "zetavision.de")]:
        one = r.resolve(aff, dom)
        assert [one.country_location, one.country_hq, one.reason] == res(built, aff, dom)[:3], aff
    assert any(x.startswith("evidence:") for x in r.resolve("Acme Robotics", "").trace)


def test_without_profiles_the_person_rule_is_silent(tmp_path):
    (tmp_path / "data").mkdir()
    s = Settings(data_dir=tmp_path / "data", db_path=tmp_path / "t.duckdb", threads=1)
    with connect(s, s.db_path) as eng:
        _load(eng, with_profiles=False)
        st = stage.run(eng, s, progress=None)
        got = dict(((a, d), (c, r)) for a, d, c, r in eng.query(
            "SELECT affiliation_raw, domain_raw, country_location, reason FROM affiliation_resolutions"))
    assert st["person_evidence_pairs"] == 0
    assert got[("Gamma Photonics", "")] == (None, "unresolved:no-match")
    assert got[("Delta Systems", "")] == (None, "unresolved:evidence-disagrees")  # Tokyo vs Seoul


@pytest.mark.parametrize("dom, want", [("cs.acme.ai", "acme.ai"), ("lab.ox.ac.uk", "ox.ac.uk"),
                                       ("uniandes.edu.com", "uniandes.edu.com"), ("edu.com", ""),
                                       ("github.io", ""), ("x y.com", "")])
def test_org_domain(dom, want):
    assert evidence.org_domain(dom) == want
