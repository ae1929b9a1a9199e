"""Tier 2: HTML assertions on the generated static report (tiny database + the metrics contract)."""

import csv
import html as html_lib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fake_metrics
from report_support import PERSON_MARKERS, tiny_settings
from talentflow.report.privacy import SUPPRESSED
from talentflow.report.site import DASHBOARD, build_report


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src") and v:
                self.refs.append((tag, v))

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    res = build_report(tiny_settings(tmp_path_factory.mktemp("db")), out, country_min=50, metrics=fake_metrics)
    assert not res.errors, res.errors
    return out


def test_headline_numbers_on_the_first_page(site):
    text = " ".join(parse(site / "index.html").text)
    assert "Share of NeurIPS 2022 top-tier researchers with a Chinese undergraduate origin" in text
    assert "Share of NeurIPS 2022 top-tier researchers working in the US" in text
    assert len(re.findall(r"95% CI \d+\.\d% – \d+\.\d%", text)) >= 2
    assert re.search(r"country known for \d+\.\d%", text)  # coverage beside the number


def test_every_page_exists_and_links_resolve_offline(site):
    pages = sorted(site.glob("*.html"))
    names = {p.name for p in pages}
    for need in ("index", "maps", "flows", "trends", "countries", "institutions", "subfields", "tiers", "cohorts",
                 "methodology", "data", "macropolo", "indicators", "country-CN", "country-US"):
        assert f"{need}.html" in names, need
    for page in pages:
        for tag, ref in parse(page).refs:
            if tag == "a" and ref.startswith(DASHBOARD + "?"):
                continue  # a link to the same view in the local dashboard (loopback), not a resource
            assert not re.match(r"^(https?:)?//", ref), f"{page.name}: {tag} {ref} would need the network"
            if ref.startswith("data:"):
                continue
            target = site / ref.split("#")[0]
            assert target.exists(), f"{page.name}: broken link {ref}"


def test_no_script_or_style_from_the_network(site):
    for page in site.glob("*.html"):
        html = page.read_text()
        assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?:", html), page.name
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "plotly.min.js", "world.js",
                 "report.js", "report.css", "LICENSES.txt"):
        assert (site / "static" / name).stat().st_size > 100, name


def test_every_chart_has_csv_svg_png_and_a_provenance_footer(site):
    html = (site / "maps.html").read_text()
    figs = re.findall(r'<figure class="tf-figure" id="fig-([^"]+)">(.*?)</figure>', html, re.S)
    assert len(figs) == 4
    for cid, body in figs:
        for ext in ("csv", "svg", "png"):
            assert f'href="charts/{cid}.{ext}"' in body and (site / "charts" / f"{cid}.{ext}").stat().st_size > 100
        assert "Data: papercopilot/paperlists (none stated" in body
        # an embed snippet: the chart's SVG with its description and source line, ready to paste
        snippet = html_lib.unescape(re.search(r'<details class="tf-embed">.*?<textarea[^>]*>(.*?)</textarea>', body,
                                              re.S).group(1))
        assert snippet.startswith(f'<figure><img src="charts/{cid}.svg" alt="') and "Data: papercopilot" in snippet
    sankey = (site / "flows.html").read_text()
    assert 'data-kind="plotly"' in sankey and 'data-format="svg"' in sankey and 'data-format="png"' in sankey
    assert (site / "charts" / "overview-origin.svg").read_text().startswith("<svg")


def test_privacy_no_small_cells_and_no_person_data_anywhere(site):
    for f in site.rglob("*"):
        if f.suffix in (".html", ".csv", ".svg") and f.is_file():
            text = f.read_text(errors="ignore")
            for m in PERSON_MARKERS:
                assert m not in text, f"{f.name} carries person-level data"
    for f in (site / "charts").glob("*.csv"):
        for row in csv.DictReader(f.open()):
            for k in ("count", "n"):
                v = row.get(k)
                assert not v or float(v) >= 5, f"{f.name}: {k}={v}"
    origin = list(csv.DictReader((site / "charts" / "overview-origin.csv").open()))
    assert SUPPRESSED in {r["country"] for r in origin} and "LU" not in {r["country"] for r in origin}


def test_retention_downloads_never_publish_net_beside_a_hidden_term(site):
    # the cohort page's retention CSV gave a suppressed inflow back through net (BE on the mirror; IL here)
    tables = [f for f in (site / "charts").glob("table-*.csv") if "net" in f.read_text().split("\n")[0]]
    assert tables
    for f in tables:
        for row in csv.DictReader(f.open()):
            assert not row["net"] or (row["inflow"] and row["outflow"]), (f.name, row)
            for k, v in row.items():
                if k in ("count", "n", "outflow", "inflow") and v:
                    assert not 0 < float(v) < 5, (f.name, row)


