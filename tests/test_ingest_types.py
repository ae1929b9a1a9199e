"""Wrong JSON types in conference files that pass their checksum (an upstream file that changed shape): every
wrong type is a named quarantine row (file, record, field, expected and found type), never an empty-key paper or
a stringified list; a conference-year that yields no papers stays in `data report` with its reason."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from talentflow.cli.main import app
from talentflow.engine import connect
from talentflow.pipeline import build
from talentflow.ingest.quality import quality_markdown, quality_rows

from conftest import fixture_settings

INGEST = ["talentflow.ingest.stage", "talentflow.ingest.live", "talentflow.ingest.datasets"]
EMPTY_KEY = "td41d8cd98f00"  # 't' + md5('')[:12]: the key every record without id and title used to get


def _q(s, sql, *args):
    with connect(s, read_only=True) as e:
        return e.query_dicts(sql, list(args)) if args else e.query_dicts(sql)


def _wrong(s) -> list[tuple]:
    return [(r["dataset_id"], r["record_key"], r["field"], r["raw_value"])
            for r in _q(s, "SELECT * FROM quarantine WHERE problem = 'wrong_type' ORDER BY ALL")]


def test_array_and_scalar_elements_are_wrong_type_records_not_empty_papers(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [
        {"id": "1", "title": "Good", "author": "A;B"}, [1, 2], "a string", 5, True, None]})
    build(s, stages=INGEST)
    assert [r["paper_id"] for r in _q(s, "SELECT paper_id FROM papers")] == ["1"]
    wrong = _wrong(s)
    assert sorted(w[3] for w in wrong) == sorted([
        "expected object, found array: [1, 2]", 'expected object, found string: "a string"',
        "expected object, found number: 5", "expected object, found boolean: true", "expected object, found null: null"])
    assert {w[2] for w in wrong} == {"record"} and all(w[0] == "aaai2021" for w in wrong)
    assert all(w[1].startswith("r") and w[1] != EMPTY_KEY for w in wrong)  # keyed by content, one key each
    assert len({w[1] for w in wrong}) == 5
    assert not _q(s, "SELECT * FROM quarantine WHERE problem = 'empty_record' OR record_key = ?", EMPTY_KEY)


def test_list_typed_author_is_quarantined_never_one_stringified_author(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [
        {"id": "L", "title": "Listed", "author": ["Ann Lee", "Bo Chen"]},
        {"id": 7, "title": "Numeric id", "author": "Cy Dee", "aff": ["MIT", "ETH"], "status": {"s": 1}}]})
    build(s, stages=INGEST)
    names = [r["author_name"] for r in _q(s, "SELECT author_name FROM authorships")]
    assert names == ["Cy Dee"]
    assert not _q(s, "SELECT * FROM authorships WHERE affiliation_raw LIKE '[%'")
    papers = {r["title"]: r for r in _q(s, "SELECT * FROM papers")}
    assert set(papers) == {"Listed", "Numeric id"}
    assert papers["Numeric id"]["paper_id"].startswith("t")  # the number is not used as an id: title key
    assert papers["Numeric id"]["status_raw"] is None
    wrong = {(w[1], w[2]): w[3] for w in _wrong(s)}
    key = papers["Numeric id"]["paper_id"]
    assert wrong == {("L", "author"): 'expected string, found array: ["Ann Lee","Bo Chen"]',
                     (key, "id"): "expected string, found number: 7",
                     (key, "aff"): 'expected string, found array: ["MIT","ETH"]',
                     (key, "status"): 'expected string, found object: {"s":1}'}
    # the listed paper is kept, counted as having no authors
    assert _q(s, "SELECT problem FROM quarantine WHERE record_key = 'L' ORDER BY 1") == [
        {"problem": "no_authors"}, {"problem": "wrong_type"}]


def test_records_without_id_or_title_letters_get_their_own_keys(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [
        {"author": "Ann Lee"}, {"author": "Bo Chen"}, {"title": "深度学习", "author": "X"},
        {"title": "强化学习", "author": "Y"}]})
    build(s, stages=INGEST)
    keys = [r["paper_id"] for r in _q(s, "SELECT paper_id FROM papers ORDER BY 1")]
    assert len(keys) == 4 and len(set(keys)) == 4 and EMPTY_KEY not in keys
    assert not all(k.startswith("t") for k in keys)
    assert not _q(s, "SELECT * FROM quarantine")


def test_year_without_papers_stays_in_data_report_with_its_reason(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [{"title": "T", "author": "A"}],
                                    "aaai/aaai2022.json.gz": [],
                                    "aaai/aaai2023.json.gz": [[1], {"title": ["x"]}]})
    build(s, stages=INGEST)
    with connect(s, read_only=True) as e:
        rows = {r["unit"]: r for r in quality_rows(e)}
        md = quality_markdown(e)
    assert set(rows) == {"aaai2021", "aaai2022", "aaai2023"}
    assert (rows["aaai2022"]["papers"], rows["aaai2022"]["venue"], rows["aaai2022"]["year"]) == (0, "aaai", 2022)
    assert rows["aaai2022"]["note"] == "no papers: the file holds no records"
    assert rows["aaai2023"]["note"] == "no papers: records quarantined (empty_record=1, wrong_type=2)"
    assert rows["aaai2021"]["note"] == ""
    assert "- aaai2022: no papers: the file holds no records" in md
    (q,) = _q(s, "SELECT * FROM quarantine WHERE unit_id = 'aaai2022'")
    assert (q["problem"], q["dataset_id"], q["record_key"]) == ("no_papers", "aaai2022", "conferences/aaai/aaai2022.json.gz")
    res = CliRunner().invoke(app, ["--data", str(s.data_dir), "--db", str(s.db_path), "data", "report", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert {r["unit"]: r["papers"] for r in json.loads(res.stdout)} == {"aaai2021": 1, "aaai2022": 0, "aaai2023": 0}


def test_wrong_types_in_every_other_reader_are_quarantined(tmp_path):
    """Enrichment, OpenReview-id, scrape, ICLR id-list, first-institution, site-status and peer files."""
    s = fixture_settings(tmp_path, {
        # enrichment: the per-author list of the wrong type is dropped, the record still joins by id
        "nips/nips2023.json.gz": [{"id": "P1", "title": "One", "status": "Poster", "authors": "Ann Lee, Bo Chen"}],
        "nips/nips2023.authors.json.gz": [{"id": "P1", "author": "Ann Lee;Bo Chen", "aff": ["U1", "U2"]}, 3],
        # scrape: a title whose authors are not [name, [affiliations]] pairs
        "nips/nips2019.json.gz": [{"id": "S1", "title": "Good Scrape", "status": "Poster", "author": "P Q"},
                                  {"id": "S2", "title": "Bad Scrape", "status": "Poster", "author": "R S"}],
        "nips/nips2019.acceptedpapers.json.gz": {"Good Scrape": {"authors": [["P Q", ["MIT"]]]},
                                                 "Bad Scrape": {"authors": [["R S", "ETH"]]}},
        # ICLR id lists: a record with numeric author ids, one that is not an object
        "iclr/iclr2024.chang_authorids.json.gz": {"records": [
            {"paper_id": "c1", "title": "Chang Good", "paper_url": "https://openreview.net/forum?id=C1",
             "authorids": ["~Ann_Lee1"]},
            {"paper_id": "c2", "title": "Chang Bad", "paper_url": "https://openreview.net/forum?id=C2",
             "authorids": [1, 2]}, "junk"]},
        "iclr/iclr2024.chang_firstinst.json.gz": {"records": [
            {"paper_url": "https://openreview.net/forum?id=C1", "affiliations": ["MIT"]},
            {"paper_url": "https://openreview.net/forum?id=C2", "affiliations": "ETH"}]},
        "iclr/iclr2024.sites_status.json.gz": [{"title": "Chang Good", "status": "Oral"},
                                               {"title": "Chang Bad", "status": ["Oral"]}],
        # a file whose top level is not an object with a records array
        "iclr/iclr2025.chang_authorids.json.gz": [{"paper_id": "x"}],
        "nips/nips2024.lossfunk_author_country.json.gz": [
            {"openreview_id": "~Ann_Lee1", "full_name": "Ann Lee", "affiliation_country": "US"},
            {"openreview_id": ["~Bo_Chen1"], "full_name": "Bo Chen", "affiliation_country": "CN"}],
    })
    build(s, stages=INGEST)
    wrong = {(w[0], w[2]): (w[1], w[3]) for w in _wrong(s)}
    assert wrong[("nips2023.authors", "aff")] == ("P1", 'expected string, found array: ["U1","U2"]')
    assert wrong[("nips2023.authors", "record")][1] == "expected object, found number: 3"
    assert wrong[("nips2019.acceptedpapers", "authors")] == (
        "Bad Scrape", 'expected array of [name, [affiliation, …]] pairs, found array: [["R S","ETH"]]')
    assert wrong[("iclr2024.chang_authorids", "authorids")] == ("C2", "expected array of strings, found array: [1,2]")
    assert wrong[("iclr2024.chang_authorids", "record")][1] == 'expected object, found string: "junk"'
    assert wrong[("iclr2024.chang_firstinst", "affiliations")] == ("C2", 'expected array of strings, found string: "ETH"')
    assert wrong[("iclr2024.sites_status", "status")][1] == 'expected string, found array: ["Oral"]'
    assert wrong[("iclr2025.chang_authorids", "records")] == (
        "conferences/iclr/iclr2025.chang_authorids.json.gz",
        'expected object with a records array, found array: [{"paper_id": "x"}]')
    assert wrong[("nips2024.lossfunk_author_country", "openreview_id")][1] == 'expected string, found array: ["~Bo_Chen1"]'
    assert len(wrong) == 9
    auth = {(r["paper_id"], r["author_name"]): r for r in _q(s, "SELECT * FROM authorships")}
    assert auth[("P1", "Ann Lee")]["affiliation_raw"] is None and auth[("P1", "Ann Lee")]["join_method"] == "enrichment_by_id"
    assert auth[("S1", "P Q")]["affiliation_raw"] == "MIT" and auth[("S2", "R S")]["join_method"] == "names_only"
    assert ("C1", "Ann Lee") in auth and not any(k[0] == "C2" for k in auth)  # never ids '1', '2'
    assert [r["affiliation_raw"] for r in _q(s, "SELECT * FROM paper_affiliations WHERE unit_id = 'iclr2024'")] == ["MIT"]
    st = {r["paper_id"]: r["status_raw"] for r in _q(s, "SELECT * FROM papers WHERE unit_id = 'iclr2024'")}
    assert st == {"C1": "Oral", "C2": None}
    peer = {r["full_name"]: r["person_id"] for r in _q(s, "SELECT * FROM peer_author_country")}
    assert peer == {"Ann Lee": "~Ann_Lee1", "Bo Chen": None}  # the list is dropped, never its text
    assert _q(s, "SELECT note FROM (SELECT unit_id, raw_value AS note FROM quarantine WHERE problem = 'no_papers')"
                 " WHERE unit_id = 'iclr2025'") == [{"note": "no papers: records quarantined (wrong_type=1)"}]


def test_scrape_with_a_title_listed_twice_is_read(tmp_path):
    raw = (b'{"Twice": {"authors": [["A B", ["MIT"]]]}, "Twice": {"authors": [["C D", []]]},'
           b' "Once": {"authors": [["E F", ["ETH"]]]}}')
    s = fixture_settings(tmp_path, {"nips/nips2019.json.gz": [{"id": "1", "title": "Twice", "author": "A B"},
                                                              {"id": "2", "title": "Once", "author": "E F"}]},
                         raw={"nips/nips2019.acceptedpapers.json.gz": raw})
    build(s, stages=INGEST)
    rows = {r["paper_id"]: (r["affiliation_raw"], r["join_method"]) for r in _q(s, "SELECT * FROM authorships")}
    assert rows == {"1": (None, "names_only"), "2": ("ETH", "scrape_by_title")}  # an ambiguous title joins nothing
