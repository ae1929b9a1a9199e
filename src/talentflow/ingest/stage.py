"""Ingest stage: every conference unit → `papers`, `authorships`, `paper_affiliations`, `quarantine`,
`peer_author_country`, and the `datasets` table with provenance and counts.

Units whose member checksums and reader version are unchanged keep their rows (incremental rebuild)."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

from ..errors import ChecksumMismatch, DataMissing, InputError, UnknownValue
from ..pipeline.stage import Stage
from ..sources.catalog import load_catalog
from ..sources.verify import check, file_sha256
from .explode import explode
from .jsontypes import field, problem, quarantine_wrong, strings
from .readers import SHAPES, read_firstinst, read_paperlists_batch, reset
from .sqlparts import q
from .units import Unit, plan_units

VERSION = "1"
STATUS_FILE = Path(__file__).with_name("status.toml")

TABLES = """
CREATE TABLE IF NOT EXISTS papers (venue VARCHAR, year INTEGER, paper_id VARCHAR, title VARCHAR, status_raw VARCHAR,
    accepted BOOLEAN, track VARCHAR, keywords VARCHAR, primary_area VARCHAR, abstract VARCHAR, dataset_id VARCHAR,
    unit_id VARCHAR);
CREATE TABLE IF NOT EXISTS authorships (venue VARCHAR, year INTEGER, paper_id VARCHAR, author_order INTEGER,
    author_name VARCHAR, person_id VARCHAR, authorid_raw VARCHAR, affiliation_raw VARCHAR, domain_raw VARCHAR,
    domain_source VARCHAR, position_raw VARCHAR, dataset_id VARCHAR, join_method VARCHAR, unit_id VARCHAR);
CREATE TABLE IF NOT EXISTS paper_affiliations (venue VARCHAR, year INTEGER, paper_id VARCHAR, aff_order INTEGER,
    affiliation_raw VARCHAR, dataset_id VARCHAR, unit_id VARCHAR);
CREATE TABLE IF NOT EXISTS quarantine (dataset_id VARCHAR, record_key VARCHAR, field VARCHAR, problem VARCHAR,
    raw_value VARCHAR, unit_id VARCHAR);
CREATE TABLE IF NOT EXISTS peer_author_country (source VARCHAR, venue VARCHAR, year INTEGER, person_id VARCHAR,
    full_name VARCHAR, country VARCHAR, dataset_id VARCHAR, unit_id VARCHAR);
