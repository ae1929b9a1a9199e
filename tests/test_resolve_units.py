"""Resolver units on a registry built from the curated data alone plus a few hand-written registry rows: the
cascade's rules, bad inputs, the batch TSV reader, normalisation (Python and SQL spellings agree)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from talentflow.engine import connect
from talentflow.errors import InputError
from talentflow.resolve.normalize import (clean_domain, clean_text, dedupe_repeats, norm_name, parent_domains,
                                          split_multi, sql_norm)
from talentflow.resolve.registry import build_registry
from talentflow.resolve.resolver import Inst, load_resolver
from talentflow.settings import Settings


@pytest.fixture(scope="module")
def resolver(tmp_path_factory):
    """Curated data + hand-written registry rows standing in for ROR/GRID (same-name universities in two
    countries, a .edu that is also a truncated .edu.cn, a ccTLD-less domain)."""
    d = tmp_path_factory.mktemp("reg")
    with connect(Settings(), d / "r.duckdb") as eng:
        build_registry(eng, d / "no-mirror")
        eng.execute("""INSERT INTO reg_institutions VALUES
            ('ror:t1', 'Stanford University', 'US', 'US', 'education', 'academia', 'ror', NULL),
            ('ror:t2', 'University of Bonn', 'DE', 'DE', 'education', 'academia', 'ror', NULL),
            ('ror:t3', 'Southern University', 'US', 'US', 'education', 'academia', 'ror', NULL),
            ('ror:t4', 'Southern University', 'CN', 'CN', 'education', 'academia', 'ror', NULL),
            ('ror:t5', 'Fudan University', 'CN', 'CN', 'education', 'academia', 'ror', NULL),
            ('ror:t6', 'Fairleigh Dickinson University', 'US', 'US', 'education', 'academia', 'ror', NULL),
            ('ror:t7', 'Laboratoire de Theorie du Droit', 'FR', 'FR', 'facility', 'academia', 'ror', NULL),
            ('ror:t8', 'University of Toronto', 'CA', 'CA', 'education', 'academia', 'ror', NULL),
            ('ror:t9', 'Acme Pharma (Singapore)', 'SG', 'SG', 'company', 'industry', 'ror', NULL),
            ('ror:t10', 'Acme Pharma (United Kingdom)', 'GB', 'GB', 'company', 'industry', 'ror', NULL)""")
        eng.execute("""INSERT INTO registry_names VALUES
            ('stanford university', 'ror', 'ror:t1', 'US', 'education'),
            ('university of bonn', 'ror', 'ror:t2', 'DE', 'education'),
            ('southern university', 'ror', 'ror:t3', 'US', 'education'),
            ('southern university', 'ror', 'ror:t4', 'CN', 'education'),
            ('fudan university', 'ror', 'ror:t5', 'CN', 'education'),
            ('ltd', 'ror_acronym', 'ror:t7', 'FR', 'facility'),
            ('university of toronto', 'ror', 'ror:t8', 'CA', 'education')""")
        eng.execute("""INSERT INTO registry_domains VALUES
            ('stanford.edu', 'ror:t1', 'US', 'ror'), ('uni-bonn.de', 'ror:t2', 'DE', 'ror'),
            ('fudan.edu.cn', 'ror:t5', 'CN', 'ror'), ('fdu.edu', 'ror:t6', 'US', 'ror'),
            ('sdu.edu.cn', 'ror:t5', 'CN', 'ror'), ('utoronto.ca', 'ror:t8', 'CA', 'ror'),
            ('acmepharma.com', 'ror:t9', 'SG', 'ror'), ('acmepharma.com', 'ror:t10', 'GB', 'ror_link')""")
        yield load_resolver(eng)


def test_norm_name_python_and_sql_agree():
    samples = ["Tsinghua University, Tsinghua University", "École Normale Supérieure", "Texas A&M University",
               "The Chinese University of Hong Kong", "Universität Tübingen", "Łódź University of Technology",
               "Nabtecso corporation, Chiyoda-ku", "Københavns Universitet", "ETH Zürich", "Straße 1"]
    con = duckdb.connect()
    for s in samples:
        got = con.execute(f"SELECT {sql_norm('?')}", [s]).fetchone()[0]
        assert got == norm_name(s), s


def test_text_repairs():
    assert clean_text("Universit ´e de Montr´eal") == "Universite de Montreal"
    assert clean_text("Universit ¨at Bonn") == "Universitat Bonn"
    assert clean_text("AragÃ³n") == "Aragón"
    assert clean_text("1Department of Physics") == "Department of Physics"
    assert clean_text("♠School of AI") == "School of AI"
    assert clean_text("Artiﬁcial") == "Artificial"
    assert clean_text("a\x00b\tc\x7f") == "a b c"
    assert clean_text("x" * 10_000) == "x" * 512
    assert clean_text("   ") == ""


def test_domains_and_splits():
    assert clean_domain("@Mails.Tsinghua.EDU.cn ") == "mails.tsinghua.edu.cn"
    assert clean_domain("https://www.mit.edu/x") == ""  # a URL path is not a host
    assert clean_domain("ic.sunysb.edu†") == "ic.sunysb.edu"
    assert clean_domain("/b.sc/e.sc/r.sc") == ""
    assert clean_domain("fzhiwu.huang") == "fzhiwu.huang"
    assert clean_domain("no-dot") == ""
    assert parent_domains("mails.tsinghua.edu.cn") == ["mails.tsinghua.edu.cn", "tsinghua.edu.cn", "edu.cn"]
    assert split_multi("NVIDIA Research+University of California, Berkeley") == [
        "NVIDIA Research", "University of California, Berkeley"]
    assert split_multi("A / B; C | A") == ["A", "B", "C"]
    assert dedupe_repeats("Tsinghua University, Tsinghua University") == "Tsinghua University"


CASES = [
    # (affiliation, domain, location, hq, reason prefix)
    ("Microsoft Research Asia", "microsoft.com", "CN", "US", "name+domain"),
    ("Google DeepMind", "google.com", "GB", "US", "name+domain"),
    ("Google", "google.com", "US", "US", "name+domain"),
    ("Google Zurich", "", "CH", "US", "name"),
    ("Alibaba Group, Seattle, USA", "alibaba-inc.com", "US", "CN", "name"),
    ("Huawei Noah's Ark Lab Montreal", "", "CA", "CN", None),
    ("NYU Shanghai", "nyu.edu", "CN", "US", None),
    ("HKUST(GZ)", "", "CN", "HK", "name"),
    ("Harbin Institute of Technology (Shenzhen)", "", "CN", "CN", "name"),
    ("Monash University Malaysia", "monash.edu", "MY", "AU", None),
    ("", "u.nus.edu", "SG", "SG", "domain"),
    ("", "sjtu.edu", "CN", "CN", "domain"),
    ("", "kit.edu", "DE", "DE", "domain"),
    ("", "cs.mails.tsinghua.edu.cn", "CN", "CN", "domain-walk"),
    ("Department of Computer Science, Stanford University", "", "US", "US", "name"),
    ("Tsinghua University, Tsinghua University", "", "CN", "CN", "name"),
    ("Northeastern University, Shenyang", "", "CN", "CN", "name"),
    ("Northeastern University", "neu.edu.cn", "CN", "CN", None),
    ("Toyota Technological Institute at Chicago", "", "US", "US", "name"),
    ("Institute of Applied Mathematics, University of Bonn", "", "DE", "DE", "name"),
    ("IIIT Hyderabad, India+Microsoft, India", "microsoft.com", "IN", "IN", None),
    ("Nabtecso corporation, Chiyoda-ku, Tokyo, Japan", "", "JP", "JP", "place-only"),
    ("Universit ´e de Toronto", "", "CA", "CA", "place-only"),  # no institution, but the place is certain
    ("Some Startup GmbH", "startup.de", "DE", "DE", "cctld"),
]


@pytest.mark.parametrize("aff,dom,loc,hq,reason", CASES)
def test_hard_cases(resolver, aff, dom, loc, hq, reason):
    r = resolver.resolve(aff, dom)
    assert (r.country_location, r.country_hq) == (loc, hq), (r.reason, r.trace)
    if reason:
        assert r.reason.startswith(reason), r.reason
    if loc:
        assert 0 < r.confidence <= 1


def test_abstains_rather_than_guess(resolver):
    assert resolver.resolve("", "gmail.com").reason == "unresolved:free-mail"
    assert resolver.resolve("Independent Researcher", "alum.iisc.ac.in").country_location is None
    # same name in two countries, nothing to tell them apart
    assert resolver.resolve("Southern University", "").country_location is None
    # …but a national webmail breaks the tie, and a place does too
    assert resolver.resolve("Southern University", "163.com").country_location == "CN"
    assert resolver.resolve("Southern University, Baton Rouge, Louisiana, USA", "").country_location == "US"
    # a registry acronym ('LTD' of a French lab) is not accepted without the domain agreeing
    assert resolver.resolve("CogSmart Co., Ltd.", "").country_location is None
    # generic TLDs and vanity ccTLDs say nothing
    for d in ("startup.com", "startup.ai", "startup.io", "startup.edu", "x.zz"):
        assert resolver.resolve("", d).country_location is None, d


def test_string_beats_domain_when_specific(resolver):
    r = resolver.resolve("University of Toronto", "stanford.edu")
    assert r.country_location == "CA" and "over-domain" in r.reason
    # a .edu registered to a US school is not read as a truncated .edu.cn, unless the string says so
    assert resolver.resolve("", "fdu.edu").country_location == "US"


@pytest.mark.parametrize("aff,dom", [("", ""), ("   ", " \t "), ("\x00\x01\x02", ""), ("x" * 10_000, ""),
                                     ("A" * 10_000, "a" * 300 + ".com"), ("Université\u200b", "@@@"),
                                     (None, None), ("University of Bonn", "bonn.unknowntld")])
def test_bad_inputs_have_defined_output(resolver, aff, dom):
    r = resolver.resolve(aff, dom)
    assert r.reason.startswith(("unresolved:", "name", "cctld", "place"))
    assert r.country_location in (None, "DE")
    assert isinstance(r.row(), dict)


def test_multi_affiliation_parts(resolver):
    r = resolver.resolve("NVIDIA Research+University of California, Berkeley", "nvidia.com")
    assert [p.get("institution_id") for p in r.parts] == ["cur:nvidia", "cur:ucb"]
    assert r.institution_id == "cur:nvidia"


def test_read_batch(tmp_path):
    from talentflow.cli.resolve_cmd import read_batch

    p = tmp_path / "in.tsv"
    p.write_text("affiliation\tdomain\nMIT\tmit.edu\n\tgmail.com\nOnly string\n", encoding="utf-8")
    assert read_batch(p) == [("MIT", "mit.edu"), ("", "gmail.com"), ("Only string", "")]
    for body, msg in [("", "empty file"), ("aff\tdom\nx\ty\n", "header"), ("affiliation\tdomain\na\tb\tc\n", "line 2" ),
                      ("affiliation\tdomain\tother\n", "header")]:
        p.write_text(body, encoding="utf-8")
        with pytest.raises(InputError) as e:
            read_batch(p)
        assert str(p) in str(e.value)
    p.write_bytes(b"affiliation\tdomain\n\xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_batch(p)
    with pytest.raises(InputError, match="not found"):
        read_batch(tmp_path / "missing.tsv")


def test_curated_file_is_valid_and_checked(tmp_path):
    from talentflow.resolve.curated import INST_COLUMNS, read_institutions

    entries = read_institutions()
    assert len(entries) >= 300
    ids = {e.id for e in entries}
    assert all(e.parent in ids for e in entries if e.parent)
    # HQ is inherited from the ultimate parent
    by = {e.id: e for e in entries}
    assert by["deepmind"].country_hq == "US" and by["deepmind"].country_location == "GB"
    assert by["msr-asia"].country_hq == "US" and by["msr-asia"].country_location == "CN"
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(INST_COLUMNS) + "\nx,X,,XX,,industry,company,,,,\n", encoding="utf-8")
    with pytest.raises(InputError, match="ISO 3166"):
        read_institutions(bad)
    bad.write_text(",".join(INST_COLUMNS) + "\nx,X,,US,,industry,company,a.com,,,\ny,Y,,US,,industry,company,a.com,,,\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match="also belongs"):
        read_institutions(bad)


def test_domain_digits_are_kept():
    # footnote digits are stripped from strings ('China1'), never from host names
    assert clean_domain("layer6.ai") == "layer6.ai"
    assert clean_domain("cs.uw23.edu") == "cs.uw23.edu"
    assert clean_text("University of Science and Technology of China1") == "University of Science and Technology of China"


def test_multinational_domains(resolver):
    # national subsidiaries sharing a .com domain: no country from the domain alone
    assert resolver.resolve("", "acmepharma.com").country_location is None
    # a multinational's national domain locates the office; HQ stays the parent's
    r = resolver.resolve("", "amazon.de")
    assert (r.country_location, r.country_hq) == ("DE", "US")
    assert resolver.resolve("Amazon", "amazon.com").country_location == "US"


def test_cli_without_data_dir_says_what_to_do(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from talentflow.cli.main import app

    monkeypatch.delenv("TALENTFLOW_DATA", raising=False)
    res = CliRunner().invoke(app, ["resolve", "Google"])
    assert res.exit_code == 2 and "data directory" in res.output.lower()
    res = CliRunner().invoke(app, ["resolve"])
    assert res.exit_code == 2 and "--input" in res.output
    p = tmp_path / "bad.tsv"
    p.write_text("aff\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["resolve", "--input", str(p), "--format", "xml"])
    assert res.exit_code == 2 and "unknown format 'xml': use one of jsonl, csv" in " ".join(res.output.split())


def test_location_basis(resolver):
    assert resolver.resolve("Google", "google.com").location_basis == "hq-default"
    assert resolver.resolve("Google Zurich", "").location_basis == "site"
    assert resolver.resolve("", "amazon.de").location_basis == "national-domain"
    assert resolver.resolve("Nabtecso corporation, Chiyoda-ku, Tokyo, Japan", "").location_basis == "place-only"
    assert resolver.resolve("Alibaba Group, Seattle, USA", "").location_basis == "place-hint"
    assert resolver.resolve("", "gmail.com").location_basis is None
