"""Shared CLI plumbing: settings from the global options, error translation, output helpers.

Text from users and data (affiliations, titles, paths, queries) is printed literally: table cells are rich
`Text`, messages pass through `escape`, and emoji codes (`:smile:`) are never replaced."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from pathlib import Path
from typing import Callable

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..errors import TalentflowError
from ..settings import PUBLISHED_MIN_CELL, Settings

err_console = Console(stderr=True, emoji=False)
console = Console(emoji=False)


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
            err_console.print(f"[bold red]Error:[/] {escape(str(e))}")
            if e.hint:
                err_console.print(f"[yellow]Hint:[/] {escape(e.hint)}")
            raise typer.Exit(2)
        except OSError as e:  # a file the user named cannot be read or written: the reason, not a traceback
            where = f"{e.filename}: " if e.filename else ""
            err_console.print(f"[bold red]Error:[/] {escape(where + (e.strerror or str(e)))}")
            raise typer.Exit(2)

    return wrapper


def emit_rows(rows: list[dict], fmt: str, title: str | None = None) -> None:
    """Print rows as a rich table, CSV or JSON (a list of objects). Cells are printed literally."""
    if fmt not in FORMATS:
        raise TalentflowError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
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

    t = Table(title=Text(title) if title else None, show_lines=False)
    cols = list(rows[0].keys()) if rows else []
    for c in cols:
        t.add_column(Text(str(c)), overflow="fold")
    def cell(v) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.1f}" if abs(v) >= 1 else f"{v:.3f}"
        return str(v)

    for r in rows:
        t.add_row(*[Text(cell(r[c])) for c in cols])
    console.print(t)


FORMATS = ("table", "csv", "json")


def format_option(default: str, choices: tuple[str, ...] = FORMATS, help: str | None = None):
    """`--format`, refusing a value outside `choices` with a usage error that lists them (never a silent default)."""

    def check(value: str) -> str:
        if value not in choices:
            shown = ", ".join(c for c in choices if c)  # '' is a default meaning "decided by the mode"
            raise typer.BadParameter(f"unknown format {value!r}: use one of {shown}.")
        return value

    return typer.Option(default, "--format", callback=check, help=help or "|".join(choices))


def _out_problem(path: Path, want_dir: bool) -> str | None:
    """Why `path` cannot be written as an output file (or, want_dir, a directory created if missing)."""
    if want_dir:
        if path.exists() and not path.is_dir():
            return f"{path} exists and is not a directory"
        existing = next((p for p in [path, *path.parents] if p.exists()), None)
        if existing is not None and not existing.is_dir():
            return f"{existing} is a file, so {path} cannot be created"
        if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
            return f"{existing} is not writable"
        return None
    if path.is_dir():
        return f"{path} is a directory: give a file name"
    if not path.parent.is_dir():
        return f"directory {path.parent} does not exist" if not path.parent.exists() else f"{path.parent} is not a directory"
    if (path.exists() and not os.access(path, os.W_OK)) or not os.access(path.parent, os.W_OK | os.X_OK):
        return f"{path if path.exists() else path.parent} is not writable"
    return None


@contextlib.contextmanager
def writing(path: Path):
    """Open `path` to write text; a failure (full disk, permissions) is an error naming the file."""
    try:
        with path.open("w", encoding="utf-8", newline="") as f:
            yield f
    except OSError as e:
        raise TalentflowError(f"cannot write {path}: {e.strerror or e}") from None


def out_file(value: Path | None) -> Path | None:
    """`--out FILE` callback: checked before any work, so a bad path costs nothing and prints no traceback."""
    if value is not None and str(value) != "-" and (why := _out_problem(value, want_dir=False)):
        raise typer.BadParameter(why)
    return value


def out_dir(value: Path) -> Path:
    """`--out DIR` callback for outputs that create their directory (parents included)."""
    if (why := _out_problem(value, want_dir=True)):
        raise typer.BadParameter(why)
    return value