def test_autoescape(site, tmp_path):
    from talentflow.report.site import environment

    html = environment().from_string("{{ x }}").render(x="<script>alert(1)</script>")
    assert "<script>" not in html


def test_provenance_and_tiers_pages(site):
    data = (site / "data.html").read_text()
    assert "papercopilot/paperlists" in data and "JetBrains/swot" in data and "MIT" in data
    assert "vega" in data and "BSD-3-Clause" in data  # vendored licences listed
    assert "test note" in (site / "tiers.html").read_text()
    mp = (site / "macropolo.html").read_text()
    assert "47" in mp and "talentflow %" in mp


def test_cli_report_min_cell_and_missing_db(tmp_path, monkeypatch):
    from talentflow.cli.main import app

    monkeypatch.setattr("talentflow.report.source.load_metrics", lambda: fake_metrics)
    s = tiny_settings(tmp_path)
    runner = CliRunner()
    for k in ("0", "1", "4"):  # published outputs never go below the published k (5)
        r = runner.invoke(app, ["--db", str(s.db_path), "report", "--out", str(tmp_path / "r0"), "--min-cell", k])
        assert r.exit_code == 2 and "--min-cell" in r.output and not (tmp_path / "r0").exists(), r.output
    r = runner.invoke(app, ["--db", str(s.db_path), "report", "--out", str(tmp_path / "r1"), "--min-cell", "30",
                            "--no-images", "--country-min", "50"])
    assert r.exit_code == 0, r.output
    origin = list(csv.DictReader((tmp_path / "r1" / "charts" / "overview-origin.csv").open()))
    assert "SG" not in {row["country"] for row in origin}  # k=30: 8 researchers are pooled too
    assert all(not row["count"] or int(row["count"]) >= 30 for row in origin)
    assert not (tmp_path / "r1" / "charts" / "overview-origin.svg").exists()
    r = runner.invoke(app, ["--db", str(tmp_path / "none.duckdb"), "report", "--out", str(tmp_path / "r2")])
    assert r.exit_code == 2 and "talentflow build" in r.output


def test_report_without_metrics_still_builds_provenance(tmp_path, monkeypatch):
    import talentflow.report.source as source

    def missing():
        raise source.MetricsUnavailable("The metrics library is not available: test")
    monkeypatch.setattr(source, "load_metrics", missing)
    res = build_report(tiny_settings(tmp_path), tmp_path / "out", images=False)
    assert any("metrics" in e for e in res.errors)
    assert "Metrics unavailable" in (tmp_path / "out" / "index.html").read_text()
    assert "papercopilot/paperlists" in (tmp_path / "out" / "data.html").read_text()


def test_a_failing_metric_is_reported_not_fatal(tmp_path, monkeypatch):
    import types

    from talentflow.cli.main import app

    broken = types.SimpleNamespace(**{k: getattr(fake_metrics, k) for k in dir(fake_metrics) if not k.startswith("_")})

    def boom(eng, q, frm="origin", to="work", n_boot=1000, seed=0):  # the contract's signature, failing
        raise RuntimeError("flows exploded")
    broken.flows = boom
    res = build_report(tiny_settings(tmp_path), tmp_path / "out", images=False, metrics=broken)
    assert any("flows exploded" in e for e in res.errors)
    assert "flows exploded" in (tmp_path / "out" / "flows.html").read_text()
    assert "95% CI" in (tmp_path / "out" / "index.html").read_text()  # the rest still built
    monkeypatch.setattr("talentflow.report.source.load_metrics", lambda: broken)
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "tiny.duckdb"), "report", "--out", str(tmp_path / "o2"),
                                 "--no-images", "--strict"])
    assert r.exit_code == 1 and "flows exploded" in r.output


