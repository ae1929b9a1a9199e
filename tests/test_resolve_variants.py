"""Long-tail rules of the resolver on a registry of the curated data plus hand-written registry rows: second-chance
spellings (variants.py), e-mail addresses and glued footnote numbers in the string, HTML entities, the first part
of a multi-affiliation naming a place of its own, place-only answers beside an ambiguous domain, a curated site
contradicted by the string's places, and the sector words for key laboratories and 'technologies'."""

from __future__ import annotations

import pytest

from talentflow.engine import connect
from talentflow.resolve.normalize import clean_text, email_in, split_multi
from talentflow.resolve.registry import build_registry
from talentflow.resolve.resolver import load_resolver
from talentflow.resolve.sector import from_words, words_of
from talentflow.resolve.variants import leading_acronym, norm_rewrites, raw_rewrites
from talentflow.settings import Settings

ROWS = [  # (id, name, country, org_type)
    ("ror:v1", "University of Regensburg", "DE", "education"),
    ("ror:v2", "University of Washington", "US", "education"),
    ("ror:v3", "Washington University in St. Louis", "US", "education"),
    ("ror:v4", "Newcastle University", "GB", "education"),
    ("ror:v5", "Newcastle University", "AU", "education"),
    ("ror:v6", "University of Newcastle", "AU", "education"),
    ("ror:v7", "University of Würzburg", "DE", "education"),
    ("ror:v8", "Hiroshima University", "JP", "education"),
    ("ror:v9", "Institute of Widget Physics", "CN", "facility"),
    ("ror:v10", "Universidade Estadual Paulista", "BR", "education"),
    ("ror:v11", "Austrian University of Widgets", "AT", "education"),
    ("ror:v12", "Rey Juan Carlos University", "ES", "education"),
    ("ror:v13", "European Widget Agency", "FR", "government"),
    ("ror:v14", "European Widget Agency (Netherlands)", "NL", "government"),
    ("ror:v15", "Northeastern University", "US", "education"),
    ("ror:v16", "Northeastern University", "CN", "education"),
    ("ror:v17", "Institute of Widget Research", "CZ", "facility"),
    ("grid:v18", "Institute of Widget Research", "US", "facility"),
    ("ror:v19", "National Gadget Agency", "US", "government"),
    ("ror:v20", "Fraunhofer Institute for Applied Widget Technology", "DE", "facility"),
    ("ror:v21", "Institute of Pharmacology", "CZ", "facility"),
]
DOMAINS = [("unesp.br", "ror:v10"), ("ewa.int", "ror:v13"), ("ewa.int", "ror:v14"), ("nga.gov", "ror:v19")]


@pytest.fixture(scope="module")
def resolver(tmp_path_factory):
    from talentflow.resolve.normalize import norm_name

    d = tmp_path_factory.mktemp("reg")
    with connect(Settings(), d / "r.duckdb") as eng:
        build_registry(eng, d / "no-mirror")
        for i, n, c, t in ROWS:
            sector = "academia" if t in ("education", "facility") else "government"
            src = i.split(":")[0]
            eng.execute("INSERT INTO reg_institutions VALUES (?, ?, ?, ?, ?, ?, ?, NULL)", [i, n, c, c, t, sector, src])
            eng.execute("INSERT INTO registry_names VALUES (?, ?, ?, ?, ?)", [norm_name(n), src, i, c, t])
        for dom, i in DOMAINS:
            eng.execute("INSERT INTO registry_domains SELECT ?, ?, country, 'ror' FROM reg_institutions "
                        "WHERE institution_id = ?", [dom, i, i])
        yield load_resolver(eng)


def test_rewrites_are_pure_spelling():
    assert raw_rewrites("I.N.R.I.A. Nancy") == ("INRIA Nancy",)
    assert "Robotics, University of Wuerzburg" in raw_rewrites("Robotics - University of Wuerzburg")
    assert raw_rewrites("Research Center “Fondazione Widgets”") == ("Research Center  (Fondazione Widgets) ",)
    assert raw_rewrites("MagicLeap") == ("Magic Leap",) and raw_rewrites("KULeuven") == ("KU Leuven",)
    assert raw_rewrites("Stanford University") == ()
    assert "university of regensburg" in norm_rewrites("regensburg university")
    assert "hiroshima university" in norm_rewrites("hiroshima univ")
    assert "university of wurzburg" in norm_rewrites("university of wuerzburg")
    assert "rey juan carlos university" in norm_rewrites("univ rey juan carlos")
    # words that make the two orders different names are never swapped
    assert norm_rewrites("kent state university") == () and norm_rewrites("open university") == ()
    assert leading_acronym("NYU Courant Institute") and leading_acronym("MIT EECS")
    assert not leading_acronym("Meta Learning Group") and not leading_acronym("MIT-WHOI Joint Program")


@pytest.mark.parametrize("aff,iid,loc", [
    ("Regensburg University", "ror:v1", "DE"),
    ("Graduate Sch. of Eng., Hiroshima Univ.", "ror:v8", "JP"),
    ("Informatics VII: Robotics and Telematics - University of Wuerzburg", "ror:v7", "DE"),
    ("Univ. Rey Juan Carlos", "ror:v12", "ES"),
    ("I.N.R.I.A. Nancy", "cur:inria", "FR"),
    ("NYU Courant Institute", "cur:nyu", "US"),
    ("MIT EECS", "cur:mit", "US"),
    ("Kim Jaechul Graduate School of AI at KAIST", "cur:kaist", "KR"),
    ("AUW Austrian University of Widgets", "ror:v11", "AT"),
    ("Fraunhofer Institute for Applied Widget Technology FIT, Germany", "ror:v20", "DE"),
])
def test_second_chance_spellings(resolver, aff, iid, loc):
    r = resolver.resolve(aff, "")
    assert (r.institution_id, r.country_location, r.reason) == (iid, loc, "name-variant"), r.trace


