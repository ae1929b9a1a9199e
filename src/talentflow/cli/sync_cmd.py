"""`talentflow sync …` (live sources → dated snapshots under <data>/live) and `talentflow data import-profiles`.

A sync is the only step that talks to the network; `talentflow build` then reads the snapshots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .common import emit_rows, err_console, format_option, handle_errors, settings_of, wide_option
from .data_cmd import data_app
from .main import app

sync_app = typer.Typer(no_args_is_help=True, help="Fetch live sources (OpenReview, ORCID) into dated snapshots.")
app.add_typer(sync_app, name="sync")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True)


def _tracker(prog: Progress):
    tasks: dict[str, int] = {}

    def cb(desc: str, done: int, total: int | None) -> None:
        if desc not in tasks:
            tasks[desc] = prog.add_task(desc, total=total)
        prog.update(tasks[desc], completed=done, total=total)

    return cb


def _data_dir(s) -> Path:
    from ..errors import ConfigError

    if s.data_dir is None:
        raise ConfigError("A sync writes its snapshots into the data directory: pass --data DIR.")
    return s.data_dir


@sync_app.command("openreview")
@handle_errors
def sync_openreview(
    ctx: typer.Context,
    venue: str = typer.Option(..., "--venue", help="OpenReview venue id, e.g. NeurIPS.cc/2025/Conference."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="API base URL (env OPENREVIEW_BASEURL; "
                                           "default https://api2.openreview.net)."),
    max_requests: Optional[int] = typer.Option(None, "--max-requests", min=1,
                                               help="Stop after this many requests (progress is kept)."),
    profiles: bool = typer.Option(True, "--profiles/--no-profiles", help="Also fetch the authors' profiles."),
) -> None:
    """Papers of a venue-year (every decision) and their authors' profiles → snapshots. Needs OPENREVIEW_USERNAME
    and OPENREVIEW_PASSWORD (or OPENREVIEW_TOKEN) in the environment."""
    from ..sources import openreview as orv
    from ..sources import snapshots as snaps

    s = settings_of(ctx)
    data = _data_dir(s)
    v = orv.venue_of(venue)
    creds = orv.Credentials.from_env()
    api = orv.Api(orv.base_url_of(base_url), creds, max_requests=max_requests)
    with _progress() as prog:
        cb = _tracker(prog)
        r = orv.sync_notes(api, data, v, cb)
        err_console.print(f"{escape(r.snapshot)}: {r.records} notes, {r.status}"
                          f"{' (resumed)' if r.resumed else ''}")
        if profiles:
            folder = snaps.snapshot_dir(data, "openreview", "notes", v.venue_id)
            ids = orv.author_ids(snaps.read_records(folder / snaps.RECORDS))
            p = orv.sync_profiles(api, data, ids, (v.venue_id,), {"venue": v.venue, "year": v.year}, cb)
            err_console.print(f"{escape(p.snapshot)}: {p.records} profiles for {p.extra['ids_requested']} author ids"
                              f" ({p.extra['ids_without_profile']} without a public profile), {p.status}")
    err_console.print(f"{api.requests} requests, {api.waited:.0f} s waited for rate limits. "
                      "Run `talentflow build` to use the snapshots.")


@sync_app.command("profiles")
@handle_errors
def sync_profiles(
    ctx: typer.Context,
    venue: Optional[str] = typer.Option(None, "--venue", help="Only people on papers of this venue (e.g. nips)."),
    year: Optional[int] = typer.Option(None, "--year", help="Only people on papers of this year."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="API base URL (env OPENREVIEW_BASEURL)."),
    max_requests: Optional[int] = typer.Option(None, "--max-requests", min=1),
) -> None:
    """Profiles of people already in the database with an OpenReview id, so their education is observed too."""
    from ..engine import connect
    from ..errors import NotBuilt
    from ..sources import openreview as orv

    s = settings_of(ctx)
    data = _data_dir(s)
    if not s.db_path.exists():
        raise NotBuilt(f"No database at {s.db_path}.")
    where, params = ["person_id LIKE '~%'"], []
    if venue:
        where.append("venue = ?")
        params.append(venue)
    if year:
        where.append("year = ?")
        params.append(year)
    with connect(s, read_only=True) as eng:
        ids = [i for (i,) in eng.query(f"SELECT DISTINCT person_id FROM authorships WHERE {' AND '.join(where)} "
                                       "ORDER BY 1", params)]
    if not ids:
        err_console.print("No OpenReview ids among the selected authorships (years before 2021 carry none).")
        raise typer.Exit(1)
    creds = orv.Credentials.from_env()
    api = orv.Api(orv.base_url_of(base_url), creds, max_requests=max_requests)
    scope = ("mirror", venue or "all-venues", str(year) if year else "all-years")
    with _progress() as prog:
        p = orv.sync_profiles(api, data, ids, scope, {"venue": venue, "year": year}, _tracker(prog))
    err_console.print(f"{escape(p.snapshot)}: {p.records} profiles for {len(ids)} ids "
                      f"({p.extra['ids_without_profile']} without a public profile), {p.status}; "
                      f"{api.requests} requests.")


@sync_app.command("orcid")
@handle_errors
def sync_orcid(
    ctx: typer.Context,
    base_url: str = typer.Option("https://pub.orcid.org/v3.0", "--base-url", help="ORCID public API base URL."),
    rate: float = typer.Option(8.0, "--rate", min=0.1, max=24.0, help="Requests per second (ORCID allows 24)."),
    max_requests: Optional[int] = typer.Option(None, "--max-requests", min=1),
    refresh: bool = typer.Option(False, "--refresh", help="Fetch again iDs already in the snapshot."),
) -> None:
    """Public educations and employments of people with an ORCID iD (from the mirror and synced profiles)."""
    from ..sources import orcid

    s = settings_of(ctx)
    data = _data_dir(s)
    pairs = orcid.orcid_pairs(s)
    err_console.print(f"{len(pairs)} ORCID iDs beside OpenReview profile ids.")
    with _progress() as prog:
        r = orcid.sync_orcid(data, pairs, base_url=base_url, rate=rate, max_requests=max_requests, refresh=refresh,
                             progress=_tracker(prog))
    err_console.print(f"{escape(r['snapshot'])}: {r['records']} records ({r['fetched']} fetched now), {r['status']}; "
                      f"{r['requests']} requests.")


@data_app.command("import-profiles")
@handle_errors
def import_profiles(ctx: typer.Context, file: Path = typer.Argument(..., help="JSON Lines of OpenReview profile "
                                                                              "objects (.jsonl or .jsonl.gz)."),
                    fmt: str = format_option("table"), wide: bool = wide_option()) -> None:
    """Import a dump of OpenReview profiles through the same path as a sync; malformed lines are reported."""
    from ..sources.openreview import import_profile_dump

    s = settings_of(ctx)
    r = import_profile_dump(_data_dir(s), file)
    if r["rejected"] or r["field_problems"]:
        emit_rows([{"line": b["line"], "id": b["id"], "field": "(record)", "problem": b["problem"]}
                   for b in r["rejected"]] +
                  [{"line": None, "id": q["record_key"], "field": q["field"], "problem": q["problem"]}
                   for q in r["field_problems"]], fmt, title="problems (rejected lines; fields quarantined at build)",
                  wide=wide)
    err_console.print(f"{escape(r['snapshot'])}: {r['profiles']} profiles imported, {len(r['rejected'])} lines "
                      f"rejected, {len(r['field_problems'])} field problems; {r['status']}.")


@data_app.command("import-orcid")
@handle_errors
def import_orcid(ctx: typer.Context, file: Path = typer.Argument(..., help="ORCID Public Data File summaries "
                                                                           "(.tar.gz of XML records).")) -> None:
    """Bulk ORCID: keep the summary records of iDs found beside OpenReview profile ids, as a snapshot."""
    from ..sources import orcid

    s = settings_of(ctx)
    r = orcid.import_summaries(_data_dir(s), file, orcid.orcid_pairs(s))
    err_console.print(f"{escape(r['snapshot'])}: {r['records']} records, {r['status']}.")


@data_app.command("snapshots")
@handle_errors
def snapshots_(ctx: typer.Context, verify: bool = typer.Option(True, "--verify/--no-verify"),
               fmt: str = format_option("table"), wide: bool = wide_option()) -> None:
    """Live snapshots in the data directory, with their origin records (and checksums verified)."""
    from ..sources import snapshots as snaps

    s = settings_of(ctx)
    rows, bad = [], 0
    for sn in snaps.list_snapshots(s.require_data()):
        st = snaps.verify_snapshot(sn)[0] if verify else "not checked"
        bad += st not in ("ok", "not checked")
        r = sn.as_row()
        rows.append({"id": r["id"], "kind": r["kind"], "records": r["record_count"], "fetched_at": r["fetched_at"],
                     "status": st, **({"endpoint": r["endpoint"], "sha256": r["sha256"], "licence": r["licence"]}
                                      if fmt != "table" else {})})
    emit_rows(rows, fmt, title=f"{len(rows)} snapshots", wide=wide)
    if bad:
        raise typer.Exit(1)