def test_titles_labels_and_links_in_words(site):
    html = (site / "index.html").read_text()
    assert "Undergraduate origin · NeurIPS 2022 · accepted papers · location rule" in html
    assert "nips" not in re.sub(r'(href|id|data-[a-z]+)="[^"]*"|<script[^>]*>.*?</script>', "", html, flags=re.S)
    # Each chart: an aria label, a table alternative, its definitions, and the same view in the dashboard.
    figs = re.findall(r'<figure class="tf-figure" id="fig-([^"]+)">(.*?)</figure>', html, re.S)
    assert [cid for cid, _ in figs] == ["overview-origin", "overview-work", "overview-work-hq"]  # both rules
    for cid, body in figs:
        assert re.search(r'aria-label="[^"]*Largest: (China|United States) [\d.]+%', body), cid
        assert "Show table" in body and "<th scope=\"row\">China</th>" in body
        assert "Other (small countries)" in body
        assert re.search(r'class="tf-dash" href="http://127\.0\.0\.1:8000/\?stage=(origin|work)&amp;venue=nips&amp;'
                         r'year=2022&amp;tier=accepted(&amp;attribution=hq)?"', body), cid
        assert ("Headquarters rule:" in body) == cid.endswith("-hq")
    assert "Origin: country of the undergraduate institution." in html
    assert "Location rule: a workplace counts" in html and "Headquarters rule" in html
    assert '<a class="tf-skip" href="#main">' in html and 'aria-controls="tf-nav"' in html
    # Subfields in words; trends name their query; grouped bars have no dashboard view.
    sub = (site / "subfields.html").read_text()
    assert "Generative AI" in sub and "tf-dash" not in sub
    assert "Undergraduate origin by year · NeurIPS · all years" not in (site / "trends.html").read_text()
    assert "by year · NeurIPS all years · accepted papers · location rule" in (site / "trends.html").read_text()
    # Tables show percentages, not fractions, and name their columns in words.
    cn = (site / "country-CN.html").read_text()
    assert re.search(r"<td[^>]*>\d+\.\d%</td>", cn) and not re.search(r"<td[^>]*>0\.\d{3}</td>", cn)
    assert ">Stay rate</th>" in cn and ">n_from_unknown</th>" not in cn and ">False</td>" not in cn


def test_empty_chart_renders_an_explanation_and_suggestions():
    from talentflow.report import charts as ch
    from talentflow.report.site import environment

    c = ch.share_bars("e", "Workplace · NeurIPS 2019 · accepted papers · location rule", [])
    c.suggest = [("Workplace · NeurIPS all years", "/?stage=work&venue=nips")]
    html = environment().get_template("fragment.html").render(charts=[c], error=None, min_cell=5)
    assert "Nothing to draw" in html and 'href="/?stage=work&amp;venue=nips"' in html
    assert "tf-chart" not in html and "NaN" not in html


def test_every_chart_builder_makes_a_valid_vega_lite_spec():
    """The report builds specs without altair's per-chart schema walk (charts._vl): the schema is checked here,
    for every builder, on rows like the library's (a spec that breaks the schema fails this test)."""
    import jsonschema
    from altair.vegalite.v6.schema import core

    from talentflow.report import charts as ch

    share = [{"country": c, "share": s, "ci_low": s - 0.05, "ci_high": s + 0.05, "count": int(s * 200), "n": 200,
              "n_people": 400} for c, s in (("US", 0.5), ("CN", 0.3), ("GB", 0.2))]
    trend = [{**r, "year": y} for y in (2020, 2021, 2022) for r in share]
    inst = [{"institution": f"Univ {i}", "country": "US", "share": 0.1, "ci_low": 0.05, "ci_high": 0.15,
             "count": 20 - i, "n": 200, "rank": i} for i in range(1, 6)]
    grouped = [{**r, "tier": t} for t in ("accepted", "oral") for r in share]
    charts = [ch.share_bars("a", "t", share, stage="work"), ch.world_map("b", "t", share, stage="work"),
              ch.trend_lines("c", "t", trend, stage="work"), ch.ranking_bars("d", "t", inst),
              ch.grouped_bars("e", "t", grouped, x="tier", group="country")]
    for c in charts:
        assert c.kind == "vega" and not c.empty, c.id
        core.TopLevelSpec.validate(c.spec)
    broken = {**charts[0].spec, "mark": {"type": "no-such-mark"}}
    with pytest.raises(jsonschema.ValidationError):
        core.TopLevelSpec.validate(broken)


def test_a_headline_on_a_small_or_selected_group_says_so():
    from talentflow.report.pages import _basis

    text, weak = _basis({"n": 368, "n_people": 10336, "n_observed": 368}, "origin")
    assert weak and text == "rests on the 368 of 10,336 researchers whose undergraduate country is known (3.6%)"
    assert _basis({"n": 4205, "n_people": 10336, "n_observed": 4205}, "work")[1] is False  # 40.7% known
    assert _basis({"n": 90, "n_people": 100, "n_observed": 90}, "work")[1] is True  # fewer than 100 people
    assert _basis(None, "work") == ("", False)
