"""Chart specifications (Vega-Lite via Altair; a Plotly figure for the Sankey) built from published rows.

A `Chart` carries its spec, the rows behind it (the CSV download), a plain table of what it draws (the "show
table" alternative), an aria label, and the provenance footer. Every chart uses the container's width, names
countries in words and gives each country its one colour (labels.country_colour); the pool of suppressed small
cells is grey, last, "Other (small countries)". A chart with nothing to draw is `empty` with the reason instead
of empty axes. Map specs refer to the vendored world TopoJSON by the dataset name `world`: the page injects it in
the browser (no fetch, works from file://) and `static_images` inlines it for the SVG/PNG files.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources

import altair as alt

from . import labels as lb
from .privacy import SUPPRESSED

WORLD_MARK = "__talentflow_world__"
EXPORT_WIDTH = 640  # static SVG/PNG files have no container: this width instead
LINE = 96  # characters per subtitle line before it wraps
LABEL_ROOM = {"left": 5, "top": 5, "bottom": 5, "right": 44}  # value labels past the longest bar stay visible


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
    table: dict = field(default_factory=lambda: {"columns": [], "rows": []})  # the drawn values, as text
    aria: str = ""  # what the chart shows, in one sentence (screen readers)
    subtitle: list[str] = field(default_factory=list)  # n, coverage (the source line is added by `caption`)
    empty: str = ""  # why there is nothing to draw (the chart is not drawn)
    suggest: list[tuple[str, str]] = field(default_factory=list)  # (label, href): nearby queries with data
    dash: str = ""  # the dashboard query string showing the same view ("" = no dashboard view)
    view: str | None = None  # headers of its rows' table ("All columns"): a view of labels.toml [views]


@functools.lru_cache(maxsize=1)
def world_topojson() -> dict:
    return json.loads(resources.files("talentflow.report").joinpath("static/vendor/countries-110m.json").read_text())


def country_name(code: str | None) -> str:
    return lb.country(code)


@functools.lru_cache(maxsize=512)
def _numeric(code: str) -> str | None:
    import pycountry

    c = pycountry.countries.get(alpha_2=code.upper()) if code and len(code) == 2 else None
    return str(int(c.numeric)) if c else None


def _pct(v):
    return None if v is None else round(100 * v, 2)


def _int(v) -> str:
    return "" if v is None else f"{v:,}"


def _heads(*keys: str, view: str | None = None) -> list[str]:
    """Column headers of a chart's table, from the one vocabulary (labels.toml [columns], [views])."""
    return [lb.column(k, view) for k in keys]


def _estimable(r: dict) -> bool:
    """A share that estimates something: 0 of 0 people (the library's 0.0 with n = 0) is no estimate."""
    return r.get("share") is not None and r.get("n") != 0


def _vl(chart: alt.TopLevelMixin, validate: bool = False) -> dict:
    """The Vega-Lite spec without altair's theme config. Not validated here (a schema walk per chart is a fifth
    of the report build); tests/test_report_html.py validates every chart builder's spec."""
    spec = chart.to_dict(validate=validate)
    spec.pop("config", None)
    return spec


def _wrap(text: str, width: int = LINE) -> list[str]:
    lines, cur = [], ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    return lines + ([cur] if cur else [])


def basis(rows: list[dict], stage: str | None = None) -> list[str]:
    """The subtitle line saying what a share rests on: people with a known country, of how many."""
    r = next((r for r in rows if r.get("n") is not None), None)
    if r is None:
        return []
    what = f"a known {lb.stage(stage).lower()} country" if stage else "a known country"
    line = f"n = {r['n']:,} researchers with {what}"
    if r.get("n_people"):
        line += f" of {r['n_people']:,} ({lb.pct(r['n'] / r['n_people'])} known)"
    return [line]


def credit(footer: str) -> str:
    """The source/credit line of an exported image, from the provenance footer ('Data: repo (licence; …); …')."""
    repos = re.findall(r"(?:^Data: |; )([\w.-]+/[\w.-]+) \(", footer or "")
    more = re.search(r"and (\d+) more source", footer or "")
    src = ", ".join(repos) + (f" and {more.group(1)} more" if more else "")
    return "Source: talentflow" + (f", from {src}" if src else "") + "."


