"""The curated start-up and non-profit file: every entry says where its need was measured, and resolves by its
name and by its domain to its own country."""

from __future__ import annotations

import csv
import re

import pytest

from talentflow.resolve.curated import CURATED_DIR, read_institutions


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    from talentflow.engine import connect
    from talentflow.resolve.registry import build_registry
    from talentflow.resolve.resolver import load_resolver
    from talentflow.settings import Settings

    d = tmp_path_factory.mktemp("reg")
    with connect(Settings(), d / "r.duckdb") as eng:
        build_registry(eng, d / "no-mirror")
        yield load_resolver(eng)


ROWS = list(csv.DictReader((CURATED_DIR / "startups.csv").open(encoding="utf-8", newline="")))
HQ = {e.id: e.country_hq for e in read_institutions()}


def test_every_entry_cites_its_measured_need():
    # small on purpose: registries first, curation for what the mirror needs (`resolve-hygiene`, `--papers`)
    assert 10 <= len(ROWS) <= 120
    for r in ROWS:
        assert re.search(r"resolve_unmatched[^:]*: \d+", r["note"]), r["id"]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_entry_resolves_by_name_and_domain(res, row):
    hq = HQ[row["id"]]  # a child's HQ is its ultimate parent's
    want = row["country_location"] or hq  # no site: a company named without a place is at its HQ
    by_name = res.resolve(row["name"], "")
    assert (by_name.institution_id, by_name.country_location, by_name.country_hq) == ("cur:" + row["id"], want, hq)
    if not row["domains"]:
        return  # some paper-level strings come without any address
    dom = row["domains"].split("|")[0]
    by_dom = res.resolve("", dom)
    assert by_dom.institution_id == "cur:" + row["id"] and by_dom.sector == row["sector"]


def test_a_place_in_the_string_still_decides_the_site(res):
    r = res.resolve("Technicolor Research Center, 735 Emerson St, Palo Alto, CA 94301, USA", "technicolor.com")
    assert (r.country_location, r.country_hq) == ("US", "FR")
