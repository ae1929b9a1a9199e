"""`talentflow report --out DIR`: the static site (offline, vendored JS, privacy-suppressed aggregates)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from .common import err_console, handle_errors, min_cell_of, out_dir, settings_of
from .main import app


@app.command("report")
@handle_errors
def report(ctx: typer.Context,
           out: Path = typer.Option(Path("report"), "--out", callback=out_dir, help="Output directory (created)."),
           min_cell: Optional[int] = typer.Option(None, "--min-cell",
                                                  help="Suppress counts resting on fewer people (default 5, the "
                                                       "published k; never lower)."),
           country_min: int = typer.Option(200, "--country-min", help="People needed for a country page."),
           images: bool = typer.Option(True, "--images/--no-images", help="Write SVG/PNG beside every chart."),
           strict: bool = typer.Option(False, "--strict", help="Exit 1 if any section could not be computed.")) -> None:
    """Build the static report into DIR (open DIR/index.html; works offline from file://)."""
    from ..report.site import build_report

    s = settings_of(ctx)
    s = s.with_(min_cell=min_cell_of(s, min_cell, published=True))
    res = build_report(s, out, country_min=country_min, images=images)
    for e in res.errors:
        err_console.print(f"[yellow]warning:[/] {escape(str(e))}")
    err_console.print(escape(f"Wrote {res.pages} pages and {res.charts} charts to {res.out} in {res.seconds:.1f} s "
                             f"(open {res.out / 'index.html'})."))
    if strict and res.errors:
        raise typer.Exit(1)
