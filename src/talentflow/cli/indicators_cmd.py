"""`talentflow indicators` and `talentflow scorecard`: companion national indicators from the built database."""

from __future__ import annotations

from typing import Optional

import typer

from ..errors import UnknownValue
from .common import emit_rows, err_console, format_option, handle_errors, settings_of, wide_option
from .main import app


def _human(v, pct: bool = False):
    """Compact text for the table view (CSV/JSON keep raw numbers)."""
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return v
    if pct:
        return f"{v:+.1%}"
    if abs(v) >= 1e12:
        return f"{v:.2e}"
    if abs(v) >= 1e9:
        return f"{v / 1e9:,.1f} bn"
    if abs(v) >= 1e7:
        return f"{v / 1e6:,.1f} M"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _split(v: Optional[str]) -> list[str]:
    return [x.strip() for x in (v or "").split(",") if x.strip()]


@app.command()
@handle_errors
def indicators(ctx: typer.Context,
               country: Optional[str] = typer.Option(None, "--country", help="ISO2 codes, comma-separated (US,CN)."),
               indicator: Optional[str] = typer.Option(None, "--indicator", help="Indicator ids, comma-separated; an "
                                                       "id also selects its sub-indicators (first_degrees)."),
               year: Optional[int] = typer.Option(None, "--year"),
               latest: bool = typer.Option(False, "--latest", help="Only the most recent value per series."),
               list_ids: bool = typer.Option(False, "--list", help="List indicator ids with coverage and sources."),
               unmatched_orgs: bool = typer.Option(False, "--unmatched-orgs", help="Leaderboard organizations "
                                                   "without a country, by rows (review org_countries.csv)."),
               limit: Optional[int] = typer.Option(None, "--limit", help="At most this many rows (table: 200)."),
               fmt: str = format_option("table"), wide: bool = wide_option()) -> None:
    """Companion indicators (STEM graduates, patents, models, investment…) with their source dataset and year."""
    from ..indicators.query import indicator_ids, indicator_rows, open_built

    with open_built(settings_of(ctx)) as eng:
        if list_ids:
            emit_rows(indicator_ids(eng), fmt, title="Indicators", view="indicator_list", wide=wide)
            return
        if unmatched_orgs:
            from ..indicators.orgs import org_report

            rep = org_report(eng)
            emit_rows(rep["unmatched"], fmt, title=f"Unmatched organizations: {rep['unmatched_rows']} of "
                      f"{rep['rows_with_org']} leaderboard rows ({rep['unmatched_share']:.1%}); unused curated "
                      f"entries: {', '.join(rep['unused']) or 'none'}", wide=wide)
            return
        if limit is None and fmt == "table":
            limit = 200
        rows = indicator_rows(eng, _split(country), _split(indicator), year=year, latest=latest, limit=limit)
    if fmt == "table":
        if not wide:  # compact values and the source file's name; --wide: every column as stored
            rows = [{**{k: r[k] for k in ("indicator", "country", "entity_raw", "year", "date")},
                     "value": _human(r["value"]), "unit": r["unit"], "source": r["source"].rsplit("/", 1)[-1]}
                    for r in rows]
        if limit and len(rows) == limit:
            err_console.print(f"[yellow]Showing the first {limit} rows; use --limit, filters or --format csv.[/]")
    emit_rows(rows, fmt, title="Indicators", view="indicators", wide=wide)


@app.command()
@handle_errors
def scorecard(ctx: typer.Context,
              country: str = typer.Option("US,CN", "--country", help="Two ISO2 codes: first:second is the ratio."),
              family: Optional[str] = typer.Option(None, "--family", help="Families, comma-separated."),
              top_n: int = typer.Option(10, "--top-n", help="Leaderboard standing: models in the top N."),
              standing: bool = typer.Option(False, "--standing", help="Top-N counts by country for every "
                                            "leaderboard snapshot instead of the scorecard."),
              leaderboard: Optional[str] = typer.Option(None, "--leaderboard", help="With --standing: one "
                                                        "leaderboard (e.g. aa_image_to_video)."),
              fmt: str = format_option("table"), wide: bool = wide_option()) -> None:
    """US–China scorecard: latest value per country, ratio, trend, source and year for each indicator family."""
    from ..indicators.query import open_built
    from ..indicators.scorecard import leaderboard_standing, scorecard as build_scorecard, wide as side_by_side

    countries = tuple(c.upper() for c in _split(country))
    if len(countries) != 2:
        raise UnknownValue("country pair", country, ["US,CN"])
    with open_built(settings_of(ctx)) as eng:
        if standing:
            boards = [r[0] for r in eng.query("SELECT DISTINCT leaderboard FROM leaderboard_entries ORDER BY 1")]
            if leaderboard and leaderboard not in boards:
                raise UnknownValue("leaderboard", leaderboard, boards)
            rows = leaderboard_standing(eng, top_n, leaderboard)
            emit_rows([{**r, "date": str(r["date"])} for r in rows], fmt, title=f"Models in the top {top_n}",
                      view="standing", wide=wide)
            return
        rows = build_scorecard(eng, countries, tuple(_split(family)) or None, top_n=top_n)
    if fmt == "table":
        a, b = countries
        table = [{k: ("" if v is None else v if k.endswith("when") else _human(v, pct=k.endswith("trend/yr")))
                  for k, v in {**w, "source": (w["source"] or "").rsplit("/", 1)[-1]}.items()}
                 for w in side_by_side(rows, countries)]
        for w in table:  # the short view: one year column ("2018", or "2018 / 2017" when they differ)
            years = list(dict.fromkeys(str(w[f"{c} when"]) for c in countries if w[f"{c} when"] != ""))
            w["when"] = " / ".join(years)
        emit_rows(table, fmt, title=f"{a}–{b} scorecard (ratio = {a}:{b})", view=["label", a, b, "ratio", "when"],
                  wide=wide, headers={"label": "Indicator", "when": "Year"})
        return
    emit_rows(rows, fmt)
