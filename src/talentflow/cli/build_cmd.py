"""`talentflow build` and `talentflow export`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .common import err_console, handle_errors, settings_of
from .main import app


@app.command()
@handle_errors
def build(ctx: typer.Context, force: bool = typer.Option(False, help="Rebuild everything from scratch."),
          wait: float = typer.Option(0.0, help="Seconds to wait for another running build before giving up."),
          allow_missing: bool = typer.Option(False, help="Skip (and count) conference files missing from the data directory.")) -> None:
    """Build or update the database from the data directory (only what changed is rebuilt)."""
    from ..ingest.build import build as run_build

    s = settings_of(ctx).with_(allow_missing=allow_missing)
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as prog:
        task = prog.add_task("build", total=1)

        def progress(desc: str, done: int, total: int) -> None:
            prog.update(task, description=desc, completed=done, total=max(total, 1))

        res = run_build(s, force=force, wait=wait, progress=progress)
    if not res.ran:
        err_console.print(f"Up to date ({s.db_path}); nothing rebuilt in {res.seconds:.1f} s.")
        return
    err_console.print(f"Built {', '.join(res.ran)} into {s.db_path} in {res.seconds:.1f} s.")
    for stage, st in res.stats.items():
        brief = {k: v for k, v in st.items() if not isinstance(v, (dict, list)) or (k == "missing" and v)}
        err_console.print(f"  {stage}: " + ", ".join(f"{k}={v}" for k, v in brief.items()))
