"""Human labels for the codes the data carries (venues, subfields, tiers, stages, rules, countries), chart titles
in words, and the one colour per country shared by every chart.

The labels live in reviewable data files (data/labels.toml, data/palette.toml), read on first use.
`unlabelled()` lists the codes in use without a label and the labels nobody uses (checked by the tests).
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from importlib import resources

from .privacy import SUPPRESSED

OTHER_SMALL = "Other (small countries)"  # the label of the pooled, suppressed small cells
ROLLUP_DEFINITION = ("Rolled up: each institution is counted under its ultimate parent organisation (Google DeepMind "
                     "and Waymo under Google, Microsoft Research Asia under Microsoft, a university's campuses, "
                     "hospitals and institutes under the university), so a researcher seen at two of its members "
                     "counts once. Countries are not changed by the roll-up.")
DEFAULT_ATTRIBUTION = "location"  # the metrics library's default rule when a query names none
DEFAULT_TIER = "accepted"


@functools.lru_cache(maxsize=2)
def _data(name: str) -> dict:
    return tomllib.loads(resources.files("talentflow.report").joinpath(f"data/{name}.toml").read_text("utf-8"))


def table(kind: str) -> dict[str, str]:
    """One section of labels.toml: venues, subfields, tiers, stages, attribution, sectors, countries, …"""
    return _data("labels")[kind]


def _get(kind: str, code) -> str:
    if code is None:
        return ""
    return table(kind).get(str(code), str(code))


def venue(code) -> str:
    return _get("venues", code)


def subfield(code) -> str:
    return _get("subfields", code)


def tier(code) -> str:
    return _get("tiers", code)


def stage(code) -> str:
    return _get("stages", code)


def attribution(code) -> str:
    return _get("attribution", code or DEFAULT_ATTRIBUTION)


def sector(code) -> str:
    return _get("sectors", code)


def stage_definition(code) -> str:
    return _get("stage_definitions", code)


def attribution_definition(code) -> str:
    return _get("attribution_definitions", code or DEFAULT_ATTRIBUTION)


@functools.lru_cache(maxsize=1024)
def country(code) -> str:
    """Country name: the curated override, else pycountry's common name, else its name; the pool → OTHER_SMALL."""
    if not code:
        return "unknown"
    if code == SUPPRESSED:
        return OTHER_SMALL
    if code in table("whereabouts"):  # a cohort member's whereabouts that is not a country
        return table("whereabouts")[code]
    raw = str(code)
    code = raw.upper()
    if code in table("countries"):
        return table("countries")[code]
    import pycountry

    c = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    return (getattr(c, "common_name", None) or c.name) if c else (code if len(code) == 2 else raw)


def label(kind: str, code) -> str:
    """The label of a filter value by filter name (venue, subfield, tier, stage, attribution, sector, country)."""
    fn = {"venue": venue, "subfield": subfield, "tier": tier, "stage": stage, "attribution": attribution,
          "sector": sector, "country": country, "count": lambda c: _get("count", c),
          "rollup": lambda c: _get("rollup", c)}.get(kind)
    return fn(code) if fn else ("" if code is None else str(code))


def pct(v, digits: int = 1) -> str:
    """0.8437 → '84.4%'; None → '–'."""
    return "–" if v is None else f"{100 * v:.{digits}f}%"


def interval(low, high, digits: int = 1) -> str:
    """(0.431, 0.452) → '43.1–45.2%'; an unknown end → '–'."""
    if low is None or high is None:
        return "–"
    return f"{100 * low:.{digits}f}–{100 * high:.{digits}f}%"


def column(key: str, view: str | None = None) -> str:
    """The header of a table column (labels.toml [columns], or the view's own header), else its name in words:
    'pct_aff' → 'Pct aff'; a name that already has spaces is kept."""
    own = views().get(view, {}).get("headers", {}) if view else {}
    if key in own:
        return own[key]
    if key in table("columns"):
        return table("columns")[key]
    if " " in key or not key:
        return key
    text = key.replace("_", " ")
    return text[0].upper() + text[1:]


