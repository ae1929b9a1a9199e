"""`talentflow shares|flows|retention|cohort|trend|institutions|person`: the talent metrics from the built database."""

from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from ..engine import connect
from ..errors import NotBuilt
from ..report import labels as lb
from .common import emit_rows, err_console, format_option, handle_errors, min_cell_of, settings_of, wide_option
from .main import app

VENUE = typer.Option(None, "--venue", help="Conference short name (nips, iclr, icml, cvpr, …); default all.")
YEAR = typer.Option(None, "--year", help="Year; repeat for several (default all).")
TIER = typer.Option("accepted", "--tier", help="accepted|spotlight|oral: papers of this tier or higher.")
SUBFIELD = typer.Option(None, "--subfield", help="generative_ai|robotics|vision|language|reinforcement_learning|"
                                                 "theory_optimisation|other")
SECTOR = typer.Option(None, "--sector", help="academia|industry|government|nonprofit (affiliation at the paper).")
ATTR = typer.Option("location", "--attribution", help="location|hq: country of the site or of the headquarters.")
PROXY = typer.Option(False, "--proxy/--no-proxy", help="Admit proxy stage values (counted apart in n_proxy).")
FMT = format_option("table")
WIDE = wide_option()
NBOOT = typer.Option(None, "--n-boot", help="Bootstrap resamples (default: settings n_boot).")
SEED = typer.Option(None, "--seed", help="Bootstrap seed (default: settings seed).")
ROLLUP = typer.Option("none", "--rollup", help="none|parent: institutions as resolved, or rolled up to their "
                                               "ultimate parent organisation (Google DeepMind → Google); countries "
                                               "are unchanged.")
MINCELL = typer.Option(None, "--min-cell", help="Suppress counts resting on fewer people, as published outputs "
                                                "do (default 5; lower: ≥ 1, with a warning).")


def _query(venue, year, tier, subfield, sector, attribution, proxy, country=None):
    from ..metrics import MetricQuery

    years = tuple(year) if year else None
    return MetricQuery(venue=venue, year=years[0] if years and len(years) == 1 else None,
                       years=years if years and len(years) > 1 else None, tier=tier, subfield=subfield,
                       sector=sector, attribution=attribution, country=country, include_proxy=proxy)


def _engine(ctx):
    s = settings_of(ctx)
    if not s.db_path.exists():
        raise NotBuilt(f"No database at {s.db_path}.")
    return s, connect(s, read_only=True)


def _k(ctx, min_cell) -> int:
    """k for a terminal table: the published one unless --min-cell says otherwise (checked before any work)."""
    return min_cell_of(settings_of(ctx), min_cell, published=False)


def _protect(kind: str, rows: list[dict], k: int, **layout) -> list[dict]:
    """The published rule (report/privacy.py) on the library's unsuppressed rows."""
    from ..report.privacy import protect

    return protect(kind, rows, k, **layout)


def _n(v) -> str:
    return "(suppressed)" if v is None else f"{v:,}"


def _boot(s, n_boot, seed) -> dict:
    from ..limits import check_n_boot, check_seed

    # checked before any query runs: 1-10,000 resamples (0 or a negative count would print point intervals)
    return {"n_boot": check_n_boot(s.n_boot if n_boot is None else n_boot, what="--n-boot"),
            "seed": check_seed(s.seed if seed is None else seed, what="--seed")}


def _population(q) -> str:
    """The population in the report's words: "NeurIPS 2024 · accepted papers · location rule"."""
    ys = q.year_list()
    contiguous = ys is not None and len(ys) > 2 and ys == list(range(ys[0], ys[-1] + 1))
    years = ("all years" if ys is None else f"{ys[0]}–{ys[-1]}" if contiguous else ", ".join(map(str, ys)))
    parts = [f"{lb.venue(q.venue) if q.venue else 'all venues'} {years}", lb.tier(q.tier),
             lb.attribution(q.attribution)]
    parts += [lb.subfield(q.subfield)] if q.subfield else []
    parts += [lb.sector(q.sector)] if q.sector else []
    return " · ".join(parts)


def _emit(rows, fmt, title, q, view: str, wide: bool) -> None:
    first = rows[0] if rows else {}
    emit_rows(rows, fmt, title=title, view=view, wide=wide)  # csv/json: every field, raw
    if fmt == "table":
        how = ("proxy values INCLUDED: count_proxy of each count rests on a proxy" if q.include_proxy else
               "observed values only: n_proxy and n_unknown are counted, not estimated")
        err_console.print(f"[dim]{escape(_population(q))}; shares are of people with a known value (n); {how}.[/]")
        if "n_observed_profile" in first:
            r = first
            err_console.print(f"[dim]observed values: {_n(r['n_observed_paper'])} from papers, "
                              f"{_n(r['n_observed_profile'])} from career histories (profiles, ORCID).[/]")


