"""`create_app`: the local dashboard and JSON API over a built database, opened read-only (one cursor per request).

Everything served goes through `MetricSource` — the same validation, caching and small-cell suppression as the
static report — so the dashboard, the API and the report show the same numbers. Unknown filter values answer 422
with the allowed values; unknown parameters and requests over the time limit are handled by `guard.Guard`. The
OpenAPI schema is at /openapi.json; the interactive docs are off (they load their JavaScript from a CDN, and the
dashboard makes no request beyond the machine).
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from importlib import resources
from pathlib import Path
from typing import Iterator, Optional

from fastapi import Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..engine import connect
from ..errors import NotBuilt, TalentflowError, UnknownValue
from ..report import charts as ch
from ..report.site import NAV, VENDOR, environment, rows_csv
from ..limits import REQUEST_TIMEOUT
from ..report.source import Filters, MetricSource, MetricsUnavailable
from ..settings import Settings
from .footers import Footers
from .guard import Deadline, Guard, Lingering, RequestTimeout

API_DESCRIPTION = """JSON API of talentflow: shares, flows, retention, cohorts, trends and institution rankings of AI
researchers by country, with 95% intervals and coverage. Filters mirror the CLI: `venue`, `year` or `years`
(FIRST-LAST), `tier`, `subfield`, `sector`, `attribution`, `country`; `stage` is origin | graduate | work.
Unknown values answer 422 with the allowed ones (`/api/allowed` lists them all), and so do unknown parameters and
values out of bounds (years within 1980-2100, at most 100 characters a value). A request running longer than the
server's time limit (60 s by default) answers 503. Cells resting on fewer than `min_cell` people are suppressed;
no person-level data is served. Add `format=csv` for CSV."""

ROLLUP_HELP = ("none: institutions as resolved; parent: each rolled up to its ultimate parent organisation "
               "(Google DeepMind → Google). Countries are never changed by a roll-up.")

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
                 proxy: bool = Query(False, description="Admit proxy stage values (counted apart in n_proxy)."),
                 format: str = Query("json", pattern="^(json|csv)$", description="json or csv.")):
        self.raw = dict(venue=venue, year=year, years=years, tier=tier, subfield=subfield, sector=sector,
                        attribution=attribution, country=country, include_proxy=proxy or None)
        self.format = format


def _unknown(e: UnknownValue) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": [{
        "loc": ["query", e.what], "msg": str(e), "type": "value_error", "input": e.value, "allowed": e.allowed}]})


def _rollup(s: MetricSource, value: str) -> str:
    """The roll-up asked for, checked before any work (422 listing none, parent)."""
    return value if value == "none" else s.check("rollup", value)


def _finite(x):
    """NaN/inf are not JSON: publish them as null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


class LazyCursor:
    """A per-request database cursor, opened only if the request needs the database (cache hits do not). It
    registers with the request's deadline, which interrupts it when the request runs out of time."""

    def __init__(self, engine, lock: threading.Lock, deadline: Deadline | None = None):
        self._engine, self._lock, self._cur, self._deadline = engine, lock, None, deadline

    def __getattr__(self, name):
        if self._deadline is not None:
            self._deadline.check()  # a request out of time runs no further query
        if self._cur is None:
            with self._lock:  # creating a cursor touches the shared connection
                self._cur = self._engine.cursor()
            if self._deadline is not None:
                self._deadline.register(self._cur)
        return getattr(self._cur, name)

    def close(self) -> None:
        if self._cur is not None:
            self._cur.close()


