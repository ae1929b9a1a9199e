"""The metrics contract (`talentflow.metrics.contract`) is kept by the real library, by the tables the metrics stage
builds and by the report/web tests' stand-in: the same functions and parameters, ALLOWED's parameters,
MetricQuery's fields and the columns of every row type."""

from __future__ import annotations

import dataclasses
import types

import pytest

import fake_metrics
from report_support import synthetic_metric_tables, tiny_settings
from talentflow import metrics
from talentflow.engine import connect
from talentflow.metrics import contract as c
from talentflow.report.privacy import PERSON_FIELDS
from talentflow.report.source import MetricSource, MetricsUnavailable


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    s = tiny_settings(tmp_path_factory.mktemp("contract"))
    synthetic_metric_tables(s.db_path)
    with connect(s, read_only=True) as e:
        yield e


def _calls(lib, eng) -> dict[str, tuple[list[dict], type, str]]:
    q = lib.MetricQuery(venue="nips")
    one = lib.MetricQuery(venue="nips", year=2019)
    fl = lib.flows(eng, q, frm="graduate", to="work", n_boot=5, seed=1)
    return {"shares": (lib.shares(eng, q, stage="work", n_boot=5, seed=1), c.Share, "country"),
            "shares by institution": (lib.shares(eng, q, stage="work", by="institution", n_boot=5, seed=1),
                                      c.Share, "institution"),
            "shares counting papers": (lib.shares(eng, q, stage="current", count="papers", n_boot=5, seed=1),
                                       c.CountedShare, "country"),
            "flows": (fl, c.Flow, "country"),
            "retention_from_flows": (lib.retention_from_flows(fl, q, frm="graduate", to="work"), c.Retention,
                                     "country"),
            "cohort": (lib.cohort(eng, one, n_boot=5, seed=1), c.Cohort, "country"),
            "cohort_basis": ([lib.cohort_basis(eng, one, None, None)], c.CohortBasis, "country"),
            "trend": (lib.trend(eng, q, stage="work", n_boot=5, seed=1), c.Trend, "country"),
            "institutions": (lib.institutions(eng, q, stage="work", limit=5, n_boot=5, seed=1), c.Institution,
                             "country")}


@pytest.mark.parametrize("lib", [metrics, fake_metrics], ids=["library", "stand-in"])
def test_a_library_keeps_the_contract(lib, eng):
    assert c.problems(lib) == []
    assert tuple(f.name for f in dataclasses.fields(lib.MetricQuery)) == c.QUERY_FIELDS
    for what, (rows, row_type, by) in _calls(lib, eng).items():
        assert rows, what
        want = set(c.columns(row_type, by))
        for r in rows:
            extra = set(r) - want
            assert want <= set(r) and extra <= PERSON_FIELDS, (what, want - set(r), extra)
    assert lib.explain_cohort(lib.cohort_basis(eng, lib.MetricQuery(venue="nips", year=2019)), 5)


def test_a_stand_in_that_departs_from_the_contract_is_refused_naming_how():
    lib = types.SimpleNamespace(**{k: getattr(fake_metrics, k) for k in dir(fake_metrics) if not k.startswith("_")})
    del lib.retention_from_flows
    lib.flows = lambda eng, q, frm="origin", n_boot=0, seed=0: []
    with pytest.raises(MetricsUnavailable, match="flows takes no to; no function retention_from_flows"):
        MetricSource(metrics=lib)
    lib = types.SimpleNamespace(**{**vars(lib), "retention_from_flows": fake_metrics.retention_from_flows,
                                   "flows": fake_metrics.flows, "ALLOWED": {"venue": []}})
    with pytest.raises(MetricsUnavailable, match="ALLOWED lists"):
        MetricSource(metrics=lib)


def test_the_metric_tables_have_the_contracts_columns(tmp_path):
    """The metrics stage's tables, built from a fixture mirror, column for column."""
    from conftest import fixture_settings
    from talentflow.pipeline import build

    papers = [{"id": f"P{i}", "title": f"Paper {i}", "status": "Poster", "author": "Ann Lee;Bob Ray",
               "aff": "MIT;Tsinghua University", "aff_domain": "mit.edu;tsinghua.edu.cn"} for i in range(4)]
    s = fixture_settings(tmp_path, {"nips/nips2022.json.gz": papers}, n_boot=5)
    build(s)
    with connect(s, read_only=True) as e:
        for table, cols in c.TABLES.items():
            got = tuple(n for n, in e.query("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                            "ORDER BY ordinal_position", [table]))
            assert got == cols, table
