"""Tier 3: a real browser (Debian's /usr/bin/chromium driven by Playwright, headless) opens the static report from
file:// and the dashboard on 127.0.0.1, changes filters, and checks that charts render with no console error and
no request leaving the machine. Screenshots go to test-artifacts/ (look at them).

Never `playwright install`: the system chromium is used. Skipped only outside CI when chromium is absent."""

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

import fake_metrics
from report_support import LoopbackServer, tiny_settings

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
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
    ARTIFACTS.mkdir(exist_ok=True)
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
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    w = Watch(page)
    page.goto(server.url + "/")
    n_vega, n_plotly = _rendered(page, 4)
    assert n_vega >= 3 and n_plotly == 1
    first = page.locator("#spec-d-shares").text_content()
    page.screenshot(path=str(ARTIFACTS / "dashboard-default.png"), full_page=True)
    # Change filters: venue, year, stage. htmx swaps in new charts.
    with page.expect_response(lambda r: "/fragment/charts" in r.url and "venue=nips" in r.url):
        page.select_option("#f-venue", "nips")
    _rendered(page, 4)
    with page.expect_response(lambda r: "/fragment/charts" in r.url and "stage=work" in r.url):
        page.select_option("#f-stage", "work")
    _rendered(page, 4)
    with page.expect_response(lambda r: "/fragment/charts" in r.url and "year=2022" in r.url):
        page.select_option("#f-year", "2022")
    _rendered(page, 4)
    assert page.locator("#spec-d-shares").text_content() != first
    assert "venue=nips" in page.locator("#fig-d-shares a", has_text="CSV").get_attribute("href")
    page.screenshot(path=str(ARTIFACTS / "dashboard-filtered.png"), full_page=True)
    assert not w.errors, w.errors
    assert not w.offsite(), w.offsite()
    assert any(u.startswith(server.url + "/fragment/charts") for u in w.requests)
    page.close()
