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


MIN_TEXT = 12  # a name column is cut (with …) to no fewer characters than this, or its header


def emit_rows(rows: list[dict], fmt: str, title: str | None = None, view=None, wide: bool = False,
              headers: dict | None = None) -> None:
    """Print rows as a table in words, CSV or JSON (a list of objects). CSV and JSON carry every column, raw.

    The table shows the short `view` (a name in labels.toml [views], or a list of keys; None: every column)
    with headers in words (`headers` overrides) and formatted numbers, fitted to the terminal: long names are cut with "…", and
    columns are left out from the right only when even that does not fit. `wide`: every column, at full width
    (wider than the terminal if need be). Cells are printed literally."""
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
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    from ..report import tables as tb

    cols = tb.full(rows, view, headers) if wide or view is None else tb.short(rows, view, headers)
    body = tb.text(rows, cols)
    natural = [max([cell_len(c.header)] + [cell_len(r[i]) for r in body]) for i, c in enumerate(cols)]
    width = console.width
    if wide:
        widths, out = natural, Console(emoji=False, width=max(width, _span(natural)))
    else:
        widths, out = _fit(cols, natural, width), console
        cols, body = cols[:len(widths)], [r[:len(widths)] for r in body]
    if title and cell_len(title) > _span(widths):  # a title wider than its table: a line of its own
        out.print(Text(title))
        title = None
    # a header rule and no vertical lines: three characters between columns, none at the edges
    t = Table(title=Text(title) if title else None, show_lines=False, box=box.SIMPLE_HEAD, show_edge=False,
              pad_edge=False)
    for c, w in zip(cols, widths):
        t.add_column(Text(c.header), width=w, no_wrap=True, overflow="ellipsis",
                     justify="right" if c.numeric else "left")
    for r in body:
        t.add_row(*[Text(v) for v in r])
    out.print(t)
    left = tb.hidden(rows, cols)
    if rows and left and not wide:
        err_console.print(f"[dim]{len(left)} more column{'s' if len(left) > 1 else ''} with --wide; "
                          "--format csv|json for every column, unformatted.[/]")


def _span(widths: list[int]) -> int:
    """Characters a table of these column widths takes (3 between columns)."""
    return sum(widths) + 3 * max(len(widths) - 1, 0)


def _fit(cols: list, natural: list[int], width: int) -> list[int]:
    """Column widths within `width`: numbers and headers whole, name columns cut down to MIN_TEXT, widest
    first; the rightmost columns dropped if still too wide."""
    from rich.cells import cell_len

    low = [n if c.numeric else min(n, max(cell_len(c.header), MIN_TEXT)) for c, n in zip(cols, natural)]
    keep = len(cols)
    while keep > 1 and _span(low[:keep]) > width:
        keep -= 1
    widths = natural[:keep]
    excess = _span(widths) - width
    while excess > 0:
        i = max(range(keep), key=lambda j: (widths[j] - low[j], -j))
        if widths[i] <= low[i]:
            break
        widths[i] -= 1
        excess -= 1
    return widths


def wide_option():
    return typer.Option(False, "--wide", help="Table: every column, in full (may be wider than the terminal).")


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
