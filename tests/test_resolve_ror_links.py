"""ROR's parent links in the registry build: both spellings of the relationship type ('parent', 'Parent'), the
sectors of units under a listed organisation, national subsidiaries' short names (they answer only where the
string names their country) and their domains (a multinational's .com says nothing about the country)."""

from __future__ import annotations

import gzip
import json

import pytest

from talentflow.engine import connect
from talentflow.resolve.registry import build_registry
from talentflow.resolve.resolver import load_resolver
from talentflow.settings import Settings


def _rec(rid, name, cc, types, parents=(), spelling="parent", domains=()):
    # one-letter placeholders keep every list typed (an empty JSON list has no type); names under 2 letters are
    # dropped by the build
    return {"id": f"https://ror.org/{rid}", "name": name, "country_code": cc, "types": types, "status": "active",
            "aliases": ["x"], "labels": ["x"], "acronyms": ["x"], "domains": list(domains) or [f"{rid}.example"],
            "link_hosts": [f"{rid}.example"],
            "relationships": [[spelling, f"https://ror.org/{p}"] for p in parents] or [["related", "https://ror.org/x"]]}


RECORDS = [
    _rec("05hkkdn48", "Fraunhofer-Gesellschaft", "DE", ["funder", "government"]),
    # ROR writes the type in upper case in some releases: the unit must still find its listed ancestor
    _rec("0fh000001", "Fraunhofer Institute for Gadgets", "DE", ["facility"], ["05hkkdn48"], "Parent"),
    _rec("0gz000000", "Gizmotron (France)", "FR", ["company"], domains=["gizmotron.fr"]),
    _rec("0gz000001", "Gizmotron (Germany)", "DE", ["company"], ["0gz000000"], "Parent"),
    _rec("0gz000002", "Gizmotron (Italy)", "IT", ["company"], ["0gz000000"], "parent"),
    # a subsidiary whose parent is outside the file, owning the multinational's .com
    _rec("0wx000001", "Wexford Instruments (Japan)", "JP", ["company"], ["0notinfile"], "Parent",
         domains=["wexford.com"]),
    _rec("0ab000001", "American Bicycle Society", "US", ["nonprofit"]),
    _rec("0tu000001", "Technical University of Gadgets", "DE", ["education"], domains=["tug.de"]),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("ror")
    p = d / "registry" / "ror_records_union" / "ror_records_latest.flat.jsonl.gz"
    p.parent.mkdir(parents=True)
    recs = [r if r["id"][-9:] != "0ab000001" else {**r, "aliases": ["ABS"]} for r in RECORDS]
    p.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in recs).encode(), mtime=0))
    with connect(Settings(), d / "r.duckdb") as eng:
        build_registry(eng, d)
        yield eng, load_resolver(eng)


def test_both_spellings_are_parent_links(built):
    eng, _ = built
    links = set(eng.query("SELECT institution_id, parent_id FROM registry_parents"))
    assert ("ror:0fh000001", "ror:05hkkdn48") in links and ("ror:0gz000001", "ror:0gz000000") in links
    assert ("ror:0gz000002", "ror:0gz000000") in links
    # the unit linked as 'Parent' takes Fraunhofer's sector (ror_sectors.csv: children), not its facility type
    assert eng.scalar("SELECT sector FROM reg_institutions WHERE institution_id = 'ror:0fh000001'") == "nonprofit"


def test_national_subsidiaries_names_are_kept_apart(built):
    eng, _ = built
    got = set(eng.query("SELECT institution_id, source FROM registry_names WHERE name_norm = 'gizmotron'"))
    assert got == {("ror:0gz000000", "ror"), ("ror:0gz000001", "ror_national"), ("ror:0gz000002", "ror_national")}


def test_a_multinational_named_alone_is_its_parent(built):
    _, res = built
    r = res.resolve("Gizmotron", "")
    assert (r.institution_id, r.country_location) == ("ror:0gz000000", "FR")


def test_a_subsidiary_answers_where_the_string_names_its_country(built):
    _, res = built
    r = res.resolve("Gizmotron GmbH, Munich, Germany", "")
    assert (r.institution_id, r.country_location, r.sector) == ("ror:0gz000001", "DE", "industry")
    r = res.resolve("Gizmotron, Milan, Italy", "")
    assert (r.institution_id, r.country_location) == ("ror:0gz000002", "IT")


def test_a_subsidiary_with_an_unknown_parent_never_answers_alone(built):
    _, res = built
    r = res.resolve("Wexford Instruments", "")
    assert r.country_location is None
    r = res.resolve("Wexford Instruments, Osaka, Japan", "")
    assert (r.institution_id, r.country_location) == ("ror:0wx000001", "JP")


def test_a_multinationals_com_filed_under_a_subsidiary_names_no_country(built):
    _, res = built
    r = res.resolve("", "wexford.com")
    assert (r.country_location, r.reason) == (None, "unresolved:multinational-domain")
    r = res.resolve("Wexford Labs", "wexford.com")
    assert r.country_location is None
    # the string's own places still answer (place-only), as for any domain that names no country
    r = res.resolve("Wexford Labs, Boston, MA, USA", "wexford.com")
    assert (r.country_location, r.reason) == ("US", "place-only")
    # a national domain of the same company is not a multinational's
    r = res.resolve("", "gizmotron.fr")
    assert r.country_location == "FR"


def test_a_short_registry_name_does_not_override_the_domain(built):
    _, res = built
    # 'ABS' is an alias of an American society; with a German university's address it is a unit there
    r = res.resolve("ABS", "tug.de")
    assert (r.institution_id, r.country_location, r.reason) == ("ror:0tu000001", "DE", "domain-exact:over-weak-name")
    r = res.resolve("ABS", "")  # alone, the registry's answer stands
    assert r.institution_id == "ror:0ab000001"
