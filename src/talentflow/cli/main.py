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
    db: Optional[Path] = typer.Option(None, "--db", help="Database: a DuckDB file, or a directory for --engine spark "
                                     "(env TALENTFLOW_DB)."),
    threads: int = typer.Option(2, "--threads", help="Engine worker threads."),
    engine: Optional[str] = typer.Option(None, "--engine", help="SQL engine: duckdb, or spark (the [spark] extra; "
                               "--db is then a directory). Env TALENTFLOW_ENGINE."),
    openalex: Optional[Path] = typer.Option(None, "--openalex", help="OpenAlex snapshot directory read by the "
                                            "build (env TALENTFLOW_OPENALEX; default <data>/openalex)."),
) -> None:
    ctx.obj = Settings.from_env(data_dir=data, db_path=db, threads=threads, openalex_path=openalex,
                                engine=engine)


def eval_group() -> typer.Typer:
    """The shared `eval` command group (here, before any command module is imported: several add to it)."""
    for g in app.registered_groups:
        if g.name == "eval" and g.typer_instance is not None:
            return g.typer_instance
    grp = typer.Typer(no_args_is_help=True, help="Evaluate resolution and classification against hand labels.")
    app.add_typer(grp, name="eval")
    return grp


def _register() -> None:
    # Every `cli/*_cmd.py` module registers its commands on `app` when imported; discovered here so adding a
    # command never means editing this file.
    import importlib
    import pkgutil

    from .. import cli

    for mod in sorted(m.name for m in pkgutil.iter_modules(cli.__path__) if m.name.endswith("_cmd")):
        importlib.import_module(f"{cli.__name__}.{mod}")


_register()
