"""Chart specifications (Vega-Lite via Altair; a Plotly figure for the Sankey) built from published rows.

A `Chart` carries its spec, the rows behind it (the CSV download) and the provenance footer. Map specs refer to
the vendored world TopoJSON by the dataset name `world`: the page injects it in the browser (no fetch, works from
file://) and `static_images` inlines it for the SVG/PNG files.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources

import altair as alt

from .privacy import SUPPRESSED

WORLD_MARK = "__talentflow_world__"
PALETTE = "tableau10"


@dataclass
class Chart:
    id: str
    title: str
    spec: dict
    rows: list[dict]
    footer: str = ""
    note: str = ""
    kind: str = "vega"  # vega | plotly
    files: dict[str, str] = field(default_factory=dict)  # format → relative path, filled by the site writer
    csv_url: str = ""  # dashboard: the API URL that returns the rows as CSV


@functools.lru_cache(maxsize=1)
def world_topojson() -> dict:
    return json.loads(resources.files("talentflow.report").joinpath("static/vendor/countries-110m.json").read_text())


@functools.lru_cache(maxsize=512)
def country_name(code: str | None) -> str:
    if not code or code == SUPPRESSED:
        return code or "unknown"
    import pycountry

    c = pycountry.countries.get(alpha_2=code.upper())
    return getattr(c, "common_name", None) or (c.name if c else code)


@functools.lru_cache(maxsize=512)
def _numeric(code: str) -> str | None:
    import pycountry

    c = pycountry.countries.get(alpha_2=code.upper()) if code and len(code) == 2 else None
    return str(int(c.numeric)) if c else None


def _pct(v):
    return None if v is None else round(100 * v, 2)


def _label_rows(rows: list[dict], key: str) -> list[dict]:
    out = []
    for r in rows:
        out.append({**r, "label": country_name(r.get(key)) if key == "country" else r.get(key),
                    "share_pct": _pct(r.get("share")), "ci_low_pct": _pct(r.get("ci_low")),
                    "ci_high_pct": _pct(r.get("ci_high"))})
    return out


def _vl(chart: alt.TopLevelMixin) -> dict:
    spec = chart.to_dict()
    spec.pop("config", None)
    return spec


def share_bars(cid: str, title: str, rows: list[dict], key: str = "country", top: int = 15) -> Chart:
    """Horizontal bars of shares with their confidence interval."""
    data = [r for r in _label_rows(rows, key) if r["share_pct"] is not None]
    data = sorted([r for r in data if r.get(key) != SUPPRESSED], key=lambda r: -r["share_pct"])[:top] + \
        [r for r in data if r.get(key) == SUPPRESSED]  # the pooled small cells last
    base = alt.Chart(alt.Data(values=data)).encode(
        y=alt.Y("label:N", sort=[r["label"] for r in data], title=None))
    bars = base.mark_bar(color="#4c78a8").encode(
        x=alt.X("share_pct:Q", title="share of researchers (%)"),
        tooltip=[alt.Tooltip("label:N", title=key), alt.Tooltip("share_pct:Q", title="share %"),
                 alt.Tooltip("ci_low_pct:Q", title="95% CI low"), alt.Tooltip("ci_high_pct:Q", title="95% CI high"),
                 alt.Tooltip("count:Q", title="people")])
    err = base.mark_rule(color="black").encode(x="ci_low_pct:Q", x2="ci_high_pct:Q")
    spec = _vl((bars + err).properties(width=460, height=max(60, 22 * len(data)), title=title))
    return Chart(cid, title, spec, rows)


def world_map(cid: str, title: str, rows: list[dict]) -> Chart:
    """Choropleth of shares by country (ISO alpha-2 in `country`)."""
    vals = [{"id": _numeric(r["country"]), "country": country_name(r["country"]), "share_pct": _pct(r.get("share")),
             "count": r.get("count")} for r in rows if r.get("country") and _numeric(r["country"])
            and r.get("share") is not None]
    geo = {"name": "world", "format": {"type": "topojson", "feature": "countries"}}
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title, "width": 640, "height": 340,
        "datasets": {"world": WORLD_MARK, "values": vals},
        "projection": {"type": "equalEarth"},
        "layer": [
            {"data": geo, "mark": {"type": "geoshape", "fill": "#e6e6e6", "stroke": "white", "strokeWidth": 0.5}},
            {"data": geo,
             "transform": [{"lookup": "id", "from": {"data": {"name": "values"}, "key": "id",
                                                      "fields": ["country", "share_pct", "count"]}},
                           {"filter": "datum.share_pct != null"}],
             "mark": {"type": "geoshape", "stroke": "white", "strokeWidth": 0.5},
             "encoding": {"color": {"field": "share_pct", "type": "quantitative", "title": "share %",
                                    "scale": {"scheme": "blues", "type": "sqrt"}},
                          "tooltip": [{"field": "country"}, {"field": "share_pct", "title": "share %"},
                                      {"field": "count", "title": "people"}]}},
        ],
    }
    return Chart(cid, title, spec, rows)


def trend_lines(cid: str, title: str, rows: list[dict], key: str = "country", top: int = 6) -> Chart:
    """Share per year of the `top` largest groups (by people over all years), with the interval as a band."""
    totals: dict = {}
    for r in rows:
        if r.get(key) not in (None, SUPPRESSED) and r.get("count"):
            totals[r[key]] = totals.get(r[key], 0) + r["count"]
    keep = set(sorted(totals, key=lambda k: -totals[k])[:top])
    rows = [r for r in rows if r.get(key) in keep]
    data = [{**r, "label": country_name(r.get(key)), "share_pct": _pct(r.get("share")),
             "ci_low_pct": _pct(r.get("ci_low")), "ci_high_pct": _pct(r.get("ci_high"))}
            for r in rows if r.get("share") is not None]
    base = alt.Chart(alt.Data(values=data)).encode(
        x=alt.X("year:O", title="year"), color=alt.Color("label:N", title=key, scale=alt.Scale(scheme=PALETTE)))
    band = base.mark_area(opacity=0.2).encode(y="ci_low_pct:Q", y2="ci_high_pct:Q")
    line = base.mark_line(point=True).encode(
        y=alt.Y("share_pct:Q", title="share (%)"),
        tooltip=["label:N", "year:O", alt.Tooltip("share_pct:Q", title="share %"),
                 alt.Tooltip("count:Q", title="people")])
    return Chart(cid, title, _vl((band + line).properties(width=560, height=280, title=title)), rows)


def grouped_bars(cid: str, title: str, rows: list[dict], x: str, group: str, value: str = "share") -> Chart:
    """Share per `x` category split by `group` (e.g. origin share by subfield, by tier)."""
    data = [{**r, "group_label": country_name(r.get(group)) if group == "country" else r.get(group),
             "value_pct": _pct(r.get(value))} for r in rows if r.get(value) is not None]
    spec = _vl(alt.Chart(alt.Data(values=data)).mark_bar().encode(
        y=alt.Y(f"{x}:N", title=None), yOffset="group_label:N",
        x=alt.X("value_pct:Q", title="share (%)"),
        color=alt.Color("group_label:N", title=group, scale=alt.Scale(scheme=PALETTE)),
        tooltip=[f"{x}:N", "group_label:N", alt.Tooltip("value_pct:Q", title="share %"), "count:Q"],
    ).properties(width=460, title=title))
    return Chart(cid, title, spec, rows)


def ranking_bars(cid: str, title: str, rows: list[dict], key: str = "institution", top: int = 25) -> Chart:
    data = [{**r, "share_pct": _pct(r.get("share"))} for r in rows if r.get("count") is not None][:top]
    spec = _vl(alt.Chart(alt.Data(values=data)).mark_bar(color="#59a14f").encode(
        y=alt.Y(f"{key}:N", sort="-x", title=None), x=alt.X("count:Q", title="researchers"),
        tooltip=[f"{key}:N", "country:N", "count:Q", alt.Tooltip("share_pct:Q", title="share %")],
    ).properties(width=460, height=max(60, 20 * len(data)), title=title))
    return Chart(cid, title, spec, rows)


def sankey(cid: str, title: str, legs: list[tuple[str, str, list[dict]]], top: int = 10) -> Chart:
    """Plotly Sankey over consecutive stages: legs = [(from_stage, to_stage, flow rows), …]."""
    from .source import pair_keys

    labels: list[str] = []
    index: dict[tuple[str, str], int] = {}

    def node(stage: str, country: str) -> int:
        k = (stage, country)
        if k not in index:
            index[k] = len(labels)
            labels.append(f"{country_name(country)} ({stage})")
        return index[k]

    src, tgt, val, csv_rows = [], [], [], []
    for frm, to, rows in legs:
        rows = [r for r in rows if r.get("count")]
        if not rows:
            continue
        a, b = pair_keys(rows[0])
        for r in sorted(rows, key=lambda r: -r["count"])[:top * 3]:
            src.append(node(frm, r[a]))
            tgt.append(node(to, r[b]))
            val.append(r["count"])
            csv_rows.append({"from_stage": frm, "from": r[a], "to_stage": to, "to": r[b], "count": r["count"]})
    # Pin each stage to its own column (Plotly would otherwise move nodes without incoming links to the left).
    stages = list(dict.fromkeys([leg[0] for leg in legs] + [leg[1] for leg in legs]))
    col = {st: 0.001 + 0.998 * i / max(1, len(stages) - 1) for i, st in enumerate(stages)}
    per = {st: [k for k in index if k[0] == st] for st in stages}
    xs, ys = [0.0] * len(labels), [0.0] * len(labels)
    for st, keys in per.items():
        for j, k in enumerate(keys):
            xs[index[k]], ys[index[k]] = col[st], 0.001 + 0.998 * (j + 0.5) / len(keys)
    fig = {"data": [{"type": "sankey", "arrangement": "snap",
                     "node": {"label": labels, "pad": 12, "thickness": 14, "x": xs, "y": ys},
                     "link": {"source": src, "target": tgt, "value": val}}],
           "layout": {"title": {"text": title}, "width": 860, "height": 520, "font": {"size": 11},
                      "margin": {"l": 10, "r": 10, "t": 40, "b": 10}}}
    return Chart(cid, title, fig, csv_rows, kind="plotly")


def with_world(spec: dict) -> dict:
    """The spec with the world TopoJSON inlined (for static image export)."""
    if spec.get("datasets", {}).get("world") == WORLD_MARK:
        spec = {**spec, "datasets": {**spec["datasets"], "world": world_topojson()}}
    return spec


def static_images(chart: Chart, fmts: tuple[str, ...] = ("svg", "png")) -> dict[str, bytes]:
    """SVG/PNG bytes of a Vega-Lite chart via vl-convert (Plotly charts export in the browser)."""
    if chart.kind != "vega":
        return {}
    return spec_images(chart.spec, fmts)


def spec_images(spec: dict, fmts: tuple[str, ...] = ("svg", "png")) -> dict[str, bytes]:
    import vl_convert as vlc

    spec = with_world(spec)
    out = {}
    if "svg" in fmts:
        out["svg"] = vlc.vegalite_to_svg(spec).encode()
    if "png" in fmts:
        out["png"] = vlc.vegalite_to_png(spec, scale=1.5)
    return out


def write_images(spec: dict, stem: str) -> list[str]:
    """Write stem.svg and stem.png for a Vega-Lite spec (runs in a worker process during the report build)."""
    from pathlib import Path

    written = []
    for fmt, data in spec_images(spec).items():
        Path(f"{stem}.{fmt}").write_bytes(data)
        written.append(fmt)
    return written
