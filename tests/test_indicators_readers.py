"""Indicator readers on small hand-written files: hierarchy parsing, missing tokens, quarantine of bad cells and
ragged lines, clear errors for unreadable files, country and organization mappings."""

from __future__ import annotations

import csv

import pytest

from indicators_helpers import write_indicator_mirror
from talentflow.engine import connect
from talentflow.errors import InputError
from talentflow.indicators import countries, orgs, stage

OWID_PATENTS = "indicators/ai_patents/owid_cset_ai_patent_applications_by_country.csv"
NCSES_DEGREES = "indicators/stem_graduates/ncses_SHED-11_5785.csv"

NCSES_CSV = (
    "table_id,row_id,region_country_or_economy_and_field_full_path,region_country_or_economy_and_field_level_1,"
    "region_country_or_economy_and_field_level_2,region_country_or_economy_and_field_level_3,"
    "region_country_or_economy_and_field_level_4,region_country_or_economy_and_field_hierarchy_depth,"
    "field_2017,field_2018\n"
    "5785,r001,China<sup>a</sup>,China<sup>a</sup>,,,,1,,\n"
    "5785,r002,China<sup>a</sup> -> All fields,China<sup>a</sup>,All fields,,,2,100,NA\n"
    "5785,r003,China<sup>a</sup> -> All fields -> S&E fields,China<sup>a</sup>,All fields,S&E fields,,3,60,70\n"
    "5785,r004,China<sup>a</sup> -> All fields -> S&E fields -> Engineering,China<sup>a</sup>,All fields,"
    "S&E fields,Engineering,4,40,4x5\n"
    "5785,r005,United States -> All fields,United States,All fields,,,2,\"1,234\",D\n"
).encode()


def _run(settings):
    with connect(settings, settings.db_path) as eng:
        st = stage.run(eng, settings)
        q = eng.query_dicts("SELECT * FROM indicator_quarantine ORDER BY record_key")
        rows = eng.query_dicts("SELECT indicator, country, entity_raw, year, value, source_dataset, license, notes, "
                               "record_key FROM indicators ORDER BY indicator, country, year")
    return st, rows, q


def test_ncses_hierarchy_missing_tokens_and_quarantine(tmp_path):
    st, rows, q = _run(write_indicator_mirror(tmp_path, {NCSES_DEGREES: NCSES_CSV}))
    got = {(r["indicator"], r["country"], r["year"]): r["value"] for r in rows}
    assert got == {("first_degrees.all", "CN", 2017): 100.0, ("first_degrees.se", "CN", 2017): 60.0,
                   ("first_degrees.se", "CN", 2018): 70.0, ("first_degrees.se.eng", "CN", 2017): 40.0,
                   ("first_degrees.all", "US", 2017): 1234.0}
    # NA and D (suppressed) are counted as missing, never quarantined; '4x5' is quarantined with its key
    assert st["missing_cells"] == 2
    assert [(x["dataset_id"], x["record_key"], x["field"], x["raw_value"]) for x in q] == [
        (NCSES_DEGREES, "r004:field_2018", "first_degrees.se.eng", "4x5")]
    r = rows[0]
    assert r["source_dataset"] == NCSES_DEGREES and r["license"] == "test licence"
    assert "fixture note" in r["notes"]  # catalog (MANIFEST) notes travel with every row


def test_owid_ragged_line_is_quarantined_with_its_line_number(tmp_path):
    body = ("Entity,Code,Year,All\nChina,CHN,2019,43913\nUnited States,USA,2019\nWorld,OWID_WRL,2019,100\n"
            "Atlantis,,2019,5\n").encode()
    st, rows, q = _run(write_indicator_mirror(tmp_path, {OWID_PATENTS: body}))
    assert [(r["country"], r["entity_raw"]) for r in rows] == [("CN", "China"), (None, "Atlantis"), (None, "World")]
    assert len(q) == 1 and q[0]["record_key"] == "line 3" and "MISSING COLUMNS" in q[0]["problem"]
    assert q[0]["raw_value"].startswith("United States")
    assert st["unresolved_countries"] == ["Atlantis"]  # unknown names are reported, never guessed


