"""`talentflow data …`: what the catalog knows, what is present, checksums, upstream fetch, data-quality report."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from ..limits import FETCH_TIMEOUT
from ..sources.catalog import load_catalog, select
from ..sources.fetch import RAW_BASE, fetch_one
from ..sources.verify import check
from rich.markup import escape

from .common import emit_rows, err_console, format_option, handle_errors, out_file, settings_of, writing, wide_option
from .main import app

data_app = typer.Typer(no_args_is_help=True, help="The data mirror: list, verify, fetch, quality report.")
app.add_typer(data_app, name="data")


@data_app.command("list")
@handle_errors
def list_(ctx: typer.Context, group: Optional[str] = typer.Option(None, help="conferences|registry|indicators|peers|live"),
          venue: Optional[str] = None, fmt: str = format_option("table"), wide: bool = wide_option()) -> None:
    """Datasets the catalog knows, and whether each is present in the data directory."""
    s = settings_of(ctx)
    data = s.data_dir
    rows = []
    for d in select(load_catalog(s.catalog_path), group=group, venue=venue):
        present = bool(data and d.local(data).is_file())
        rows.append({"id": d.id, "group": d.group, "kind": d.kind, "venue": d.venue, "year": d.year,
                     "present": present, "bytes": d.bytes, "license": d.license,
                     "excluded": d.excluded_reason or ""})
    if group in (None, "live"):  # synced snapshots are datasets too (origin in their manifest)
        from ..sources.snapshots import list_snapshots

        for sn in list_snapshots(data):
            m = sn.manifest
            if venue is None or m.extra.get("venue") == venue:
                rows.append({"id": f"live:{sn.id}", "group": "live", "kind": m.kind, "venue": m.extra.get("venue"),
                             "year": m.extra.get("year"), "present": sn.records_path.is_file(), "bytes": m.bytes,
                             "license": m.licence, "excluded": ""})
    emit_rows(rows, fmt, title=f"{sum(r['present'] for r in rows)} of {len(rows)} datasets present",
              view="data_list", wide=wide)


@data_app.command("verify")
@handle_errors
def verify(ctx: typer.Context, group: Optional[str] = None, venue: Optional[str] = None,
           fmt: str = format_option("table"), wide: bool = wide_option(),
           partial: bool = typer.Option(False, "--partial",
                                        help="A partial mirror: missing files are listed but do not fail.")) -> None:
    """Check every catalogued file against its sha256 (or, if recompressed, the upstream git blob). Exit status 1
    when a file differs, or when one is missing (unless --partial)."""
    s = settings_of(ctx)
    data = s.require_data()
    rows, bad, missing = [], 0, 0
    for d in select(load_catalog(s.catalog_path), group=group, venue=venue):
        c = check(d, data)
        bad += c.status == "mismatch"
        missing += c.status == "missing"
        if fmt != "table" or c.status != "ok":
            rows.append({"id": d.id, "status": c.status, "detail": c.detail})
    if group in (None, "live"):
        from ..sources.snapshots import list_snapshots, verify_snapshot

        for sn in list_snapshots(data):
            st, detail = verify_snapshot(sn)
            bad += st == "mismatch"
            missing += st == "missing"
            if fmt != "table" or st != "ok":
                rows.append({"id": f"live:{sn.id}", "status": st, "detail": detail})
    emit_rows(rows, fmt, title="verification problems" if fmt == "table" else None, wide=wide)
    if fmt == "table":
        err_console.print(f"{bad} mismatched, {missing} missing{' (partial mirror)' if partial and missing else ''}; "
                          "all other files verified.")
    if bad or (missing and not partial):
        if missing and not partial:
            err_console.print(f"{missing} catalogued file(s) missing: `talentflow data fetch` downloads them "
                              "(pass --partial to check a partial mirror).")
        raise typer.Exit(1)


@data_app.command("checksum")
@handle_errors
def checksum(ctx: typer.Context,
             tables: Optional[list[str]] = typer.Option(None, "--table", help="Only these tables (repeatable)."),
             compare: Optional[Path] = typer.Option(None, "--compare",
                                                    help="Another database: list the tables that differ (exit 1 "
                                                         "if any)."),
             fmt: str = format_option("table"), wide: bool = wide_option()) -> None:
    """Row count and order-independent checksum of every table of the database: two builds hold the same data
    when every line agrees (compare builds of the same talentflow and DuckDB versions)."""
    from ..engine import connect
    from ..engine.checksum import compare as compare_rows, table_checksums
    from ..errors import NotBuilt

    s = settings_of(ctx)
    for db in [s.db_path] + ([compare] if compare else []):
        if not db.exists():
            raise NotBuilt(f"No database at {db}.")
    with connect(s, read_only=True) as eng:
        rows = table_checksums(eng, tables or None)
    if compare is None:
        emit_rows(rows, fmt, title=f"{len(rows)} tables of {s.db_path}" if fmt == "table" else None, wide=wide)
        return
    with connect(s, compare, read_only=True) as eng:
        other = table_checksums(eng, tables or None)
    diff = compare_rows(rows, other)
    emit_rows(diff, fmt, title=f"tables that differ: {s.db_path} (a) vs {compare} (b)" if fmt == "table" else None,
              wide=wide)
    if fmt == "table":
        err_console.print(f"{len(diff)} of {len(set(r['table'] for r in rows + other))} tables differ.")
    if diff:
        raise typer.Exit(1)


@data_app.command("fetch")
@handle_errors
def fetch(ctx: typer.Context, ids: Optional[list[str]] = typer.Argument(None, help="Dataset ids (default: all)."),
          group: Optional[str] = None, force: bool = False,
          base_url: str = typer.Option(RAW_BASE, help="Upstream raw-file host (for mirrors and tests)."),
          timeout: float = typer.Option(FETCH_TIMEOUT, help="Most seconds per file, connect and transfer "
                                                             "together; a read that stalls fails after "
                                                             "min(this, 60) s.")) -> None:
    """Download missing files from their pinned upstream commit, with resume and checksum verification. A file's
    download may not carry more bytes than its content can have (catalogued size + margin)."""
    s = settings_of(ctx)
    if s.data_dir is None:
        from ..errors import ConfigError
        raise ConfigError("fetch needs a target data directory.")
    s.data_dir.mkdir(parents=True, exist_ok=True)
    todo = select(load_catalog(s.catalog_path), ids=ids or None, group=group)
    counts = {"present": 0, "fetched": 0, "skipped": 0}
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), transient=True) as prog:
        task = prog.add_task("fetching", total=sum(d.bytes for d in todo))
        for d in todo:
            prog.update(task, description=d.id)
            r = fetch_one(d, s.data_dir, base_url=base_url, force=force, timeout=timeout,
                          progress=lambda n: prog.advance(task, n))
            counts[r.status] += 1
            if r.status == "skipped":
                err_console.print(f"skipped {escape(d.id)}: {escape(str(r.detail))}")
    err_console.print(", ".join(f"{v} {k}" for k, v in counts.items()))


@data_app.command("report")
@handle_errors
def report(ctx: typer.Context, fmt: str = format_option("table", ("table", "csv", "json", "markdown")),
           wide: bool = wide_option(),
           out: Optional[Path] = typer.Option(None, "--out", callback=out_file,
                                              help="Write to a file instead of stdout.")) -> None:
    """Per dataset: papers, accepted, authorships, % with affiliation / person id / position, joins, quarantine."""
    from ..engine import connect
    from ..ingest.quality import quality_markdown, quality_rows
    from ..errors import NotBuilt

    s = settings_of(ctx)
    if not s.db_path.exists():
        raise NotBuilt(f"No database at {s.db_path}.")
    with connect(s, read_only=True) as eng:
        if fmt == "markdown":
            text = quality_markdown(eng, s.data_dir)
            if out:
                with writing(out) as f:
                    f.write(text)
            else:
                typer.echo(text)
            return
        rows = quality_rows(eng, s.data_dir)
    if out and fmt in ("csv", "json"):
        import contextlib
        with writing(out) as f, contextlib.redirect_stdout(f):
            emit_rows(rows, fmt)
        return
    emit_rows(rows, fmt, view="data_report", wide=wide)
