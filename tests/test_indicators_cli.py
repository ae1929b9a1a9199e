"""`talentflow indicators` and `talentflow scorecard` through typer's CliRunner, on a database holding the
indicators stage built from the mirror."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from indicators_helpers import built_indicators_db
from talentflow.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db(mirror_dir):
    return str(built_indicators_db(str(mirror_dir))[0])


def invoke(db, *args):
    return runner.invoke(app, ["--db", db, *args], catch_exceptions=False)


@pytest.mark.mirror
def test_indicators_json_rows_carry_provenance(db):
    r = invoke(db, "indicators", "--country", "US,CN", "--indicator", "first_degrees.se", "--year", "2018",
               "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    top = {(x["indicator"], x["country"]): x for x in rows}
    assert top[("first_degrees.se", "CN")]["value"] == 1_821_950
    assert top[("first_degrees.se", "US")]["value"] == 811_195
    assert {"country", "indicator", "value", "unit", "year", "date", "source", "license"} <= set(rows[0])
    assert all(x["source"].endswith("ncses_SHED-11_5785.csv") for x in rows)
    # the family id selects sub-indicators too
    assert ("first_degrees.se.eng", "CN") in top


@pytest.mark.mirror
def test_indicators_csv_and_table(db):
    r = invoke(db, "indicators", "--country", "CN", "--indicator", "ai_patent_applications", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["year"] for x in rows] == ["2015", "2016", "2017", "2018", "2019", "2020"]
    t = invoke(db, "indicators", "--list", "--format", "csv")
    ids = {x["indicator"] for x in csv.DictReader(io.StringIO(t.stdout))}
    assert t.exit_code == 0 and {"first_degrees.se", "notable_models", "private_ai_investment"} <= ids
    t = invoke(db, "indicators", "--country", "US", "--indicator", "doctorates.se", "--latest")
    assert t.exit_code == 0 and "41071" in t.stdout.replace(",", "")


@pytest.mark.mirror
def test_scorecard_json_and_table(db):
    r = invoke(db, "scorecard", "--format", "json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert {"country", "indicator", "value", "unit", "year", "date", "source", "us_cn_ratio"} <= set(rows[0])
    fams = {x["family"] for x in rows if x["value"] is not None}
    assert {"stem_graduates", "ai_patents", "ai_models", "leaderboards", "ai_investment"} <= fams
    t = invoke(db, "scorecard", "--family", "stem_graduates", "--format", "csv")
    assert t.exit_code == 0
    assert {x["indicator"] for x in csv.DictReader(io.StringIO(t.stdout))} >= {"first_degrees.se", "doctorates.se"}
    t = invoke(db, "scorecard", "--family", "stem_graduates")
    assert t.exit_code == 0 and "scorecard" in t.stdout


@pytest.mark.mirror
def test_leaderboard_standing_per_date(db):
    r = invoke(db, "scorecard", "--standing", "--leaderboard", "aa_image_to_video", "--top-n", "15", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    dates = {x["date"] for x in rows}
    assert len(dates) == 188  # every daily snapshot of the history file
    last = {x["country"]: int(x["n"]) for x in rows if x["date"] == max(dates)}
    assert last == {"CN": 12, "US": 3}
    assert all(sum(int(x["n"]) for x in rows if x["date"] == d) == 15 for d in dates)


@pytest.mark.mirror
def test_unknown_values_are_explained(db):
    r = invoke(db, "indicators", "--indicator", "first_degree")
    assert r.exit_code == 2 and "Did you mean" in r.output
    r = invoke(db, "scorecard", "--family", "stem")
    assert r.exit_code == 2 and "stem_graduates" in r.output


def test_not_built(tmp_path):
    r = runner.invoke(app, ["--db", str(tmp_path / "none.duckdb"), "scorecard"])
    assert r.exit_code == 2 and "talentflow build" in r.output
