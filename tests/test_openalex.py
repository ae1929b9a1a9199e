"""OpenAlex snapshot → build: the documented layout (entity folders, updated_date partitions, gzip JSON Lines,
Redshift manifests), checked against its manifest; works, authorships with institutions, authors'
affiliation-years; links to talentflow papers; the country agreement report; and nothing at all without data."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from typer.testing import CliRunner

import openalex_fixtures as F
from conftest import fixture_settings
from talentflow.cli.main import app
from talentflow.engine import connect
from talentflow.engine.checksum import compare, scratch_tables, table_checksums
from talentflow.errors import InputError
from talentflow.pipeline import build
from talentflow.openalex.agreement import country_agreement
from talentflow.openalex.stage import TABLES

LONG = "Robust Policy Learning under Partial Observability in Very Large Worlds"
MIRROR = [
    {"id": "P1", "title": "Scaling Laws for Sparse Mixture Models in Vision", "status": "Poster",
     "author": "Ann Li;Bob Roe", "authorids": "~Ann_Li1;~Bob_Roe1", "aff": "Tsinghua University;Google",
     "aff_domain": "tsinghua.edu.cn;google.com", "position": "PhD student;Researcher"},
    {"id": "P2", "title": LONG, "status": "Oral", "author": "Cat Kim;Dan Wu;Eve Ng",
     "authorids": "~Cat_Kim1;~Dan_Wu1;~Eve_Ng1", "aff": "EPFL;Peking University;Nowhere Lab",
     "aff_domain": "epfl.ch;pku.edu.cn;", "position": "PhD student;Full Professor;Researcher"},
    # the same title twice in one venue-year: never linked
    {"id": "P3", "title": "Attention", "status": "Poster", "author": "Fay Ito", "authorids": "~Fay_Ito1",
     "aff": "Stanford University", "aff_domain": "stanford.edu", "position": "PhD student"},
    {"id": "P4", "title": "Attention", "status": "Poster", "author": "Gus Berg", "authorids": "~Gus_Berg1",
     "aff": "University of Oxford", "aff_domain": "ox.ac.uk", "position": "PhD student"},
    # a title an ICML work also has: not linked to it
    {"id": "P5", "title": "Gradient Descent Finds Global Minima of Deep Networks", "status": "Poster",
     "author": "Hal Sato", "authorids": "~Hal_Sato1", "aff": "Stanford University", "aff_domain": "stanford.edu",
     "position": "Researcher"},
]


def _works() -> list[dict]:
    A = F.authorship
    return [
        F.work("W1", "Scaling Laws for Sparse Mixture Models in Vision", 2022, F.NEURIPS,
               [A("first", "A1", "Ann Li", ["I99065089"], orcid="0000-0002-1825-0097"),
                A("last", "A2", "Bob Roe", ["I1291425158"])], doi="10.5555/W1"),
        # an arXiv copy (source not mapped): linked by its long title; author order differs from the paper's,
        # Dan Wu's institution is Stanford in OpenAlex, Peking University in the mirror (a disagreement)
        F.work("W2", LONG.lower(), 2022, F.ARXIV,
               [A("first", "A4", "Dan Wu", ["I97018004"]), A("middle", "A3", "Cat Kim", ["I5124864"]),
                A("last", "A5", "Eve Ng", [])]),
        F.work("W3", "Attention", 2022, F.NEURIPS, [A("first", "A6", "Fay Ito", ["I97018004"])]),
        F.work("W4", "Gradient Descent Finds Global Minima of Deep Networks", 2022, F.ICML,
               [A("first", "A7", "Hal Sato", ["I97018004"])]),
    ]


def _snapshot(root, works=None, **kw):
    return F.write_snapshot(root, {
        "works": {"updated_date=2024-05-01": works if works is not None else _works()},
        "institutions": {"updated_date=2024-04-02": [F.institution(i) for i in F.INSTITUTIONS]},
        "authors": {"updated_date=2024-05-01": [
            F.author("A1", "Ann Li", [("I99065089", [2020, 2021, 2022])], orcid="0000-0002-1825-0097"),
            F.author("A4", "Dan Wu", [("I97018004", [2022]), ("I20231570", [2018, 2019])])]}}, **kw)


def _settings(tmp_path, **kw):
    return fixture_settings(tmp_path, {"nips/nips2022.json.gz": MIRROR}, **kw)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oa")
    s = _settings(tmp)
    _snapshot(s.data_dir / "openalex")
    res = build(s)
    return s, res


def test_snapshot_tables_keep_openalex_fields(built):
    s, res = built
    st = res.stats["openalex"]
    assert (st["parts"], st["works"], st["authorships"], st["institutions"], st["authors"]) == (3, 4, 7, 6, 2)
    with connect(s, read_only=True) as e:
        w = e.query_dicts("SELECT * FROM openalex_works WHERE work_id = 'W1'")[0]
        assert (w["doi"], w["publication_year"], w["source_id"], w["venue"], w["origin"]) == \
            ("10.5555/w1", 2022, "S4306420609", "nips", "snapshot")
        assert w["dataset_id"] == "openalex:works/updated_date=2024-05-01/part_000.gz"
        assert e.scalar("SELECT venue FROM openalex_works WHERE work_id = 'W4'") == "icml"
        assert e.scalar("SELECT venue FROM openalex_works WHERE work_id = 'W2'") is None  # arXiv: no venue
        a = e.query_dicts("SELECT * FROM openalex_authorships WHERE work_id = 'W1' ORDER BY author_order")
        assert [(x["author_id"], x["author_position"], x["orcid"]) for x in a] == \
            [("A1", "first", "0000-0002-1825-0097"), ("A2", "last", None)]
        assert a[0]["raw_affiliation_strings"] == ["Tsinghua University"] and a[0]["countries"] == ["CN"]
        i = e.query_dicts("SELECT * FROM openalex_authorship_institutions WHERE work_id = 'W1' AND author_order = 2")
        assert [(x["institution_id"], x["ror"], x["country_code"], x["type"], x["lineage"]) for x in i] == \
            [("I1291425158", "https://ror.org/00njsd438", "US", "company", ["I1291425158"])]
        assert e.scalar("SELECT n_institutions FROM openalex_authorships WHERE author_id = 'A5'") == 0
        inst = e.query_dicts("SELECT * FROM openalex_institutions WHERE institution_id = 'I5124864'")[0]
        assert (inst["country_code"], inst["type"]) == ("CH", "education")
        assert e.query("SELECT entity, records_expected, records_read FROM openalex_inputs ORDER BY 1") == \
            [("authors", 2, 2), ("institutions", 6, 6), ("works", 4, 4)]
        assert e.scalar("SELECT count(*) FROM openalex_quarantine") == 0
        assert scratch_tables(e) == []


def test_affiliation_years_are_publication_based_observations(built):
    s, _ = built
    with connect(s, read_only=True) as e:
        rows = e.query("""SELECT author_id, person_id, year, institution_id, country_code, source, basis, derived_from
                          FROM openalex_career_observations WHERE author_id IN ('A1', 'A4') ORDER BY 1, 3, 4""")
    assert rows == [
        ("A1", "~Ann_Li1", 2020, "I99065089", "CN", "openalex", "publication", "authors.affiliations"),
        ("A1", "~Ann_Li1", 2021, "I99065089", "CN", "openalex", "publication", "authors.affiliations"),
        ("A1", "~Ann_Li1", 2022, "I99065089", "CN", "openalex", "publication", "authors.affiliations"),
        ("A4", "~Dan_Wu1", 2018, "I20231570", "CN", "openalex", "publication", "authors.affiliations"),
        ("A4", "~Dan_Wu1", 2019, "I20231570", "CN", "openalex", "publication", "authors.affiliations"),
        ("A4", "~Dan_Wu1", 2022, "I97018004", "US", "openalex", "publication", "authors.affiliations")]


def test_links_are_one_to_one_and_never_cross_venues(built):
    s, res = built
    with connect(s, read_only=True) as e:
        assert e.query("SELECT paper_id, work_id, method FROM openalex_paper_links ORDER BY 1") == [
            ("P1", "W1", "title_year_venue"), ("P2", "W2", "title_year")]
        # W2 lists Dan Wu first and Cat Kim second: linked by name, Eve Ng (last in both) by order+surname
        assert e.query("""SELECT paper_id, author_order, oa_author_order, author_id, method
                          FROM openalex_authorship_links ORDER BY 1, 2""") == [
            ("P1", 1, 1, "A1", "order+surname"), ("P1", 2, 2, "A2", "order+surname"),
            ("P2", 1, 2, "A3", "name"), ("P2", 2, 1, "A4", "name"), ("P2", 3, 3, "A5", "order+surname")]
    assert res.stats["openalex"]["works_ambiguous_title"] == 1  # W3 "Attention" matches P3 and P4


def test_country_agreement_on_linked_authorships(built):
    s, _ = built
    with connect(s, read_only=True) as e:
        a = country_agreement(e)
    # Ann CN=CN, Bob US=US, Cat CH=CH; Dan: mirror Peking (CN), OpenAlex Stanford (US); Eve: neither answers
    assert a.classes == {"agree": 3, "disagree": 1, "talentflow_only": 0, "openalex_only": 0, "neither": 1}
    assert a.rate == 0.75 and a.linked == 5
    assert [(d["affiliation_raw"], d["talentflow_country"], d["openalex_countries"]) for d in a.disagreements] \
        == [("Peking University", "CN", "US")]
    r = CliRunner().invoke(app, ["--data", str(s.data_dir), "--db", str(s.db_path), "eval", "openalex",
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["agreement_rate"] == 0.75 and out["by_venue_year"][0]["venue"] == "nips"


def test_adding_openalex_changes_no_other_table(built, tmp_path):
    s, _ = built
    plain = _settings(tmp_path)
    build(plain)
    with connect(plain, read_only=True) as e:
        names = {r["table"] for r in table_checksums(e)}
        without = table_checksums(e)
        assert e.scalar("SELECT stage FROM build_state WHERE stage = 'openalex'") == "openalex"
    assert not any(n.startswith("openalex") for n in names)
    with connect(s, read_only=True) as e:
        with_oa = [r for r in table_checksums(e) if not r["table"].startswith("openalex")]
    assert compare(without, with_oa) == []


def test_removing_the_snapshot_drops_its_tables(tmp_path):
    s = _settings(tmp_path)
    _snapshot(s.data_dir / "openalex")
    build(s)
    assert build(s).ran == []  # nothing changed: a no-op
    _snapshot(s.data_dir / "openalex", works=_works()[:2])  # a new release: only this stage reruns
    res = build(s)
    assert res.ran == ["openalex"] and res.stats["openalex"]["works"] == 2
    shutil.rmtree(s.data_dir / "openalex")
    res = build(s)
    assert res.ran == ["openalex"] and res.stats["openalex"]["dropped"] == len(TABLES)
    with connect(s, read_only=True) as e:
        assert not [t for t in TABLES if e.table_exists(t)]


def test_two_cold_builds_are_identical(built, tmp_path):
    s, _ = built
    s2 = _settings(tmp_path)
    _snapshot(s2.data_dir / "openalex")
    build(s2)
    sums = []
    for x in (s, s2):
        with connect(x, read_only=True) as e:
            sums.append(table_checksums(e, [t for t in TABLES]))
    assert compare(*sums) == [] and len(sums[0]) == len(TABLES)


def test_root_or_data_folder_and_old_part_names(tmp_path):
    s = _settings(tmp_path, openalex_path=tmp_path / "snap" / "data")
    _snapshot(tmp_path / "snap", old_names=True)
    build(s)
    with connect(s, read_only=True) as e:
        assert e.scalar("SELECT dataset_id FROM openalex_works WHERE work_id = 'W1'") == \
            "openalex:works/updated_date=2024-05-01/0000_part_00.gz"


def test_record_count_differing_from_the_manifest_names_the_part(tmp_path):
    s = _settings(tmp_path)
    _snapshot(s.data_dir / "openalex", counts={"works/updated_date=2024-05-01/part_000.gz": 5})
    with pytest.raises(InputError, match=r"works/updated_date=2024-05-01/part_000.gz.*4 records read, the manifest "
                                         r"says 5"):
        build(s)


def test_truncated_or_missing_part_and_missing_manifest(tmp_path):
    s = _settings(tmp_path)
    root = _snapshot(s.data_dir / "openalex")
    part = root / "data/works/updated_date=2024-05-01/part_000.gz"
    part.write_bytes(part.read_bytes()[:-10])
    with pytest.raises(InputError, match=r"part_000.gz.*bytes, the manifest says"):
        build(s)
    part.unlink()
    with pytest.raises(InputError, match=r"part_000.gz: part listed in the works manifest is missing"):
        build(s)
    (root / "data/works/manifest").unlink()
    with pytest.raises(InputError, match=r"data/works.*no manifest.*incomplete"):
        build(s)


def test_a_line_that_is_not_json_names_the_part(tmp_path):
    s = _settings(tmp_path)
    root = _snapshot(s.data_dir / "openalex")
    rel = "updated_date=2024-05-01/part_000.gz"
    n = F.write_part(root / "data/works" / rel, _works(), raw_lines=['{"id": "https://openalex.org/W9", "ti'])
    man = json.loads((root / "data/works/manifest").read_text())
    man["entries"][0]["meta"] = {"record_count": n, "content_length": (root / "data/works" / rel).stat().st_size}
    man["meta"]["record_count"] = n
    (root / "data/works/manifest").write_text(json.dumps(man))
    with pytest.raises(InputError, match=r"part_000.gz: cannot read this OpenAlex works part"):
        build(s)


def test_wrong_field_types_are_quarantined_not_guessed(tmp_path):
    works = _works()
    works[0]["publication_year"] = "2022"                                 # a string, not an integer
    works[1]["authorships"][0]["institutions"][0]["country_code"] = "USA"  # not ISO alpha-2
    works[2]["authorships"] = {"oops": 1}                                 # not a list
    works.append({"display_name": "no id"})
    s = _settings(tmp_path)
    root = _snapshot(s.data_dir / "openalex", works=works)
    auth = root / "data/authors/updated_date=2024-05-01/part_000.gz"
    recs = [json.loads(x) for x in gzip.decompress(auth.read_bytes()).decode().splitlines()]
    recs[0]["affiliations"][0]["years"] = [2020, "2021", 2022.5]
    F.write_snapshot(root, {"works": {"updated_date=2024-05-01": works},
                            "institutions": {"updated_date=2024-04-02": [F.institution(i) for i in F.INSTITUTIONS]},
                            "authors": {"updated_date=2024-05-01": recs}})
    res = build(s)
    with connect(s, read_only=True) as e:
        q = e.query("SELECT record_key, field, problem, raw_value FROM openalex_quarantine ORDER BY 2, 1, 4")
        assert q == [
            ("A1#1", "affiliations.years", "not an integer year", "2021"),
            ("A1#1", "affiliations.years", "not an integer year", "2022.5"),
            ("W3", "authorships", "not a list", "OBJECT"),
            ("W2#1#1", "authorships.institutions.country_code", "not an ISO 3166 alpha-2 code", "USA"),
            ("(no id)", "id", "work without an id", None),
            ("W1", "publication_year", "not an integer", "2022")]
        assert e.scalar("SELECT publication_year FROM openalex_works WHERE work_id = 'W1'") is None
        # the bad code is not used; the institutions entity's geo.country_code is, and says so
        assert e.query("SELECT country_code, country_source FROM openalex_authorship_institutions "
                       "WHERE work_id = 'W2' AND author_order = 1") == [("US", "institutions entity")]
        assert e.query("SELECT year FROM openalex_career_observations WHERE author_id = 'A1' ORDER BY 1") == [(2020,)]
    assert res.stats["openalex"]["quarantined"] == 6


def test_the_newest_copy_of_an_entity_wins(tmp_path):
    s = _settings(tmp_path)
    old = F.work("W1", "An old title", 2022, F.NEURIPS, [], updated="2023-01-01T00:00:00")
    F.write_snapshot(s.data_dir / "openalex", {"works": {"updated_date=2023-01-01": [old],
                                                         "updated_date=2024-05-01": _works()}})
    res = build(s)
    with connect(s, read_only=True) as e:
        assert e.scalar("SELECT title FROM openalex_works WHERE work_id = 'W1'") == MIRROR[0]["title"]
        assert e.scalar("SELECT count(*) FROM openalex_inputs") == 2
    assert res.stats["openalex"]["work_older_copies"] == 1


def test_a_path_without_entity_folders_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    s = _settings(tmp_path, openalex_path=tmp_path / "empty")
    with pytest.raises(InputError, match="no OpenAlex entity folder"):
        build(s)


def test_eval_without_openalex_data_says_how_to_get_it(tmp_path):
    s = _settings(tmp_path)
    build(s)
    r = CliRunner().invoke(app, ["--data", str(s.data_dir), "--db", str(s.db_path), "eval", "openalex"])
    out = " ".join(r.output.split())
    assert r.exit_code == 2 and "built without OpenAlex data" in out and "Traceback" not in out


@pytest.mark.mirror
def test_the_mirror_has_no_openalex_data_and_no_openalex_tables(mirror_engine):
    assert not [t for t in TABLES if mirror_engine.table_exists(t)]
    assert mirror_engine.scalar("SELECT count(*) FROM build_state WHERE stage = 'openalex'") == 1
