"""Pipeline stage `live`: the snapshots under `<data>/live/` (OpenReview notes and profiles, ORCID records,
imported profile dumps) → tables. A build never calls the network; it reads only these files, verified first.

- OpenReview notes of a venue-year the data mirror lacks become `papers` and `authorships` (unit `live:…`;
  no per-author affiliation: where those authors were comes from their profiles' dated histories). Notes of a
  venue-year the mirror has are not ingested as papers (the mirror stays the paper source; counted).
- `profiles(profile_id, source, preferred_name, n_history, has_history, orcid, tmdate, dataset_id)`: one row per
  profile (the newest copy when several snapshots hold it);
- `profile_aliases(username, profile_id)`: every id a profile answers to (merged profiles have several);
- `profile_history(profile_id, source, dataset_id, entry_no, kind, position_raw, role_raw, institution_raw,
  domain_raw, department, country_raw, country, country_rule, start_year, end_year, open_end, fetched_year)`;
- `live_snapshots`: the origin record of every snapshot read (and what it was used for);
- quarantine rows (dataset `live:…`) for every malformed record or field, by record and field.
"""

from __future__ import annotations

from ..errors import ChecksumMismatch
from ..pipeline.stage import Stage
from ..sources import snapshots as snaps
from .profiles import Parsed, parse_openreview_profile, parse_orcid_record

VERSION = "1"
ACCEPTED_TIERS = {"oral": "Oral", "spotlight": "Spotlight", "poster": "Poster"}
DECISIONS = {"Rejected_Submission": "Reject", "Withdrawn_Submission": "Withdraw",
             "Desk_Rejected_Submission": "Desk Reject"}

PROFILE_COLS = {"profile_id": "VARCHAR", "source": "VARCHAR", "preferred_name": "VARCHAR", "n_history": "INTEGER",
                "has_history": "BOOLEAN", "orcid": "VARCHAR", "tmdate": "BIGINT", "dataset_id": "VARCHAR"}
ALIAS_COLS = {"username": "VARCHAR", "profile_id": "VARCHAR", "dataset_id": "VARCHAR"}
HISTORY_COLS = {"profile_id": "VARCHAR", "source": "VARCHAR", "dataset_id": "VARCHAR", "entry_no": "INTEGER",
                "kind": "VARCHAR", "position_raw": "VARCHAR", "role_raw": "VARCHAR", "institution_raw": "VARCHAR",
                "domain_raw": "VARCHAR", "department": "VARCHAR", "country_raw": "VARCHAR", "country": "VARCHAR",
                "country_rule": "VARCHAR", "start_year": "INTEGER", "end_year": "INTEGER", "open_end": "BOOLEAN"}
QUAR_COLS = {"dataset_id": "VARCHAR", "record_key": "VARCHAR", "field": "VARCHAR", "problem": "VARCHAR",
             "raw_value": "VARCHAR"}
NOTE_COLS = {"paper_id": "VARCHAR", "title": "VARCHAR", "status_raw": "VARCHAR", "accepted": "BOOLEAN",
             "track": "VARCHAR", "keywords": "VARCHAR", "primary_area": "VARCHAR", "abstract": "VARCHAR",
             "authors": "VARCHAR[]", "authorids": "VARCHAR[]", "dataset_id": "VARCHAR"}


def params(settings) -> str:
    """The snapshots read (their manifests' checksums) and the subset of notes read."""
    return snaps.fingerprint(settings.data_dir, snaps.LIVE_KINDS) + settings.subset_label()


def _selected(s: snaps.Snapshot, settings) -> bool:
    """Notes of a venue-year are read when the build selects it (a subset build); career histories always."""
    return s.manifest.kind != "openreview_notes" or settings.selects(s.manifest.extra.get("venue"),
                                                                     s.manifest.extra.get("year"))


def _arrow(rows: list[dict], cols: dict[str, str]):
    import pyarrow as pa

    types = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_(),
             "VARCHAR[]": pa.list_(pa.string())}
    return pa.table({c: pa.array([r.get(c) for r in rows], type=types[t]) for c, t in cols.items()})


def _value(content: dict, key: str):
    v = content.get(key)
    return v.get("value") if isinstance(v, dict) else v


