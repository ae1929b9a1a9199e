"""Metrics: query validation, fixture answers, property tests (hypothesis), CLI, and the real mirror."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careers_fixtures import careers_engine, run_careers
from talentflow.engine.duck import DuckEngine
from talentflow.errors import UnknownValue
from talentflow.metrics import ALLOWED, MetricQuery, cohort, flows, institutions, person, retention, shares, trend
from talentflow.metrics.bootstrap import boot_counts


@pytest.fixture(scope="module")
def eng():
    e = careers_engine()
    run_careers(e)
    yield e
    e.close()


def test_query_validation_lists_allowed_values():
    with pytest.raises(UnknownValue) as ei:
        MetricQuery(tier="poster")
    assert ei.value.allowed == ALLOWED["tier"] == ["accepted", "spotlight", "oral"]
    with pytest.raises(UnknownValue, match="nips"):
        MetricQuery(venue="nipz")
    with pytest.raises(UnknownValue):
        MetricQuery(attribution="passport")
    with pytest.raises(UnknownValue):
        MetricQuery(country="ZZ")
    assert MetricQuery(country="us").country == "US"
    assert {"venue", "tier", "subfield", "sector", "attribution", "country", "stage", "by"} <= set(ALLOWED.keys())
    assert "generative_ai" in ALLOWED["subfield"] and "nips" in ALLOWED["venue"]


def test_shares_fixture(eng):
    q = MetricQuery(venue="nips", year=2022)
    work = {r["country"]: r for r in shares(eng, q, "work", n_boot=200, seed=1)}
    # Ann (GB, observed), Bob (DE, observed); Cat's US value is a proxy (position unknown): not estimated.
    assert {c: r["count"] for c, r in work.items()} == {"DE": 1, "GB": 1}
    r = work["GB"]
    assert (r["n"], r["n_people"], r["n_observed"], r["n_proxy"], r["n_unknown"]) == (2, 4, 2, 1, 1)
    hq = {r["country"]: r["count"] for r in shares(eng, MetricQuery(venue="nips", year=2022, attribution="hq"),
                                                   "work", n_boot=0)}
    assert hq == {"DE": 1, "US": 1}
    with_proxy = shares(eng, MetricQuery(venue="nips", year=2022, include_proxy=True), "work", n_boot=0)
    assert sum(r["count"] for r in with_proxy) == 3 and sum(r["count_proxy"] for r in with_proxy) == 1
    origin = {r["country"]: r for r in shares(eng, q, "origin", n_boot=0)}
    assert list(origin) == ["CN"] and origin["CN"]["n_proxy"] == 2  # Bob and Dan: proxy origins counted apart
    oral = shares(eng, MetricQuery(venue="nips", year=2022, tier="oral"), "current", n_boot=0)
    assert sum(r["count"] for r in oral) == 2  # Ann and Bob on the oral paper p3
    llm = shares(eng, MetricQuery(venue="nips", year=2022, subfield="llm"), "current", n_boot=0)  # a flag
    assert {r["country"]: r["count"] for r in llm} == {"GB": 1, "DE": 1}
    vision = shares(eng, MetricQuery(venue="nips", year=2022, subfield="vision"), "current", n_boot=0)
    assert sum(r["count"] for r in vision) == 2  # Cat and Dan on p6


def test_other_metrics_fixture(eng):
    q = MetricQuery(venue="nips", year=2022, include_proxy=True)
    fl = flows(eng, q, "origin", "work", n_boot=100)
    assert {(r["from_country"], r["to_country"]): r["count"] for r in fl} == {("CN", "GB"): 1, ("GB", "DE"): 1}
    ret = {r["country"]: r for r in retention(eng, q, frm="origin", n_boot=100)}
    assert ret["CN"]["outflow"] == 1 and ret["DE"]["inflow"] == 1 and ret["CN"]["share"] == 0
    co = {r["whereabouts"]: r["count"] for r in cohort(eng, MetricQuery(venue="nips", year=2022), n_boot=50)}
    # Bob appears later (ICLR 2023) but unresolved; the others are not seen after 2022.
    assert co == {"not_seen_since": 3, "unresolved": 1}
    tr = trend(eng, MetricQuery(venue="nips"), "current", "US", n_boot=50)
    assert [(r["year"], r["count"]) for r in tr] == [(2018, 0), (2019, 0), (2020, 1), (2021, 0), (2022, 1)]
    inst = institutions(eng, MetricQuery(venue="nips", year=2022), "current", n_boot=0)
    assert [(r["rank"], r["institution"], r["count"]) for r in inst][:2] == \
        [(1, "Google London", 1), (2, "Peking University", 1)]  # ties broken by name
    rows = person(eng, "~Ann_Li1")
    assert [r["year"] for r in rows if r["kind"] == "event"] == [2018, 2020, 2022]
    assert not any("email" in k for r in rows for k in r)
    with pytest.raises(UnknownValue):
        person(eng, "~Nobody1")


# ---- property tests on random populations ------------------------------------------------------------------
COUNTRIES = ["US", "CN", "GB", None]
BASES = ["observed", "proxy", "unknown"]
unit = st.tuples(st.integers(0, 15), st.sampled_from(COUNTRIES), st.sampled_from(BASES), st.sampled_from(COUNTRIES),
                 st.sampled_from(BASES), st.sampled_from(COUNTRIES), st.integers(2019, 2024))


def population_engine(units) -> DuckEngine:
    """metric_base and person_last_seen for random units: (paper, origin, origin_basis, work, work_basis,
    last_country, last_year)."""
    from talentflow.metrics.stage import build_base  # noqa: F401  (columns mirrored below)

    e = DuckEngine(":memory:")
    rows = []
    for i, (paper, oc, ob, wc, wb, lc, ly) in enumerate(units):
        ob = "unknown" if oc is None else ob if ob != "unknown" else "observed"
        wb = "unknown" if wc is None else wb if wb != "unknown" else "observed"
        rows.append((f"u{i}", f"p{paper}", oc, ob, wc, wb, wc, lc, ly))
    e.execute("""CREATE TABLE _u (person_key VARCHAR, paper_id VARCHAR, origin_country VARCHAR,
                 origin_basis VARCHAR, work_country VARCHAR, work_basis VARCHAR, current_country VARCHAR,
                 last_country VARCHAR, last_year INTEGER)""")
    e.con.executemany("INSERT INTO _u VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    e.execute("""CREATE TABLE metric_base AS SELECT person_key, 'nips' AS venue, 2019 AS year, paper_id,
                 1 AS author_order, 1 AS tier_rank, 'other' AS subfield, []::VARCHAR[] AS flags, r.rule,
                 current_country,
                 current_country AS current_institution_id, current_country AS current_institution_name,
                 'academia' AS current_sector, NULL AS current_position,
                 origin_country, origin_country AS origin_institution_id, origin_country AS origin_institution_name,
                 origin_basis, 'undergrad' AS origin_stage_rule, 2015 AS origin_stage_year,
                 work_country AS graduate_country, NULL AS graduate_institution_id, NULL AS graduate_institution_name,
                 work_basis AS graduate_basis, 'phd' AS graduate_stage_rule, 2017 AS graduate_stage_year,
                 'academia' AS graduate_sector, work_country, NULL AS work_institution_id,
                 NULL AS work_institution_name, work_basis, 'non_student' AS work_stage_rule,
                 2019 AS work_stage_year, 'academia' AS work_sector,
                 CASE WHEN hash(person_key) % 3 = 0 THEN 'openreview_profile' ELSE 'paper' END AS origin_source,
                 'paper' AS graduate_source, 'paper' AS work_source
                 FROM _u, (SELECT unnest(['location', 'hq']) AS rule) r""")
    e.execute("""CREATE TABLE person_last_seen AS SELECT person_key, r.rule, last_year,
                 CASE WHEN last_country IS NULL THEN NULL ELSE last_year END AS last_located_year,
                 last_country, NULL AS last_institution_name
                 FROM _u, (SELECT unnest(['location', 'hq']) AS rule) r""")
    return e


PROP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROP
@given(st.lists(unit, min_size=1, max_size=60), st.booleans(), st.integers(0, 3))
def test_shares_sum_to_one_and_intervals_contain_estimate(units, proxy, min_cell):
    with population_engine(units) as e:
        q = MetricQuery(venue="nips", year=2019, include_proxy=proxy)
        for stage in ("origin", "work", "current"):
            rows = shares(e, q, stage, n_boot=60, seed=3, min_cell=min_cell)
            if rows:
                assert abs(sum(r["share"] for r in rows) - 1) < 1e-9
                assert sum(r["count"] for r in rows) == rows[0]["n"]
                assert rows[0]["n_observed"] + rows[0]["n_proxy"] + rows[0]["n_unknown"] == rows[0]["n_people"]
            for r in rows:
                assert 0 <= r["ci_low"] <= r["share"] <= r["ci_high"] <= 1


@PROP
@given(st.lists(unit, min_size=1, max_size=60), st.booleans())
def test_flows_agree_with_shares(units, proxy):
    with population_engine(units) as e:
        q = MetricQuery(venue="nips", year=2019, include_proxy=proxy)
        fl = flows(e, q, "origin", "work", n_boot=30)
        # Row sums are the origin counts of people whose work is known; column sums the work counts of people
        # whose origin is known; row shares sum to 1.
        known = [u for u in population_rows(units) if included(u[1], proxy) and included(u[3], proxy)]
        rows: dict = {}
        for r in fl:
            rows.setdefault(r["from_country"], []).append(r)
        for c, rs in rows.items():
            assert sum(r["count"] for r in rs) == rs[0]["n"] == sum(1 for u in known if u[0] == c)
            assert abs(sum(r["share"] for r in rs) - 1) < 1e-9
        total_work = {}
        for r in fl:
            total_work[r["to_country"]] = total_work.get(r["to_country"], 0) + r["count"]
        assert total_work == {c: sum(1 for u in known if u[2] == c) for c in {u[2] for u in known}}
        # and against shares: with every origin known the row totals are the origin shares' counts
        if all(included(u[1], proxy) for u in population_rows(units)):
            sh = {r["country"]: r["count"] for r in shares(e, q, "origin", n_boot=0)}
            assert {c: rs[0]["n"] for c, rs in rows.items()} == {c: n for c, n in sh.items() if c in rows} or \
                any(not included(u[3], proxy) for u in population_rows(units))


def population_rows(units):
    out = []
    for (_, oc, ob, wc, wb, _, _) in units:
        ob = "unknown" if oc is None else ob if ob != "unknown" else "observed"
        wb = "unknown" if wc is None else wb if wb != "unknown" else "observed"
        out.append((oc, ob, wc, wb))
    return out


def included(basis, proxy):
    return basis == "observed" or (proxy and basis == "proxy")


@PROP
@given(st.lists(unit, min_size=1, max_size=60))
def test_cohort_counts_add_up(units):
    with population_engine(units) as e:
        rows = cohort(e, MetricQuery(venue="nips", year=2019), n_boot=30)
        assert sum(r["count"] for r in rows) == len(units) == rows[0]["n"]
        assert abs(sum(r["share"] for r in rows) - 1) < 1e-9
        seen_later = sum(1 for u in units if u[6] > 2019)
        assert sum(r["count"] for r in rows if r["whereabouts"] != "not_seen_since") == seen_later


def test_bootstrap_is_seeded_and_clustered():
    cl = np.repeat(np.arange(50), 4)  # 50 papers of 4 authors, same category within a paper
    cat = np.repeat(np.arange(50) % 2, 4)
    a, b = boot_counts(cl, cat, 2, 500, 7), boot_counts(cl, cat, 2, 500, 7)
    assert (a == b).all() and (a[:, :2].sum(axis=1) == 200).all()
    # clustered resampling keeps whole papers: counts move in steps of 4
    assert (a[:, 0] % 4 == 0).all()
    people = boot_counts(np.arange(200), cat, 2, 500, 7)
    assert a[:, 0].std() > people[:, 0].std()  # clustering widens the interval, as it should


@pytest.mark.mirror
def test_mirror_metrics(mirror_engine):
    q = MetricQuery(venue="nips", year=2022, attribution="hq")
    for stage in ("origin", "graduate", "work", "current"):
        rows = shares(mirror_engine, q, stage, n_boot=100, seed=1)
        if rows:
            assert abs(sum(r["share"] for r in rows) - 1) < 1e-9
            assert all(r["ci_low"] <= r["share"] <= r["ci_high"] for r in rows)
    assert mirror_engine.scalar("SELECT count(*) FROM metric_base WHERE venue = 'nips' AND year = 2022") > 10_000
    assert mirror_engine.table_exists("metric_shares") and mirror_engine.table_exists("person_last_seen")


@pytest.mark.mirror
def test_mirror_cli_json(mirror_settings):
    from typer.testing import CliRunner

    from talentflow.cli.main import app

    res = CliRunner().invoke(app, ["--db", str(mirror_settings.db_path), "shares", "--venue", "nips", "--year",
                                   "2022", "--stage", "current", "--attribution", "hq", "--n-boot", "50",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert isinstance(rows, list)
    for r in rows:
        assert {"country", "share", "count", "ci_low", "ci_high", "n", "n_observed", "n_proxy", "n_unknown"} <= set(r)
    bad = CliRunner().invoke(app, ["--db", str(mirror_settings.db_path), "shares", "--tier", "poster"])
    assert bad.exit_code == 2


def test_normal_approximation_matches_exact(monkeypatch):
    from talentflow.metrics import bootstrap
    from talentflow.metrics.bootstrap import share_intervals

    rng = np.random.default_rng(0)
    cl = rng.integers(0, 30_000, size=90_000)
    cat = np.where(rng.random(90_000) < 0.1, -1, rng.choice(3, size=90_000, p=[0.5, 0.3, 0.2]))
    counts = np.bincount(cat[cat >= 0], minlength=3)
    monkeypatch.setattr(bootstrap, "NORMAL_ABOVE", 10**9)
    lo_x, hi_x = share_intervals(counts, boot_counts(cl, cat, 3, 400, 1))
    monkeypatch.setattr(bootstrap, "NORMAL_ABOVE", 1000)
    lo_n, hi_n = share_intervals(counts, boot_counts(cl, cat, 3, 400, 1))
    assert np.allclose(hi_x - lo_x, hi_n - lo_n, rtol=0.2)
    assert np.allclose((lo_x + hi_x) / 2, (lo_n + hi_n) / 2, atol=0.002)


def test_same_seed_same_intervals(eng):
    q = MetricQuery(venue="nips", year=2022, include_proxy=True)
    a = shares(eng, q, "work", n_boot=300, seed=11)
    b = shares(eng, q, "work", n_boot=300, seed=11)
    assert a == b


@PROP
@given(st.lists(unit, min_size=1, max_size=60))
def test_trend_for_one_country_equals_its_share_row(units):
    with population_engine(units) as e:
        q = MetricQuery(venue="nips")
        all_rows = {r["country"]: r for r in trend(e, q, "current", None, n_boot=80, seed=5)}
        for c in ("US", "CN"):
            one = trend(e, q, "current", c, n_boot=80, seed=5)[0]
            if c in all_rows:
                assert (one["share"], one["count"], one["n"]) == \
                    (all_rows[c]["share"], all_rows[c]["count"], all_rows[c]["n"])
                assert one["ci_low"] <= one["share"] <= one["ci_high"]
            else:
                assert one["count"] == 0


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("metrics-cli") / "t.duckdb"
    e = careers_engine(str(path))
    run_careers(e)
    e.execute("CHECKPOINT")
    e.close()
    return path


@pytest.mark.parametrize("args,key", [
    (["shares", "--venue", "nips", "--year", "2022", "--stage", "current"], "country"),
    (["shares", "--venue", "nips", "--year", "2022", "--stage", "current", "--by", "institution"], "institution"),
    (["flows", "--venue", "nips", "--year", "2022", "--proxy"], "from_country"),
    (["retention", "--venue", "nips", "--year", "2022", "--from", "origin", "--proxy"], "country"),
    (["cohort", "--venue", "nips", "--year", "2022"], "whereabouts"),
    (["trend", "--venue", "nips", "--stage", "current", "--country", "US"], "country"),
    (["institutions", "--venue", "nips", "--year", "2022", "--stage", "current"], "institution"),
])
def test_cli_json_rows(fixture_db, args, key):
    from typer.testing import CliRunner

    from talentflow.cli.main import app

    res = CliRunner().invoke(app, ["--db", str(fixture_db)] + args + ["--n-boot", "50", "--min-cell", "1",
                                                                      "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows and all({key, "share", "count", "ci_low", "ci_high", "n"} <= set(r) for r in rows)
    assert all(0 <= r["share"] <= 1 for r in rows)


CLI_TABLES = [["flows", "--venue", "nips", "--year", "2022", "--proxy"],
              ["retention", "--venue", "nips", "--year", "2022", "--from", "origin", "--proxy"],
              ["shares", "--venue", "nips", "--year", "2022", "--stage", "current"],
              ["trend", "--venue", "nips", "--stage", "current"],
              ["institutions", "--venue", "nips", "--year", "2022", "--stage", "current"],
              ["cohort", "--venue", "nips", "--year", "2022"]]


def _small(rows: list[dict], k: int) -> list:
    from talentflow.report.privacy import NOT_PEOPLE

    return [(c, v) for r in rows for c, v in r.items()
            if isinstance(v, int) and not isinstance(v, bool) and c not in NOT_PEOPLE and 0 < v < k]


@pytest.mark.parametrize("args", CLI_TABLES, ids=lambda a: a[0])
def test_cli_tables_apply_the_published_k_unless_told(fixture_db, args):
    # the CLI printed cells of 1-4 people by default (flows CN→AE = 1, retention outflow 2 / inflow 3)
    from typer.testing import CliRunner

    from talentflow.cli.main import app

    run = CliRunner().invoke
    res = run(app, ["--db", str(fixture_db)] + args + ["--n-boot", "20", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows and not _small(rows, 5), _small(rows, 5)
    for r in rows:
        assert r.get("net") is None or (r["inflow"] is not None and r["outflow"] is not None), r
    low = run(app, ["--db", str(fixture_db)] + args + ["--n-boot", "20", "--format", "json", "--min-cell", "2"])
    assert low.exit_code == 0 and "below the published default" in low.stderr
    assert not _small(json.loads(low.stdout), 2)
    for bad in ("0", "-1"):
        res = run(app, ["--db", str(fixture_db)] + args + ["--min-cell", bad])
        assert res.exit_code == 2 and "at least 1" in res.output and not res.stdout.startswith("[")


def test_cli_fixture_has_small_cells_to_hide(fixture_db):
    # without this the test above could not fail: at k=1 the fixture's tables hold counts of 1-4
    from typer.testing import CliRunner

    from talentflow.cli.main import app

    for args in CLI_TABLES[:2]:
        res = CliRunner().invoke(app, ["--db", str(fixture_db)] + args + ["--n-boot", "1", "--format", "json",
                                                                          "--min-cell", "1"])
        assert _small(json.loads(res.stdout), 5)


def test_serve_refuses_k_below_the_published_default(fixture_db, monkeypatch):
    from typer.testing import CliRunner

    import uvicorn

    from talentflow.cli.main import app

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(kw))
    for k in ("0", "-1", "1", "4"):
        res = CliRunner().invoke(app, ["--db", str(fixture_db), "serve", "--min-cell", k])
        assert res.exit_code == 2 and "--min-cell" in res.output, res.output
    assert not started
    res = CliRunner().invoke(app, ["--db", str(fixture_db), "serve", "--min-cell", "7", "--port", "1"])
    assert res.exit_code == 0 and started == [{"host": "127.0.0.1", "port": 1, "log_level": "warning"}]


def test_cli_person_and_errors(fixture_db):
    from typer.testing import CliRunner

    from talentflow.cli.main import app

    run = CliRunner().invoke
    res = run(app, ["--db", str(fixture_db), "person", "~Ann_Li1", "--format", "json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)) >= 3
    bad = run(app, ["--db", str(fixture_db), "shares", "--attribution", "passport"])
    assert bad.exit_code == 2 and "location" in bad.output
    missing = run(app, ["--db", str(fixture_db.parent / "none.duckdb"), "shares"])
    assert missing.exit_code == 2
    table = run(app, ["--db", str(fixture_db), "shares", "--venue", "nips", "--year", "2022", "--stage", "origin"])
    assert table.exit_code == 0 and "observed values only" in table.output


@pytest.mark.mirror
def test_mirror_materialised_shares_equal_library(mirror_engine, mirror_settings):
    s = mirror_settings
    q = MetricQuery(venue="nips", year=2022, attribution="hq")
    lib = {r["country"]: r for r in shares(mirror_engine, q, "current", "country", s.n_boot, s.seed,
                                           min_cell=s.min_cell)}
    mat = mirror_engine.query_dicts("""SELECT * FROM metric_shares WHERE venue = 'nips' AND year = 2022
        AND tier = 'accepted' AND attribution = 'hq' AND stage = 'current' AND NOT include_proxy""")
    assert mat and len(mat) == len(lib)
    for r in mat:
        assert (r["count"], r["n"]) == (lib[r["country"]]["count"], lib[r["country"]]["n"])
        assert r["ci_low"] == pytest.approx(lib[r["country"]]["ci_low"])
        assert r["ci_high"] == pytest.approx(lib[r["country"]]["ci_high"])


def test_explain_cohort_hides_small_counts_and_says_when_work_is_proxy_only():
    from talentflow.metrics import explain_cohort

    b = {"cohort_year": 2019, "origin": "CN", "work": "US", "people": 5000, "origin_observed": 16,
         "origin_from_history": 0, "origin_match": 9, "origin_and_work_match": 0, "seen_after_cohort_year": 0,
         "work_by_proxy_only": 2}
    text = explain_cohort(b, min_cell=5)
    assert "origin CN: 9" in text and "working in US that year: 0" in text
    assert "The workplace of fewer than 5 of them is in US by proxy only" in text
    assert " 2 " not in text  # the small count itself is never printed
    assert "of them is in US by proxy only" not in explain_cohort({**b, "work_by_proxy_only": 0}, 5)


@pytest.mark.mirror
def test_mirror_cohort_2019_explains_the_proxy_workplace(mirror_engine):
    from talentflow.metrics import cohort_basis, explain_cohort

    b = cohort_basis(mirror_engine, MetricQuery(venue="nips", year=2019), "CN", "US")
    assert b["origin_match"] > 0 and b["origin_and_work_match"] == 0 and b["work_by_proxy_only"] > 0
    assert "by proxy only" in explain_cohort(b, 5)


@pytest.mark.parametrize("count,expected", [
    ("papers", {"GB": (1, 0.5), "DE": (1, 0.5), "US": (1, 0.5), "CN": (1, 0.5)}),  # each of 2 papers counts once
    ("fractional", {"GB": (0.5, 0.25), "DE": (0.5, 0.25), "US": (0.5, 0.25), "CN": (0.5, 0.25)}),
    ("first-author", {"GB": (1, 0.5), "US": (1, 0.5)}),  # p3: Ann (Google London), p6: Cat (Stanford)
    ("last-author", {"DE": (1, 0.5), "CN": (1, 0.5)}),
    ("authorships", {"GB": (1, 0.25), "DE": (1, 0.25), "US": (1, 0.25), "CN": (1, 0.25)}),
])
def test_counting_rules_on_known_papers(eng, count, expected):
    """NeurIPS 2022 accepted papers of the fixture: p3 (Ann at Google London, Bob at TU Munich) and p6 (Cat at
    Stanford, Dan at Peking University); p8 is not accepted. Affiliation on the paper, location rule."""
    rows = shares(eng, MetricQuery(venue="nips", year=2022), "current", count=count, n_boot=200, seed=3)
    got = {r["country"]: (r["count"], r["share"]) for r in rows}
    assert got == pytest.approx(expected) and set(got) == set(expected)
    assert all(r["count_rule"] == count and r["ci_low"] <= r["share"] <= r["ci_high"] for r in rows)
    assert rows[0]["n_units"] == (4 if count == "authorships" else 2)


def test_counting_rules_are_validated(eng):
    from talentflow.errors import UnknownValue

    with pytest.raises(UnknownValue, match="count"):
        shares(eng, MetricQuery(venue="nips"), "current", count="citations")
    with pytest.raises(UnknownValue, match="by"):
        shares(eng, MetricQuery(venue="nips"), "current", by="institution", count="papers")


@pytest.mark.mirror
def test_mirror_cli_counts_papers(mirror_settings, mirror_engine):
    """`shares --count papers --venue nips --year 2024`: papers with at least one author from each country, out
    of the papers with a located author; every accepted paper is a unit."""
    import json

    from typer.testing import CliRunner

    from talentflow.cli.main import app

    res = CliRunner().invoke(app, ["--db", str(mirror_settings.db_path), "shares", "--count", "papers", "--stage",
                                   "current", "--venue", "nips", "--year", "2024", "--n-boot", "200", "--format",
                                   "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    accepted = mirror_engine.scalar("SELECT count(*) FROM paper_tiers WHERE venue = 'nips' AND year = 2024 AND "
                                    "tier_rank >= 1")
    located = mirror_engine.scalar("""SELECT count(DISTINCT paper_id) FROM metric_base WHERE venue = 'nips' AND
                                      year = 2024 AND rule = 'location' AND current_country IS NOT NULL""")
    us = next(r for r in rows if r["country"] == "US")
    assert us["n_units"] == accepted and us["n"] == located < accepted
    assert us["count"] == mirror_engine.scalar("""SELECT count(DISTINCT paper_id) FROM metric_base WHERE
        venue = 'nips' AND year = 2024 AND rule = 'location' AND current_country = 'US'""")
    assert sum(r["share"] for r in rows if r["share"] is not None) > 1  # a paper counts for each of its countries
