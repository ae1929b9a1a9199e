"""Tier 3: a real browser (Debian's /usr/bin/chromium driven by Playwright, headless) opens the static report from
file:// and the dashboard on 127.0.0.1, changes filters, and checks that charts render with no console error and
no request leaving the machine; at a phone width (390 px) and a desktop width (1400 px) nothing overflows
sideways; the dashboard keeps its view in the URL (a copied link and Back/Forward restore it), and report charts
link to the same view there. Screenshots go to tmp/artefacts/ (not committed; look at them).

Never `playwright install`: the system chromium is used. Skipped only outside CI when chromium is absent."""

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

import fake_metrics
from report_support import LoopbackServer, tiny_settings

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "tmp" / "artefacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium (apt-get install -y chromium in .ci/run)")
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


class Watch:
    """Console errors, page errors and every request URL of a page."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def offsite(self) -> list[str]:
        bad = []
        for u in self.requests:
            p = urlparse(u)
            if p.scheme in ("file", "data", "blob", "about"):
                continue
            if p.hostname not in ("127.0.0.1", "localhost"):
                bad.append(u)
        return bad


def _swap(page, action, expect: str = "") -> None:
    """Run `action` (a filter change, Back, Forward) and wait until the charts it asks for are drawn."""
    with page.expect_response(lambda r: "/fragment/charts" in r.url and expect in r.url):
        action()
    _rendered(page, 4)


def _rendered(page, min_charts: int):
    page.wait_for_function(f"document.querySelectorAll('.tf-chart.tf-ready').length >= {min_charts}",
                           timeout=30000)
    n_vega = page.locator(".tf-chart[data-kind=vega]:has(svg.marks)").count()
    n_plotly = page.locator(".tf-chart[data-kind=plotly]:has(svg.main-svg)").count()
    return n_vega, n_plotly


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from talentflow.report.site import build_report

    out = tmp_path_factory.mktemp("site")
    build_report(tiny_settings(tmp_path_factory.mktemp("db")), out, country_min=50, images=False,
                 metrics=fake_metrics)
    return out


def test_report_from_file_url(browser, site):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    w = Watch(page)
    page.goto((site / "index.html").as_uri())
    n_vega, _ = _rendered(page, 2)
    assert n_vega >= 2
    # The headline numbers are on the first page, with intervals.
    assert page.get_by_text("Chinese undergraduate origin").count() >= 1
    assert page.locator(".tf-card-ci").first.inner_text().startswith("95% CI")
    bars = page.locator("#chart-overview-origin svg.marks path, #chart-overview-origin svg.marks rect").count()
    assert bars > 5
    page.screenshot(path=str(ARTIFACTS / "report-index.png"), full_page=True)
    # One click: the maps page, with the world map drawn from the vendored TopoJSON.
    page.click("nav >> text=Maps")
    _rendered(page, 4)
    assert page.locator("#chart-map-origin-nips-2022 svg.marks path").count() > 100
    page.screenshot(path=str(ARTIFACTS / "report-maps.png"), full_page=True)
    page.click("nav >> text=Flows")
    _, n_plotly = _rendered(page, 2)
    assert n_plotly >= 2 and page.locator(".sankey-node").count() > 5
    page.screenshot(path=str(ARTIFACTS / "report-flows.png"), full_page=True)
    page.click("nav >> text=Trends")
    _rendered(page, 4)
    page.screenshot(path=str(ARTIFACTS / "report-trends.png"), full_page=True)
    assert not w.errors, w.errors
    assert not w.offsite(), w.offsite()
    page.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from talentflow.web.app import create_app

    srv = LoopbackServer(create_app(tiny_settings(tmp_path_factory.mktemp("web")), metrics=fake_metrics)).start()
    yield srv
    srv.stop()


def test_dashboard_filters(browser, server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    w = Watch(page)
    page.goto(server.url + "/")
    n_vega, n_plotly = _rendered(page, 4)
    assert n_vega >= 3 and n_plotly == 1
    first = page.locator("#spec-d-shares").text_content()
    page.screenshot(path=str(ARTIFACTS / "dashboard-default.png"), full_page=True)
    # Change filters: venue, year, stage. htmx swaps in new charts.
    _swap(page, lambda: page.select_option("#f-venue", "nips"), "venue=nips")
    _swap(page, lambda: page.select_option("#f-stage", "work"), "stage=work")
    _swap(page, lambda: page.select_option("#f-year", "2022"), "year=2022")
    assert page.locator("#spec-d-shares").text_content() != first
    assert "venue=nips" in page.locator("#fig-d-shares a", has_text="CSV").get_attribute("href")
    page.screenshot(path=str(ARTIFACTS / "dashboard-filtered.png"), full_page=True)
    assert not w.errors, w.errors
    assert not w.offsite(), w.offsite()
    assert any(u.startswith(server.url + "/fragment/charts") for u in w.requests)
    page.close()


WIDTHS = (390, 1400)


def _no_overflow(page) -> None:
    """Nothing wider than the viewport: the page does not scroll sideways."""
    sw, vw = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sw <= vw, f"{page.url}: {sw} px wide in a {vw} px viewport"


def _state(page) -> dict:
    return page.evaluate("Object.fromEntries([...document.querySelectorAll('#filters [name]')]"
                         ".map(e => [e.name, e.value]))")


@pytest.mark.parametrize("width", WIDTHS)
def test_report_pages_fit_the_width(browser, site, width):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900})
    w = Watch(page)
    for name, n in (("index", 2), ("flows", 2), ("trends", 4), ("institutions", 4), ("country-CN", 3)):
        page.goto((site / f"{name}.html").as_uri())
        _rendered(page, n)
        _no_overflow(page)
        page.screenshot(path=str(ARTIFACTS / f"report-{name}-{width}.png"), full_page=True)
    # Every drawn chart has a real label and a table alternative with its values.
    page.goto((site / "index.html").as_uri())
    _rendered(page, 2)
    labels = page.locator(".tf-chart").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert labels and all(lbl and "China" in lbl for lbl in labels), labels
    page.locator("#fig-overview-origin .tf-table-alt summary").click()
    table = page.locator("#fig-overview-origin .tf-table-alt table")
    assert table.is_visible() and "China" in table.inner_text() and "%" in table.inner_text()
    # Skip link first, then the navigation (folded behind a named button on a phone).
    page.goto((site / "index.html").as_uri())
    _rendered(page, 2)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    toggle = page.locator(".tf-nav-toggle")
    if width < 700:
        assert not page.locator("#tf-nav").is_visible()
        assert toggle.get_attribute("aria-label") == "Show pages"
        toggle.click()
        assert page.locator("#tf-nav").is_visible() and toggle.get_attribute("aria-expanded") == "true"
        page.screenshot(path=str(ARTIFACTS / f"report-nav-open-{width}.png"))
    else:
        assert not toggle.is_visible() and page.locator("#tf-nav").is_visible()
    assert not w.errors, w.errors
    assert not w.offsite(), w.offsite()
    page.close()


def _dashboard(page, url: str) -> None:
    _swap(page, lambda: page.goto(url))


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_view_lives_in_the_url(browser, server, width):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    w = Watch(page)
    _dashboard(page, server.url + "/")
    assert page.url == server.url + "/"  # the defaults need no query string
    _no_overflow(page)
    # Human labels in the filters, not codes.
    assert page.locator("#f-venue option[value=nips]").inner_text() == "NeurIPS"
    assert page.locator("#f-country option[value=CN]").inner_text() == "China"
    assert page.locator("#f-attribution option[value=hq]").inner_text() == "headquarters rule"
    # Written on change.
    _swap(page, lambda: page.select_option("#f-venue", "nips"), "venue=nips")
    assert "venue=nips" in page.url
    _swap(page, lambda: page.select_option("#f-year", "2022"), "year=2022")
    _swap(page, lambda: page.select_option("#f-attribution", "hq"), "attribution=hq")
    title = page.locator("#chart-d-shares").get_attribute("aria-label")
    assert title.startswith("Undergraduate origin · NeurIPS 2022 · accepted papers · headquarters rule."), title
    url, state, spec = page.url, _state(page), page.locator("#spec-d-shares").text_content()
    assert "venue=nips" in url and "year=2022" in url and "attribution=hq" in url
    _no_overflow(page)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{width}.png"), full_page=True)
    # Back and Forward step through the views (and stay in the app).
    _swap(page, page.go_back, "attribution=location")
    assert _state(page)["attribution"] == "location" and "attribution" not in page.url
    assert page.url.startswith(server.url)
    _swap(page, page.go_forward, "attribution=hq")
    assert page.url == url and _state(page) == state
    # A copied URL in a fresh browser: the same filters and the same numbers.
    fresh = browser.new_context(viewport={"width": width, "height": 900})
    other = fresh.new_page()
    w2 = Watch(other)
    _dashboard(other, url)
    assert _state(other) == state
    assert other.locator("#spec-d-shares").text_content() == spec
    fresh.close()
    assert not w.errors + w2.errors, w.errors + w2.errors
    assert not w.offsite() + w2.offsite(), w.offsite() + w2.offsite()
    ctx.close()


def test_report_chart_opens_the_same_view_in_the_dashboard(browser, site, server):
    from talentflow.report.site import DASHBOARD

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    w = Watch(page)
    page.goto((site / "index.html").as_uri())
    href = page.locator("#fig-overview-work a.tf-dash").get_attribute("href")
    assert href.startswith(DASHBOARD + "?") and "venue=nips" in href and "stage=work" in href
    _dashboard(page, server.url + "/" + href[len(DASHBOARD):])  # the same link, on the test server's port
    assert _state(page)["venue"] == "nips" and _state(page)["year"] == "2022" and _state(page)["stage"] == "work"
    assert page.locator("#chart-d-shares").get_attribute("aria-label").startswith(
        "Workplace · NeurIPS 2022 · accepted papers · location rule.")
    assert not w.errors, w.errors
    page.close()


# ---- issue 13: what a reader finds within two clicks of index.html ---------------------------------------------

def _nav(page, label: str, width: int) -> None:
    if width < 760:
        page.click(".tf-nav-toggle")
    page.click(f"nav >> text={label}")


def _findable(page, fid: str, definitions: tuple[str, ...], tmp_path) -> None:
    """A chart with its definitions in the caption right under it (one screen), a CSV download, and SVG/PNG
    exports that carry its title and the source line."""
    fig = page.locator(f"#fig-{fid}")
    assert fig.count() == 1, fid
    note = fig.locator(".tf-note").inner_text()
    assert all(d in note for d in definitions), (fid, note)
    fig.scroll_into_view_if_needed()
    top = fig.locator(".tf-chart").bounding_box()["y"]
    nb = fig.locator(".tf-note").bounding_box()
    assert nb["y"] + nb["height"] - top <= page.viewport_size["height"], f"{fid}: definition off the screen"
    csv_href = fig.locator(".tf-downloads a", has_text="CSV").get_attribute("href")
    assert csv_href and csv_href.endswith(".csv")
    with page.expect_download() as d:
        fig.locator("button.tf-export[data-format=svg]").click()
    svg = Path(d.value.path()).read_text()
    assert svg.startswith("<svg") and "Source: talentflow" in svg, fid
    with page.expect_download() as d:
        fig.locator("button.tf-export[data-format=png]").click()
    assert Path(d.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", fid


@pytest.mark.parametrize("width", WIDTHS)
def test_issue13_answers_within_two_clicks(browser, site, width, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    w = Watch(page)
    page.goto((site / "index.html").as_uri())
    _rendered(page, 3)
    # NeurIPS 2022 workplace under both rules, and origin with what it rests on: on the first page.
    _findable(page, "overview-work", ("Workplace:", "Location rule:"), tmp_path)
    _findable(page, "overview-work-hq", ("Workplace:", "Headquarters rule:"), tmp_path)
    assert "headquarters rule" in page.locator("#chart-overview-work-hq").get_attribute("aria-label")
    _findable(page, "overview-origin", ("Origin:",), tmp_path)
    origin = page.locator("#fig-overview-origin")
    assert "n = " in page.locator("#spec-overview-origin").text_content()  # the people it rests on
    assert "country known for" in page.locator(".tf-card").first.inner_text()
    # Its full rows behind "All columns", in words.
    origin.locator(".tf-all-columns summary").click()
    heads = origin.locator(".tf-all-columns th").all_inner_texts()
    assert {"Country", "Share", "CI low", "People"} <= set(heads), heads
    page.screenshot(path=str(ARTIFACTS / f"issue13-index-{width}.png"), full_page=True)
    # One click: the Carnegie-style cohort, with its definitions and what it rests on.
    _nav(page, "Cohorts", width)
    page.wait_for_selector("#fig-cohort-carnegie")
    fig = page.locator("#fig-cohort-carnegie")
    assert all(d in fig.locator(".tf-note").inner_text() for d in ("Origin:", "Working in the US", "Where now:"))
    if fig.get_attribute("data-empty") != "1":
        _rendered(page, 1)
        _findable(page, "cohort-carnegie", ("Origin:", "Where now:"), tmp_path)
    _rendered(page, 1)
    _findable(page, "cohort-nips-2019", ("Where now:",), tmp_path)
    page.screenshot(path=str(ARTIFACTS / f"issue13-cohorts-{width}.png"), full_page=True)
    # Two clicks: China's share over the years.
    _nav(page, "Countries", width)
    page.click("a[href='country-CN.html']")
    _rendered(page, 2)
    _findable(page, "c-CN-trend-work", ("Workplace:",), tmp_path)
    _findable(page, "c-CN-trend-origin", ("Origin:",), tmp_path)
    # One click: the top institutions (the top 25 drawn and listed; the mirror has more than ten).
    _nav(page, "Institutions", width)
    _rendered(page, 2)
    _findable(page, "inst-work-nips", ("Workplace:",), tmp_path)
    import csv

    ranked = [r for r in csv.DictReader((site / "charts" / "inst-work-nips.csv").open()) if r["count"]]
    assert page.locator("#fig-inst-work-nips .tf-table-alt tbody tr").count() == min(25, len(ranked)) > 0
    _no_overflow(page)
    assert not w.errors, w.errors
    assert not w.offsite(), w.offsite()
    ctx.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_report_tables_show_a_short_view_and_every_column_behind(browser, site, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    w = Watch(page)
    page.goto((site / "cohorts.html").as_uri())
    table = page.locator("figure.tf-table", has_text="Retention by origin country")
    heads = table.locator("table").first.locator("th").all_inner_texts()
    assert heads == ["Country", "Stay rate", "95% CI", "People", "Left", "Arrived"], heads
    body = table.locator("table").first.inner_text()
    assert "%" in body and "–" in body and "False" not in body and "graduate" not in body
    assert not table.locator(".tf-all-columns table").is_visible()
    table.locator(".tf-all-columns summary").click()
    full = table.locator(".tf-all-columns th").all_inner_texts()
    assert {"Stayed", "CI low", "Net", "Suppressed"} <= set(full) and len(full) > len(heads), full
    assert table.locator("a", has_text="CSV").count() == 1
    _no_overflow(page)
    page.screenshot(path=str(ARTIFACTS / f"report-cohorts-tables-{width}.png"), full_page=True)
    assert not w.errors, w.errors
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_copied_dashboard_link_shows_every_chart_and_table_again(browser, server, width):
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = ctx.new_page()
    w = Watch(page)
    _dashboard(page, server.url + "/")
    _swap(page, lambda: page.select_option("#f-venue", "nips"), "venue=nips")
    _swap(page, lambda: page.select_option("#f-stage", "work"), "stage=work")
    _swap(page, lambda: page.select_option("#f-country", "CN"), "country=CN")
    specs = page.evaluate("[...document.querySelectorAll('#charts script[type=\"application/json\"]')]"
                          ".map(s => [s.id, s.textContent])")
    tables = page.locator("#charts table").all_text_contents()
    assert len(specs) >= 4 and tables
    page.click(".tf-copy")
    page.wait_for_function("document.querySelector('.tf-copy').textContent === 'Link copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.url and "country=CN" in copied
    fresh = browser.new_context(viewport={"width": width, "height": 900})
    other = fresh.new_page()
    w2 = Watch(other)
    _dashboard(other, copied)
    assert other.evaluate("[...document.querySelectorAll('#charts script[type=\"application/json\"]')]"
                          ".map(s => [s.id, s.textContent])") == specs
    assert other.locator("#charts table").all_text_contents() == tables
    # the chart tables name their columns in words, and every column is behind "All columns"
    fig = other.locator("#fig-d-retention")
    assert fig.locator(".tf-table-alt thead th").all_text_contents()[:2] == ["Country", "Stay rate"]
    assert "Arrived" in fig.locator(".tf-all-columns th").all_text_contents()
    _no_overflow(other)
    other.screenshot(path=str(ARTIFACTS / f"dashboard-copied-{width}.png"), full_page=True)
    fresh.close()
    assert not w.errors + w2.errors, w.errors + w2.errors
    assert not w.offsite() + w2.offsite(), w.offsite() + w2.offsite()
    ctx.close()