def _title(c: Chart) -> None:
    lines = [ln for s in c.subtitle for ln in _wrap(s)]
    if c.kind == "plotly":
        c.spec.setdefault("tf", {}).update(title=c.title, subtitle=list(c.subtitle))
        sub = "".join(f"<br><span style='font-size:11px;color:#555'>{ln}</span>" for ln in lines)
        c.spec["layout"]["title"] = {"text": c.title + sub, "x": 0.01, "xanchor": "left"}
        c.spec["layout"]["margin"]["t"] = 40 + 16 * len(lines)
    else:
        c.spec["title"] = {"text": c.title, "subtitle": lines, "anchor": "start", "subtitleColor": "#555"}
        c.spec["usermeta"] = {"title": c.title, "subtitle": list(c.subtitle)}  # report.js re-wraps on phones


def caption(c: Chart, footer: str) -> Chart:
    """Footer under the chart and the source/credit line in the chart itself (so exported files carry it)."""
    c.footer = footer
    if footer and not any(s.startswith("Source: ") for s in c.subtitle):
        c.subtitle.append(credit(footer))
    if not c.empty:
        _title(c)
    return c


def _finish(c: Chart) -> Chart:
    """Container width, title block, aria description; an empty chart keeps no axes to draw."""
    if c.kind == "vega" and not c.empty:
        c.spec["width"] = "container"
        c.spec["autosize"] = {"type": "fit-x", "contains": "padding"}
        c.spec["description"] = c.aria
        _title(c)
    return c


def _empty(cid: str, title: str, rows: list[dict], why: str, kind: str = "vega") -> Chart:
    return Chart(cid, title, {}, rows, kind=kind, empty=why, aria=f"{title}: no data. {why}")


NO_DATA = ("No researcher in this query has a known country at this stage, or every group is below the "
           "publication threshold.")


def _summary(title: str, pairs: list[tuple[str, str]], n: int = 5) -> str:
    top = "; ".join(f"{a} {b}" for a, b in pairs[:n])
    return f"{title}. " + (f"Largest: {top}." if top else "")


def _colour_field(codes: list, title: str | None = "country", legend: bool = False) -> dict:
    sc = lb.colour_scale(codes)
    out = {"field": "label", "type": "nominal", "scale": sc, "title": title}
    if not legend:
        out["legend"] = None
    return out


def share_bars(cid: str, title: str, rows: list[dict], key: str = "country", top: int = 15,
               stage: str | None = None, x_title: str = "share of researchers (%)",
               subtitle: list[str] | None = None, view: str | None = None) -> Chart:
    """Horizontal bars of shares with their confidence interval and the value at the end of each bar (a key of
    countries or cohort whereabouts gets country labels and colours). `view`: the table kind of the rows (its
    headers name the table's columns; default shares, or cohort for whereabouts)."""
    view = view or ("cohort" if key == "whereabouts" else "shares")
    data = [r for r in rows if _estimable(r)]
    data = sorted([r for r in data if r.get(key) != SUPPRESSED], key=lambda r: (-r["share"], str(r.get(key))))[:top] \
        + [r for r in data if r.get(key) == SUPPRESSED]  # the pooled small cells last
    if not data:
        return _empty(cid, title, rows, NO_DATA)
    named = key in ("country", "whereabouts")
    vals = [{"label": lb.country(r.get(key)) if named else str(r.get(key)), "share_pct": _pct(r["share"]),
             "share_text": lb.pct(r["share"]), "ci_low_pct": _pct(r.get("ci_low")),
             "ci_high_pct": _pct(r.get("ci_high")), "count": r.get("count")} for r in data]
    base = alt.Chart(alt.Data(values=vals)).encode(y=alt.Y("label:N", sort=[v["label"] for v in vals], title=None))
    colour = _colour_field([r.get(key) for r in data]) if named else alt.value("#4c78a8")
    tips = [alt.Tooltip("label:N", title=key), alt.Tooltip("share_text:N", title="share"),
            alt.Tooltip("ci_low_pct:Q", title="95% CI low %"), alt.Tooltip("ci_high_pct:Q", title="95% CI high %"),
            alt.Tooltip("count:Q", title="people", format=",")]
    top_pct = max(max(v["share_pct"], v["ci_high_pct"] or 0) for v in vals)
    bars = base.mark_bar().encode(  # room at the right for the value labels
        x=alt.X("share_pct:Q", title=x_title, scale=alt.Scale(domain=[0, top_pct * 1.14])),
        color=colour, tooltip=tips)
    err = base.mark_rule(color="#333").encode(x=alt.X("ci_low_pct:Q"), x2=alt.X2("ci_high_pct:Q"))
    text = base.mark_text(align="left", dx=4, fontSize=11, color="#222").encode(
        x=alt.X("max_pct:Q"), text=alt.Text("share_text:N"))
    spec = _vl(alt.layer(bars, err, text).transform_calculate(
        max_pct="max(datum.share_pct, datum.ci_high_pct || 0)").properties(height=max(60, 22 * len(vals))))
    spec["padding"] = LABEL_ROOM
    c = Chart(cid, title, spec, rows, subtitle=basis(rows, stage) if subtitle is None else subtitle,
              aria=_summary(title, [(v["label"], v["share_text"]) for v in vals]), view=view)
    c.table = {"columns": _heads(key, "share", "ci", "count", view=view),
               "rows": [[v["label"], v["share_text"], "–" if v["ci_low_pct"] is None else
                         f"{v['ci_low_pct']:.1f}–{v['ci_high_pct']:.1f}%", _int(v["count"])] for v in vals]}
    return _finish(c)


