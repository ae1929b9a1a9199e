"""`talentflow build` and `talentflow export`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rich.markup import escape

from .common import err_console, format_option, handle_errors, out_file, settings_of
from .main import app


@app.command()
@handle_errors
def build(ctx: typer.Context, force: bool = typer.Option(False, help="Rebuild everything from scratch."),
          wait: float = typer.Option(0.0, help="Seconds to wait for another running build before giving up."),
          allow_missing: bool = typer.Option(False, help="Skip (and count) conference files missing from the data directory."),
          allow_changed: bool = typer.Option(False, help="Read input files that differ from the catalog instead "
                                             "of failing (each is listed in the table input_files)."),
          venue: Optional[list[str]] = typer.Option(None, "--venue", help="Read only this venue's conference "
                                                    "files (repeatable): a subset build, e.g. --venue nips."),
          year: Optional[list[int]] = typer.Option(None, "--year", help="With --venue: only these years "
                                                   "(repeatable; every named venue in every named year).")) -> None:
    """Build or update the database from the data directory (only what changed is rebuilt). Every input file is
    checked against the catalog first. With --venue (and --year) only those conference-years are read: a quick
    build, recorded as a subset in build_state (use its own --db: it replaces a full database)."""
    from ..pipeline import build as run_build

    if year and not venue:
        raise typer.BadParameter("--year needs --venue (the conference whose years to read).", param_hint="--year")
    subset = tuple((v.lower(), y) for v in venue or () for y in (year or [None]))
    s = settings_of(ctx).with_(allow_missing=allow_missing, allow_changed=allow_changed, subset=subset)
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as prog:
        task = prog.add_task("build", total=1)

        def progress(desc: str, done: int, total: int) -> None:
            prog.update(task, description=desc, completed=done, total=max(total, 1))

        res = run_build(s, force=force, wait=wait, progress=progress)
    for path in res.changed:
        err_console.print(f"[yellow]Warning:[/] read {escape(str(path))} although it differs from the catalog (--allow-changed).")
    if not res.ran:
        err_console.print(f"Up to date ({escape(str(s.db_path))}); nothing rebuilt in {res.seconds:.1f} s.")
        return
    what = f" (subset {s.subset_label()})" if s.subset else ""
    err_console.print(f"Built {', '.join(res.ran)} into {escape(str(s.db_path))}{escape(what)} in {res.seconds:.1f} s.")
    for stage, st in res.stats.items():
        brief = {k: v for k, v in st.items() if not isinstance(v, (dict, list)) or (k == "missing" and v)}
        took = res.stage_seconds.get(stage)
        err_console.print(escape(f"  {stage} ({took:.1f} s): " + ", ".join(f"{k}={v}" for k, v in brief.items())))


EXPORT_TABLES = {
    "papers": ["venue", "year", "paper_id", "title", "status_raw", "accepted", "track", "keywords", "primary_area",
               "abstract", "dataset_id"],
    "authorships": ["venue", "year", "paper_id", "author_order", "author_name", "person_id", "authorid_raw",
                    "affiliation_raw", "domain_raw", "domain_source", "position_raw", "dataset_id", "join_method"],
}


@app.command()
@handle_errors
def export(ctx: typer.Context,
           table: str = typer.Argument(..., help="authorships | papers"),
           venue: Optional[str] = typer.Option(None, help="Venue short name, e.g. nips, iclr, cvpr."),
           year: Optional[int] = typer.Option(None),
           accepted_only: bool = typer.Option(False, "--accepted-only", help="Only accepted papers."),
           fmt: str = format_option("csv", ("csv", "jsonl", "parquet")),
           out: Optional[Path] = typer.Option(None, "--out", callback=out_file,
                                              help="Output file (default: stdout; parquet needs --out).")) -> None:
    """Export papers or authorships (with resolved columns once resolution has run)."""
    from ..exporting import export_table

    s = settings_of(ctx)
    export_table(s, table, venue=venue, year=year, accepted_only=accepted_only, fmt=fmt, out=out)
