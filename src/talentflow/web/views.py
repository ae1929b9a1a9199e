"""The dashboard's charts for one filter set: the same chart builders as the static report, titled in words.

A chosen country narrows the flows to the links that touch it and the ranking to its institutions (rows the
library already published; nothing is recomputed). An empty chart suggests the nearest query that has data.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlencode

from ..report import charts as ch
from ..report import labels as lb
from ..report import provenance
from ..report.privacy import protect_basis
from ..metrics.contract import FLOW_FROM, FLOW_TO
from ..report.source import Filters, MetricSource

PROXY_NOTE = (" In years whose papers state no positions (NeurIPS before 2021, most non-OpenReview venues) a "
              "workplace is only a proxy and is not counted here.")
# Filters dropped one at a time, most specific first, when looking for a nearby query with data.
RELAX = ("country", "sector", "subfield", "year", "years", "tier", "attribution", "venue")


# The filter parameters every metric endpoint takes (web.app.FilterParams): a CSV link carries only these and its
# own extras, since an endpoint answers 422 to a parameter it does not declare (flows has no `stage`).
FILTER_PARAMS = ("venue", "year", "years", "tier", "subfield", "sector", "attribution", "country", "proxy")


def _csv_url(endpoint: str, query: str, **extra) -> str:
    keep = FILTER_PARAMS + (("count",) if endpoint == "shares" else ())  # only shares take a counting rule
    keep += ("rollup",) if endpoint == "institutions" else ()
    params = [(k, v) for k, v in parse_qsl(query) if k in keep and k not in extra]
    params += [(k, v) for k, v in extra.items() if v is not None] + [("format", "csv")]
    return f"/api/{endpoint}?{urlencode(params)}"


def suggestions(s: MetricSource, eng, f: Filters, stage: str, limit: int = 2) -> list[tuple[str, str]]:
    """Up to `limit` dashboard links: this query with one filter dropped, where the shares have data."""
    out = []
    for k in RELAX:
        if getattr(f, k) is None:
            continue
        g = dataclasses.replace(f, **{k: None})
        if any(r.get("share") is not None for r in s.shares(eng, g, stage, intervals=False)):
            out.append((f"{lb.stage(stage)} · {lb.describe(g)}", "/?" + lb.query_string(g, stage)))
            if len(out) >= limit:
                break
    return out


def _touching(rows: list[dict], country: str | None) -> list[dict]:
    if not country or not rows:
        return rows
    return [r for r in rows if country in (r.get(FLOW_FROM), r.get(FLOW_TO))]


def _retention_and_cohort(s: MetricSource, eng, f: Filters, query: str, what: str) -> list[ch.Chart]:
    """Stay rates (graduate school → workplace) per country and, for one year, where that year's researchers
    (working in the chosen country, if any) are at their latest paper."""
    ret = [r for r in s.retention(eng, f) if not f.country or r.get("country") == f.country]
    ret.sort(key=lambda r: (-(r.get("n") or 0), str(r.get("country"))))
    where = f" · {lb.country(f.country)}" if f.country else ""
    r0 = ret[0] if ret else {}
    both, people = r0.get("n_both_known"), r0.get("n_people")
    sub = ([f"n = {both:,} researchers with graduate school and workplace known, of {people:,} "
            f"({lb.pct(both / people)}); each bar rests on its own country's people (in the table)"]
           if both and people else None)
    rc = ch.share_bars("d-retention", f"Stay rate: graduate school → workplace in the same country{where} · {what}",
                       ret, x_title="stayed in the country of their graduate school (%)", subtitle=sub,
                       view="retention")
    rc.note = ("Of the people whose graduate school is in a country (and whose workplace is known), the share "
               "who work there. Inflows, outflows and net are in the CSV.")
    if rc.empty:
        rc.empty += PROXY_NOTE
    rc.csv_url = _csv_url("retention", query, **({"country": f.country} if f.country else {}))
    out = [rc]
    if f.year is not None and not f.years:
        rows = s.cohort(eng, f, work=f.country)
        who = f"working in {lb.country(f.country)}" if f.country else "all"
        n = next((r["n"] for r in rows if r.get("n")), None)
        cc = ch.share_bars("d-cohort", f"Where the {f.year} researchers ({who}) are at their latest paper · {what}",
                           rows, key="whereabouts", x_title="share of the cohort (%)",
                           subtitle=[f"n = {n:,} researchers in the cohort, found again or not"] if n else None)
        cc.note = ("Each member's country at their latest paper in any later year; 'not seen since' = no later "
                   "paper found (people before 2021 are followed by name links only).")
        if cc.empty:  # what the cohort rests on, step by step, and why it is empty
            basis = s.m.cohort_basis(eng, s.query(f), None, f.country)
            cc.empty = s.m.explain_cohort(protect_basis(basis, s.min_cell), s.min_cell)
        cc.csv_url = _csv_url("cohort", query, **({"work": f.country} if f.country else {}))
        out.append(cc)
    return out


def _count_basis(rows: list[dict], count: str) -> list[str]:
    r = next((r for r in rows if r.get("n")), None)
    unit = "authorships" if count == "authorships" else "papers"
    return [f"n = {r['n']:,} {unit} with a located author, of {r['n_units']:,}"] if r and r.get("n_units") else []


def dashboard_charts(s: MetricSource, eng, f: Filters, stage: str, query: str,
                     count: str = "people", rollup: str = "none", footer: str | None = None) -> list[ch.Chart]:
    """The charts of one filter set; `footer` is their source line when the caller has it (else it is read)."""
    label = lb.stage(stage)
    what = lb.describe(f)
    shares = s.shares(eng, f, stage, count=count)
    unit = "" if count == "people" else f" · counting {lb.label('count', count)}"
    out = [ch.share_bars("d-shares", f"{label} · {what}{unit}", shares, stage=stage,
                         x_title="share of researchers (%)" if count == "people" else f"share of {count} (%)",
                         subtitle=None if count == "people" else _count_basis(shares, count)),
           ch.world_map("d-map", f"{label} · {what}{unit}", shares, stage=stage)]
    out[0].csv_url = out[1].csv_url = _csv_url("shares", query, stage=stage)
    legs = [("origin", "graduate", _touching(s.flows(eng, f, "origin", "graduate", intervals=False), f.country)),
            ("graduate", "work", _touching(s.flows(eng, f, "graduate", "work", intervals=False), f.country))]
    sk = ch.sankey("d-sankey", f"Origin → graduate school → workplace · {what}", legs)
    sk.csv_url = _csv_url("flows", query, **{"from": "origin", "to": "work"})
    out.append(sk)
    if f.year is None:  # a trend needs more than one year
        tr = ch.trend_lines("d-trend", f"{label} by year · {what}", s.trend(eng, f, stage, f.country), stage=stage)
        tr.csv_url = _csv_url("trend", query, stage=stage)
        out.append(tr)
    extra = {"rollup": rollup} if rollup != "none" else {}
    inst_rows = s.institutions(eng, f, "work", limit=300 if f.country else 20, intervals=False, **extra)
    if f.country:
        inst_rows = [r for r in inst_rows if r.get("country") == f.country][:20]
    where = f" in {lb.country(f.country)}" if f.country else ""
    up = " (rolled up to parent organisations)" if rollup == "parent" else ""
    inst = ch.ranking_bars("d-inst", f"Top workplaces{up}{where} · {what}", inst_rows)
    inst.csv_url = _csv_url("institutions", query, stage="work")
    if rollup == "parent":
        inst.note = lb.ROLLUP_DEFINITION
    out.append(inst)
    out += _retention_and_cohort(s, eng, f, query, what)
    if any(c.empty for c in out):
        near = suggestions(s, eng, f, stage)
        for c in out:
            if c.empty:
                c.suggest = near
    if footer is None:  # the source line inside exported images
        footer = provenance.footer(provenance.origins(eng, f))
    for c in out:
        ch.caption(c, footer)
        c.note = " ".join(x for x in (c.note, lb.stage_definition(stage) if c.id in ("d-shares", "d-map", "d-trend")
                                      else "", lb.attribution_definition(f.attribution)) if x)
    return out
