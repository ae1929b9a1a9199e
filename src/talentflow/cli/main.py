"""`talentflow` console script: global options and sub-command registration."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="talentflow: where top AI researchers studied and work, from open conference data.")


@app.callback()
def main(
    ctx: typer.Context,
    data: Optional[Path] = typer.Option(None, "--data", help="Data mirror directory (env TALENTFLOW_DATA)."),
    db: Optional[Path] = typer.Option(None, "--db", help="DuckDB database file (env TALENTFLOW_DB)."),
    threads: int = typer.Option(2, "--threads", help="Engine worker threads."),
) -> None:
    ctx.obj = Settings.from_env(data_dir=data, db_path=db, threads=threads)


def _register() -> None:
    # Sub-command modules register themselves on `app`; imported here, not at package import.
    from . import data_cmd, build_cmd  # noqa: F401


_register()