@app.command("shares")
@handle_errors
def shares_cmd(ctx: typer.Context, stage: str = typer.Option("work", "--stage", help="origin|graduate|work|current"),
               by: str = typer.Option("country", "--by", help="country|institution|sector"),
               venue: Optional[str] = VENUE, year: Optional[list[int]] = YEAR, tier: str = TIER,
               subfield: Optional[str] = SUBFIELD, sector: Optional[str] = SECTOR, attribution: str = ATTR,
               proxy: bool = PROXY, limit: Optional[int] = typer.Option(None, help="Top groups; the rest '(other)'."),
               count: str = typer.Option("people", "--count", help="Unit counted: people|authorships|papers|"
                                         "fractional|first-author|last-author (see docs/methodology.md)."),
               rollup: str = ROLLUP, n_boot: Optional[int] = NBOOT, seed: Optional[int] = SEED,
               min_cell: Optional[int] = MINCELL, fmt: str = FMT, wide: bool = WIDE) -> None:
    """Share of each country (institution, sector) in a career stage, with 95% bootstrap intervals."""
    from ..metrics import shares
    from ..report.privacy import counting_layout

    q = _query(venue, year, tier, subfield, sector, attribution, proxy)
    k = _k(ctx, min_cell)
    s, eng = _engine(ctx)
    with eng:
        rows = _protect("shares", shares(eng, q, stage, by, limit=limit, count=count, rollup=rollup,
                                         **_boot(s, n_boot, seed)), k, labels=(by,), **counting_layout(count))
    _emit(rows, fmt, f"{lb.stage(stage)} shares by {by}" + ("" if count == "people" else f", counting "
          f"{lb.label('count', count)}") + (", rolled up to parent organisations" if rollup == "parent" else ""),
          q, "shares", wide)


@app.command("flows")
@handle_errors
def flows_cmd(ctx: typer.Context, frm: str = typer.Option("origin", "--from", help="origin|graduate"),
              to: str = typer.Option("work", "--to", help="graduate|work|current"),
              venue: Optional[str] = VENUE, year: Optional[list[int]] = YEAR, tier: str = TIER,
              subfield: Optional[str] = SUBFIELD, sector: Optional[str] = SECTOR, attribution: str = ATTR,
              proxy: bool = PROXY, n_boot: Optional[int] = NBOOT, seed: Optional[int] = SEED,
              min_cell: Optional[int] = MINCELL, fmt: str = FMT, wide: bool = WIDE) -> None:
    """Country-to-country flow matrix with counts and row shares."""
    from ..metrics import flows

    q = _query(venue, year, tier, subfield, sector, attribution, proxy)
    k = _k(ctx, min_cell)
    s, eng = _engine(ctx)
    with eng:
        rows = _protect("flows", flows(eng, q, frm, to, **_boot(s, n_boot, seed)), k)
    _emit(rows, fmt, f"Flows: {lb.stage(frm).lower()} → {lb.stage(to).lower()} (share of each From country)", q,
          "flows", wide)


@app.command("retention")
@handle_errors
def retention_cmd(ctx: typer.Context, country: Optional[str] = typer.Option(None, "--country"),
                  frm: str = typer.Option("graduate", "--from", help="origin|graduate"),
                  venue: Optional[str] = VENUE, year: Optional[list[int]] = YEAR, tier: str = TIER,
                  subfield: Optional[str] = SUBFIELD, sector: Optional[str] = SECTOR, attribution: str = ATTR,
                  proxy: bool = PROXY, n_boot: Optional[int] = NBOOT, seed: Optional[int] = SEED,
                  min_cell: Optional[int] = MINCELL, fmt: str = FMT, wide: bool = WIDE) -> None:
    """Stay rates (share of people trained in a country who work there), inflows and outflows per country."""
    from ..metrics import flows, retention_from_flows

    q = _query(venue, year, tier, subfield, sector, attribution, proxy, country)
    k = _k(ctx, min_cell)
    s, eng = _engine(ctx)
    with eng:
        fl = flows(eng, q, frm, "work", **_boot(s, n_boot, seed))
        rows = _protect("retention", retention_from_flows(fl, q, country, frm=frm), k, flows=fl)
    _emit(rows, fmt, f"Retention: {lb.stage(frm).lower()} → workplace in the same country", q, "retention", wide)