def world_map(cid: str, title: str, rows: list[dict], stage: str | None = None) -> Chart:
    """Choropleth of shares by country (ISO alpha-2 in `country`)."""
    vals = [{"id": _numeric(r["country"]), "country": lb.country(r["country"]), "share_pct": _pct(r.get("share")),
             "share_text": lb.pct(r.get("share")), "count": r.get("count")} for r in rows
            if r.get("country") and _numeric(r["country"]) and _estimable(r)]
    if not vals:
        return _empty(cid, title, rows, NO_DATA)
    geo = {"name": "world", "format": {"type": "topojson", "feature": "countries"}}
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "height": 340, "datasets": {"world": WORLD_MARK, "values": vals},
        "projection": {"type": "equalEarth"},
        "layer": [
            {"data": geo, "mark": {"type": "geoshape", "fill": "#e6e6e6", "stroke": "white", "strokeWidth": 0.5}},
            {"data": geo,
             "transform": [{"lookup": "id", "from": {"data": {"name": "values"}, "key": "id",
                                                      "fields": ["country", "share_pct", "share_text", "count"]}},
                           {"filter": "datum.share_pct != null"}],
             "mark": {"type": "geoshape", "stroke": "white", "strokeWidth": 0.5},
             "encoding": {"color": {"field": "share_pct", "type": "quantitative", "title": "share %",
                                    "scale": {"scheme": "blues", "type": "sqrt"}},
                          "tooltip": [{"field": "country"}, {"field": "share_text", "title": "share"},
                                      {"field": "count", "title": "people", "format": ","}]}},
        ],
    }
    top = sorted(vals, key=lambda v: (-v["share_pct"], v["country"]))
    c = Chart(cid, title, spec, rows, subtitle=basis(rows, stage),
              aria=_summary(title + " (world map)", [(v["country"], v["share_text"]) for v in top]), view="shares")
    c.table = {"columns": _heads("country", "share", "count"),
               "rows": [[v["country"], v["share_text"], _int(v["count"])] for v in top]}
    return _finish(c)


