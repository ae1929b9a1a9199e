"""Sector rules (resolve/sector.py and data/ror_sectors.csv): the string's own words where no registry type
says it, the multi-institution rule, ROR facilities, and the labelling rules' sectors for ROR organisations and
their units."""

from __future__ import annotations

import gzip
import json

import pytest

from talentflow.engine import connect
from talentflow.errors import InputError
from talentflow.resolve.curated import CURATED_DIR, read_ror_sectors
from talentflow.resolve.registry import build_registry
from talentflow.resolve.resolver import load_resolver
from talentflow.resolve.sector import from_words, words_of
from talentflow.settings import Settings


@pytest.mark.parametrize("text, want", [
    ("Department of Urology, Herlev University Hospital, Herlev, Denmark", "academia"),  # a university hospital
    ("Nabtecso corporation, Chiyoda-ku, Tokyo, Japan", "industry"),
    ("Ascending Technologies GmbH, Germany", "industry"),
    ("Univrses AB", "industry"), ("Zortify S. A.", "industry"), ("Dji Co.", "industry"),
    ("Hibot. Corp, Shinagawaku, Tokyo, Japan", "industry"),
    ("Sandia National Laboratories", "government"), ("U.S. Army Research Laboratory", "government"),
    ("Ministry of Education", "government"), ("City General Hospital", "government"),
    ("Department of Energy", "government"),  # a government department, not a university's
    ("Department of Mechanical Engineering, Division PMA, Leuven, Belgium", "academia"),  # a unit
    ("Simons Foundation", "nonprofit"),
    ("Chinese Academy of Sciences", "academia"), ("Indian Institute of Technology Delhi", "academia"),
    # short legal forms only at the end of a comma part, and never one that is also a place code
    ("Adelaide, SA", None), ("NCAR, Boulder, CO", None), ("Las Vegas, NV", None), ("AG Robotik, Bonn", None),
    ("Toyota Research Institute", None), ("Fiddler AI", None), ("", None),
])
def test_words(text, want):
    got = from_words(words_of(text))
    assert (got[0] if got else None) == want


@pytest.fixture(scope="module")
def resolver(tmp_path_factory):
    d = tmp_path_factory.mktemp("reg")
    with connect(Settings(), d / "r.duckdb") as eng:
        build_registry(eng, d / "no-mirror")
        eng.execute("""INSERT INTO reg_institutions VALUES
            ('ror:f1', 'Widget National Laboratories', 'US', 'US', 'facility', 'academia', 'ror', NULL),
            ('ror:f2', 'Institute for Widget Studies', 'DE', 'DE', 'facility', 'academia', 'ror', NULL),
            ('ror:f3', 'National Academy of Sciences of Widgetland', 'BY', 'BY', 'government', 'government', 'ror',
             NULL)""")
        eng.execute("""INSERT INTO registry_names VALUES
            ('widget national laboratories', 'ror', 'ror:f1', 'US', 'facility'),
            ('institute for widget studies', 'ror', 'ror:f2', 'DE', 'facility'),
            ('national academy of sciences of widgetland', 'ror', 'ror:f3', 'BY', 'government')""")
        yield load_resolver(eng)


def test_answers_without_an_institution_take_their_words(resolver):
    r = resolver.resolve("Nabtecso corporation, Chiyoda-ku, Tokyo, Japan", "")
    assert (r.country_location, r.sector, r.sector_basis) == ("JP", "industry", "words")
    r = resolver.resolve("Department of Mechanical Engineering, Division PMA, Leuven, Belgium", "")
    assert (r.country_location, r.sector, r.sector_basis) == ("BE", "academia", "words")


def test_no_answer_keeps_only_strong_words(resolver):
    r = resolver.resolve("CogWidgets Co., Ltd.", "cogwidgets-global.com")
    assert (r.country_location, r.sector, r.sector_basis) == (None, "industry", "words")
    r = resolver.resolve("Department of Statistics", "")  # a bare unit without an answer says nothing
    assert (r.country_location, r.sector, r.sector_basis) == (None, None, None)


def test_registry_and_curated_sectors_are_kept(resolver):
    r = resolver.resolve("Massachusetts Institute of Technology", "mit.edu")
    assert (r.sector, r.sector_basis) == ("academia", "curated")
    r = resolver.resolve("MIT Lincoln Laboratory", "")
    assert (r.sector, r.sector_basis) == ("government", "curated")


def test_a_facility_named_as_a_government_lab(resolver):
    r = resolver.resolve("Widget National Laboratories", "")
    assert (r.sector, r.sector_basis) == ("government", "words")
    r = resolver.resolve("Institute for Widget Studies", "")  # a facility saying nothing else stays academia
    assert (r.sector, r.sector_basis) == ("academia", "registry")


def test_an_academy_typed_government_is_academia(resolver):
    r = resolver.resolve("National Academy of Sciences of Widgetland", "")
    assert (r.country_location, r.sector, r.sector_basis) == ("BY", "academia", "words")