def test_second_chance_never_turns_one_name_into_another(resolver):
    # 'Washington University' begins a longer registry name: it is not the University of Washington
    r = resolver.resolve("Dept. of Computer Science, Washington University", "")
    assert r.institution_id != "ror:v2"
    # a name the registry knows, but in two countries, is not respelt into 'University of Newcastle' (AU)
    r = resolver.resolve("Newcastle University", "")
    assert r.country_location is None


def test_a_respelt_name_overrides_a_domain_only_when_university_like(resolver):
    # 'Institute of Widget Physics' cut out of '… - UNESP' is not the string's own institution: the domain stays
    r = resolver.resolve("Institute of Widget Physics - UNESP", "unesp.br")
    assert (r.institution_id, r.country_location) == ("ror:v10", "BR")
    r = resolver.resolve("Graduate Sch. of Eng., Hiroshima Univ.", "unesp.br")
    assert (r.institution_id, r.reason) == ("ror:v8", "name-variant:over-domain")


def test_an_email_address_in_the_string_is_its_domain(resolver):
    assert email_in("Email: jane.doe@cs.stanford.edu") == ("", "cs.stanford.edu")
    assert email_in("Widget Lab, x@y.org, Paris") == ("Widget Lab, Paris", "y.org")
    assert email_in("Stanford University") == ("", "")
    r = resolver.resolve("jane.doe@cs.stanford.edu", "")
    assert (r.institution_id, r.country_location, r.reason) == ("cur:stanford", "US", "domain-exact")
    assert any("e-mail address" in t for t in r.trace)


def test_glued_footnote_numbers_split_affiliations():
    assert split_multi("Tsinghua University2Hong Kong University of Science and Technology3Deeproute.ai") == [
        "Tsinghua University", "Hong Kong University of Science and Technology", "Deeproute.ai"]
    assert split_multi("CUHK4SmartMore") == ["CUHK", "SmartMore"]
    for s in ("Vision4Robotics Group", "Tech4Health Institute", "ALL4TEC, Massy", "Seq2Seq Lab"):
        assert split_multi(s) == [s]


def test_html_entities_are_decoded():
    assert clean_text("Texas A&amp;M University") == "Texas A&M University"
    assert clean_text("Women&#x27;s Hospital") == "Women's Hospital"
    assert clean_text("A&M & Co") == "A&M & Co"


def test_a_first_part_with_a_place_elsewhere_is_its_own_affiliation(resolver):
    r = resolver.resolve("Widget Robotics Institute, Berlin, Germany + Stanford University", "")
    assert (r.institution_id, r.country_location, r.reason) == ("place:DE", "DE", "place-only")
    # the later part in the same country may still be the institution (a lab it hosts)
    r = resolver.resolve("Widget Lab, Palo Alto, USA + Stanford University", "")
    assert r.institution_id == "cur:stanford"


def test_an_ambiguous_domain_leaves_the_place_to_the_string(resolver):
    r = resolver.resolve("Robotics Laboratory, European Widget Agency, Noordwijk, Netherlands", "ewa.int")
    assert r.country_location == "NL"


def test_a_curated_site_contradicted_by_the_places_is_not_taken(resolver):
    # Khoury College is Northeastern's in Boston, but Northeastern also teaches in Vancouver
    r = resolver.resolve("Khoury College of Computer Sciences, Northeastern University, Vancouver, Canada", "")
    assert (r.country_location, r.reason) == ("CA", "place-only")
    r = resolver.resolve("Khoury College of Computer Sciences, Northeastern University", "")
    assert r.institution_id == "cur:northeastern-us"


@pytest.mark.parametrize("text,want", [
    ("State Key Laboratory of Widget Systems", "academia"),
    ("Guangdong Provincial Key Laboratory of Novel Security Intelligence Technologies", "academia"),
    ("Institute for Computer Science and Technologies", None),
    ("Kensho Technologies", "industry"),
])
def test_sector_words(text, want):
    got = from_words(words_of(text))
    assert (got[0] if got else None) == want


def test_a_respelt_name_must_still_name_one_institution(resolver):
    # dropping 'PAS' leaves a generic name the registry holds for some other country's institute
    r = resolver.resolve("Institute of Pharmacology PAS", "")
    assert r.institution_id != "ror:v21"


def test_the_strings_place_picks_a_same_name_record_of_another_source(resolver):
    # ROR's record of the name is Czech; GRID's is in the country the string names
    r = resolver.resolve("Lab of Widgets, Institute of Widget Research, Bethesda MD, USA", "")
    assert (r.institution_id, r.country_location) == ("grid:v18", "US")
    r = resolver.resolve("Institute of Widget Research", "")
    assert r.institution_id == "ror:v17"  # no place: the best source's record


def test_a_same_name_record_in_the_domains_country(resolver):
    # the string names the Czech record (best source), the domain an American agency: the name's American record
    r = resolver.resolve("Institute of Widget Research", "nga.gov")
    assert (r.institution_id, r.country_location, r.reason) == ("grid:v18", "US", "name+domain-exact:same-name")
    # …unless the string's own place names the first record's country
    r = resolver.resolve("Institute of Widget Research, Prague, Czech Republic", "nga.gov")
    assert r.country_location == "CZ"