CREATE TABLE IF NOT EXISTS ingest_units (unit_id VARCHAR PRIMARY KEY, key VARCHAR, shape VARCHAR, stats JSON);
"""
UNIT_TABLES = ("papers", "authorships", "paper_affiliations", "quarantine", "peer_author_country")


def _status_lists() -> tuple[list[str], list[str]]:
    d = tomllib.loads(STATUS_FILE.read_text(encoding="utf-8"))
    return d["accepted"], d["not_accepted"]


def reader_version() -> str:
    """VERSION plus a digest of the reader code itself, so editing a reader re-reads the data (owid-style)."""
    h = hashlib.sha256(VERSION.encode())
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def inputs(settings) -> list:
    """The conference files this stage reads: every member of every unit the build selects (the build verifies
    them first)."""
    return [d for u in selected_units(settings) for d in u.members]


def selected_units(settings) -> list[Unit]:
    """The conference-years of the catalog, or those `settings.subset` names (UnknownValue for one the catalog
    does not have)."""
    units, _ = plan_units(load_catalog(settings.catalog_path))
    for venue, year in settings.subset:
        if not any(u.venue == venue and (year is None or u.year == year) for u in units):
            have = sorted({str(u.year) for u in units if u.venue == venue})
            raise UnknownValue("conference-year", f"{venue}{year or ''}",
                               [f"{venue}{y}" for y in have] or sorted({u.venue for u in units}))
    return [u for u in units if settings.selects(u.venue, u.year)]


def _verify_members(unit: Unit, data: Path, allow_changed: bool = False) -> list[str]:
    """Missing member paths (returned) or a ChecksumMismatch (raised; with allow_changed the file is read as it
    is and the build records it)."""
    missing = []
    for d in unit.members:
        c = check(d, data)
        if c.status == "missing":
            missing.append(d.path)
        elif c.status == "mismatch" and not allow_changed:
            raise ChecksumMismatch(f"{d.local(data)}: {c.detail}")
    return missing


def _changed_digest(unit: Unit, data: Path) -> str:
    """sha256 of members that differ from their catalogued version: a unit read from a changed file is re-read
    once the file is fixed (its key otherwise holds only catalogued checksums)."""
    out = []
    for d in unit.members:
        p = d.local(data)
        if p.is_file() and (sha := file_sha256(p)) != d.sha256:
            out.append(f"{d.id}:{sha}")
    return ";".join(out)


def _stage_units(eng, units: list[Unit], data: Path) -> dict[str, dict]:
    """Read every dirty unit into the u_* staging tables (plain paperlists in one scan), then explode once."""
    reset(eng)
    import pyarrow as pa

    eng.register_arrow("_unit_map", pa.Table.from_pylist(
        [{"dataset_id": d.id, "unit_id": u.id, "venue": u.venue, "year": u.year} for u in units for d in u.members]
        or [{"dataset_id": "", "unit_id": "", "venue": "", "year": 0}]))
    eng.execute("CREATE OR REPLACE TEMP TABLE unit_map AS SELECT * FROM _unit_map")
    stats = read_paperlists_batch(eng, [u for u in units if u.shape == "paperlists" and "base" in u.roles], data)
    for u in units:
        if u.shape != "paperlists" and ("base" in u.roles or "chang" in u.roles or "emails" in u.roles):
            stats[u.id] = SHAPES[u.shape](eng, u, data) or {}
        read_firstinst(eng, u, data)
    doubled = explode(eng)
    for u in units:
        st = stats.setdefault(u.id, {})
        st["doubled_author_lists"] = {d.id: doubled[d.id] for d in u.members if d.id in doubled}
    return stats


def _publish(eng, accepted: list[str], rejected: list[str]) -> None:
    """Staging tables → the persistent tables, tagged with venue, year and unit."""
    eng.execute("""
        INSERT INTO papers SELECT um.venue, um.year, paper_id, title, status_raw,
            CASE WHEN status_raw IS NULL THEN true
                 WHEN lower(trim(status_raw)) IN (SELECT unnest(CAST(? AS VARCHAR[]))) THEN true
                 WHEN lower(trim(status_raw)) IN (SELECT unnest(CAST(? AS VARCHAR[]))) THEN false END,
            track, keywords, primary_area, abstract, p.dataset_id, um.unit_id
        FROM u_papers p JOIN unit_map um USING (dataset_id)""", [accepted, rejected])
    eng.execute("""
        INSERT INTO authorships SELECT * FROM u_auth;
        INSERT INTO paper_affiliations SELECT um.venue, um.year, paper_id, aff_order, affiliation_raw, dataset_id,
            um.unit_id FROM u_paffs JOIN unit_map um USING (dataset_id);
        INSERT INTO quarantine SELECT q.*, um.unit_id FROM u_quar q JOIN unit_map um USING (dataset_id);
        INSERT INTO quarantine SELECT q.*, um.unit_id FROM u_quar_read q JOIN unit_map um USING (dataset_id);
        -- papers kept without any author (e.g. journal-track entries listed without names) are counted
        INSERT INTO quarantine SELECT p.dataset_id, p.paper_id, 'author', 'no_authors', NULL, um.unit_id
            FROM u_papers p JOIN unit_map um USING (dataset_id)
            WHERE NOT EXISTS (SELECT 1 FROM u_auth a WHERE a.paper_id = p.paper_id AND a.unit_id = um.unit_id);
        INSERT INTO quarantine SELECT dataset_id, paper_id, 'status', 'unknown_status', status_raw, unit_id
            FROM papers WHERE unit_id IN (SELECT unit_id FROM unit_map) AND accepted IS NULL;""")


def paper_source(unit: Unit):
    """The dataset a unit's papers come from (None for a peer-only unit)."""
    r = unit.roles
    return r.get("chang") if unit.shape == "chang" else r.get("emails") or r.get("base")


