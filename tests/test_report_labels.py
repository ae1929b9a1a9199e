"""Human labels and the country palette: every code in use has a label, no label is unused, names are neutral,
colours are fixed per country and the suppressed pool is grey, last and named."""

import json
import re

import fake_metrics
from talentflow.report import charts as ch
from talentflow.report import labels as lb
from talentflow.report.privacy import SUPPRESSED
from talentflow.report.source import Filters, MetricSource


def test_every_code_has_a_label_and_every_label_a_code():
    report = lb.unlabelled()
    assert not any(report.values()), {k: v for k, v in report.items() if v}


def test_labels_in_words():
    assert lb.venue("nips") == "NeurIPS" and lb.subfield("generative_ai") == "Generative AI"
    assert (lb.country("HK"), lb.country("TW"), lb.country("MO")) == ("Hong Kong", "Taiwan", "Macao")
    assert lb.country("KR") == "South Korea" and lb.country(SUPPRESSED) == "Other (small countries)"
    assert all("," not in lb.country(c) for c in ("CD", "IR", "VN", "BO", "TZ"))
    assert lb.pct(0.8437) == "84.4%" and lb.pct(None) == "–"
    assert lb.describe(Filters(venue="nips", year=2022, tier="accepted", attribution="hq")) == \
        "NeurIPS 2022 · accepted papers · headquarters rule"
    assert lb.describe(Filters(years=(2019, 2024), subfield="generative_ai")) == \
        "All venues · 2019–2024 · accepted papers · Generative AI · location rule"
    assert lb.query_string(Filters(venue="nips", years=(2019, 2022)), "work") == "stage=work&venue=nips&years=2019-2022"


def test_one_colour_per_country_everywhere():
    codes = [c for c in lb.table("countries")] + ["US", "CN", "ZZ", "FR"]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", lb.country_colour(c)) for c in codes)
    assert lb.country_colour("CN") != lb.country_colour("US")
    grey = lb.country_colour(SUPPRESSED)
    assert grey not in {lb.country_colour(c) for c in ("US", "CN", "GB", "IN", "DE", "ZZ", "BR", "NG")}
    src = MetricSource(5, 20, 0, metrics=fake_metrics)
    f = Filters(venue="nips", year=2022)
    bars = ch.share_bars("a", "t", src.shares(None, f, "origin"))
    trend = ch.trend_lines("b", "t", src.trend(None, Filters(), "origin"))
    sank = ch.sankey("s", "t", [("origin", "graduate", src.flows(None, f, "origin", "graduate"))])

    def colours(spec):  # label → colour from every scale with a domain and range in the spec
        out = {}
        for m in re.finditer(r'"domain": (\[[^\]]*\]), "range": (\[[^\]]*\])', json.dumps(spec)):
            out.update(zip(json.loads(m.group(1)), json.loads(m.group(2))))
        return out
    a, b = colours(bars.spec), colours(trend.spec)
    assert a["China"] == b["China"] == lb.country_colour("CN") and a["United States"] == b["United States"]
    node = sank.spec["data"][0]["node"]
    china = [node["color"][i] for i, x in enumerate(node["label"]) if x.startswith("China (")]
    assert len(china) == 2 and set(china) == {lb.country_colour("CN")}  # the same colour at both stages
    # The pool: grey, last, named.
    assert list(a)[-1] == "Other (small countries)" and a["Other (small countries)"] == grey
    col0 = [x for x, xpos in zip(node["label"], node["x"]) if xpos < 0.5]
    assert all("Other" not in x for x in col0[:-1])


def test_trend_lines_break_at_suppressed_years():
    rows = [{"year": y, "country": c, "share": 0.3, "count": 50, "n": 200, "ci_low": 0.25, "ci_high": 0.35}
            for y in (2019, 2020, 2021, 2022) for c in ("CN", "US") if not (c == "CN" and y == 2020)]
    t = ch.trend_lines("t", "t", rows)
    vals = t.spec["data"]["values"] if "data" in t.spec else next(iter(t.spec["datasets"].values()))
    gap = [v for v in vals if v["label"] == "China" and v["year"] == 2020]
    assert gap and gap[0]["share_pct"] is None  # a null point, not a bridged line
    assert "break-paths" in json.dumps(t.spec)
    assert any("Gaps" in s for s in t.subtitle) and "suppressed / none" in json.dumps(t.table)
    svg = ch.static_images(t, ("svg",))["svg"].decode()
    china = re.search(r'line mark" d="([^"]+)" stroke="%s"' % lb.country_colour("CN"), svg).group(1)
    us = re.search(r'line mark" d="([^"]+)" stroke="%s"' % lb.country_colour("US"), svg).group(1)
    assert china.count("M") == 2 and us.count("M") == 1  # drawn in two pieces around 2020


