"""`talentflow serve`: the local dashboard and JSON API over the built database (read-only)."""

from __future__ import annotations

from typing import Optional

import typer

from .common import err_console, handle_errors, min_cell_of, settings_of
from .main import app


@app.command("serve")
@handle_errors
def serve(ctx: typer.Context,
          host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (default: loopback only)."),
          port: int = typer.Option(8000, "--port"),
          min_cell: Optional[int] = typer.Option(None, "--min-cell", help="Suppress counts resting on fewer people "
                                                 "(default 5, the published k; never lower).")) -> None:
    """Serve the dashboard at http://HOST:PORT/ and the JSON API under /api (schema: /openapi.json)."""
    import uvicorn

    from ..web.app import create_app

    s = settings_of(ctx)
    s = s.with_(min_cell=min_cell_of(s, min_cell, published=True))
    application = create_app(s)
    err_console.print(f"talentflow dashboard on http://{host}:{port}/ (API schema: /openapi.json)")
    uvicorn.run(application, host=host, port=port, log_level="warning")
