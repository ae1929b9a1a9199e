"""Name and place rules of the cascade added for strings that carry a department before the institution or a
trailing code instead of a country: trailing institution names after a unit or a connector, and two-letter codes
that name one country (or none)."""

from __future__ import annotations

import pytest

from talentflow.engine import connect
from talentflow.resolve.registry import build_registry
from talentflow.resolve.resolver import load_resolver
from talentflow.resolve.rules import code_country
from talentflow.settings import Settings


@pytest.fixture(scope="module")
def resolver(tmp_path_factory):
    d = tmp_path_factory.mktemp("reg")
    with connect(Settings(), d / "r.duckdb") as eng:
        build_registry(eng, d / "no-mirror")
        eng.execute("""INSERT INTO reg_institutions VALUES
            ('ror:n1', 'Ghent University', 'BE', 'BE', 'education', 'academia', 'ror', NULL),
            ('ror:n2', 'Tohoku University', 'JP', 'JP', 'education', 'academia', 'ror', NULL),
            ('ror:n3', 'Institute of Technology', 'IE', 'IE', 'education', 'academia', 'ror', NULL),
            ('ror:n4', 'University of Widgetopolis', 'IT', 'IT', 'education', 'academia', 'ror', NULL),
            ('ror:n5', 'Technical University', 'RU', 'RU', 'education', 'academia', 'ror', NULL)""")
        eng.execute("""INSERT INTO registry_names VALUES
            ('ghent university', 'ror', 'ror:n1', 'BE', 'education'),
            ('tohoku university', 'ror', 'ror:n2', 'JP', 'education'),
            ('institute of technology', 'ror', 'ror:n3', 'IE', 'education'),
            ('university of widgetopolis', 'ror', 'ror:n4', 'IT', 'education'),
            ('technical university', 'ror', 'ror:n5', 'RU', 'education')""")
        # the fuzzy step's blocking index, as build_registry writes it for every long name
        eng.execute("INSERT INTO registry_tokens VALUES ('widgetopolis', 1, 'university of widgetopolis')")
        eng.execute("INSERT INTO registry_token_df VALUES ('widgetopolis', 1)")
        yield load_resolver(eng)


@pytest.mark.parametrize("aff, want", [
    ("Department of Internal Medicine of the Ghent University, Zwijnaarde", "ror:n1"),
    ("Institute for Robotics and Intelligent Machines at the Ghent University (GU).", "ror:n1"),
    ("Department of Electronic Engineering Tohoku University", "ror:n2"),
    # the tail of a name nobody lists is not that name
    ("Widgetford Institute of Technology", None),
    ("Widgetford Robotics Tohoku University", None),  # no unit, no connector before the name
])
def test_trailing_institution_names(resolver, aff, want):
    r = resolver.resolve(aff, "")
    assert r.institution_id == want
    if want:
        assert r.reason == "name-suffix"


@pytest.mark.parametrize("code, want", [
    ("JP", "JP"), ("FR", "FR"), ("ZA", "ZA"), ("UK", "GB"), ("OK", "US"), ("NY", "US"), ("NY.", "US"),
    ("CA", None), ("DE", None), ("IL", None), ("IN", None), ("AZ", None),  # a US state and a country
    ("NL", None), ("SA", None), ("ON", None),  # Canadian and Australian codes
    ("ny", None), ("J1", None), ("JPN", None),
])
def test_code_country(code, want):
    assert code_country(code) == want


def test_trailing_codes_answer_place_only(resolver):
    r = resolver.resolve("Chiba Widget Daigaku, Chiba, JP", "")
    assert (r.country_location, r.reason) == ("JP", "place-only")
    assert resolver.resolve("Widget Aeronautics Lab, Stillwater, OK", "").country_location == "US"
    assert resolver.resolve("Widget Robotics, Springfield, IL", "").country_location is None  # Illinois or Israel


