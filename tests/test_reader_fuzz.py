"""Fuzz of the conference readers: records of a small fixture mirror (a paperlists file, a status file with its
OpenReview enrichment, an ICLR id list) mutated by hypothesis — wrong JSON types, missing fields, null, unicode,
empty and huge values, elements that are not objects. The build never fails; every value of the wrong type is a
`wrong_type` quarantine row naming its file and field; no wrong-typed value reaches a table as text; every record
is a paper or a counted quarantine row; the rows of records left alone are exactly those of the unmutated build."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentflow.engine import connect
from talentflow.pipeline import build

from conftest import fixture_settings

INGEST = ["talentflow.ingest.stage", "talentflow.ingest.live", "talentflow.ingest.datasets"]
SENTINEL = "ZZSENTINEL"  # in every wrong-typed value: it must never reach a table except as quarantine raw_value
NUMBER = 987654321


def _pl(i: int) -> dict:
    return {"id": f"A{i}", "title": f"Paper number {i}", "status": "Poster", "track": "main",
            "author": f"Ann Lee{i};Bo Chen{i}", "authorids": f"~Ann_Lee{i};~Bo_Chen{i}",
            "aff": f"Univ {i};Lab {i}", "aff_domain": f"u{i}.edu;lab{i}.com", "position": "PhD student;Professor",
            "keywords": "graphs;learning", "abstract": "We study things."}


def _enr(i: int) -> dict:
    return {"id": f"N{i}", "author": f"Cy Dee{i};Di Eve{i}", "authorids": f"~Cy_Dee{i};~Di_Eve{i}",
            "or_profile": f"~Di_Eve{i};~Cy_Dee{i}", "aff": f"Inst {i};Corp {i}", "aff_domain": f"i{i}.org;c{i}.com",
            "position": "Researcher;Postdoc"}


def _chang(i: int) -> dict:
    return {"paper_id": f"iclr2024:p{i}", "title": f"Iclr paper {i}", "paper_url": f"https://openreview.net/forum?id=C{i}",
            "authorids": [f"~Eva_Fox{i}", f"~Gil_Ho{i}"]}


# file → (records, how records are written, key of a record, field types: 'string' or 'strings' (array of))
PL_FIELDS = dict.fromkeys(("id", "title", "status", "track", "author", "authorids", "aff", "aff_domain", "position",
                           "keywords", "abstract"), "string")
FILES = {
    "aaai/aaai2021.json.gz": ([_pl(i) for i in range(6)], None, lambda r: r["id"], PL_FIELDS),
    "nips/nips2023.json.gz": ([{"id": f"N{i}", "title": f"Neurips paper {i}", "status": "Poster",
                                "authors": f"Cy Dee{i}, Di Eve{i}"} for i in range(5)], None, lambda r: r["id"],
                              {"id": "string", "title": "string", "status": "string", "authors": "string"}),
    "nips/nips2023.authors.json.gz": ([_enr(i) for i in range(5)], None, lambda r: r["id"],
                                      {k: "string" for k in _enr(0)}),
    "iclr/iclr2024.chang_authorids.json.gz": ([_chang(i) for i in range(5)], lambda recs: {"records": recs},
                                              lambda r: r["paper_url"].split("id=")[1],
                                              {"paper_id": "string", "title": "string", "paper_url": "string",
                                               "authorids": "strings"}),
}
DATASET = {"aaai/aaai2021.json.gz": "aaai2021", "nips/nips2023.json.gz": "nips2023",
           "nips/nips2023.authors.json.gz": "nips2023.authors",
           "iclr/iclr2024.chang_authorids.json.gz": "iclr2024.chang_authorids"}
TAKEN = {str(v) for recs, _, _, _ in FILES.values() for r in recs for v in r.values()}

text = st.text(max_size=40).filter(lambda t: t not in TAKEN)
huge = st.sampled_from(["Z" * 200_000, ";".join(f"Name {i}" for i in range(3000)), "", " ", ";;;", "\u0000x"])
WRONG = {  # values of the wrong type for a field of each kind, and the JSON type name the quarantine gives
    "string": st.sampled_from([(NUMBER, "number"), (1.5e300, "number"), (True, "boolean"),
                               ([SENTINEL, "B"], "array"), ([], "array"), ({SENTINEL: 1}, "object"), ({}, "object")]),
    "strings": st.sampled_from([(SENTINEL, "string"), (NUMBER, "number"), ([SENTINEL, 1], "array"),
                                ([SENTINEL, None], "array"), ([[SENTINEL]], "array"), ({SENTINEL: [1]}, "object")]),
}
GOOD = {"string": st.one_of(text, huge), "strings": st.lists(st.one_of(text, huge), max_size=4)}


@st.composite
def mutation(draw):
    """(file, record index, kind, field, value, expected found-type or None)."""
    f = draw(st.sampled_from(sorted(FILES)))
    recs, _, _, types = FILES[f]
    i = draw(st.integers(0, len(recs) - 1))
    kind = draw(st.sampled_from(["not_object", "wrong", "good", "null", "delete"]))
    if kind == "not_object":
        v, found = draw(st.sampled_from([(NUMBER, "number"), (SENTINEL, "string"), ([SENTINEL], "array"),
                                         (None, "null"), (False, "boolean")]))
        return f, i, kind, None, v, found
    field = draw(st.sampled_from(sorted(types)))
    if kind == "wrong":
        v, found = draw(WRONG[types[field]])
        return f, i, kind, field, v, found
    if kind == "good":
        return f, i, kind, field, draw(GOOD[types[field]]), None
    return f, i, kind, field, None, None


def _mirror(tmp: Path, muts) -> tuple:
    files = {f: copy.deepcopy(recs) for f, (recs, _, _, _) in FILES.items()}
    affected: set[tuple[str, str]] = set()
    for f, i, kind, field, v, _ in muts:
        recs = files[f]
        affected.add((f.split("/")[0], FILES[f][2](FILES[f][0][i])))
        if kind == "not_object":
            recs[i] = v
        elif isinstance(recs[i], dict):
            if kind == "delete":
                recs[i].pop(field, None)
            else:
                recs[i][field] = v
    content = {f: (FILES[f][1] or (lambda r: r))(recs) for f, recs in files.items()}
    return fixture_settings(tmp, content), affected


def _tables(s) -> dict[str, list[dict]]:
    with connect(s, read_only=True) as e:
        return {t: e.query_dicts(f"SELECT * FROM {t} ORDER BY ALL")
                for t in ("papers", "authorships", "paper_affiliations", "quarantine")}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    s, _ = _mirror(tmp_path_factory.mktemp("base"), [])
    build(s, stages=INGEST)
    t = _tables(s)
    assert not t["quarantine"] and len(t["papers"]) == 16 and len(t["authorships"]) == 32
    return t


def _unaffected(rows: list[dict], keep: set[tuple[str, str]]) -> list[dict]:
    return [r for r in rows if (r["venue"], r["paper_id"]) in keep]


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(muts=st.lists(mutation(), min_size=1, max_size=3, unique_by=lambda m: (m[0], m[1])))
def test_mutated_records_are_quarantined_and_good_records_unaffected(baseline, muts):
    with tempfile.TemporaryDirectory() as d:
        s, affected = _mirror(Path(d), muts)
        build(s, stages=INGEST)  # never raises
        t = _tables(s)
    # 1. exactly the wrong types are quarantined, each naming its file, field and the type found
    wrong = sorted((q["dataset_id"], q["field"], q["raw_value"].split(":")[0]) for q in t["quarantine"]
                   if q["problem"] == "wrong_type")
    expected = sorted(
        (DATASET[f], field or "record",
         f"expected {'object' if field is None else 'array of strings' if FILES[f][3][field] == 'strings' else 'string'}"
         f", found {found}")
        for f, i, kind, field, v, found in muts if kind in ("not_object", "wrong"))
    assert wrong == expected
    # 2. no wrong-typed value reaches a table as text; no paper without a key of its own
    for name, rows in t.items():
        for r in rows:
            for c, v in r.items():
                if isinstance(v, str) and not (name == "quarantine" and c == "raw_value"):
                    assert SENTINEL not in v and str(NUMBER) not in v, (name, c, v)
    keys = [p["paper_id"] for p in t["papers"]]
    assert all(keys) and "td41d8cd98f00" not in keys and len(keys) == len({(p["unit_id"], p["paper_id"]) for p in t["papers"]})
    # 3. every record of a paper file is a paper or a counted quarantine row
    for f in ("aaai/aaai2021.json.gz", "iclr/iclr2024.chang_authorids.json.gz"):
        ds = DATASET[f]
        n_papers = sum(p["dataset_id"] == ds for p in t["papers"])
        dropped = sum(q["dataset_id"] == ds and (q["problem"] in ("empty_record", "duplicate_record")
                                                  or (q["problem"] == "wrong_type" and q["field"] == "record"))
                      for q in t["quarantine"])
        assert n_papers + dropped == len(FILES[f][0]), (f, n_papers, dropped)
    # 4. records left alone give exactly the rows they gave without any mutation (a mutated record may come back
    # under another key, e.g. its title's once its id has the wrong type: only the keys of untouched records count)
    keep = {(p["venue"], p["paper_id"]) for p in baseline["papers"]} - affected
    for name in ("papers", "authorships", "paper_affiliations"):
        assert _unaffected(t[name], keep) == _unaffected(baseline[name], keep), name