def parse_note(obj: object, dataset_id: str, line: int, venue_id: str, out: Parsed, notes: list[dict]) -> None:
    """One API v2 note (`content.<field>.value`) → a paper row; decisions from `content.venueid`."""
    rec = f"line {line}"
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
        return out.bad(dataset_id, rec, "id", "not a note object with an id")
    rec = obj["id"]
    c = obj.get("content")
    if not isinstance(c, dict):
        return out.bad(dataset_id, rec, "content", f"not an object ({type(c).__name__})")
    authors, ids = _value(c, "authors"), _value(c, "authorids")
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        return out.bad(dataset_id, rec, "content.authors", "not a list of strings", type(authors).__name__)
    if ids is not None and (not isinstance(ids, list) or len(ids) != len(authors)
                            or not all(isinstance(a, str) for a in ids)):
        out.bad(dataset_id, rec, "content.authorids", "not a list of strings as long as authors")
        ids = None
    vid, venue_label = _value(c, "venueid"), _value(c, "venue")
    if vid == venue_id:
        word = venue_label.split()[-1].lower() if isinstance(venue_label, str) and venue_label.split() else ""
        status, accepted = ACCEPTED_TIERS.get(word, "Accept"), True
    elif isinstance(vid, str) and vid.startswith(venue_id + "/") and vid.rsplit("/", 1)[-1] in DECISIONS:
        status, accepted = DECISIONS[vid.rsplit("/", 1)[-1]], False
    else:
        status, accepted = (vid if isinstance(vid, str) else None), None
        out.bad(dataset_id, rec, "content.venueid", "not a decision of this venue", vid)
    track = "Datasets & Benchmarks" if isinstance(venue_label, str) and "datasets and benchmarks" in \
        venue_label.lower() else None
    kw = _value(c, "keywords")
    text = {k: _value(c, k) for k in ("title", "abstract", "primary_area")}
    notes.append({"paper_id": rec, "status_raw": status, "accepted": accepted, "track": track,
                  "keywords": ";".join(k for k in kw if isinstance(k, str)) if isinstance(kw, list) else None,
                  "authors": [" ".join(a.split()) for a in authors], "authorids": ids, "dataset_id": dataset_id,
                  **{k: (v if isinstance(v, str) else None) for k, v in text.items()}})


def _read(snap: snaps.Snapshot, out: Parsed, notes: list[dict]) -> int:
    dsid = f"live:{snap.id}"
    venue_id = snap.manifest.extra.get("venue_id", "")
    n = 0
    for line, obj, err in snaps.iter_jsonl(snap.records_path):
        n += 1
        if err:
            out.bad(dsid, f"line {line}", "(record)", err)
        elif snap.manifest.kind == "openreview_notes":
            parse_note(obj, dsid, line, venue_id, out, notes)
        elif snap.manifest.kind == "openreview_profiles":
            parse_openreview_profile(obj, dsid, line, out)
        else:
            parse_orcid_record(obj, dsid, line, out)
    return n


def run(eng, settings, progress) -> dict:
    import pyarrow as pa

    data = settings.require_data()
    all_snaps = [s for s in snaps.list_snapshots(data)
                 if s.manifest.kind in snaps.LIVE_KINDS and _selected(s, settings)]  # not OpenAlex's
    out, notes, rows = Parsed(), [], []
    for k, s in enumerate(all_snaps):
        progress(f"live: {s.id}", k, len(all_snaps))
        status, detail = snaps.verify_snapshot(s)
        if status != "ok":
            raise ChecksumMismatch(f"snapshot {s.records_path}: {detail}",
                                   hint="Re-run the sync that wrote it, or delete the folder to drop it.")
        if s.manifest.kind == "openreview_notes" and not (isinstance(s.manifest.extra.get("venue"), str)
                                                          and isinstance(s.manifest.extra.get("year"), int)):
            from ..errors import InputError

            raise InputError(str(s.path / snaps.MANIFEST), "a notes snapshot must name its venue and year",
                             field="venue")
        n = _read(s, out, notes)
        rows.append({**s.as_row(), "venue": s.manifest.extra.get("venue"), "year": s.manifest.extra.get("year"),
                     "records_read": n})
    eng.execute("DELETE FROM papers WHERE unit_id LIKE 'live:%'")
    eng.execute("DELETE FROM authorships WHERE unit_id LIKE 'live:%'")
    eng.execute("DELETE FROM quarantine WHERE unit_id LIKE 'live:%'")
    for name, tbl, cols in (("profiles_raw", out.profiles, PROFILE_COLS), ("aliases_raw", out.aliases, ALIAS_COLS),
                            ("history_raw", out.history, HISTORY_COLS), ("quar", out.quarantine, QUAR_COLS),
                            ("notes", notes, NOTE_COLS)):
        eng.register_arrow(f"_lv_{name}", _arrow(tbl, cols))
    snap_cols = ["id", "kind", "producer", "endpoint", "query", "fetched_at", "record_count", "sha256", "bytes",
                 "licence", "tool", "path", "venue", "year", "records_read"]
    eng.register_arrow("_lv_snaps", pa.table({c: pa.array([r.get(c) for r in rows],
                                                          pa.int64() if c in ("record_count", "bytes", "year",
                                                                              "records_read") else pa.string())
                                              for c in snap_cols}))
    eng.execute("""CREATE OR REPLACE TABLE live_snapshots AS
        SELECT s.*, CAST(NULL AS VARCHAR) AS used_for FROM _lv_snaps s""")
    # One copy per profile: the newest (tmdate, then fetch time, then snapshot id — a total order).
    eng.execute("""CREATE OR REPLACE TABLE profiles AS
        SELECT p.* FROM _lv_profiles_raw p JOIN live_snapshots s ON s.id = p.dataset_id
        QUALIFY row_number() OVER (PARTITION BY p.profile_id, p.source
                                   ORDER BY p.tmdate DESC NULLS LAST, s.fetched_at DESC, p.dataset_id DESC) = 1""")
    # A username claimed by two profiles goes to the one whose own id it is, else the smallest id.
    eng.execute("""CREATE OR REPLACE TABLE profile_aliases AS
        SELECT DISTINCT a.username, a.profile_id FROM _lv_aliases_raw a
        JOIN profiles p ON p.profile_id = a.profile_id AND p.dataset_id = a.dataset_id
         AND p.source = CASE WHEN starts_with(a.username, 'orcid:') THEN 'orcid' ELSE 'openreview' END
        QUALIFY row_number() OVER (PARTITION BY a.username ORDER BY a.username = a.profile_id DESC,
                                   a.profile_id) = 1""")
    eng.execute("""CREATE OR REPLACE TABLE profile_history AS
        SELECT h.*, CAST(left(s.fetched_at, 4) AS INTEGER) AS fetched_year FROM _lv_history_raw h
        JOIN profiles p ON p.profile_id = h.profile_id AND p.dataset_id = h.dataset_id AND p.source = h.source
        JOIN live_snapshots s ON s.id = h.dataset_id
        ORDER BY h.profile_id, h.source, h.entry_no""")
    stats = _papers(eng)
    eng.execute("""INSERT INTO quarantine SELECT q.*, q.dataset_id FROM _lv_quar q""")
    stats.update({"snapshots": len(all_snaps),
                  "profiles": eng.scalar("SELECT count(*) FROM profiles"),
                  "profiles_without_history": eng.scalar("SELECT count(*) FROM profiles WHERE NOT has_history"),
                  "profile_history_entries": eng.scalar("SELECT count(*) FROM profile_history"),
                  "live_quarantined": len(out.quarantine)})
    return stats


