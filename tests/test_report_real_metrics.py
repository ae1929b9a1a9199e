"""The report and the API with the real `talentflow.metrics` library, over synthetic metric tables (random people,
no real person): the contract between the published face and the metrics library, end to end."""

import csv
import re

import pytest
from fastapi.testclient import TestClient

from report_support import synthetic_metric_tables, tiny_settings
from talentflow.report.privacy import SUPPRESSED
from talentflow.report.site import build_report
from talentflow.web.app import create_app


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    s = tiny_settings(tmp_path_factory.mktemp("real"))
    synthetic_metric_tables(s.db_path)
    return s


def test_report_with_the_metrics_library(settings, tmp_path):
    res = build_report(settings, tmp_path, country_min=300, images=False)
    assert not res.errors, res.errors
    index = (tmp_path / "index.html").read_text()
    assert len(re.findall(r"95% CI \d+\.\d% – \d+\.\d%", index)) == 4
    assert re.search(r"country known for \d+\.\d%", index)
    assert (tmp_path / "country-CN.html").exists() and (tmp_path / "country-US.html").exists()
    for f in (tmp_path / "charts").glob("*.csv"):
        for row in csv.DictReader(f.open()):
            for k, v in row.items():
                if k in ("count", "n", "n_people", "n_observed", "outflow", "inflow") and v:
                    assert float(v) >= settings.min_cell, (f.name, k, v)
    mp = (tmp_path / "macropolo.html").read_text()
    assert "NeurIPS 2022 · accepted papers · location rule" in mp and "NeurIPS 2019 · oral papers" in mp
    cohorts = (tmp_path / "cohorts.html").read_text()
    assert "whereabouts" in cohorts and "tf-error" not in cohorts
    inst = (tmp_path / "institutions.html").read_text()
    # each ranking twice, the second rolled up (TU Munich's people under its parent) with the definition beside it
    assert all(f"inst-{st}-{v}-parent" in inst for st in ("work", "origin") for v in ("nips", "all"))
    assert "ultimate parent organisation" in inst
    assert "TU Munich" in inst and "A parent organisation" in inst and "tf-error" not in inst


def test_api_with_the_metrics_library(settings):
    with TestClient(create_app(settings)) as c:
        rows = c.get("/api/shares", params={"venue": "nips", "years": "2019-2022", "stage": "work"}).json()["rows"]
        assert abs(sum(r["share"] for r in rows if r["share"] is not None) - 1) < 1e-9
        small = c.get("/api/shares", params={"venue": "nips", "year": 2022, "tier": "oral", "stage": "work"})
        small = small.json()["rows"]
        assert SUPPRESSED in {r["country"] for r in small}  # oral authors of one year: small cells pooled
        assert all(r["count"] is None or r["count"] >= 5 for r in small)
        assert c.get("/api/flows", params={"from": "origin", "to": "current"}).status_code == 200
        assert c.get("/api/cohort", params={"venue": "nips", "year": 2019, "origin": "CN"}).status_code == 200
        assert c.get("/api/institutions", params={"stage": "origin", "limit": 3}).json()["rows"][0]["rank"] == 1
        r = c.get("/api/shares", params={"attribution": "fractional"})
        assert r.status_code == 422 and r.json()["detail"][0]["allowed"] == ["location", "hq"]
        r = c.get("/api/trend", params={"country": "XX"})
        assert r.status_code == 422 and "CN" in r.json()["detail"][0]["allowed"]
        page = c.get("/").text
        assert '<option value="2022">' in page and '<option value="humanoid">' in page
        inst = c.get("/api/shares", params={"by": "institution", "stage": "work", "proxy": "true"}).json()
        assert inst["by"] == "institution" and inst["query"]["include_proxy"] is True
        assert "Stanford University" in {r.get("institution") for r in inst["rows"]}
        assert c.get("/api/shares", params={"by": "person"}).status_code == 422
        ret = c.get("/api/retention", params={"from": "origin", "to": "work", "country": "CN"}).json()
        assert ret["from"] == "origin" and [r["country"] for r in ret["rows"]] == ["CN"]