def trend_lines(cid: str, title: str, rows: list[dict], key: str = "country", top: int = 6,
                stage: str | None = None) -> Chart:
    """Share per year of the `top` largest groups (by people over all years), with the interval as a band. A year
    where a group is suppressed (or absent) breaks its line instead of being bridged."""
    totals: dict = {}
    for r in rows:
        if r.get(key) not in (None, SUPPRESSED) and r.get("count"):
            totals[r[key]] = totals.get(r[key], 0) + r["count"]
    keep = sorted(totals, key=lambda k: (-totals[k], k))[:top]
    have = {(r[key], r["year"]): r for r in rows if r.get(key) in keep and _estimable(r)}
    if not have:
        return _empty(cid, title, rows, NO_DATA)
    first, last = min(y for _, y in have), max(y for _, y in have)  # the years with any estimate
    years = sorted({r["year"] for r in rows if r.get("year") is not None and first <= r["year"] <= last})
    data, gaps = [], 0
    for k in keep:
        for y in years:
            r = have.get((k, y))
            gaps += r is None
            data.append({"label": lb.country(k) if key == "country" else str(k), "year": y,
                         "share_pct": _pct(r["share"]) if r else None, "share_text": lb.pct(r["share"]) if r else "",
                         "ci_low_pct": _pct(r.get("ci_low")) if r else None,
                         "ci_high_pct": _pct(r.get("ci_high")) if r else None, "count": r.get("count") if r else None})
    colour = _colour_field(keep, title=key, legend=True) if key == "country" else alt.Color("label:N")
    base = alt.Chart(alt.Data(values=data)).encode(x=alt.X("year:O", title="year", axis=alt.Axis(labelAngle=0)),
                                                   color=colour)
    band = base.mark_area(opacity=0.18, invalid="break-paths-show-domains").encode(y=alt.Y("ci_low_pct:Q"),
                                                                                  y2=alt.Y2("ci_high_pct:Q"))
    line = base.mark_line(point=True, invalid="break-paths-show-domains").encode(
        y=alt.Y("share_pct:Q", title="share (%)"),
        tooltip=[alt.Tooltip("label:N", title=key), alt.Tooltip("year:O"), alt.Tooltip("share_text:N", title="share"),
                 alt.Tooltip("count:Q", title="people", format=",")])
    spec = _vl((band + line).properties(height=280))
    c = Chart(cid, title, spec, rows, subtitle=["Gaps: years where the group is below the publication threshold "
                                                "or has no researcher with a known country."] if gaps else [],
              aria=_summary(f"{title}, {years[0]}–{years[-1]}", [
                  (lb.country(k), f"{lb.pct(have[(k, last)]['share'])} in {last}") for k in keep if (k, last) in have]),
              view="trend")
    c.table = {"columns": _heads("year") + [lb.country(k) for k in keep],
               "rows": [[str(y)] + [lb.pct(have[(k, y)]["share"]) if (k, y) in have else "suppressed / none"
                                    for k in keep] for y in years]}
    return _finish(c)


def grouped_bars(cid: str, title: str, rows: list[dict], x: str, group: str, value: str = "share") -> Chart:
    """Share per `x` category split by `group` (e.g. origin share by subfield, by tier)."""
    data = [r for r in rows if r.get(value) is not None and r.get("n") != 0 and r.get(group) != SUPPRESSED]
    if not data:
        return _empty(cid, title, rows, NO_DATA)
    groups = list(dict.fromkeys(r.get(group) for r in data))
    vals = [{"x_label": lb.label(x, r.get(x)), "label": lb.country(r.get(group)) if group == "country" else
             str(r.get(group)), "value_pct": _pct(r.get(value)), "value_text": lb.pct(r.get(value)),
             "count": r.get("count")} for r in data]
    colour = _colour_field(groups, title=group, legend=True) if group == "country" else alt.Color("label:N")
    spec = _vl(alt.Chart(alt.Data(values=vals)).mark_bar().encode(
        y=alt.Y("x_label:N", title=None, sort=list(dict.fromkeys(v["x_label"] for v in vals))), yOffset=alt.YOffset("label:N"),
        x=alt.X("value_pct:Q", title="share (%)"), color=colour,
        tooltip=[alt.Tooltip("x_label:N", title=x), alt.Tooltip("label:N", title=group),
                 alt.Tooltip("value_text:N", title="share"), alt.Tooltip("count:Q", title="people", format=",")],
    ))
    cats = list(dict.fromkeys(v["x_label"] for v in vals))
    names = [lb.country(g) if group == "country" else str(g) for g in groups]
    cell = {(v["x_label"], v["label"]): v["value_text"] for v in vals}
    c = Chart(cid, title, spec, rows, aria=f"{title}: {', '.join(names)} across {len(cats)} {x} values.",
              view="shares")
    c.table = {"columns": _heads(x) + names, "rows": [[k] + [cell.get((k, nm), "") for nm in names] for k in cats]}
    return _finish(c)


