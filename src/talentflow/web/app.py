"""`create_app`: the local dashboard and JSON API over a built database, opened read-only (one cursor per request).

Everything served goes through `MetricSource` — the same validation, caching and small-cell suppression as the
static report — so the dashboard, the API and the report show the same numbers. Unknown filter values answer 422
with the allowed values. The OpenAPI schema is at /openapi.json; the interactive docs are off (they load their
JavaScript from a CDN, and the dashboard makes no request beyond the machine).
"""

from __future__ import annotations

import contextlib
import json
import threading
from importlib import resources
from pathlib import Path
from typing import Iterator, Optional

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..engine import connect
from ..errors import NotBuilt, TalentflowError, UnknownValue
from ..report import charts as ch
from ..report import provenance
from ..report.site import NAV, VENDOR, environment, rows_csv
from ..report.source import Filters, MetricSource, MetricsUnavailable
from ..settings import Settings

API_DESCRIPTION = """JSON API of talentflow: shares, flows, retention, cohorts, trends and institution rankings of AI
researchers by country, with 95% intervals and coverage. Filters mirror the CLI: `venue`, `year` or `years`
(FIRST-LAST), `tier`, `subfield`, `sector`, `attribution`, `country`; `stage` is origin | graduate | work.
Unknown values answer 422 with the allowed ones (`/api/allowed` lists them all). Cells resting on fewer than
`min_cell` people are suppressed; no person-level data is served. Add `format=csv` for CSV."""

STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".txt": "text/plain; charset=utf-8"}


class FilterParams:
    """The filters every metric endpoint accepts (FastAPI dependency)."""

    def __init__(self,
                 venue: Optional[str] = Query(None, description="Venue short name, e.g. nips, iclr, icml, cvpr."),
                 year: Optional[str] = Query(None, description="One conference year, e.g. 2022."),
                 years: Optional[str] = Query(None, description="Inclusive year range FIRST-LAST, e.g. 2019-2024."),
                 tier: Optional[str] = Query(None, description="Paper tier, e.g. accepted, spotlight, oral."),
                 subfield: Optional[str] = Query(None, description="Subfield, e.g. generative_ai, robotics."),
                 sector: Optional[str] = Query(None, description="Sector of the workplace, e.g. academia, industry."),
                 attribution: Optional[str] = Query(None, description="Attribution rule for multi-author papers."),
                 country: Optional[str] = Query(None, description="ISO 3166-1 alpha-2 country code filter."),
                 format: str = Query("json", pattern="^(json|csv)$", description="json or csv.")):
        self.raw = dict(venue=venue, year=year, years=years, tier=tier, subfield=subfield, sector=sector,
                        attribution=attribution, country=country)
        self.format = format


def _unknown(e: UnknownValue) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": [{
        "loc": ["query", e.what], "msg": str(e), "type": "value_error", "input": e.value, "allowed": e.allowed}]})