def test_zero_of_zero_is_no_estimate():
    rows = [{"year": y, "country": "CN", "share": 0.0 if y < 2021 else 0.2, "count": 0 if y < 2021 else 80,
             "n": 0 if y < 2021 else 400} for y in range(1990, 2025)]
    t = ch.trend_lines("t", "t", rows)
    assert [r[0] for r in t.table["rows"]] == ["2021", "2022", "2023", "2024"]  # no run of 0% before the data
    assert ch.share_bars("b", "t", [{"country": "CN", "share": 0.0, "count": 0, "n": 0}]).empty


def test_empty_chart_explains_instead_of_drawing():
    c = ch.share_bars("e", "Workplace · NeurIPS 2019", [])
    assert c.empty and "publication threshold" in c.empty and not c.spec
    assert ch.sankey("s", "t", []).empty and ch.ranking_bars("r", "t", []).empty
    assert ch.static_images(c) == {}


def test_exported_image_carries_title_n_and_source():
    src = MetricSource(5, 20, 0, metrics=fake_metrics)
    c = ch.share_bars("a", "Undergraduate origin · NeurIPS 2022 · accepted papers · location rule",
                      src.shares(None, Filters(venue="nips", year=2022), "origin"), stage="origin")
    ch.caption(c, "Data: papercopilot/paperlists (none stated; 1 file); JetBrains/swot (MIT; 5 files)")
    svg = ch.static_images(c, ("svg",))["svg"].decode()
    for text in ("Undergraduate origin", "n = ", "Source: talentflow, from papercopilot/paperlists", "China"):
        assert text in svg, text
    assert re.search(r">\d+\.\d%<", svg)  # value labels on the bars
    assert c.spec["width"] == "container" and ch.for_export(c.spec)["width"] == ch.EXPORT_WIDTH


def test_every_metric_column_has_a_header_in_words():
    """The metrics library's rows (every kind the CLI, report and dashboard show) have a header for every column,
    and every view names columns that exist or have a header."""
    from careers_fixtures import careers_engine, run_careers
    from talentflow import metrics
    from talentflow.metrics import MetricQuery
    from talentflow.report import tables as tb

    e = careers_engine()
    run_careers(e)
    q = MetricQuery(venue="nips", year=2022)
    fl = metrics.flows(e, q, "origin", "work", n_boot=5)
    kinds = {"shares": metrics.shares(e, q, "current", n_boot=5), "flows": fl,
             "retention": metrics.retention_from_flows(fl, q, None, frm="origin"),
             "cohort": metrics.cohort(e, q, n_boot=5), "trend": metrics.trend(e, MetricQuery(venue="nips"), "current",
                                                                              n_boot=5),
             "institutions": metrics.institutions(e, q, "current", n_boot=5)}
    cols = lb.table("columns")
    missing = {kind: sorted(k for k in tb.all_keys(rows) if k not in cols) for kind, rows in kinds.items()}
    assert all(rows for rows in kinds.values()) and not any(missing.values()), missing
    for kind, rows in kinds.items():  # every column of the view is shown for these rows
        want = [k for k in lb.views()[kind]["columns"] if k in (tb.CI, tb.COVERAGE) or k in rows[0]]
        assert [c.key for c in tb.short(rows, kind)] == want
    for name, v in lb.views().items():
        heads = v.get("headers", {})
        assert set(heads) <= set(v["columns"]) | set(cols), (name, set(heads) - set(v["columns"]) - set(cols))
        unknown = [k for k in v["columns"] if k not in cols and k not in heads and k not in (tb.CI, tb.COVERAGE)
                   and " " not in k and k not in {c for rows in kinds.values() for c in tb.all_keys(rows)}]
        # columns of non-metric tables fall back to their name in words ("first_year" → "First year")
        assert all(lb.column(k)[0].isupper() for k in unknown), (name, unknown)


def test_cells_in_words():
    from talentflow.report import tables as tb

    row = {"country": "CN", "share": 0.8437, "ci_low": 0.431, "ci_high": 0.452, "count": 1234, "n": 2000,
           "n_people": 4000, "n_observed": 2000, "year": 2022, "rule": "hq", "stage": "work", "suppressed": False}
    assert [tb.cell(row, k) for k in ("country", "share", "ci", "count", "coverage", "year", "rule", "stage")] == \
        ["China", "84.4%", "43.1–45.2%", "1,234", "50.0%", "2022", "headquarters rule", "Workplace"]
    assert tb.cell(row, "suppressed") == "no"
    hidden = {**row, "country": SUPPRESSED, "share": None, "ci_low": None, "ci_high": None, "count": None,
              "stage": None, "suppressed": True}
    assert [tb.cell(hidden, k) for k in ("country", "share", "ci", "count", "stage")] == \
        ["Other (small countries)", "suppressed", "suppressed", "suppressed", "–"]
    assert tb.cell({**row, "n": 0, "share": 0.0}, "share") == "–"  # 0 of 0 people is no estimate
    assert lb.column("n", "shares") == "Out of" and lb.column("share", "retention") == "Stay rate"
    assert lb.column("pct_with_country") == "% with a country" and lb.column("first_year") == "First year"