def ranking_bars(cid: str, title: str, rows: list[dict], key: str = "institution", top: int = 25) -> Chart:
    """Institutions ranked by people, coloured by their country, with the count at the end of each bar."""
    data = sorted([r for r in rows if r.get("count") is not None],
                  key=lambda r: (-r["count"], str(r.get(key))))[:top]
    if not data:
        return _empty(cid, title, rows, "No institution in this query reaches the publication threshold.")
    vals = [{"name": str(r.get(key)), "label": lb.country(r.get("country")), "count": r["count"],
             "count_text": f"{r['count']:,}", "share_text": lb.pct(r.get("share"))} for r in data]
    base = alt.Chart(alt.Data(values=vals)).encode(y=alt.Y("name:N", sort=[v["name"] for v in vals], title=None))
    bars = base.mark_bar().encode(
        x=alt.X("count:Q", title="researchers", scale=alt.Scale(domain=[0, vals[0]["count"] * 1.12])),
        color=_colour_field([r.get("country") for r in data], title="country", legend=True),
        tooltip=[alt.Tooltip("name:N", title=key), alt.Tooltip("label:N", title="country"),
                 alt.Tooltip("count:Q", title="people", format=","), alt.Tooltip("share_text:N", title="share")])
    text = base.mark_text(align="left", dx=3, fontSize=11, color="#222").encode(x=alt.X("count:Q"),
                                                                                 text=alt.Text("count_text:N"))
    spec = _vl((bars + text).properties(height=max(60, 20 * len(vals))))
    spec["padding"] = LABEL_ROOM
    c = Chart(cid, title, spec, rows, subtitle=basis(rows),
              aria=_summary(title, [(v["name"], f"{v['count_text']} researchers") for v in vals]), view="institutions")
    c.table = {"columns": _heads(key, "country", "count", "share"),
               "rows": [[v["name"], v["label"], v["count_text"], v["share_text"]] for v in vals]}
    return _finish(c)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def sankey(cid: str, title: str, legs: list[tuple[str, str, list[dict]]], top: int = 10) -> Chart:
    """Plotly Sankey over consecutive stages: legs = [(from_stage, to_stage, flow rows), …]. A country has the same
    colour at every stage; the pooled small links go to one grey node per stage, at the bottom."""
    from ..metrics.contract import FLOW_FROM as a, FLOW_TO as b

    picked = []
    for frm, to, rows in legs:
        rows = [r for r in rows if r.get("count")]
        if rows:
            picked += [(frm, to, r[a], r[b], r["count"]) for r in
                       sorted(rows, key=lambda r: (-r["count"], str(r[a]), str(r[b])))[:top * 3]]
    if not picked:
        return _empty(cid, title, [], "No researcher in this query has both stages known, or every link is below "
                                      "the publication threshold.", kind="plotly")
    stages = list(dict.fromkeys([leg[0] for leg in legs] + [leg[1] for leg in legs]))
    weight: dict[tuple[str, str], int] = {}
    for frm, to, x, y, n in picked:
        weight[(frm, x)] = weight.get((frm, x), 0) + n
        weight[(to, y)] = weight.get((to, y), 0) + n
    # Nodes per stage: largest first, the pool last (bottom of its column).
    keys = sorted(weight, key=lambda k: (stages.index(k[0]), k[1] == SUPPRESSED, -weight[k], str(k[1])))
    index = {k: i for i, k in enumerate(keys)}
    labels = [f"{lb.country(k[1])} ({lb.stage(k[0]).lower()})" for k in keys]
    colours = [lb.country_colour(k[1]) for k in keys]
    col = {st: 0.001 + 0.998 * i / max(1, len(stages) - 1) for i, st in enumerate(stages)}
    xs, ys = [0.0] * len(keys), [0.0] * len(keys)
    for st in stages:  # pin each stage to its own column, in the order above (Plotly snaps overlaps apart)
        mine = [k for k in keys if k[0] == st]
        for j, k in enumerate(mine):
            xs[index[k]], ys[index[k]] = col[st], 0.001 + 0.998 * (j + 0.5) / len(mine)
    src = [index[(frm, x)] for frm, _, x, _, _ in picked]
    tgt = [index[(to, y)] for _, to, _, y, _ in picked]
    val = [n for *_, n in picked]
    fig = {"data": [{"type": "sankey", "arrangement": "snap",
                     "node": {"label": labels, "pad": 12, "thickness": 14, "x": xs, "y": ys, "color": colours,
                              "hovertemplate": "%{label}: %{value:,} researchers<extra></extra>"},
                     "link": {"source": src, "target": tgt, "value": val,
                              "color": [_rgba(colours[s], 0.35) for s in src],
                              "hovertemplate": "%{source.label} → %{target.label}: %{value:,}<extra></extra>"}}],
           "layout": {"height": 520, "font": {"size": 11}, "autosize": True,
                      "margin": {"l": 10, "r": 10, "t": 40, "b": 40},
                      "annotations": [{"text": lb.stage(st), "x": col[st], "y": -0.03, "xref": "paper",
                                       "yref": "paper", "yanchor": "top", "showarrow": False,
                                       "xanchor": "left" if i == 0 else "right" if i == len(stages) - 1 else "center",
                                       "font": {"size": 11, "color": "#333"}} for i, st in enumerate(stages)]},
           # read by report.js: narrow screens show the country alone (the column says the stage)
           "tf": {"short": [lb.country(k[1]) for k in keys]}}
    csv_rows = [{"from_stage": frm, "from": x, "to_stage": to, "to": y, "count": n} for frm, to, x, y, n in picked]
    c = Chart(cid, title, fig, csv_rows, kind="plotly",
              aria=_summary(title + " (flow diagram)", [(f"{lb.country(x)} → {lb.country(y)}", f"{n:,}")
                                                        for _, _, x, y, n in picked]))
    c.table = {"columns": _heads("from", "to", "count"),
               "rows": [[f"{lb.country(x)} ({lb.stage(frm).lower()})", f"{lb.country(y)} ({lb.stage(to).lower()})",
                         f"{n:,}"] for frm, to, x, y, n in picked]}
    return _finish(c)