def create_app(settings: Settings, metrics=None) -> FastAPI:
    """The app over settings.db_path. `metrics` is the metrics library (default: `talentflow.metrics`)."""
    if not Path(settings.db_path).exists():
        raise NotBuilt(f"No database at {settings.db_path}.")
    engine = connect(settings, read_only=True)
    try:
        src, src_error = MetricSource(settings.min_cell, settings.n_boot, settings.seed, metrics=metrics), None
    except MetricsUnavailable as e:
        src, src_error = None, str(e)
    lock = threading.Lock()
    env = environment()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        engine.close()

    app = FastAPI(title="talentflow", version="1", description=API_DESCRIPTION, docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    app.state.engine, app.state.source = engine, src

    def cursor() -> Iterator:
        with lock:  # creating a cursor touches the shared connection
            cur = engine.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def source() -> MetricSource:
        if src is None:
            raise MetricsUnavailable(src_error or "metrics unavailable")
        return src

    @app.exception_handler(UnknownValue)
    def _on_unknown(request: Request, e: UnknownValue):
        return _unknown(e)

    @app.exception_handler(TalentflowError)
    def _on_error(request: Request, e: TalentflowError):
        return JSONResponse(status_code=503, content={"detail": str(e), "hint": e.hint})

    def answer(rows: list[dict], fp: FilterParams, f: Filters, endpoint: str, eng, **extra):
        if fp.format == "csv":
            return Response(rows_csv(rows), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{endpoint}.csv"'})
        return {"endpoint": endpoint, "query": {k: v for k, v in f.__dict__.items() if v is not None}, **extra,
                "min_cell": settings.min_cell, "rows": rows,
                "sources": provenance.footer(provenance.origins(eng, f))}

    # ---- JSON API -------------------------------------------------------------------------------------------
    @app.get("/api/allowed", tags=["api"], summary="Allowed values of every filter and parameter")
    def api_allowed():
        return {"allowed": {k: list(map(str, v)) for k, v in source().allowed().items()},
                "min_cell": settings.min_cell}

    @app.get("/api/shares", tags=["api"], summary="Share of researchers by country at one career stage")
    def api_shares(fp: FilterParams = Depends(), stage: str = Query("origin", description="origin|graduate|work"),
                   eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer(s.shares(eng, f, stage), fp, f, "shares", eng, stage=stage)

    @app.get("/api/flows", tags=["api"], summary="Counts of researchers moving between two stages' countries")
    def api_flows(fp: FilterParams = Depends(), frm: str = Query("origin", alias="from"),
                  to: str = Query("work"), eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer(s.flows(eng, f, frm, to), fp, f, "flows", eng, **{"from": frm, "to": to})

    @app.get("/api/retention", tags=["api"], summary="Share of researchers working in their origin country")
    def api_retention(fp: FilterParams = Depends(), eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer(s.retention(eng, f, f.country), fp, f, "retention", eng)

    @app.get("/api/cohort", tags=["api"], summary="Where a cohort (origin country, workplace then) works now")
    def api_cohort(fp: FilterParams = Depends(), origin: Optional[str] = Query(None, description="Origin country"),
                   work: Optional[str] = Query(None, description="Workplace country at the cohort's year"),
                   eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer(s.cohort(eng, f, origin, work), fp, f, "cohort", eng, origin=origin, work=work)

    @app.get("/api/trend", tags=["api"], summary="Shares by year")
    def api_trend(fp: FilterParams = Depends(), stage: str = Query("origin"), eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer(s.trend(eng, f, stage, f.country), fp, f, "trend", eng, stage=stage)

    @app.get("/api/institutions", tags=["api"], summary="Institutions ranked by number of researchers")
    def api_institutions(fp: FilterParams = Depends(), stage: str = Query("work"),
                         limit: int = Query(50, ge=1, le=500), eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer(s.institutions(eng, f, stage, limit), fp, f, "institutions", eng, stage=stage)

    @app.get("/api/indicators", tags=["api"], summary="US–China scorecard of companion national indicators")
    def api_indicators(format: str = Query("json", pattern="^(json|csv)$"), eng=Depends(cursor)):
        from ..indicators.scorecard import scorecard

        rows = _scorecard_cache(eng, scorecard)
        if format == "csv":
            return Response(rows_csv(rows), media_type="text/csv; charset=utf-8")
        return {"endpoint": "indicators", "rows": rows}

    sc_cache: dict = {}

    def _scorecard_cache(eng, fn):
        if "rows" not in sc_cache:
            sc_cache["rows"] = json.loads(json.dumps(fn(eng), default=str))
        return sc_cache["rows"]

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True, "metrics": src is not None}

    # ---- dashboard ------------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard():
        allowed = src.allowed() if src else {}
        page = {"slug": "dashboard", "title": "Dashboard"}
        return env.get_template("dashboard.html").render(
            page=page, nav=[], allowed=allowed, error=src_error, min_cell=settings.min_cell, static="/static",
            home="/")

    @app.get("/fragment/charts", response_class=HTMLResponse, include_in_schema=False)
    def fragment(request: Request, fp: FilterParams = Depends(), stage: str = Query("origin"),
                 eng=Depends(cursor)):
        from .views import dashboard_charts

        try:
            s = source()
            f = s.filters(**fp.raw)
            charts = dashboard_charts(s, eng, f, stage, str(request.url.query))
            error = None
        except TalentflowError as e:
            charts, error = [], f"{e}" + (f" {e.hint}" if e.hint else "")
        for c in charts:
            c.footer = provenance.footer(provenance.origins(eng, f))
        return env.get_template("fragment.html").render(charts=charts, error=error, min_cell=settings.min_cell)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        if name == "world.js":
            return Response("window.TF_WORLD = " + json.dumps(ch.world_topojson(), separators=(",", ":")) + ";",
                            media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})
        pkg = resources.files("talentflow.report").joinpath("static")
        if name in VENDOR:
            data = pkg.joinpath("vendor", name).read_bytes()
        elif name in ("report.css", "report.js"):
            data = pkg.joinpath(name).read_bytes()
        else:
            return Response(status_code=404)
        return Response(data, media_type=STATIC_TYPES.get(Path(name).suffix, "application/octet-stream"),
                        headers={"Cache-Control": "max-age=3600"})

    app.state.nav = NAV
    return app
