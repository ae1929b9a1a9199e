"""The dashboard's charts for one filter set: the same chart builders as the static report."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from ..report import charts as ch
from ..report.source import Filters, MetricSource

STAGE_LABEL = {"origin": "Undergraduate origin", "graduate": "Graduate school", "work": "Workplace"}


def _csv_url(endpoint: str, query: str, **extra) -> str:
    params = [(k, v) for k, v in parse_qsl(query) if k not in ("format", *extra)]
    params += [(k, v) for k, v in extra.items() if v is not None] + [("format", "csv")]
    return f"/api/{endpoint}?{urlencode(params)}"


def dashboard_charts(s: MetricSource, eng, f: Filters, stage: str, query: str) -> list[ch.Chart]:
    label = STAGE_LABEL.get(stage, stage)
    what = f.label()
    shares = s.shares(eng, f, stage)
    out = [ch.share_bars("d-shares", f"{label}: {what}", shares), ch.world_map("d-map", f"{label}: {what}", shares)]
    out[0].csv_url = out[1].csv_url = _csv_url("shares", query, stage=stage)
    legs = [("origin", "graduate", s.flows(eng, f, "origin", "graduate", intervals=False)),
            ("graduate", "work", s.flows(eng, f, "graduate", "work", intervals=False))]
    sk = ch.sankey("d-sankey", f"Origin → graduate → work: {what}", legs)
    sk.csv_url = _csv_url("flows", query, **{"from": "origin", "to": "work"})
    out.append(sk)
    if f.year is None:  # a trend needs more than one year
        tr = ch.trend_lines("d-trend", f"{label} by year: {what}", s.trend(eng, f, stage, f.country))
        tr.csv_url = _csv_url("trend", query, stage=stage)
        out.append(tr)
    inst = ch.ranking_bars("d-inst", f"Top workplaces: {what}", s.institutions(eng, f, "work", limit=20,
                                                                              intervals=False))
    inst.csv_url = _csv_url("institutions", query, stage="work")
    out.append(inst)
    return out