def test_unknown_value_column_names_file(tmp_path):
    body = b"Entity,Code,Year,All,Surprise\nChina,CHN,2019,1,2\n"
    with pytest.raises(InputError) as e:
        _run(write_indicator_mirror(tmp_path, {OWID_PATENTS: body}))
    assert "owid_cset_ai_patent_applications_by_country.csv" in str(e.value) and "Surprise" in str(e.value)


def test_unreadable_file_names_file(tmp_path):
    with pytest.raises(InputError) as e:
        _run(write_indicator_mirror(tmp_path, {NCSES_DEGREES: b"\x00\x01garbage without header\n"}))
    assert "ncses_SHED-11_5785.csv" in str(e.value)


def test_broken_json_names_file(tmp_path):
    name = "indicators/leaderboards/artificialanalysis_text-to-image_2026-08-20.json"
    with pytest.raises(InputError) as e:
        _run(write_indicator_mirror(tmp_path, {name: b'{"status":200,"data":[{"name": "x", '}))
    assert "artificialanalysis_text-to-image_2026-08-20.json" in str(e.value)


def test_catalogued_file_without_reader_is_an_error(tmp_path):
    with pytest.raises(InputError) as e:
        _run(write_indicator_mirror(tmp_path, {"indicators/new/unknown_table.csv": b"a,b\n1,2\n"}))
    assert "no reader registered" in str(e.value) and "unknown_table.csv" in str(e.value)


@pytest.mark.parametrize("name,code,iso2,kind", [
    ("China<sup>a</sup>", None, "CN", "country"),
    ("United States of America", None, "US", "country"),
    ("Korea (Republic of)", None, "KR", "country"),
    ("C&#244;te d&#8217;Ivoire", None, "CI", "country"),
    ("Whatever", "DEU", "DE", "country"),
    ("World", "OWID_WRL", None, "aggregate"),
    ("EP", "EP", None, "aggregate"),
    ("Gaza Strip", None, None, "other"),
    ("Atlantis", None, None, "unresolved"),
])
def test_country_resolution(name, code, iso2, kind):
    a = countries.resolve(name, code)
    assert (a.iso2, a.kind) == (iso2, kind)


def test_country_alias_file_is_valid():
    import pycountry

    rows = list(csv.DictReader(countries.ALIASES_PATH.open(encoding="utf-8")))
    for r in rows:
        if r["iso2"] and r["iso2"] != "XK":
            assert pycountry.countries.get(alpha_2=r["iso2"]) is not None, r
    assert len(countries.load_aliases()) == len(rows)  # no duplicates after case-folding


def test_org_files_are_valid():
    orgs.load_orgs.cache_clear()
    curated = orgs.load_orgs()
    # every developer the issue names is covered
    for name in ("Google", "OpenAI", "Anthropic", "Meta", "xAI", "Microsoft", "Amazon", "NVIDIA", "DeepSeek",
                 "Alibaba", "Zhipu AI", "Z.ai", "Moonshot", "MiniMax", "ByteDance Seed", "KlingAI", "Tencent", "Baidu",
                 "StepFun", "Vidu", "Mistral", "Black Forest Labs", "Runway", "Luma Labs", "Pika Art"):
        assert orgs.org_key(name) in curated, name
    assert curated[orgs.org_key("Vidu")]["country"] == "CN" and curated[orgs.org_key("KlingAI")]["country"] == "CN"
    assert curated[orgs.org_key("Mistral")]["country"] == "FR"
    assert all(r["source"].strip() for r in curated.values())
    assert orgs.load_prefixes()  # every prefix targets a curated alias (checked while loading)


def test_org_file_rejects_bad_country(tmp_path):
    p = tmp_path / "o.csv"
    p.write_text("alias,organization,country,source,notes\nAcme,Acme,ZZ,somewhere,\n")
    with pytest.raises(ValueError, match="ZZ"):
        orgs.load_orgs.__wrapped__(p)


def test_catalog_without_indicator_files_gives_empty_tables_and_scorecard(tmp_path):
    from talentflow.indicators.scorecard import scorecard

    s = write_indicator_mirror(tmp_path, {})
    (tmp_path / "data").mkdir()
    with connect(s, s.db_path) as eng:
        st = stage.run(eng, s)
        rows = scorecard(eng)
    assert st["indicators"] == 0 and st["unused_country_aliases"] == [] and st["org_unused_aliases"] == []
    assert rows and all(r["value"] is None and r["notes"] == "no data for this country" for r in rows)
