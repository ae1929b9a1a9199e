"""`talentflow sync openalex` (works of a venue-year from the OpenAlex API → a dated snapshot) and
`talentflow eval openalex` (OpenAlex's institution country against talentflow's resolver, on linked
authorships)."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.markup import escape

from .common import console, emit_rows, err_console, format_option, handle_errors, settings_of, wide_option
from .main import eval_group
from .sync_cmd import _data_dir, _progress, _tracker, sync_app

eval_app = eval_group()


@sync_app.command("openalex")
@handle_errors
def sync_openalex(
    ctx: typer.Context,
    venue: str = typer.Option(..., "--venue", help="talentflow venue, e.g. nips (source ids from "
                              "sources/openalex_venues.csv)."),
    year: int = typer.Option(..., "--year", help="Publication year."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="API base URL (env OPENALEX_BASEURL; "
                                           "default https://api.openalex.org)."),
    rate: float = typer.Option(5.0, "--rate", min=0.1, max=10.0, help="Requests per second (OpenAlex allows 10)."),
    max_requests: Optional[int] = typer.Option(None, "--max-requests", min=1,
                                               help="Stop after this many requests (progress is kept)."),
    refresh: bool = typer.Option(False, "--refresh", help="Fetch again a venue-year already synced."),
) -> None:
    """Works of a venue-year (with their authorships and institutions) → a snapshot under live/openalex/.
    Set OPENALEX_MAILTO (polite pool) or OPENALEX_API_KEY in the environment; neither is written to disk."""
    from ..sources import openalex as oa

    s = settings_of(ctx)
    data = _data_dir(s)
    api = oa.Api.from_env(base_url, rate=rate, max_requests=max_requests)
    if not api.polite:
        err_console.print(f"[yellow]Note:[/] neither {oa.MAILTO_VAR} nor {oa.KEY_VAR} is set: OpenAlex serves "
                          "anonymous requests more slowly, or not at all.")
    with _progress() as prog:
        r = oa.sync_works(api, data, venue, year, _tracker(prog), refresh=refresh)
    if r.status == "cached":
        err_console.print(f"{escape(r.snapshot)}: {r.records} works, synced {r.extra['fetched_at']}; nothing "
                          "fetched (pass --refresh to fetch again).")
        return
    err_console.print(f"{escape(r.snapshot)}: {r.records} works (OpenAlex counts {r.extra['meta_count']}), "
                      f"{r.status}{' (resumed)' if r.resumed else ''}; {api.requests} requests, "
                      f"{api.waited:.0f} s waited. Run `talentflow build` to use the snapshot.")


@eval_app.command("openalex")
@handle_errors
def eval_openalex(
    ctx: typer.Context,
    venue: Optional[str] = typer.Option(None, "--venue"),
    year: Optional[int] = typer.Option(None, "--year"),
    examples: int = typer.Option(20, "--examples", min=0, help="Most frequent disagreements to list."),
    fmt: str = format_option("table", ("table", "json")), wide: bool = wide_option(),
) -> None:
    """How often OpenAlex's institution country agrees with talentflow's resolver on the same (linked)
    authorships. Needs a database built with OpenAlex data."""
    from ..engine import connect
    from ..errors import NotBuilt
    from ..openalex.agreement import country_agreement

    s = settings_of(ctx)
    if not s.db_path.exists():
        raise NotBuilt(f"No database at {s.db_path}.")
    with connect(s, read_only=True) as eng:
        a = country_agreement(eng, venue, year, examples)
    if fmt == "json":
        sys.stdout.write(json.dumps(a.as_dict(), default=str, ensure_ascii=False, indent=1) + "\n")
        return
    rate = "—" if a.rate is None else f"{a.rate:.1%}"
    console.print(f"[bold]{a.linked}[/] linked authorships; where both answer, the countries agree in "
                  f"[bold]{rate}[/] ({a.classes['agree']} of {a.classes['agree'] + a.classes['disagree']}).")
    emit_rows([{"class": c, "authorships": n} for c, n in a.classes.items()], "table", title="all linked", wide=wide)
    if a.by_venue_year:
        emit_rows(a.by_venue_year, "table", title="by venue-year", wide=wide)
    if a.disagreements:
        emit_rows(a.disagreements, "table", title="most frequent disagreements", wide=wide)