def create_app(settings: Settings, metrics=None, request_timeout: float = REQUEST_TIMEOUT) -> FastAPI:
    """The app over settings.db_path. `metrics` is the metrics library (default: `talentflow.metrics`). A request
    running longer than `request_timeout` seconds is answered 503 and its queries are interrupted (web/guard.py)."""
    if not Path(settings.db_path).exists():
        raise NotBuilt(f"No database at {settings.db_path}.")
    engine = connect(settings, read_only=True)
    try:
        src, src_error = MetricSource(settings.min_cell, settings.n_boot, settings.seed, metrics=metrics), None
    except MetricsUnavailable as e:
        src, src_error = None, str(e)
    if src is not None and hasattr(src.m, "preload") and engine.table_exists("metric_rows"):
        src.m.preload(engine)  # the coded rows in memory: a query never asked before is slices, not a scan
    lock = threading.Lock()
    footers = Footers(engine)  # the source line of every response, from the datasets rows read once
    env = environment()
    # Year choices for the dashboard: the years present in the database (the metrics contract lists no years).
    year_table = next((t for t in ("papers", "metric_base") if engine.table_exists(t)), None)
    years = (sorted(y for (y,) in engine.query(f"SELECT DISTINCT year FROM {year_table} WHERE year IS NOT NULL"))
             if year_table else [])

    lingering = Lingering()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await lingering.drain(timeout=10)  # requests answered 503 stop at their next query
        try:
            engine.close()
        except Exception:  # one still in Python work holds its cursor: the process is ending, the file read-only
            pass

    app = FastAPI(title="talentflow", version="1", description=API_DESCRIPTION, docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    app.state.engine, app.state.source = engine, src
    app.add_middleware(Guard, api=app, timeout=request_timeout, lingering=lingering)

    def cursor(request: Request) -> Iterator:
        cur = LazyCursor(engine, lock, request.scope.get("state", {}).get("deadline"))
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

    @app.exception_handler(RequestValidationError)
    def _on_invalid(request: Request, e: RequestValidationError):
        # FastAPI's own checks (format, limit, proxy) as 422, with the offending input cut to 100 characters
        detail = [{**d, "input": d["input"][:100]} if isinstance(d.get("input"), str) else d
                  for d in jsonable_encoder(e.errors())]
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(RequestTimeout)
    def _on_timeout(request: Request, e: RequestTimeout):
        return JSONResponse(status_code=503, content={"detail": str(e), "hint": e.hint,
                                                      "timeout_seconds": request_timeout})

    @app.exception_handler(TalentflowError)
    def _on_error(request: Request, e: TalentflowError):
        return JSONResponse(status_code=503, content={"detail": str(e), "hint": e.hint})

    responses: dict[tuple, tuple[bytes, str]] = {}

    def answer(endpoint: str, fp: FilterParams, f: Filters, eng, compute, **extra) -> Response:
        """The encoded response for this query, computed once per key (a repeat is a dictionary lookup and
        needs no database cursor)."""
        key = (endpoint, fp.format, f, tuple(sorted(extra.items())))
        hit = responses.get(key)
        if hit is None:
            rows = compute()
            if fp.format == "csv":
                hit = (rows_csv(rows).encode(), "text/csv; charset=utf-8")
            else:
                body = {"endpoint": endpoint, "query": {k: v for k, v in f.__dict__.items() if v is not None},
                        **extra, "min_cell": settings.min_cell, "rows": rows,
                        "sources": footers.footer(f)}
                hit = (json.dumps(_finite(body), default=str, ensure_ascii=False).encode(), "application/json")
            if len(responses) >= 8192:
                responses.pop(next(iter(responses)))
            responses[key] = hit
        headers = {"Content-Disposition": f'attachment; filename="{endpoint}.csv"'} if fp.format == "csv" else None
        return Response(hit[0], media_type=hit[1], headers=headers)

    # ---- JSON API -------------------------------------------------------------------------------------------
    @app.get("/api/allowed", tags=["api"], summary="Allowed values of every filter and parameter")
    def api_allowed():
        return {"allowed": {k: list(map(str, v)) for k, v in source().allowed().items()},
                "min_cell": settings.min_cell}

    @app.get("/api/shares", tags=["api"], summary="Share of researchers by country at one career stage")
    def api_shares(fp: FilterParams = Depends(),
                   stage: str = Query("origin", description="origin|graduate|work|current"),
                   by: str = Query("country", description="country|institution|sector"),
                   count: str = Query("people", description="Unit counted: people|authorships|papers|fractional|"
                                      "first-author|last-author"),
                   rollup: str = Query("none", description=ROLLUP_HELP), eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        by = s.check("by", by) if "by" in s.allowed() else by
        rollup = _rollup(s, rollup)
        extra = ({} if count == "people" else {"count": count}) | ({"rollup": rollup} if rollup != "none" else {})
        return answer("shares", fp, f, eng, lambda: s.shares(eng, f, stage, by, count=count, rollup=rollup),
                      stage=stage, by=by, **extra)

    @app.get("/api/flows", tags=["api"], summary="Counts of researchers moving between two stages' countries")
    def api_flows(fp: FilterParams = Depends(), frm: str = Query("origin", alias="from"),
                  to: str = Query("work"), eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer("flows", fp, f, eng, lambda: s.flows(eng, f, frm, to), **{"from": frm, "to": to})

    @app.get("/api/retention", tags=["api"], summary="Share of researchers working in their origin country")
    def api_retention(fp: FilterParams = Depends(), frm: str = Query("graduate", alias="from"),
                      to: str = Query("work"), eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer("retention", fp, f, eng, lambda: s.retention(eng, f, f.country, frm, to),
                      **{"from": frm, "to": to})

    @app.get("/api/cohort", tags=["api"], summary="Where a cohort (origin country, workplace then) works now")
    def api_cohort(fp: FilterParams = Depends(), origin: Optional[str] = Query(None, description="Origin country"),
                   work: Optional[str] = Query(None, description="Workplace country at the cohort's year"),
                   eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer("cohort", fp, f, eng, lambda: s.cohort(eng, f, origin, work), origin=origin, work=work)

    @app.get("/api/trend", tags=["api"], summary="Shares by year")
    def api_trend(fp: FilterParams = Depends(), stage: str = Query("origin"), eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        return answer("trend", fp, f, eng, lambda: s.trend(eng, f, stage, f.country), stage=stage)

    @app.get("/api/institutions", tags=["api"], summary="Institutions ranked by number of researchers")
    def api_institutions(fp: FilterParams = Depends(), stage: str = Query("work"),
                         limit: int = Query(50, ge=1, le=500),
                         rollup: str = Query("none", description=ROLLUP_HELP), eng=Depends(cursor)):
        s = source()
        f = s.filters(**fp.raw)
        rollup = _rollup(s, rollup)
        extra = {"rollup": rollup} if rollup != "none" else {}
        return answer("institutions", fp, f, eng, lambda: s.institutions(eng, f, stage, limit, rollup=rollup),
                      stage=stage, limit=limit, **extra)

    @app.get("/api/indicators", tags=["api"], summary="US–China scorecard of companion national indicators")
    def api_indicators(format: str = Query("json", pattern="^(json|csv)$"), eng=Depends(cursor)):
        from ..indicators.scorecard import scorecard

        hit = responses.get(("indicators", format))
        if hit is None:
            rows = json.loads(json.dumps(_finite(scorecard(eng)), default=str))
            hit = ((rows_csv(rows).encode(), "text/csv; charset=utf-8") if format == "csv" else
                   (json.dumps({"endpoint": "indicators", "rows": rows}, ensure_ascii=False).encode(),
                    "application/json"))
            responses[("indicators", format)] = hit
        return Response(hit[0], media_type=hit[1])

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True, "metrics": src is not None}

    # ---- dashboard ------------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard():
        allowed = dict(src.allowed()) if src else {}
        allowed["year"] = years[::-1]
        page = {"slug": "dashboard", "title": "Dashboard"}
        return env.get_template("dashboard.html").render(
            page=page, nav=[], allowed=allowed, error=src_error, min_cell=settings.min_cell, static="/static",
            home="/")

    @app.get("/fragment/charts", response_class=HTMLResponse, include_in_schema=False)
    def fragment(request: Request, fp: FilterParams = Depends(), stage: str = Query("origin"),
                 count: str = Query("people"), rollup: str = Query("none"), eng=Depends(cursor)):
        from .views import dashboard_charts

        try:
            s = source()
            f = s.filters(**fp.raw)
            charts = dashboard_charts(s, eng, f, stage, str(request.url.query), count=count,
                                      rollup=_rollup(s, rollup), footer=footers.footer(f))
            error = None
        except TalentflowError as e:
            charts, error = [], f"{e}" + (f" {e.hint}" if e.hint else "")
        for c in charts:
            c.footer = footers.footer(f)
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
