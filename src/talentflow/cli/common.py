"""Shared CLI plumbing: settings from the global options, error translation, output helpers."""

from __future__ import annotations

import functools
import json
import sys
from typing import Callable

import typer
from rich.console import Console

from ..errors import TalentflowError
from ..settings import PUBLISHED_MIN_CELL, Settings

err_console = Console(stderr=True)
console = Console()


def settings_of(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    if not isinstance(obj, Settings):  # invoked without the root callback (tests calling sub-apps directly)
        obj = Settings.from_env()
    return obj


def min_cell_of(s: Settings, value: int | None, *, published: bool) -> int:
    """The one rule for `--min-cell K`: K ≥ 1; below the published default only for a terminal table (with a
    warning), never for what is published (`report`, `serve`). No value: the settings' k (the default)."""
    if value is None:
        return s.min_cell
    if value < 1:
        raise typer.BadParameter(f"--min-cell must be at least 1 (got {value}); the published default is "
                                 f"{PUBLISHED_MIN_CELL}.")
    if value < PUBLISHED_MIN_CELL:
        if published:
            raise typer.BadParameter(f"--min-cell {value} is below the published default {PUBLISHED_MIN_CELL}: "
                                     "published outputs never show cells of fewer people.")
        err_console.print(f"[yellow]warning:[/] --min-cell {value} is below the published default "
                          f"({PUBLISHED_MIN_CELL}): cells of {value} to {PUBLISHED_MIN_CELL - 1} people may be shown; "
                          "do not publish this output.")
    return value


def handle_errors(fn: Callable) -> Callable:
    """Turn library errors into a one-line message plus a hint, exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TalentflowError as e:
            err_console.print(f"[bold red]Error:[/] {e}")
            if e.hint:
                err_console.print(f"[yellow]Hint:[/] {e.hint}")
            raise typer.Exit(2)

    return wrapper


def emit_rows(rows: list[dict], fmt: str, title: str | None = None) -> None:
    """Print rows as a rich table, CSV or JSON (a list of objects)."""
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, default=str, ensure_ascii=False, indent=1) + "\n")
        return
    if fmt == "csv":
        import csv

        if rows:
            w = csv.DictWriter(sys.stdout, list(rows[0].keys()), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        return
    from rich.table import Table

    t = Table(title=title, show_lines=False)
    cols = list(rows[0].keys()) if rows else []
    for c in cols:
        t.add_column(c, overflow="fold")
    def cell(v) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.1f}" if abs(v) >= 1 else f"{v:.3f}"
        return str(v)

    for r in rows:
        t.add_row(*[cell(r[c]) for c in cols])
    console.print(t)


FORMATS = ("table", "csv", "json")