@app.command("cohort")
@handle_errors
def cohort_cmd(ctx: typer.Context, venue: str = typer.Option(..., "--venue"), year: int = typer.Option(..., "--year"),
               origin: Optional[str] = typer.Option(None, "--origin", help="Origin (undergraduate) country."),
               work: Optional[str] = typer.Option(None, "--work", help="Work country at the cohort year."),
               tier: str = TIER, subfield: Optional[str] = SUBFIELD, sector: Optional[str] = SECTOR,
               attribution: str = ATTR, proxy: bool = PROXY, n_boot: Optional[int] = NBOOT,
               seed: Optional[int] = SEED, min_cell: Optional[int] = MINCELL, fmt: str = FMT,
               wide: bool = WIDE) -> None:
    """Where a cohort is in the last year each member appears in the mirror ('not_seen_since' counted)."""
    from ..metrics import cohort, cohort_basis, explain_cohort
    from ..report.privacy import protect_basis

    q = _query(venue, [year], tier, subfield, sector, attribution, proxy)
    k = _k(ctx, min_cell)
    s, eng = _engine(ctx)
    with eng:
        rows = _protect("cohort", cohort(eng, q, origin, work, **_boot(s, n_boot, seed)), k)
        basis = protect_basis(cohort_basis(eng, q, origin, work), k)
    _emit(rows, fmt, f"Cohort {lb.venue(venue)} {year}: where its researchers are at their latest paper", q,
          "cohort", wide)
    # what the answer rests on, always on stderr; an empty cohort says why instead of printing nothing
    err_console.print(("No one in this cohort. " if not rows else "") + escape(explain_cohort(basis, k)))


@app.command("trend")
@handle_errors
def trend_cmd(ctx: typer.Context, stage: str = typer.Option("work", "--stage"),
              country: Optional[str] = typer.Option(None, "--country"),
              venue: Optional[str] = VENUE, year: Optional[list[int]] = YEAR, tier: str = TIER,
              subfield: Optional[str] = SUBFIELD, sector: Optional[str] = SECTOR, attribution: str = ATTR,
              proxy: bool = PROXY, n_boot: Optional[int] = NBOOT, seed: Optional[int] = SEED,
              min_cell: Optional[int] = MINCELL, fmt: str = FMT, wide: bool = WIDE) -> None:
    """A country's share in a stage, year by year, with intervals."""
    from ..metrics import trend

    q = _query(venue, year, tier, subfield, sector, attribution, proxy, country)
    k = _k(ctx, min_cell)
    s, eng = _engine(ctx)
    with eng:
        rows = _protect("trend", trend(eng, q, stage, country, **_boot(s, n_boot, seed)), k)
    _emit(rows, fmt, f"{lb.stage(stage)} share by year", q, "trend", wide)


@app.command("institutions")
@handle_errors
def institutions_cmd(ctx: typer.Context, stage: str = typer.Option("work", "--stage"),
                     limit: int = typer.Option(25, "--limit"), venue: Optional[str] = VENUE,
                     year: Optional[list[int]] = YEAR, tier: str = TIER, subfield: Optional[str] = SUBFIELD,
                     sector: Optional[str] = SECTOR, attribution: str = ATTR, proxy: bool = PROXY,
                     rollup: str = ROLLUP, n_boot: Optional[int] = NBOOT, seed: Optional[int] = SEED,
                     min_cell: Optional[int] = MINCELL, fmt: str = FMT, wide: bool = WIDE) -> None:
    """Institutions ranked by the people whose stage is there (origin/graduate: producing; work: employing);
    --rollup parent ranks their ultimate parent organisations."""
    from ..metrics import institutions

    q = _query(venue, year, tier, subfield, sector, attribution, proxy)
    k = _k(ctx, min_cell)
    s, eng = _engine(ctx)
    with eng:
        rows = _protect("institutions", institutions(eng, q, stage, limit=limit, rollup=rollup,
                                                     **_boot(s, n_boot, seed)), k, unshown_other=False)
    _emit(rows, fmt, f"Institutions: {lb.stage(stage).lower()}" + (", rolled up to parent organisations"
                                                                    if rollup == "parent" else ""),
          q, "institutions", wide)


@app.command("person")
@handle_errors
def person_cmd(ctx: typer.Context, person_id: str = typer.Argument(..., help="OpenReview id (~Jane_Doe1) or key."),
               fmt: str = FMT, wide: bool = WIDE) -> None:
    """One person's observations and stages, from public conference data (never part of published output)."""
    from ..metrics import person

    s, eng = _engine(ctx)
    with eng:
        rows = person(eng, person_id)
    if fmt == "table":
        emit_rows([r for r in rows if r["kind"] == "event"], fmt, title=f"{person_id}: observations",
                  view="person_events", wide=wide)
        hist = [r for r in rows if r["kind"] == "history"]
        if hist:
            emit_rows(hist, fmt, title="career history (dated)", wide=wide)
        emit_rows([r for r in rows if r["kind"] == "stages"], fmt, title="stages", view="person_stages", wide=wide)
    else:
        emit_rows(rows, fmt)
