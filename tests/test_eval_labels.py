"""The hand-labelled affiliation evaluation set (eval/resolve_labels.tsv) is well formed and drawn from the mirror."""

from __future__ import annotations

import csv
import importlib.util
import os
from collections import Counter
from pathlib import Path

import pycountry
import pytest

EVAL = Path(__file__).resolve().parents[1] / "eval"
LABELS = EVAL / "resolve_labels.tsv"
COLUMNS = ["affiliation", "domain", "stratum", "n_authorships", "institution", "country_location", "country_hq",
           "sector", "notes"]
SECTORS = {"academia", "industry", "government", "nonprofit", ""}
ISO2 = {c.alpha_2 for c in pycountry.countries}


def _rows() -> list[dict]:
    with LABELS.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        assert reader.fieldnames == COLUMNS
        return list(reader)


def _sampler():
    spec = importlib.util.spec_from_file_location("sample_affiliations", EVAL / "sample_affiliations.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_size_and_strata():
    rows = _rows()
    assert len(rows) >= 400
    strata = Counter(r["stratum"] for r in rows)
    assert set(strata) == {"frequent", "longtail"}
    assert strata["frequent"] >= 200 and strata["longtail"] >= 200
    assert all(int(r["n_authorships"]) <= 3 for r in rows if r["stratum"] == "longtail")
    assert all(int(r["n_authorships"]) >= 1 for r in rows)


def test_values_valid():
    bad = []
    for i, r in enumerate(_rows(), 2):
        for col in ("country_location", "country_hq"):
            if r[col] and r[col] not in ISO2:
                bad.append((i, col, r[col]))
        if r["sector"] not in SECTORS:
            bad.append((i, "sector", r["sector"]))
        if not r["affiliation"] and not r["domain"]:
            bad.append((i, "affiliation+domain", "both empty"))
        if r["affiliation"] != r["affiliation"].strip() or r["domain"] != r["domain"].strip():
            bad.append((i, "affiliation/domain", "surrounding whitespace"))
    assert not bad, bad


def test_no_duplicate_pairs():
    dup = [k for k, n in Counter((r["affiliation"], r["domain"]) for r in _rows()).items() if n > 1]
    assert not dup, dup


def test_blanks_are_explained():
    # A blank country is a claim that the string and domain cannot tell it: it needs a reason.
    missing = [(i, r["affiliation"], r["domain"]) for i, r in enumerate(_rows(), 2)
               if (not r["country_location"] or not r["country_hq"]) and not r["notes"].strip()]
    assert not missing, missing
    # And a labelled institution with a known location should have a sector.
    no_sector = [(i, r["institution"]) for i, r in enumerate(_rows(), 2) if r["country_location"] and not r["sector"]]
    assert not no_sector, no_sector


def test_sampler_counts_fixture(tmp_path):
    """Pair extraction rules on a tiny hand-made mirror: alignment, skips, domain-only and aff-only files."""
    import gzip
    import json

    conf = tmp_path / "conferences"
    for d in ("nips", "iclr", "icra", "cvpr"):
        (conf / d).mkdir(parents=True)

    def put(rel, obj):
        with gzip.open(conf / rel, "wt", encoding="utf-8") as fh:
            json.dump(obj, fh)

    put("nips/nips2023.authors.json.gz", [
        {"id": "a", "author": "X;Y", "or_profile": "~Y1;~X1", "aff": " Google ;MIT", "aff_domain": "google.com;mit.edu"},
        {"id": "b", "author": "Z;W", "or_profile": "~Z1;~W1", "aff": "A;B;C", "aff_domain": "a.org;b.org"},  # skipped
        {"id": "c", "author": "V", "aff": ";", "aff_domain": ";"},
    ])
    put("nips/nips2023.json.gz", [{"id": "a", "aff": "Ignored", "aff_domain": "ignored.com"}])  # richer sibling exists
    put("iclr/iclr2018.emails.json.gz", [{"authorids": "@mit.edu;@gmail.com;x"}])
    put("iclr/iclr2018.json.gz", [{"aff": "Paper level", "author": "P;Q"}])
    put("icra/icra2010.json.gz", [{"author": "P;Q;P;Q", "aff": "KAIST; KAIST"}])
    put("cvpr/cvpr2020.json.gz", [{"author": "P, Q", "aff": "Paper level"}])
    put("nips/nips2019.acceptedpapers.json.gz", {"T": {"authors": [["P", ["MIT", "Google"]], ["Q", []]]}})
    counts, _ = _sampler().count_pairs(tmp_path)
    assert counts == Counter({("Google", "google.com"): 1, ("MIT", "mit.edu"): 1, ("", "mit.edu"): 1,
                              ("", "gmail.com"): 1, ("KAIST", ""): 2, ("MIT", ""): 1, ("Google", ""): 1})


@pytest.mark.mirror
def test_labels_match_mirror():
    data = os.environ.get("TALENTFLOW_DATA")
    if not data:
        pytest.skip("TALENTFLOW_DATA not set")
    mod = _sampler()
    counts, _ = mod.count_pairs(data)
    rows = _rows()
    wrong = [(r["affiliation"], r["domain"], r["n_authorships"], counts.get((r["affiliation"], r["domain"])))
             for r in rows if counts.get((r["affiliation"], r["domain"])) != int(r["n_authorships"])]
    assert not wrong, wrong[:20]
    # The labelled rows are exactly the seeded draw, in order.
    drawn = [(a, d, s) for a, d, s, _n in mod.draw(counts)]
    assert [(r["affiliation"], r["domain"], r["stratum"]) for r in rows] == drawn
