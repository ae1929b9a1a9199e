"""Tier 1: the JSON API and dashboard in-process (FastAPI TestClient), over a tiny database and the metrics
contract (tests/fake_metrics.py stands in for talentflow.metrics)."""

import csv
import io

import pytest
from fastapi.testclient import TestClient

import fake_metrics
from report_support import PERSON_MARKERS, tiny_settings
from talentflow.errors import NotBuilt
from talentflow.report.privacy import NOT_PEOPLE, SUPPRESSED
from talentflow.settings import Settings
from talentflow.web.app import create_app

ENDPOINTS = ["/api/shares", "/api/flows", "/api/retention", "/api/cohort", "/api/trend", "/api/institutions"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(tiny_settings(tmp_path_factory.mktemp("web")), metrics=fake_metrics)
    with TestClient(app) as c:
        yield c


def test_shares_have_intervals_coverage_and_sources(client):
    r = client.get("/api/shares", params={"venue": "nips", "year": 2022, "tier": "accepted", "stage": "origin"})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == {"venue": "nips", "year": 2022, "tier": "accepted"} and body["stage"] == "origin"
    cn = next(x for x in body["rows"] if x["country"] == "CN")
    assert 0 < cn["ci_low"] < cn["share"] < cn["ci_high"] < 1 and cn["n"] > 0 and cn["n_observed"] <= cn["n_people"]
    assert "papercopilot/paperlists" in body["sources"] and "none stated" in body["sources"]
    assert "chang-xinhai" not in body["sources"]  # iclr files are not behind a nips query


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_answers_without_small_cells_or_people(client, path):
    r = client.get(path, params={"venue": "nips", "origin": "CN", "work": "US"} if path == "/api/cohort"
                   else {"venue": "nips"})
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert rows
    for row in rows:
        for k, v in row.items():
            assert not (isinstance(v, int) and not isinstance(v, bool) and 0 < v < 5
                        and k not in NOT_PEOPLE | {"cells_pooled"}), row  # rank, year: not counts
    assert not any(m in r.text for m in PERSON_MARKERS)


def test_small_cells_are_suppressed_and_threshold_configurable(tmp_path):
    with TestClient(create_app(tiny_settings(tmp_path, min_cell=5), metrics=fake_metrics)) as c:
        rows = c.get("/api/shares", params={"venue": "nips"}).json()["rows"]
        assert SUPPRESSED in {r["country"] for r in rows} and "LU" not in {r["country"] for r in rows}
    with TestClient(create_app(tiny_settings(tmp_path / "k1", min_cell=1), metrics=fake_metrics)) as c:
        rows = c.get("/api/shares", params={"venue": "nips"}).json()["rows"]
        assert "LU" in {r["country"] for r in rows}


def test_retention_net_does_not_give_back_a_suppressed_inflow(client):
    # nips 2022, IL: 6 of 13 stayed, 7 left (shown), 3 came in (suppressed); net = -4 gave the 3 back
    rows = client.get("/api/retention", params={"venue": "nips", "year": 2022}).json()["rows"]
    il = next(r for r in rows if r["country"] == "IL")
    assert il["inflow"] is None and il["net"] is None
    for r in rows:  # net only beside both of its terms
        assert r["net"] is None or (r["inflow"] is not None and r["outflow"] is not None), r


@pytest.mark.parametrize("param,value,allowed", [("venue", "nipz", "nips"), ("tier", "gold", "oral"),
                                                  ("stage", "phd", "graduate"), ("attribution", "x", "location"),
                                                  ("subfield", "quantum", "robotics")])
def test_unknown_values_answer_422_with_the_allowed_ones(client, param, value, allowed):
    r = client.get("/api/shares", params={param: value})
    assert r.status_code == 422
    d = r.json()["detail"][0]
    assert d["loc"] == ["query", param] and d["input"] == value and allowed in d["allowed"]


def test_institutions_roll_up_to_parents_on_request(client):
    plain = client.get("/api/institutions", params={"venue": "nips", "year": 2022}).json()
    up = client.get("/api/institutions", params={"venue": "nips", "year": 2022, "rollup": "parent"}).json()
    assert up["rollup"] == "parent" and "rollup" not in plain
    g = {r["institution"]: r["count"] for r in plain["rows"]}["Google"]
    assert {r["institution"]: r["count"] for r in up["rows"]}["Google"] == g + 45
    assert client.get("/api/institutions", params={"rollup": "none"}).json()["rows"] == \
        client.get("/api/institutions").json()["rows"]
    for path in ("/api/institutions", "/api/shares"):
        bad = client.get(path, params={"rollup": "owner"})
        assert bad.status_code == 422, path
        d = bad.json()["detail"][0]
        assert d["loc"] == ["query", "rollup"] and d["allowed"] == ["none", "parent"]
    csv_up = client.get("/api/institutions", params={"rollup": "parent", "format": "csv"})
    assert csv_up.status_code == 200 and "Google" in csv_up.text


def test_dashboard_rollup_control_and_chart(client):
    page = client.get("/").text
    assert 'name="rollup"' in page and 'data-default="none"' in page and ">rolled up to parent<" in page
    frag = client.get("/fragment/charts", params={"venue": "nips", "stage": "work", "rollup": "parent"}).text
    assert "rolled up to parent organisations" in frag and "rollup=parent" in frag  # the CSV link keeps it
    assert "rolled up" not in client.get("/fragment/charts", params={"venue": "nips", "stage": "work"}).text
    bad = client.get("/fragment/charts", params={"venue": "nips", "rollup": "owner"}).text
    assert "Unknown rollup" in bad and "tf-error" in bad


def test_flows_take_from_and_to_and_csv(client):
    r = client.get("/api/flows", params={"from": "origin", "to": "graduate", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {"from_country", "to_country", "count"} <= set(rows[0])
    bad = client.get("/api/flows", params={"from": "work"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "from"]


def test_years_range_and_bad_range(client):
    assert client.get("/api/trend", params={"years": "2019-2022"}).json()["query"]["years"] == [2019, 2022]
    assert client.get("/api/trend", params={"years": "2022-2019"}).status_code == 422


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    for p in ENDPOINTS + ["/api/indicators", "/api/allowed"]:
        assert p in spec["paths"], p
        assert spec["paths"][p]["get"]["summary"]
    params = {p["name"] for p in spec["paths"]["/api/flows"]["get"]["parameters"]}
    assert {"from", "to", "venue", "year", "years", "tier", "subfield", "sector", "attribution", "country"} <= params
    assert client.get("/docs").status_code == 404  # interactive docs would load JavaScript from a CDN


def test_allowed_lists_every_filter(client):
    allowed = client.get("/api/allowed").json()["allowed"]
    assert {"venue", "tier", "subfield", "sector", "attribution", "stage"} <= set(allowed)


def test_indicators_without_the_stage_is_a_clear_503(client):
    r = client.get("/api/indicators")
    assert r.status_code == 503 and "indicators" in r.json()["detail"]


def test_dashboard_and_fragment(client):
    page = client.get("/")
    assert page.status_code == 200 and 'data-fragment="/fragment/charts"' in page.text
    assert '<option value="nips">NeurIPS</option>' in page.text and "/static/htmx.min.js" in page.text
    frag = client.get("/fragment/charts", params={"venue": "nips", "stage": "work"})
    assert frag.status_code == 200 and 'data-kind="plotly"' in frag.text and "/api/shares?" in frag.text
    bad = client.get("/fragment/charts", params={"venue": "nipz"})
    assert "Unknown venue" in bad.text and "tf-error" in bad.text
    for name in ("vega.min.js", "vega-embed.min.js", "plotly.min.js", "htmx.min.js", "world.js", "report.js"):
        assert client.get(f"/static/{name}").status_code == 200, name
    assert client.get("/static/../../etc/passwd").status_code == 404


def test_results_are_cached_per_query(client):
    fake_metrics.CALLS.clear()
    for _ in range(3):
        client.get("/api/shares", params={"venue": "icml", "stage": "work"})
    assert sum(1 for c in fake_metrics.CALLS if c[0] == "shares") == 1


def test_no_database_is_a_clear_error(tmp_path):
    with pytest.raises(NotBuilt):
        create_app(Settings(db_path=tmp_path / "missing.duckdb"), metrics=fake_metrics)


def test_without_the_metrics_library_the_api_says_why(tmp_path, monkeypatch):
    import talentflow.report.source as source

    def missing():
        raise source.MetricsUnavailable("The metrics library is not available: test")
    monkeypatch.setattr(source, "load_metrics", missing)
    with TestClient(create_app(tiny_settings(tmp_path))) as c:
        r = c.get("/api/shares")
        assert r.status_code == 503 and "metrics" in r.json()["detail"]
        assert "not available" in c.get("/").text


def test_serve_binds_loopback_by_default(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from talentflow.cli.main import app

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda application, host, port, log_level: seen.update(host=host, port=port))
    monkeypatch.setattr("talentflow.report.source.load_metrics", lambda: fake_metrics)
    s = tiny_settings(tmp_path)
    r = CliRunner().invoke(app, ["--db", str(s.db_path), "serve", "--port", "8765"])
    assert r.exit_code == 0, r.output
    assert seen == {"host": "127.0.0.1", "port": 8765}


def test_dashboard_has_retention_and_cohort_panels(client):
    one = client.get("/fragment/charts", params={"venue": "nips", "year": 2022, "stage": "work"}).text
    assert 'id="fig-d-retention"' in one and "Stay rate: graduate school → workplace" in one
    assert 'id="fig-d-cohort"' in one and "Where the 2022 researchers (all) are at their latest paper" in one
    assert "/api/retention?" in one and "/api/cohort?" in one  # each panel's CSV is the API's answer
    fake_metrics.CALLS.clear()
    us = client.get("/fragment/charts", params={"venue": "nips", "year": 2021, "country": "US"}).text
    assert "Where the 2021 researchers (working in United States)" in us
    # the cohort is the year's researchers working in the chosen country (work=), asked of the library
    assert [(c[1].year, c[2], c[3]) for c in fake_metrics.CALLS if c[0] == "cohort"] == [(2021, None, "US")]
    years = client.get("/fragment/charts", params={"venue": "nips", "years": "2019-2022"}).text
    assert 'id="fig-d-cohort"' not in years  # a cohort is one year


def _footers_equal_the_sql(eng) -> int:
    from talentflow.report import provenance
    from talentflow.report.source import Filters
    from talentflow.web.footers import Footers

    held = Footers(eng)
    vy = eng.query("SELECT DISTINCT venue, year FROM datasets WHERE venue IS NOT NULL ORDER BY ALL")
    years = sorted({y for _, y in vy if y is not None})
    filters = [None, Filters(), Filters(year=years[0]), Filters(years=(years[0], years[-1])), Filters(year=1990)]
    filters += [Filters(venue=v, year=y) for v, y in vy]
    filters += [Filters(venue=v) for v in sorted({v for v, _ in vy})]
    filters += [Filters(venue=v, years=(y, y + 3)) for v, y in vy[::3] if y is not None]
    for f in filters:
        assert held.footer(f) == provenance.footer(provenance.origins(eng, f)), f
    return len(filters)


def test_the_source_line_read_once_equals_the_query(tmp_path):
    from talentflow.engine import connect

    with connect(tiny_settings(tmp_path), read_only=True) as eng:
        assert _footers_equal_the_sql(eng) > 5


@pytest.mark.mirror
def test_the_source_line_read_once_equals_the_query_on_the_mirror(mirror_engine):
    assert _footers_equal_the_sql(mirror_engine) > 100
