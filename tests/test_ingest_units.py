"""Ingest rules on small hand-written files: alignment, quarantine, statuses, errors, incremental and atomic build."""

from __future__ import annotations

import gzip
import threading
import tomllib
from pathlib import Path

import pytest

from talentflow.engine import connect
from talentflow.errors import BuildLocked, ChecksumMismatch, DataMissing, InputError
from talentflow.pipeline import build, build_lock
from talentflow.ingest.stage import STATUS_FILE

from conftest import fixture_settings

ENRICH_STATUS = [
    {"id": "P1", "title": "Paper One", "status": "Poster", "authors": "Ann Lee, Bo Chen, Cy Dee"},
    {"id": "P2", "title": "Paper Two", "status": "Reject", "authors": "Ann Lee"},
    {"id": "P3", "title": "Paper Three", "status": "Oral", "authors": "Eve Ray"},
]
ENRICH = [
    # or_profile order differs from the author order; Bo's canonical id differs from his authorid
    {"id": "P1", "author": "Ann Lee;Bo Chen;Cy Dee", "authorids": "~Ann_Lee1;~Bo_Chen2;~Cy_Dee1",
     "or_profile": "~Cy_Dee1;~Ann_Lee1;~Bo_Chen1", "aff": "Cy Univ;Ann Corp;Bo Inst",
     "aff_domain": "cy.edu;ann.com;bo.org", "position": "PhD student;Researcher;Professor"},
    # aff list shorter than or_profile: per-author fields quarantined, names kept
    {"id": "P2", "author": "Ann Lee", "authorids": "~Ann_Lee1", "or_profile": "~Ann_Lee1",
     "aff": "Ann Corp;Extra", "aff_domain": "ann.com", "position": "Researcher"},
]


def _rows(s, sql):
    with connect(s, read_only=True) as e:
        return e.query_dicts(sql)


def test_or_profile_alignment_gives_each_author_their_own_fields(tmp_path):
    s = fixture_settings(tmp_path, {"nips/nips2023.json.gz": ENRICH_STATUS, "nips/nips2023.authors.json.gz": ENRICH})
    build(s)
    rows = _rows(s, "SELECT author_name, person_id, affiliation_raw, domain_raw, position_raw, join_method "
                    "FROM authorships WHERE paper_id = 'P1' ORDER BY author_order")
    assert [(r["author_name"], r["domain_raw"]) for r in rows] == [
        ("Ann Lee", "ann.com"), ("Bo Chen", "bo.org"), ("Cy Dee", "cy.edu")]
    assert rows[1]["person_id"] == "~Bo_Chen1"  # canonical profile id from or_profile
    assert rows[1]["join_method"].endswith("or_profile_id_stem")
    assert rows[0]["position_raw"] == "Researcher"


def test_length_mismatch_quarantines_per_author_fields_without_shifting(tmp_path):
    s = fixture_settings(tmp_path, {"nips/nips2023.json.gz": ENRICH_STATUS, "nips/nips2023.authors.json.gz": ENRICH})
    build(s)
    (r,) = _rows(s, "SELECT * FROM authorships WHERE paper_id = 'P2'")
    assert r["author_name"] == "Ann Lee" and r["affiliation_raw"] is None and r["domain_raw"] is None
    q = _rows(s, "SELECT field, problem, raw_value FROM quarantine WHERE record_key = 'P2'")
    assert {x["field"] for x in q} == {"aff"} and q[0]["problem"] == "list_length_mismatch"
    assert q[0]["raw_value"].startswith("1 authors, 2 items")


def test_rejected_kept_not_accepted_and_unjoined_papers_keep_names(tmp_path):
    s = fixture_settings(tmp_path, {"nips/nips2023.json.gz": ENRICH_STATUS, "nips/nips2023.authors.json.gz": ENRICH})
    build(s)
    acc = {r["paper_id"]: r["accepted"] for r in _rows(s, "SELECT paper_id, accepted FROM papers")}
    assert acc == {"P1": True, "P2": False, "P3": True}
    (r,) = _rows(s, "SELECT author_name, join_method FROM authorships WHERE paper_id = 'P3'")
    assert r == {"author_name": "Eve Ray", "join_method": "names_only"}


def test_doubled_author_lists_are_halved(tmp_path):
    rec = {"id": "9", "title": "Robots", "status": "Poster", "author": "A B;C D;A B;C D", "authorids": "/1;/2;/1;/2",
           "aff": "MIT; ETH Zurich"}
    s = fixture_settings(tmp_path, {"icra/icra2020.json.gz": [rec]})
    build(s)
    rows = _rows(s, "SELECT author_name, affiliation_raw, authorid_raw FROM authorships ORDER BY author_order")
    assert [(r["author_name"], r["affiliation_raw"]) for r in rows] == [("A B", "MIT"), ("C D", "ETH Zurich")]


def test_paper_level_affiliations_are_not_given_to_authors(tmp_path):
    recs = [{"title": f"T{i}", "status": "Poster", "author": "A; B; C", "aff": "X Univ; Y Lab"} for i in range(4)]
    s = fixture_settings(tmp_path, {"cvpr/cvpr2022.json.gz": recs})
    build(s)
    assert _rows(s, "SELECT count(affiliation_raw) AS n FROM authorships")[0]["n"] == 0
    assert _rows(s, "SELECT count(*) AS n FROM paper_affiliations")[0]["n"] == 8
    assert _rows(s, "SELECT aff_level FROM datasets WHERE id = 'cvpr2022'")[0]["aff_level"] == "paper"