def test_multi_institution_first_part_keeps_its_kind(resolver):
    # the first part is an unknown company; the domain answers for the university named second
    r = resolver.resolve("Acme Widgets Corp, Salt Lake City, Utah + Massachusetts Institute of Technology",
                         "mit.edu")
    assert (r.country_location, r.sector, r.sector_basis) == ("US", "industry", "words:first-part")
    # a first part that is only a unit belongs to the institution that answered for it
    r = resolver.resolve("Department of Physics + Department of Mathematics", "mit.edu")
    assert (r.institution_id, r.sector, r.sector_basis) == ("cur:mit", "academia", "curated")


# ------------------------------------------------------------------------------------------ ror_sectors.csv
def _ror_file(root, records):
    p = root / "registry" / "ror_records_union" / "ror_records_latest.flat.jsonl.gz"
    p.parent.mkdir(parents=True, exist_ok=True)
    base = {"status": "active", "aliases": ["x"], "labels": ["x"], "acronyms": ["x"], "domains": [],
            "link_hosts": [], "relationships": []}
    p.write_bytes(gzip.compress("".join(json.dumps({**base, **r}) + "\n" for r in records).encode(), mtime=0))


def _rec(rid, name, cc, types, parents=()):
    return {"id": f"https://ror.org/{rid}", "name": name, "country_code": cc, "types": types,
            "domains": [f"{rid}.example"], "link_hosts": [f"{rid}.example"],
            "relationships": [["parent", f"https://ror.org/{p}"] for p in parents] or [["related", "https://ror.org/x"]]}


def test_ror_sectors_of_organisations_and_their_units(tmp_path):
    _ror_file(tmp_path, [
        _rec("05hkkdn48", "Fraunhofer-Gesellschaft", "DE", ["funder", "government"]),
        _rec("0fh000001", "Fraunhofer Institute for Widgets", "DE", ["facility"], ["05hkkdn48"]),
        _rec("0fh000002", "Widget Department of a Fraunhofer Institute", "DE", ["facility"], ["0fh000001"]),
        _rec("0281dp749", "Helmholtz Association of German Research Centres", "DE", ["funder", "government"]),
        _rec("04bwf3e34", "Deutsches Zentrum für Luft- und Raumfahrt e. V. (DLR)", "DE", ["facility"], ["0281dp749"]),
        _rec("0dl000001", "DLR Institute of Robotics", "DE", ["facility"], ["04bwf3e34"]),
        _rec("0hz000001", "Helmholtz Widget Centre", "DE", ["facility"], ["0281dp749"]),
        _rec("00mmn6b08", "Office of Science", "US", ["government"]),
        _rec("0or000001", "Oak Widget Laboratory", "US", ["facility"], ["00mmn6b08"]),
        _rec("0or000002", "Widget State University", "US", ["education"], ["00mmn6b08"]),  # keeps its type
        _rec("0or000003", "Widget Spin-off Inc", "US", ["company"], ["05hkkdn48"]),  # keeps its type
        _rec("03kqdja62", "Vector Institute", "CA", ["facility"]),
    ])
    with connect(Settings(), tmp_path / "r.duckdb") as eng:
        build_registry(eng, tmp_path)
        got = dict(eng.query("SELECT name, sector FROM reg_institutions WHERE source = 'ror'"))
    assert got == {
        "Fraunhofer-Gesellschaft": "nonprofit", "Fraunhofer Institute for Widgets": "nonprofit",
        "Widget Department of a Fraunhofer Institute": "nonprofit",
        "Helmholtz Association of German Research Centres": "government",  # 'children': itself unchanged
        "Deutsches Zentrum für Luft- und Raumfahrt e. V. (DLR)": "government",
        "DLR Institute of Robotics": "government",  # the nearest listed ancestor (DLR), not Helmholtz
        "Helmholtz Widget Centre": "academia", "Office of Science": "government",
        "Oak Widget Laboratory": "government", "Widget State University": "academia",
        "Widget Spin-off Inc": "industry", "Vector Institute": "nonprofit"}


def test_ror_sectors_file_is_checked(tmp_path):
    rows = read_ror_sectors()
    assert len(rows) >= 10 and all(r[0].startswith("ror:") for r in rows)
    bad = tmp_path / "bad.csv"
    bad.write_text((CURATED_DIR / "ror_sectors.csv").read_text(encoding="utf-8").replace(
        ",nonprofit,both,", ",charity,both,", 1), encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_ror_sectors(bad)
    assert "bad.csv" in str(e.value) and "sector" in str(e.value)


@pytest.mark.mirror
def test_every_listed_ror_id_is_an_active_mirror_record(mirror_dir):
    import duckdb

    p = mirror_dir / "registry/ror_records_union/ror_records_latest.flat.jsonl.gz"
    have = dict(duckdb.sql(f"SELECT 'ror:' || regexp_extract(id, '[^/]+$'), name FROM read_json('{p}', "
                           "format='newline_delimited') WHERE status = 'active'").fetchall())
    for rid, name, _, _ in read_ror_sectors():
        assert have.get(rid) == name, rid