def _no_papers(eng, units: list[Unit]) -> None:
    """A conference-year that yields no papers (an empty file, or every record quarantined) is not left out: one
    `no_papers` row names its paper file and why, so `data report` still lists it."""
    have = {u for u, in eng.query("SELECT DISTINCT unit_id FROM papers WHERE unit_id IN (SELECT unit_id FROM unit_map)")}
    for u in units:
        src = paper_source(u)
        if src is None or u.id in have:
            continue
        eng.execute("""
            INSERT INTO quarantine
            SELECT ?, ?, 'file', 'no_papers',
                   'no papers: ' || coalesce((SELECT 'records quarantined (' || string_agg(problem || '=' || n, ', '
                                                         ORDER BY problem) || ')'
                                              FROM (SELECT problem, count(*) AS n FROM quarantine WHERE unit_id = ?
                                                    GROUP BY 1)), 'the file holds no records'), ?""",
                    [src.id, src.path, u.id, u.id])


PEER_FIELDS = ("openreview_id", "full_name", "affiliation_country")


def _ingest_peer(eng, unit: Unit, data: Path) -> None:
    peer = unit.roles.get("peer")
    if peer is not None:
        types, values = strings("j", PEER_FIELDS)
        eng.execute(f"""
            CREATE OR REPLACE TEMP TABLE pr AS
            SELECT j, json_type(j) AS top, {types} AS t, {values} AS s
            FROM {eng.json_objects(str(peer.local(data)))} t(j);
            INSERT INTO u_quar_read SELECT {q(peer.id)}, 'r' || substr(md5(j), 1, 12), 'record', 'wrong_type',
                {problem('object', 'top', 'j')} FROM pr WHERE top <> 'OBJECT';""")
        quarantine_wrong(eng, "(SELECT * FROM pr WHERE top = 'OBJECT')", "'r' || substr(md5(j), 1, 12)", PEER_FIELDS, peer.id)
        f = {n: field(PEER_FIELDS, n) for n in PEER_FIELDS}
        eng.execute(f"""
            INSERT INTO peer_author_country
            SELECT 'lossfunk', {q(unit.venue)}, {unit.year}, nullif(trim({f['openreview_id']}), ''),
                   nullif(trim({f['full_name']}), ''), nullif(upper(trim({f['affiliation_country']})), ''),
                   {q(peer.id)}, {q(unit.id)}
            FROM pr WHERE top = 'OBJECT'""")


