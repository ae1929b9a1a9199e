"""The API's bounds, with the real metrics library over synthetic metric tables: unknown parameters answer 422
listing the accepted ones, values out of bounds 422 naming the parameter before any work, and a request that runs
too long a 503 JSON error while its query is interrupted."""

from __future__ import annotations

import threading
import time
import tracemalloc
import types

import duckdb
import pytest
from fastapi.testclient import TestClient

import talentflow.metrics as real_metrics
from report_support import synthetic_metric_tables, tiny_settings
from talentflow.web.app import create_app

ENDPOINTS = ["/api/shares", "/api/flows", "/api/retention", "/api/cohort", "/api/trend", "/api/institutions",
             "/api/indicators", "/api/allowed"]


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    s = tiny_settings(tmp_path_factory.mktemp("apilimits"))
    synthetic_metric_tables(s.db_path)
    return s


@pytest.fixture(scope="module")
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


def test_a_misspelt_parameter_answers_422_listing_the_accepted_ones(client):
    r = client.get("/api/shares", params={"venu": "nips"})  # was ignored: the answer was for every venue
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"
    (d,) = r.json()["detail"]
    assert d["loc"] == ["query", "venu"] and "'venue'" in d["msg"]
    assert {"venue", "year", "years", "stage", "by", "format"} <= set(d["allowed"])
    assert client.get("/api/shares", params={"venue": "nips"}).status_code == 200


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_refuses_an_unknown_parameter(client, path):
    r = client.get(path, params={"nonsense": "1"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["query", "nonsense"]


def test_the_dashboard_keeps_its_query_links(client):
    assert client.get("/", params={"venue": "nips", "stage": "work"}).status_code == 200


@pytest.mark.parametrize("params,param", [({"years": "1-100000000"}, "years"), ({"years": "1980-3000000"}, "years"),
                                          ({"year": "99999999999"}, "year"), ({"year": "1979"}, "year"),
                                          ({"venue": "n" * 5000}, "venue"), ({"stage": "w" * 500}, "stage"),
                                          ({"country": "U" * 200}, "country")])
def test_values_out_of_bounds_answer_422_before_any_work(client, params, param):
    tracemalloc.start()
    t = time.monotonic()
    r = client.get("/api/shares", params=params)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", param]
    assert time.monotonic() - t < 1 and peak < 8 << 20, peak  # 1-100000000 took 17.7 s and 5.9 GB
    assert len(r.text) < 2000  # the value is not echoed in full


# ---- time limit -------------------------------------------------------------------------------------------
def _slow_metrics(kind: str, finished: dict):
    """The real library, but `shares` first runs a query that takes minutes (kind 'sql', interruptible), or
    sleeps in Python (kind 'python', not interruptible)."""

    def shares(eng, q, *a, **kw):
        try:
            if kind == "sql":
                eng.query("SELECT count(*) FROM range(100000000000) a WHERE hash(a.range) % 7 = 1")
            else:
                time.sleep(3)
            return real_metrics.shares(eng, q, *a, **kw)
        except Exception as e:
            finished["error"] = type(e).__name__
            raise
        finally:
            finished["at"] = time.monotonic()

    m = types.SimpleNamespace(**{k: getattr(real_metrics, k) for k in real_metrics.__all__})
    m.shares = shares
    return m


@pytest.mark.parametrize("kind", ["sql", "python"])
def test_a_request_over_the_time_limit_answers_503_and_its_query_stops(settings, kind):
    finished: dict = {}
    with TestClient(create_app(settings, metrics=_slow_metrics(kind, finished), request_timeout=1)) as c:
        t = time.monotonic()
        r = c.get("/api/shares", params={"venue": "nips"})
        took = time.monotonic() - t
        assert r.status_code == 503 and r.headers["content-type"] == "application/json", r.text
        assert "longer than 1 s" in r.json()["detail"] and took < 3
        assert c.get("/api/allowed").status_code == 200  # the server goes on answering
        while "at" not in finished and time.monotonic() - t < 10:
            time.sleep(0.05)
        if kind == "sql":  # interrupted at once, not left running for minutes
            assert finished.get("error") == duckdb.InterruptException.__name__
            assert finished["at"] - t < 3
        else:  # the Python work ran on, but the request ran no query after its time was up
            assert finished.get("error") == "RequestTimeout"
        r = c.get("/api/flows", params={"venue": "nips"})  # other queries run normally afterwards
        assert r.status_code == 200


def test_concurrent_requests_are_not_interrupted_by_another_ones_timeout(settings):
    finished: dict = {}
    app = create_app(settings, metrics=_slow_metrics("sql", finished), request_timeout=1.5)
    with TestClient(app) as c:
        out = {}

        def slow():
            out["slow"] = c.get("/api/shares", params={"venue": "nips"}).status_code

        th = threading.Thread(target=slow)
        th.start()
        time.sleep(0.3)
        for _ in range(5):  # the fast ones share the database while the slow one is interrupted
            assert c.get("/api/flows", params={"venue": "icml", "year": 2019}).status_code == 200
        th.join(10)
        assert out["slow"] == 503


def test_shutdown_waits_for_a_stopped_request_then_closes_the_database(settings):
    from report_support import LoopbackServer
    import requests

    finished: dict = {}
    srv = LoopbackServer(create_app(settings, metrics=_slow_metrics("python", finished), request_timeout=0.5))
    srv.start()
    try:
        r = requests.get(f"{srv.url}/api/shares", params={"venue": "nips"}, timeout=10)
        assert r.status_code == 503 and r.json()["timeout_seconds"] == 0.5
        assert "at" not in finished  # still sleeping when the server is asked to stop
    finally:
        srv.stop()
    assert not srv.thread.is_alive() and finished.get("error") == "RequestTimeout"


def test_the_dashboards_csv_links_name_only_parameters_their_endpoint_takes(client):
    import html
    import re

    page = client.get("/fragment/charts", params={"venue": "nips", "years": "2019-2022", "stage": "work",
                                                  "tier": "accepted", "proxy": "false"}).text
    links = {html.unescape(u) for u in re.findall(r'href="(/api/[^"]+)"', page)}
    assert {u.split("?")[0] for u in links} >= {"/api/shares", "/api/flows", "/api/trend", "/api/institutions"}
    for u in links:
        r = client.get(u)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), (u, r.text[:300])


@pytest.mark.mirror
def test_mirror_api_refuses_huge_ranges_at_once_and_answers_real_ones(mirror_settings):
    with TestClient(create_app(mirror_settings)) as c:
        t = time.monotonic()
        r = c.get("/api/shares", params={"years": "1-100000000"})  # 17.7 s and 5.9 GB before
        assert r.status_code == 422 and time.monotonic() - t < 1
        assert c.get("/api/shares", params={"venu": "nips"}).status_code == 422
        r = c.get("/api/shares", params={"venue": "nips", "years": "2019-2022", "stage": "work"})
        assert r.status_code == 200 and r.json()["rows"]