def views() -> dict[str, dict]:
    """The short default views of the table kinds (labels.toml [views.KIND]: columns, headers)."""
    return _data("labels")["views"]


def describe(f, with_rule: bool = True) -> str:
    """A query in words: 'NeurIPS 2022 · accepted papers · headquarters rule' (`f` is a report Filters)."""
    if f is None:
        return "all venues · all years"
    where = venue(f.venue) if f.venue else "All venues"
    if f.year is not None:
        when = str(f.year)
    elif f.years is not None:
        when = f"{f.years[0]}–{f.years[1]}" if f.years[0] != f.years[1] else str(f.years[0])
    else:
        when = "all years"
    parts = [f"{where} {when}" if f.venue else f"{where} · {when}", tier(f.tier or DEFAULT_TIER)]
    if f.subfield:
        parts.append(subfield(f.subfield))
    if f.sector:
        parts.append(sector(f.sector))
    if f.country:
        parts.append(country(f.country))
    if with_rule:
        parts.append(attribution(f.attribution))
    if f.include_proxy:
        parts.append("with proxies")
    return " · ".join(parts)


# ---- colours ------------------------------------------------------------------------------------------------

def country_colour(code) -> str:
    """The fixed colour of a country in every chart; the suppressed pool grey; unknown light grey."""
    pal = _data("palette")
    if code == SUPPRESSED:
        return pal["suppressed"]
    if not code or code in table("whereabouts"):
        return pal["unknown"]
    code = str(code).upper()
    if code in pal["countries"]:
        return pal["countries"][code]
    others = pal["others"]
    return others[int(hashlib.sha1(code.encode()).hexdigest()[:8], 16) % len(others)]


def colour_scale(codes) -> dict:
    """A Vega-Lite scale mapping the given country codes' labels to their fixed colours (legend in that order)."""
    codes = list(dict.fromkeys(codes))
    return {"domain": [country(c) for c in codes], "range": [country_colour(c) for c in codes]}


# ---- review -------------------------------------------------------------------------------------------------

def unlabelled() -> dict[str, list[str]]:
    """Codes in use without a label ('missing:<kind>') and labels of codes nobody uses ('unused:<kind>')."""
    from ..metrics.query import ALLOWED

    out: dict[str, list[str]] = {}
    for kind, param in (("venues", "venue"), ("subfields", "subfield"), ("tiers", "tier"), ("stages", "stage"),
                        ("attribution", "attribution"), ("sectors", "sector"), ("count", "count"),
                        ("rollup", "rollup")):
        used = {str(v) for v in ALLOWED[param]}
        have = set(table(kind))
        out[f"missing:{kind}"] = sorted(used - have)
        out[f"unused:{kind}"] = sorted(have - used)
    for kind in ("stage_definitions",):
        out[f"missing:{kind}"] = sorted({str(v) for v in ALLOWED["stage"]} - set(table(kind)))
    countries = {str(v) for v in ALLOWED["country"]}
    out["unused:countries"] = sorted(set(table("countries")) - countries)
    out["unused:palette"] = sorted(set(_data("palette")["countries"]) - countries)
    return out


def query_string(f, stage: str | None = None) -> str:
    """The dashboard's query string for a report Filters and stage (the dashboard reads the same names)."""
    from urllib.parse import urlencode

    params = [("stage", stage)] if stage else []
    for k in ("venue", "year", "years", "tier", "subfield", "sector", "attribution", "country"):
        v = getattr(f, k, None) if f is not None else None
        if v is not None:
            params.append((k, "-".join(map(str, v)) if isinstance(v, tuple) else str(v)))
    if f is not None and f.include_proxy:
        params.append(("proxy", "true"))
    return urlencode(params)