def with_world(spec: dict) -> dict:
    """The spec with the world TopoJSON inlined (for static image export)."""
    if spec.get("datasets", {}).get("world") == WORLD_MARK:
        spec = {**spec, "datasets": {**spec["datasets"], "world": world_topojson()}}
    return spec


def for_export(spec: dict) -> dict:
    """A file has no container to fit: a fixed width instead of "container"."""
    spec = copy.deepcopy(spec)
    if spec.get("width") == "container":
        spec["width"] = EXPORT_WIDTH
    return with_world(spec)


def static_images(chart: Chart, fmts: tuple[str, ...] = ("svg", "png")) -> dict[str, bytes]:
    """SVG/PNG bytes of a Vega-Lite chart via vl-convert (Plotly charts export in the browser)."""
    if chart.kind != "vega" or chart.empty:
        return {}
    return spec_images(chart.spec, fmts)


def spec_images(spec: dict, fmts: tuple[str, ...] = ("svg", "png")) -> dict[str, bytes]:
    import vl_convert as vlc

    spec = for_export(spec)
    out = {}
    svg = vlc.vegalite_to_svg(spec) if fmts else ""
    if "svg" in fmts:
        out["svg"] = svg.encode()
    if "png" in fmts:  # rasterise the SVG just drawn: the same bytes as vegalite_to_png, without drawing twice
        out["png"] = vlc.svg_to_png(svg, scale=1.5)
    return out


def write_images(spec: dict, stem: str) -> list[str]:
    """Write stem.svg and stem.png for a Vega-Lite spec (runs in a worker process during the report build)."""
    from pathlib import Path

    written = []
    for fmt, data in spec_images(spec).items():
        Path(f"{stem}.{fmt}").write_bytes(data)
        written.append(fmt)
    return written
