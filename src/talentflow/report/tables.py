"""Tables in words, one vocabulary for the CLI tables, the report and the dashboard.

The same rows are shown two ways: a short view (the handful of columns of `labels.views()[kind]`, headers in
words, numbers formatted: 84.4%, 1,234, 43.1–45.2%, country names) and the full table (every column, formatted
the same way). CSV and JSON outputs stay the raw rows; nothing here changes them. A value the privacy rule
withheld (None in a row marked `suppressed`) reads "suppressed"; any other missing value "–".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from . import labels as lb

SUPPRESSED_CELL = "suppressed"
NONE_CELL = "–"
# Composite columns: one cell made of several raw columns.
CI = "ci"
COVERAGE = "coverage"
COUNTRY_KEYS = frozenset({"country", "from_country", "to_country", "whereabouts", "from", "to", "country_location",
                          "country_hq", "origin_country", "graduate_country", "work_country"})
RATIO_KEYS = frozenset({"share", "ci_low", "ci_high", "coverage"})  # fractions shown as percentages
SIGNED_PCT_KEYS = frozenset({"trend_per_year"})  # a fraction per year: +2.6%
TEXT_KEYS = frozenset({"date", "commit", "id", "unit", "paper_id"})  # printed as they are (no thousands commas)
LABELLED = {"stage": lb.stage, "from_stage": lb.stage, "to_stage": lb.stage, "rule": lb.attribution,
            "attribution": lb.attribution, "venue": lb.venue, "sector": lb.sector, "subfield": lb.subfield,
            "tier": lb.tier, "count_rule": lambda c: lb.label("count", c),
            "population": lambda c: lb.table("populations").get(c, c)}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    numeric: bool = False  # right-aligned in a terminal


def coverage(row: dict):
    """Share of the query's people whose stage value is known (the row's `coverage`, else n_observed / n_people)."""
    if row.get("coverage") is not None:
        return row["coverage"] if isinstance(row["coverage"], (int, float)) else None
    if row.get("n_people") and row.get("n_observed") is not None:
        return row["n_observed"] / row["n_people"]
    return None


def _is_year(key: str) -> bool:
    return key == "year" or key.endswith("_year") or key.startswith("year_")


def fmt(v, key: str = "") -> str:
    """One value in words: a country code → its name, a code → its label, 0.8437 → 84.4%, 1234 → 1,234."""
    if v is None:
        return NONE_CELL
    if isinstance(v, bool):
        return "yes" if v else "no"
    if key in COUNTRY_KEYS and isinstance(v, str):
        return lb.country(v)
    if key in LABELLED and isinstance(v, str):
        return LABELLED[key](v)
    if isinstance(v, (int, float)):
        if _is_year(key) or key in TEXT_KEYS:
            return str(int(v)) if float(v).is_integer() else str(v)
        if key in RATIO_KEYS and isinstance(v, float):
            return lb.pct(v)
        if key in SIGNED_PCT_KEYS:
            return f"{v:+.1%}"
        if key.startswith("pct_") or key.endswith("_pct"):  # already in percent
            return f"{v:.1f}%"
        if isinstance(v, int):
            return f"{v:,}"
        if float(v).is_integer() or abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:,.1f}" if abs(v) >= 1 else f"{v:.3g}"
    return str(v)


def cell(row: dict, key: str) -> str:
    """The text of one column of a row (composite columns included). A share of 0 of 0 people is no estimate."""
    if key in (CI, "share", "ci_low", "ci_high") and row.get("n") == 0:
        return NONE_CELL
    if key == CI:
        lo, hi = row.get("ci_low"), row.get("ci_high")
        if lo is None or hi is None:
            return SUPPRESSED_CELL if row.get("suppressed") and row.get("share") is None else NONE_CELL
        return lb.interval(lo, hi)
    if key == COVERAGE and not isinstance(row.get(key), str):  # (a text coverage, e.g. "95.8%", is shown as is)
        v = coverage(row)
        return NONE_CELL if v is None else lb.pct(v)
    v = row.get(key)
    if v is None and row.get("suppressed") and _withheld(key):
        return SUPPRESSED_CELL
    return fmt(v, key)


def _withheld(key: str) -> bool:
    """A number the privacy rule may withhold (a count, share, interval or coverage count), not a label."""
    return key in ("share", "ci_low", "ci_high", "rate", "value", "outflow", "inflow", "net", "median_last_year") \
        or key == "n" or key.startswith(("n_", "count"))


def _present(rows: list[dict], key: str) -> bool:
    first = rows[0] if rows else {}
    if key == CI:
        return "ci_low" in first and "ci_high" in first
    if key == COVERAGE:
        return "coverage" in first or ("n_observed" in first and "n_people" in first)
    return key in first


NUMBER_TEXT = re.compile(r"[+-]?[\d,.]+(e[+-]?\d+)?( bn| M)?%?")  # a number formatted already (scorecard)


def _numeric(rows: list[dict], key: str) -> bool:
    if key in (CI, COVERAGE):
        return True
    if _is_year(key) or key in TEXT_KEYS:
        return False
    vals = [r.get(key) for r in rows if r.get(key) not in (None, "")]
    return bool(vals) and all((isinstance(v, (int, float)) and not isinstance(v, bool))
                              or (isinstance(v, str) and NUMBER_TEXT.fullmatch(v)) for v in vals)


def header(key: str, kind: str | None = None, rows: list[dict] | None = None) -> str:
    # a share under a counting rule counts papers or authorships, not people
    rule = (rows[0].get("count_rule") if rows else None) or "people"
    if key == "count" and rule != "people" and not (kind and key in lb.views().get(kind, {}).get("headers", {})):
        text = lb.label("count", rule)
        return text[0].upper() + text[1:]
    return lb.column(key, kind)


def _columns(rows: list[dict], keys: Sequence[str], kind: str | None, headers: dict | None = None) -> list[Column]:
    own = headers or {}
    return [Column(k, own.get(k) or header(k, kind, rows), _numeric(rows, k)) for k in keys if _present(rows, k)]


def all_keys(rows: list[dict]) -> list[str]:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    return keys


def short(rows: list[dict], view: str | Sequence[str] | None, headers: dict | None = None) -> list[Column]:
    """The short view: the columns of a named view (labels.toml [views]) or a list of keys, as present in the
    rows (`headers` overrides). No view: every column."""
    if view is None:
        return full(rows, headers=headers)
    keys = lb.views().get(view, {}).get("columns", ()) if isinstance(view, str) else view
    kind = view if isinstance(view, str) else None
    if isinstance(view, str) and view not in lb.views():
        raise KeyError(f"no table view {view!r} in labels.toml [views]")
    return _columns(rows, keys, kind, headers)


def full(rows: list[dict], view=None, headers: dict | None = None) -> list[Column]:
    """Every column of the rows, in their order, headers in words (those of `view` where it has its own)."""
    return _columns(rows, all_keys(rows), view if isinstance(view, str) else None, headers)


def text(rows: list[dict], cols: list[Column]) -> list[list[str]]:
    return [[cell(r, c.key) for c in cols] for r in rows]


def hidden(rows: list[dict], cols: list[Column]) -> list[str]:
    """Raw columns the view leaves out (a composite column stands for the columns it is made of)."""
    shown = {c.key for c in cols}
    if CI in shown:
        shown |= {"ci_low", "ci_high"}
    return [k for k in all_keys(rows) if k not in shown]


def html(rows: list[dict], view=None, headers: dict | None = None) -> dict:
    """A table for a page: {"short": …, "full": … or None} with "columns" (headers), "numeric" and "rows" (text).
    "full" (every column) is None when the short view already shows every column."""
    def part(cols: list[Column]) -> dict:
        return {"columns": [c.header for c in cols], "keys": [c.key for c in cols],
                "numeric": [c.numeric for c in cols], "rows": text(rows, cols)}
    s = short(rows, view, headers)
    f = full(rows, view, headers)
    return {"short": part(s), "full": part(f) if hidden(rows, s) else None}