def run(eng, settings, progress) -> dict:
    data = settings.require_data()
    accepted, rejected = _status_lists()
    eng.execute(TABLES)
    units = selected_units(settings)
    done = dict(eng.query("SELECT unit_id, key FROM ingest_units"))
    wanted = {u.id for u in units}
    counts = {"units": len(units), "rebuilt": 0, "kept": 0, "missing": []}
    # units that no longer exist in the catalog are removed
    for gone in set(done) - wanted:
        for t in UNIT_TABLES:
            eng.execute(f"DELETE FROM {t} WHERE unit_id = ?", [gone])
        eng.execute("DELETE FROM ingest_units WHERE unit_id = ?", [gone])
    todo: list[tuple[Unit, str]] = []
    for n, unit in enumerate(units):
        progress(f"check {unit.id}", n, len(units))
        key = unit.key(reader_version() + json.dumps([accepted, rejected]) + _changed_digest(unit, data))
        if done.get(unit.id) == key:
            counts["kept"] += 1
            continue
        missing = _verify_members(unit, data, settings.allow_changed)
        if unit.id in done:  # a cold build has nothing to delete; skipping the scans saves seconds
            for t in UNIT_TABLES:
                eng.execute(f"DELETE FROM {t} WHERE unit_id = ?", [unit.id])
            eng.execute("DELETE FROM ingest_units WHERE unit_id = ?", [unit.id])
        if missing:
            if not settings.allow_missing:
                raise DataMissing(f"{unit.id}: missing file(s) {', '.join(missing)} in {data}.")
            counts["missing"].extend(missing)
            continue
        todo.append((unit, key))
    progress(f"read {len(todo)} conference-years", 0, 1)
    try:
        stats = _stage_units(eng, [u for u, _ in todo], data)
        for u, _ in todo:
            _ingest_peer(eng, u, data)
    except eng.Error as e:
        raise _input_error(e, [u for u, _ in todo], data) from e
    _publish(eng, accepted, rejected)
    _no_papers(eng, [u for u, _ in todo])
    for u, key in todo:
        eng.execute("INSERT INTO ingest_units VALUES (?, ?, ?, ?)", [u.id, key, u.shape, json.dumps(stats.get(u.id, {}), sort_keys=True)])
    counts["rebuilt"] = len(todo)
    progress("ingest", len(units), len(units))
    counts["papers"] = eng.scalar("SELECT count(*) FROM papers")
    counts["authorships"] = eng.scalar("SELECT count(*) FROM authorships")
    counts["quarantined"] = eng.scalar("SELECT count(*) FROM quarantine")
    return counts


def _input_error(e: Exception, units: list[Unit], data: Path) -> InputError:
    """Name the file DuckDB choked on (its message quotes the path) or, failing that, all candidates."""
    msg = str(e).splitlines()[0]
    paths = [str(d.local(data)) for u in units for d in u.members]
    named = [p for p in paths if p in str(e)]
    return InputError(", ".join(named or paths[:5] + (["…"] if len(paths) > 5 else [])),
                      f"cannot read ({type(e).__name__}): {msg}")


def _datasets_table(eng, units: list[Unit], skipped, catalog) -> None:
    """Catalog + role + per-dataset counts, so provenance travels with every derived table."""
    import pyarrow as pa

    rows = []
    unit_of = {d.id: (u, role) for u in units for role, d in u.roles.items()}
    for d in catalog:
        u, role = unit_of.get(d.id, (None, None))
        reason = next((r for s, r in skipped if s.id == d.id), None)
        if d.group == "conferences" and u is not None and role == "chang" and "base" in u.roles:
            reason = "not ingested: the paperlists file of the same year is the paper source"
        rows.append({**d.as_row(), "unit_id": u.id if u else None, "role": role, "not_ingested_reason": reason})
    eng.register_arrow("_catalog", pa.Table.from_pylist(rows))
    eng.execute("""
        CREATE OR REPLACE TABLE datasets AS
        SELECT c.*, json_extract_string(iu.stats, '$.aff_level."' || c.id || '"') AS aff_level,
               json_extract(iu.stats, '$.joins."' || c.id || '"') AS join_stats,
               coalesce(p.n, 0) AS papers, coalesce(p.acc, 0) AS accepted_papers, coalesce(a.n, 0) AS authorships,
               coalesce(qq.n, 0) AS quarantined
        FROM _catalog c
        LEFT JOIN ingest_units iu ON iu.unit_id = c.unit_id
        LEFT JOIN (SELECT dataset_id, count(*) n, count(*) FILTER (WHERE accepted) acc FROM papers GROUP BY 1) p ON p.dataset_id = c.id
        LEFT JOIN (SELECT dataset_id, count(*) n FROM authorships GROUP BY 1) a ON a.dataset_id = c.id
        LEFT JOIN (SELECT dataset_id, count(*) n FROM quarantine GROUP BY 1) qq ON qq.dataset_id = c.id""")


STAGE = Stage("ingest", needs=(), writes=("papers", "authorships", "paper_affiliations", "quarantine",
                                           "peer_author_country", "ingest_units"),
              version=VERSION, run=run, data=("ingest/status.toml",), inputs=inputs,
              params=lambda settings: settings.subset_label())