def test_profile_subset_alignment_and_email_scrubbing(tmp_path):
    rec = {"id": "Q", "title": "Q", "status": "Poster", "author": "Ann;Bob;Cat",
           "authorids": "~Ann1;bob.smith@uni.edu;~Cat1", "aff": "Ann U;Cat U", "aff_domain": "ann.edu;cat.edu",
           "abstract": "Contact: bob.smith@uni.edu"}
    s = fixture_settings(tmp_path, {"iclr/iclr2021.json.gz": [rec]})
    build(s)
    rows = _rows(s, "SELECT author_name, affiliation_raw, domain_raw, authorid_raw, join_method FROM authorships ORDER BY author_order")
    assert [(r["affiliation_raw"], r["domain_raw"]) for r in rows] == [("Ann U", "ann.edu"), (None, "uni.edu"), ("Cat U", "cat.edu")]
    assert rows[1]["authorid_raw"] == "@uni.edu"
    assert _rows(s, "SELECT abstract FROM papers")[0]["abstract"] == "Contact: @uni.edu"


def test_every_status_in_the_rules_is_listed_once():
    d = tomllib.loads(STATUS_FILE.read_text())
    assert not set(d["accepted"]) & set(d["not_accepted"])


def test_unknown_status_is_quarantined(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [{"title": "T", "status": "Maybe", "author": "A"}]})
    build(s)
    assert _rows(s, "SELECT accepted FROM papers")[0]["accepted"] is None
    assert _rows(s, "SELECT problem FROM quarantine")[0]["problem"] == "unknown_status"


@pytest.mark.parametrize("content,needle", [
    (b'[{"id": "A", "title": "T", "author": "X"', "aaai2021.json.gz"),  # truncated JSON
    (b'[{"id": "A", "title": "T\xff\xfe", "author": "X"}]', "aaai2021.json.gz"),  # invalid UTF-8
    (b'{"not": "an array"', "aaai2021.json.gz"),
    (b'[{"id": "A", "title": "lone \\ud800 surrogate", "author": "X"}]', "aaai2021.json.gz"),  # not Unicode
])
def test_malformed_files_name_the_file(tmp_path, content, needle):
    s = fixture_settings(tmp_path, {}, raw={"aaai/aaai2021.json.gz": content})
    with pytest.raises(InputError) as e:
        build(s)
    assert needle in str(e.value)
    assert not s.db_path.exists()  # nothing half-written


def test_truncated_gzip_names_the_file(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [{"title": "T", "author": "A"}]})
    p = s.data_dir / "conferences/aaai/aaai2021.json.gz"
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ChecksumMismatch, match="aaai2021"):
        build(s)


def test_missing_file_is_an_error_or_counted(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [{"title": "T", "author": "A"}],
                                    "aaai/aaai2022.json.gz": [{"title": "U", "author": "B"}]})
    (s.data_dir / "conferences/aaai/aaai2022.json.gz").unlink()
    with pytest.raises(DataMissing, match="aaai2022"):
        build(s)
    res = build(s.with_(allow_missing=True))
    assert res.stats["ingest"]["missing"] == ["conferences/aaai/aaai2022.json.gz"]
    assert _rows(s, "SELECT count(*) AS n FROM papers")[0]["n"] == 1


def test_noop_and_incremental_rebuild(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [{"title": "T", "author": "A"}],
                                    "aaai/aaai2022.json.gz": [{"title": "U", "author": "B"}]})
    build(s)
    assert build(s).ran == []  # no-op
    # change one file (and its catalogued checksum): only that conference-year is re-read
    s2 = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [{"title": "T", "author": "A"}],
                                     "aaai/aaai2022.json.gz": [{"title": "U2", "author": "B;C"}]})
    res = build(s2)
    assert "ingest" in res.ran and res.stats["ingest"]["rebuilt"] == 1 and res.stats["ingest"]["kept"] == 1
    assert _rows(s2, "SELECT count(*) AS n FROM authorships")[0]["n"] == 3


def test_failed_build_leaves_previous_database_usable(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [{"title": "T", "author": "A"}]})
    build(s)
    s2 = fixture_settings(tmp_path, {}, raw={"aaai/aaai2021.json.gz": b"[{broken"})
    with pytest.raises(InputError):
        build(s2)
    assert _rows(s, "SELECT title FROM papers") == [{"title": "T"}]
    assert not list(s.db_path.parent.glob("*.tmp-build*"))


def test_concurrent_build_refuses_with_clear_message(tmp_path):
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [{"title": "T", "author": "A"}]})
    held, release = threading.Event(), threading.Event()

    def hold():
        with build_lock(s.db_path):
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    try:
        with pytest.raises(BuildLocked, match="Another build"):
            build(s, wait=0.3)
    finally:
        release.set()
        t.join()
    assert "ingest" in build(s).ran


def test_repeated_empty_and_authorless_records_are_counted(tmp_path):
    rec = {"id": "A", "title": "T", "status": "Poster", "author": "X;Y"}
    recs = [rec, dict(rec), {"id": "A", "title": "T (revised)", "status": "Poster", "author": "X"},
            {"status": "Poster"}, {"id": "B", "title": "No names", "status": "Poster"}]
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": recs})
    build(s)
    assert [r["paper_id"] for r in _rows(s, "SELECT paper_id FROM papers ORDER BY 1")] == ["A", "A~2", "B"]
    assert _rows(s, "SELECT count(*) AS n FROM authorships")[0]["n"] == 3  # the repeat adds no one twice
    probs = {r["problem"]: r["n"] for r in _rows(s, "SELECT problem, count(*) AS n FROM quarantine GROUP BY 1")}
    assert probs == {"duplicate_record": 1, "duplicate_id": 1, "empty_record": 1, "no_authors": 1}
