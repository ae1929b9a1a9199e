"""API fuzz: hypothesis over every endpoint of the app's own OpenAPI schema × every query parameter, with valid,
boundary and garbage values (and unknown parameter names), on the real metrics library over synthetic metric
tables. Whatever the query: never a 500, always a JSON answer (CSV when asked for and answered), a 422 names a
parameter that was sent, and every answer comes within a bounded time."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from report_support import synthetic_metric_tables, tiny_settings
from talentflow.web.app import create_app

SECONDS = 5.0  # the most any one answer may take on this small database (the app's own limit is set to 4 s)

BOUNDARY = ["", " ", "0", "-1", "1", "1979", "1980", "2100", "2101", "2018", "2023", "500", "501", "1980-2100",
            "2100-1980", "2019-2019", "2019:2022", "-2020", "2020-", "1-100000000", "9" * 40, "1e3", "2019.0",
            "x" * 100, "x" * 101, "NIPS", " nips", "nips ", "us", "US", "true", "false", "None", "null", "%00",
            "\x00", "../../etc/passwd", "<script>", "[red]x[/]", "'; DROP TABLE papers; --", "ü" * 50,
            "x" * 20_000]
GARBAGE = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(BOUNDARY),
)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    s = tiny_settings(tmp_path_factory.mktemp("fuzz"))
    synthetic_metric_tables(s.db_path)
    with TestClient(create_app(s, request_timeout=SECONDS - 1)) as c:
        schema = c.get("/openapi.json").json()
        allowed = c.get("/api/allowed").json()["allowed"]
        endpoints = {p: [x for x in ops["get"].get("parameters", []) if x["in"] == "query"]
                     for p, ops in schema["paths"].items() if p.startswith("/api/")}
        yield c, endpoints, allowed


VALID_ALIASES = {"from": "frm", "origin": "country", "work": "country"}


def _valid(name: str, spec: dict, allowed: dict) -> st.SearchStrategy:
    key = VALID_ALIASES.get(name, name)
    if key in allowed and allowed[key]:
        return st.sampled_from(allowed[key])
    if name == "year":
        return st.integers(2016, 2025).map(str)
    if name == "years":
        return st.tuples(st.integers(2016, 2025), st.integers(0, 4)).map(lambda t: f"{t[0]}-{t[0] + t[1]}")
    if name == "proxy":
        return st.sampled_from(["true", "false", "1", "0"])
    if name == "format":
        return st.sampled_from(["json", "csv"])
    sch = spec.get("schema", {})
    if sch.get("type") == "integer":
        return st.integers(sch.get("minimum", 1), sch.get("maximum", 1000)).map(str)
    return st.sampled_from(["x"])


@st.composite
def requests(draw, endpoints, allowed):
    path = draw(st.sampled_from(sorted(endpoints)))
    specs = {p["name"]: p for p in endpoints[path]}
    params = {}
    for name in draw(st.lists(st.sampled_from(sorted(specs)), unique=True, max_size=len(specs))) if specs else []:
        params[name] = draw(st.one_of(_valid(name, specs[name], allowed), GARBAGE) if draw(st.booleans())
                            else _valid(name, specs[name], allowed))
    extra = None
    if draw(st.integers(0, 9)) == 0:  # now and then a parameter the endpoint does not declare
        extra = draw(st.sampled_from(["venu", "yaer", "n_boot", "min_cell", "x", "from_"]))
        params[extra] = draw(GARBAGE)
    return path, params, extra


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fuzz_every_endpoint_and_parameter(api):
    client, endpoints, allowed = api
    assert {"/api/shares", "/api/flows", "/api/retention", "/api/cohort", "/api/trend",
            "/api/institutions"} <= set(endpoints)
    seen: dict[int, int] = {}

    @hsettings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(requests(endpoints, allowed))
    def run(req):
        path, params, extra = req
        t = time.monotonic()
        r = client.get(path, params=params)
        took = time.monotonic() - t
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert took < SECONDS, (path, params, took)
        if extra is not None:  # never silently ignored
            assert r.status_code == 422 and extra in {d["loc"][-1] for d in r.json()["detail"]}, (path, params)
        assert r.status_code in (200, 422, 503), (path, params, r.status_code, r.text[:300])
        ctype = r.headers.get("content-type", "")
        if r.status_code == 200 and params.get("format") == "csv":
            assert ctype.startswith("text/csv"), (path, params, ctype)
            return
        assert ctype.startswith("application/json"), (path, params, ctype)
        body = r.json()
        if r.status_code == 422:
            # names a parameter that was sent, or one the endpoint needs (cohort: a year)
            named = {str(k)[:100] for k in params} | {p["name"] for p in endpoints[path]}
            assert any(str(d["loc"][-1]) in named for d in body["detail"]), (path, params, body)
            assert len(r.text) < 20_000  # a long value is not echoed back whole
        elif r.status_code == 503:
            assert path == "/api/indicators" and body["detail"], (path, params, body)  # no indicators here
        else:
            assert "rows" in body or "allowed" in body

    run()
    assert seen.get(200, 0) > 50 and seen.get(422, 0) > 50, seen  # both sides of the bounds were exercised
