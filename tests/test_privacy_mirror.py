"""Integration: the privacy rule over a build of the real mirror, where the holes were found (retention's net
gave back a suppressed inflow of 3 people, IL at nips 2022; the CLI printed flows CN→AE = 1 and a retention
outflow of 2 / inflow of 3 by default). The published numbers are audited against the true flow matrix with
tests/privacy_audit.py, which shares no code with the solver."""

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from privacy_audit import FlowAtoms, check_flows, check_retention, flow_matrix
from talentflow.cli.main import app
from talentflow.report.privacy import NOT_PEOPLE
from talentflow.web.app import create_app

pytestmark = pytest.mark.mirror
QUERY = ["--venue", "nips", "--year", "2022", "--n-boot", "1", "--format", "json"]


def _small(rows, k):
    return [(r.get("country") or r.get("from_country"), c, v) for r in rows for c, v in r.items()
            if isinstance(v, int) and not isinstance(v, bool) and c not in NOT_PEOPLE and 0 < v < k]


def _cli(settings, *args) -> list[dict]:
    res = CliRunner().invoke(app, ["--db", str(settings.db_path), *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_api_retention_gives_no_small_count_back(mirror_settings):
    k = mirror_settings.min_cell
    with TestClient(create_app(mirror_settings)) as c:
        out = c.get("/api/retention", params={"venue": "nips", "year": 2022}).json()["rows"]
        src, eng = c.app.state.source, c.app.state.engine
        raw = src.m.flows(eng, src.query(src.filters(venue="nips", year=2022)), frm="graduate", to="work", n_boot=0)
    f, names, cov = flow_matrix(raw)
    assert out and not _small(out, k)
    check_retention(out, FlowAtoms(f, *cov, k), names)


@pytest.mark.parametrize("frm", ["origin", "graduate"])
def test_cli_flows_and_retention_give_no_small_count_back(mirror_settings, frm):
    k = mirror_settings.min_cell
    raw = _cli(mirror_settings, "flows", "--from", frm, *QUERY, "--min-cell", "1")  # k = 1: the library's rows
    assert _small(raw, k)  # there are small cells to hide (origin → work: CN→AE = 1)
    f, names, cov = flow_matrix(raw)
    flows = _cli(mirror_settings, "flows", "--from", frm, *QUERY)
    assert flows and not _small(flows, k)
    check_flows(flows, FlowAtoms(f, *cov, k), names, f)
    ret = _cli(mirror_settings, "retention", "--from", frm, *QUERY)
    assert ret and not _small(ret, k)
    check_retention(ret, FlowAtoms(f, *cov, k), names)