def test_one_comma_part_close_to_a_registry_name_in_the_country_named(resolver):
    r = resolver.resolve("Robotics Lab, DIST, Universita of Widgetopolis, Italy", "")
    assert (r.institution_id, r.country_location, r.reason) == ("ror:n4", "IT", "fuzzy-part")
    assert r.confidence < 0.8  # the fuzzy confidence scaled by the score
    # the same near-name in a string that names another country is not that university
    r = resolver.resolve("Robotics Lab, DIST, Universita of Widgetopolis, France", "")
    assert (r.institution_id, r.country_location) == ("place:FR", "FR")  # the country only
    # and without any country in the string the comma parts are not tried
    assert resolver.resolve("Robotics Lab, DIST, Universita of Widgetopolis", "").institution_id is None


def test_a_leading_name_in_a_later_comma_part_needs_three_words_and_a_distinctive_one(resolver):
    r = resolver.resolve("Department of Media, Technical University Widgetburg", "")
    assert r.institution_id != "ror:n5"  # 'technical university' is no name of its own here
    r = resolver.resolve("Department of Media, Ghent University Widget Lab", "")
    assert r.institution_id != "ror:n1"  # two words: only the whole string's own start may be that short


def test_a_trailing_code_needs_a_name_and_a_city_before_it(resolver):
    # 'LU' here is Lund University, not Luxembourg
    assert resolver.resolve("Department of Automatic Control, LU", "").country_location is None


def _ror_file(root, records):
    import gzip
    import json

    p = root / "registry" / "ror_records_union" / "ror_records_latest.flat.jsonl.gz"
    p.parent.mkdir(parents=True, exist_ok=True)
    base = {"status": "active", "aliases": ["-"], "labels": ["-"], "acronyms": ["-"], "domains": ["x.example"],
            "link_hosts": ["x.example"], "relationships": [["related", "https://ror.org/0"]]}
    p.write_bytes(gzip.compress("".join(json.dumps({**base, **r}) + "\n" for r in records).encode(), mtime=0))


def test_company_names_without_their_country_and_legal_form(tmp_path):
    _ror_file(tmp_path, [
        {"id": "https://ror.org/0w1", "name": "Widget Dynamics (United States)", "country_code": "US",
         "types": ["company"]},
        {"id": "https://ror.org/0w2", "name": "Gizmo Pharma (Germany)", "country_code": "DE", "types": ["company"]},
        {"id": "https://ror.org/0w3", "name": "Gizmo Pharma (France)", "country_code": "FR", "types": ["company"]},
        {"id": "https://ror.org/0w4", "name": "Harbin Widget Institute (Shenzhen)", "country_code": "CN",
         "types": ["education"]},
        # a national subsidiary whose parent is elsewhere (or not in the file) keeps only its full name
        {"id": "https://ror.org/0w5", "name": "Sprocket Consulting (United Kingdom)", "country_code": "GB",
         "types": ["company"], "relationships": [["parent", "https://ror.org/0w9"]]},
        {"id": "https://ror.org/0w6", "name": "Cog Imaging (China)", "country_code": "CN", "types": ["company"],
         "relationships": [["parent", "https://ror.org/0w7"]]},
        {"id": "https://ror.org/0w7", "name": "Cog Holdings (China)", "country_code": "CN", "types": ["company"]}])
    with connect(Settings(), tmp_path / "r.duckdb") as eng:
        build_registry(eng, tmp_path)
        r = load_resolver(eng)
    assert r.resolve("Widget Dynamics", "").country_location == "US"
    assert r.resolve("Widget Dynamics Inc.", "").institution_id == "ror:0w1"  # legal form dropped too
    assert r.resolve("Widget Dynamics Co., Ltd.", "").institution_id == "ror:0w1"
    # a multinational's national records: no country without a place, the named one with it
    assert r.resolve("Gizmo Pharma", "").country_location is None
    assert r.resolve("Gizmo Pharma, Lyon, France", "").institution_id == "ror:0w3"
    # a campus in parentheses is not a country: no shortened name
    assert "harbin widget institute" not in r.names
    assert r.resolve("Sprocket Consulting", "").country_location is None
    assert r.resolve("Cog Imaging", "").institution_id == "ror:0w6"  # its parent is in the same country