def _papers(eng) -> dict:
    """Notes → papers/authorships for venue-years the mirror has no papers for; the others are counted."""
    eng.execute("""CREATE OR REPLACE TEMP TABLE _lv_notes_vy AS
        SELECT n.*, s.venue, CAST(s.year AS INTEGER) AS year,
               EXISTS (SELECT 1 FROM papers p WHERE p.venue = s.venue AND p.year = s.year
                       AND coalesce(p.unit_id, '') NOT LIKE 'live:%') AS mirror_has
        FROM _lv_notes n JOIN live_snapshots s ON s.id = n.dataset_id
        -- the same note in two snapshots (a re-sync under another folder) counts once
        QUALIFY row_number() OVER (PARTITION BY s.venue, s.year, n.paper_id ORDER BY n.dataset_id DESC) = 1""")
    eng.execute("""UPDATE live_snapshots SET used_for = CASE
        WHEN kind <> 'openreview_notes' THEN 'career histories'
        WHEN EXISTS (SELECT 1 FROM _lv_notes_vy n WHERE n.dataset_id = live_snapshots.id AND NOT n.mirror_has)
             THEN 'papers and authorships'
        ELSE 'not ingested as papers: the data mirror has this venue-year' END""")
    eng.execute("""INSERT INTO papers
        SELECT venue, year, paper_id, title, status_raw, accepted, track, keywords, primary_area, abstract,
               dataset_id, dataset_id FROM _lv_notes_vy WHERE NOT mirror_has""")
    # Author ids are mapped to the profile that answers to them (a merged profile has several ids).
    eng.execute("""INSERT INTO authorships
        WITH x AS (SELECT n.*, unnest(generate_series(1, len(n.authors))) AS i FROM _lv_notes_vy n
                   WHERE NOT n.mirror_has AND len(n.authors) > 0)
        SELECT x.venue, x.year, x.paper_id, CAST(x.i AS INTEGER) AS author_order, x.authors[x.i] AS author_name,
               CASE WHEN starts_with(x.authorids[x.i], '~') THEN coalesce(a.profile_id, x.authorids[x.i]) END,
               CASE WHEN starts_with(x.authorids[x.i], '~') THEN x.authorids[x.i] END AS authorid_raw,
               NULL, NULL, NULL, NULL, x.dataset_id, 'openreview_note', x.dataset_id
        FROM x LEFT JOIN profile_aliases a ON a.username = x.authorids[x.i]""")
    return {"live_papers": eng.scalar("SELECT count(*) FROM _lv_notes_vy WHERE NOT mirror_has"),
            "live_notes_not_ingested": eng.scalar("SELECT count(*) FROM _lv_notes_vy WHERE mirror_has")}


# Reads `papers` (is a venue-year the mirror's?) and adds the rows of the venue-years it has alone.
STAGE = Stage("live", needs=("ingest",), writes=("live_snapshots", "profiles", "profile_aliases", "profile_history"),
              appends=("papers", "authorships", "quarantine"), version=VERSION, run=run,
              data=("ingest/degrees.csv",), params=params)
