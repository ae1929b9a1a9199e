"""Top-level domains and countries: vanity and generic TLDs never imply one, real ccTLDs still do, and the
Python and SQL spellings (resolver fallback, swot registry rows) agree."""

from __future__ import annotations

import duckdb
import pytest

from talentflow.errors import InputError
from talentflow.resolve.curated import CURATED_DIR, no_country_tlds, tld_country, tld_country_sql

VANITY = ["ai", "io", "co", "me", "tv", "ly", "gg", "so", "to", "fm", "sh", "cc", "ws", "la", "is", "im", "ac",
          "nu", "vc", "st", "gl", "md", "ms", "tk", "ml", "ga", "cf", "gq"]
GENERIC = ["app", "dev", "xyz", "tech", "info", "biz", "com", "org", "net", "edu", "gov", "mil", "int", "eu", "su"]
COUNTRY = {"tsinghua.edu.cn": "CN", "cam.ac.uk": "GB", "ox.ac.uk": "GB", "uni-bonn.de": "DE", "ethz.ch": "CH",
           "u-tokyo.ac.jp": "JP", "kaist.ac.kr": "KR", "iitb.ac.in": "IN", "utoronto.ca": "CA", "inria.fr": "FR",
           "usp.br": "BR", "anu.edu.au": "AU", "nus.edu.sg": "SG", "technion.ac.il": "IL", "uva.nl": "NL",
           "unal.edu.co": "CO", "uniandes.edu.co": "CO", "gov.ai": None, "mit.edu": None}


def test_the_list_file_holds_every_vanity_and_generic_tld():
    assert set(VANITY) | set(GENERIC) == set(no_country_tlds())


@pytest.mark.parametrize("tld", VANITY + GENERIC)
def test_vanity_and_generic_tlds_name_no_country(tld):
    assert tld_country(f"acme-robotics.{tld}") is None
    assert tld_country(f"mail.acme-robotics.{tld}") is None


@pytest.mark.parametrize("dom,cc", sorted(COUNTRY.items()))
def test_country_code_tlds_still_name_their_country(dom, cc):
    assert tld_country(dom) == cc


def test_sql_spelling_agrees_with_python():
    doms = [f"x.{t}" for t in VANITY + GENERIC] + list(COUNTRY) + ["a.b.edu.co", "x.eu", "x.zz", "x.uk", "x"]
    con = duckdb.connect()
    got = dict(con.execute(f"SELECT d, {tld_country_sql('d')} FROM unnest(?) AS t(d)", [doms]).fetchall())
    assert got == {d: tld_country(d) for d in doms}


def test_resolver_gives_no_country_for_an_unknown_ai_domain(tmp_path):
    from talentflow.engine import connect
    from talentflow.resolve.registry import build_registry
    from talentflow.resolve.resolver import load_resolver
    from talentflow.settings import Settings

    with connect(Settings(), tmp_path / "r.duckdb") as eng:
        build_registry(eng, tmp_path / "no-mirror")  # curated data only
        res = load_resolver(eng)
    r = res.resolve("", "verses.ai")
    assert r.country_location is None and r.reason == "unresolved:no-match"
    assert "cctld: .ai names no country" in r.trace
    assert res.resolve("", "some-lab.de").country_location == "DE"
    assert res.resolve("", "some-lab.edu.co").country_location == "CO"


def test_bad_rows_name_the_file_row_and_field(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("tld,kind,note\nai,vanity,x\nIO,vanity,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 3|3") as e:
        no_country_tlds(p)
    assert "tld" in str(e.value)
    p.write_text("tld,kind,note\nai,brand,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="kind"):
        no_country_tlds(p)
    assert (CURATED_DIR / "no_country_tlds.csv").is_file()
