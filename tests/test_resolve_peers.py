"""Lossfunk's affiliation → country table as the last, low-confidence fallback (resolve/peers.py), on a
hand-written copy of its format: artefacts dropped, what it answers two ways dropped, only for pairs nothing
else answered, and agreement with it measured without the pairs it supplied."""

from __future__ import annotations

import gzip

import pytest

from talentflow.engine import connect
from talentflow.resolve import peers
from talentflow.resolve.evaluate import _agree
from talentflow.resolve.registry import build_registry
from talentflow.resolve.resolver import load_resolver
from talentflow.settings import Settings

ROWS = [("Neuro Widgets", "neurowidgets.com", "US"), ("Neuro Widgets", "neurowidgets.com", "US"),
        ("Verses", "verses.ai", "AI"),            # the .ai TLD written as a country (Anguilla)
        ("Independent", "gmail.com", "EU"),       # not an ISO code
        ("Foo Labs", "foolabs.com", "UNK"),
        ("Twoway Inc", "twoway.com", "US"), ("Twoway Inc", "twoway.com", "CA"),  # two answers: neither
        ("Bar Research", "", "UK"),                # UK → GB
        ("Gmailer", "gmail.com", "US"),            # free mail says nothing
        ("Quux Analytics", "quux.co", "DE"),       # a .co domain answered DE: kept (not the TLD artefact)
        ("BUPT", "", "US")]                        # a one-word name: an acronym the peer read its own way


@pytest.fixture(scope="module")
def resolver(tmp_path_factory):
    d = tmp_path_factory.mktemp("peer")
    p = d / peers.FILE
    p.parent.mkdir(parents=True)
    body = "Affiliation Name,Affiliation Domain,Affiliation Country\n" + "".join(f"{a},{b},{c}\n" for a, b, c in ROWS)
    p.write_bytes(gzip.compress(body.encode(), mtime=0))
    with connect(Settings(), d / "r.duckdb") as eng:
        stats = build_registry(eng, d)
        table = eng.query("SELECT name_norm, org_domain, country FROM peer_countries ORDER BY ALL")
        r = load_resolver(eng)
    r.table, r.stats = table, stats
    return r


def test_only_answers_that_can_be_right_are_kept(resolver):
    assert resolver.table == [("", "neurowidgets.com", "US"), ("", "quux.co", "DE"), ("bar research", "", "GB"),
                              ("bupt", "", "US"),
                              ("neuro widgets", "", "US"), ("neuro widgets", "neurowidgets.com", "US"),
                              ("quux analytics", "", "DE"), ("quux analytics", "quux.co", "DE")]
    assert resolver.stats["peer_countries"] == 8


@pytest.mark.parametrize("aff, dom, want", [
    ("Neuro Widgets", "neurowidgets.com", "US"), ("", "neurowidgets.com", "US"), ("Neuro Widgets", "", "US"),
    ("Bar Research", "", "GB"), ("Bar Research", "gmail.com", "GB"),  # free mail: the name alone speaks
    ("Verses", "verses.ai", None), ("Twoway Inc", "twoway.com", None), ("Independent", "gmail.com", None),
    ("Foo Labs", "foolabs.com", None),
    ("Neuro Widgets", "otherdomain.com", None),  # a name with another domain: not the peer's key
    ("Bar Research, Paris, France", "", "FR"),  # the string's own place answers first (place-only)
    ("BUPT", "", None),
])
def test_fallback(resolver, aff, dom, want):
    r = resolver.resolve(aff, dom)
    assert r.country_location == want
    if want and not aff.endswith("France"):
        assert (r.reason, r.confidence, r.location_basis, r.institution_id) == \
            ("peer:lossfunk", 0.5, "peer", "peer:lossfunk")


def test_a_known_institution_is_never_overridden(resolver):
    r = resolver.resolve("Google", "neurowidgets.com")
    assert r.institution_id == "cur:google" and r.reason != "peer:lossfunk"


def test_agreement_leaves_out_what_the_peer_supplied(resolver):
    items = [("Neuro Widgets", "neurowidgets.com", "US"), ("Microsoft Research Asia", "", "US")]
    out = _agree(resolver, items, skip_reason="peer:lossfunk")
    assert (out["n"], out["supplied_by_peer"], out["agree"]) == (1, 1, 0)  # MSRA: CN here, the peer says US
    assert _agree(resolver, items)["n"] == 2
