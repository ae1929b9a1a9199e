"""`build_report`: render the pages into a static site that works from file:// with no network.

Layout of the output directory: one HTML file per page (flat, so relative links are trivial), `static/` (vendored
JS, CSS, the world map as a script), `charts/<id>.csv|svg|png` (downloads). Nothing is fetched at view time.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

from altair.utils import schemapi
from jinja2 import Environment, PackageLoader

from ..engine import connect
from ..errors import NotBuilt, TalentflowError
from ..settings import Settings
from . import labels as lb
from . import pages as pg
from .charts import Chart, world_topojson, write_images
from . import tables as tb
from .privacy import assert_publishable
from .source import MetricSource

VENDOR = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "plotly.min.js", "htmx.min.js", "LICENSES.txt")
NAV = [("index", "Overview"), ("maps", "Maps"), ("flows", "Flows"), ("trends", "Trends"), ("countries", "Countries"),
       ("institutions", "Institutions"), ("subfields", "Subfields"), ("tiers", "Tiers"), ("cohorts", "Cohorts"),
       ("claims", "Claims"), ("macropolo", "MacroPolo"), ("indicators", "Scorecard"), ("methodology", "Methodology"),
       ("data", "Data & provenance")]
DASHBOARD = "http://127.0.0.1:8000/"  # `talentflow serve`'s default address: report charts link to their view there


@dataclass
class ReportResult:
    out: Path
    pages: int = 0
    charts: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def environment() -> Environment:
    env = Environment(loader=PackageLoader("talentflow.report", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lb.pct
    env.filters["cell"] = lambda v, col="": tb.fmt(v, col)
    env.filters["label"] = lambda v, kind: lb.label(kind, v)
    env.globals["by_label"] = lambda kind, codes: sorted(codes, key=lambda c: lb.label(kind, c).casefold())
    env.globals["table_of"] = tb.html  # a table's short view and its full table, in words
    return env


def copy_static(out: Path) -> None:
    """Vendored files, the stylesheet and script, and the world map wrapped as a script (file:// cannot fetch)."""
    static = out / "static"
    static.mkdir(parents=True, exist_ok=True)
    pkg = resources.files("talentflow.report").joinpath("static")
    for name in VENDOR:
        with resources.as_file(pkg.joinpath("vendor", name)) as src:
            shutil.copyfile(src, static / name)
    for name in ("report.css", "report.js"):
        with resources.as_file(pkg.joinpath(name)) as src:
            shutil.copyfile(src, static / name)
    (static / "world.js").write_text("window.TF_WORLD = " + json.dumps(world_topojson(), separators=(",", ":"))
                                     + ";\n", encoding="utf-8")


def rows_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    w = csv.DictWriter(buf, cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _write_chart(c: Chart, out: Path, min_cell: int, pool, pending: list) -> None:
    """CSV now; SVG/PNG (Vega-Lite charts) in the image worker process, while the next pages are computed."""
    assert_publishable(c.rows, min_cell)
    d = out / "charts"
    (d / f"{c.id}.csv").write_text(rows_csv(c.rows), encoding="utf-8")
    c.files["csv"] = f"charts/{c.id}.csv"
    if pool is not None and c.kind == "vega" and not c.empty:
        pending.append(pool.submit(write_images, c.spec, str(d / c.id)))
        for fmt in ("svg", "png"):
            c.files[fmt] = f"charts/{c.id}.{fmt}"


def build_report(settings: Settings, out: Path, country_min: int = 200, images: bool = True, metrics=None,
                 progress: Callable[[str, int, int], None] = lambda *a: None,
                 dashboard: str = DASHBOARD) -> ReportResult:
    """Build the static site into `out` from the database at settings.db_path (opened read-only).

    `metrics` is the metrics library (default: `talentflow.metrics`); pages that need it show why they are
    empty when it is unavailable, the rest (scorecard, coverage, provenance) still build. Charts link to the same
    view in the dashboard at `dashboard` ("" for no links)."""
    t0 = time.perf_counter()
    if not Path(settings.db_path).exists():
        raise NotBuilt(f"No database at {settings.db_path}.")
    out = Path(out)
    (out / "charts").mkdir(parents=True, exist_ok=True)
    res = ReportResult(out)
    # Static images are rendered in a separate process (vl-convert), overlapping the metric computations.
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) if images else None
    pending: list = []
    try:
        # altair validates every channel as it is built, then the whole spec again in to_dict(): once is enough
        with schemapi.debug_mode(False):
            _build(settings, out, country_min, metrics, progress, res, pool, pending, dashboard)
        for fut in pending:
            fut.result()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    copy_static(out)
    res.seconds = time.perf_counter() - t0
    return res


def _build(settings, out, country_min, metrics, progress, res, pool, pending, dashboard) -> None:
    with connect(settings, read_only=True) as eng:
        try:
            src, err = MetricSource(settings.min_cell, settings.n_boot, settings.seed, metrics=metrics), None
        except TalentflowError as e:
            src, err = None, str(e)
        ctx = pg.Ctx(eng, src, err, settings.min_cell, country_min)
        licences = resources.files("talentflow.report").joinpath("static/vendor/LICENSES.txt").read_text()
        licence_lines = "; ".join(line[3:] for line in licences.splitlines() if line.startswith("== "))
        codes = pg.country_list(ctx)
        builders: list[Callable[[], pg.Page]] = [
            lambda: pg.overview(ctx), lambda: pg.maps(ctx), lambda: pg.flows(ctx), lambda: pg.trends(ctx),
            lambda: pg.countries_index(ctx, codes), lambda: pg.institutions(ctx), lambda: pg.subfields(ctx),
            lambda: pg.tiers(ctx), lambda: pg.cohorts(ctx), lambda: pg.claims(ctx), lambda: pg.macropolo(ctx),
            lambda: pg.indicators(ctx),
            lambda: pg.methodology(ctx), lambda: pg.data_page(ctx, licence_lines)]
        builders += [(lambda k=k: pg.country_page(ctx, k)) for k in codes]
        env = environment()
        tpl = env.get_template("page.html")
        for i, make in enumerate(builders):
            page = make()
            progress(f"page {page.slug}", i, len(builders))
            for s in page.sections:
                for c in s.charts:
                    _write_chart(c, out, settings.min_cell, pool, pending)
                    res.charts += 1
                for j, t in enumerate(s.tables):
                    if t.people:
                        assert_publishable(t.rows, settings.min_cell)
                    if t.rows:
                        name = f"charts/table-{page.slug}-{page.sections.index(s)}-{j}.csv"
                        (out / name).write_text(rows_csv(t.rows), encoding="utf-8")
                        t.csv = name
            html = tpl.render(page=page, nav=NAV, min_cell=settings.min_cell, dashboard=dashboard,
                              generated=time.strftime("%Y-%m-%d"), db_name=Path(settings.db_path).name)
            (out / f"{page.slug}.html").write_text(html, encoding="utf-8")
            res.pages += 1
        res.errors = ctx.errors + ([f"metrics: {err}"] if err else [])
