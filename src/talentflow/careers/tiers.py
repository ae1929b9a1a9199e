"""Paper tiers per venue-year from the reviewable mapping in `tiers.toml`, applied in SQL.

`paper_tiers(venue, year, paper_id, tier, tier_rule, tier_rank, scheme)`: tier is the highest distinction —
oral > spotlight > accepted — or not_accepted; tier_rule says which mapping entry decided it.
`tier_availability(venue, year, scheme, accepted, spotlight, oral, note)`: whether a tier exists for a venue-year.
`hygiene()` reports data the mapping does not cover and mapping entries that match nothing.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError

TIERS_FILE = Path(__file__).with_name("tiers.toml")
TIER_RANK = {"oral": 3, "spotlight": 2, "accepted": 1, "not_accepted": 0}
AVAILABILITY = ("available", "partial", "not_available")
MISSING = "<missing>"


@dataclass(frozen=True)
class TierConfig:
    not_accepted: dict[str, str]
    tracks: dict[str, str]
    schemes: dict[str, dict]
    venue_years: dict[tuple[str, int], str]
    path: Path = TIERS_FILE

    def status_rows(self) -> list[tuple]:
        """(venue, year, status_key, tier, tier_rule, scheme, origin) for every venue-year. origin is the mapping
        entry ('scheme:<name>:<status>' or 'global:<status>') used by the unused-entry check."""
        rows = []
        for (venue, year), scheme in sorted(self.venue_years.items()):
            sch = self.schemes[scheme]
            m: dict[str, tuple] = {s: ("not_accepted", f"{s}: {why}", f"global:{s}")
                                   for s, why in self.not_accepted.items()}
            for s, why in sch.get("not_accepted", {}).items():
                m[s] = ("not_accepted", f"{scheme}: {s}: {why}", f"scheme:{scheme}:{s}")
            for tier in ("accepted", "spotlight", "oral"):
                for s in sch.get(tier, []):
                    m[s] = (tier, f"{scheme}: {s} -> {tier}", f"scheme:{scheme}:{s}")
            rows += [(venue, year, s, t, rule, scheme, origin) for s, (t, rule, origin) in m.items()]
        return rows

    def availability_rows(self) -> list[tuple]:
        out = []
        for (venue, year), scheme in sorted(self.venue_years.items()):
            sch = self.schemes[scheme]
            av = sch.get("availability", {})
            out.append((venue, year, scheme, av.get("accepted", "available"), av["spotlight"], av["oral"],
                        sch.get("note", "")))
        return out

    def fingerprint(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def load_tiers(path: Path | None = None) -> TierConfig:
    """Parse and validate tiers.toml; problems name the file and the entry."""
    path = Path(path or TIERS_FILE)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise InputError(str(path), f"cannot read tier mapping: {e}") from e
    schemes = raw.get("schemes", {})
    for name, sch in schemes.items():
        for key in ("accepted", "spotlight", "oral"):
            if not isinstance(sch.get(key, []), list):
                raise InputError(str(path), f"{key} must be a list of status labels", record=f"schemes.{name}")
        av = sch.get("availability")
        if not isinstance(av, dict) or not {"spotlight", "oral"} <= av.keys():
            raise InputError(str(path), "availability needs spotlight and oral", record=f"schemes.{name}")
        bad = [v for v in av.values() if v not in AVAILABILITY]
        if bad:
            raise InputError(str(path), f"availability values must be one of {AVAILABILITY}, got {bad}",
                             record=f"schemes.{name}")
        seen: dict[str, str] = {}
        for key in ("accepted", "spotlight", "oral"):
            for s in sch.get(key, []):
                if s in seen:
                    raise InputError(str(path), f"status {s!r} mapped to both {seen[s]} and {key}",
                                     record=f"schemes.{name}")
                seen[s] = key
    vy: dict[tuple[str, int], str] = {}
    for venue, years in raw.get("venue_years", {}).items():
        for year, scheme in years.items():
            if scheme not in schemes:
                raise InputError(str(path), f"unknown scheme {scheme!r}", record=f"venue_years.{venue}.{year}")
            vy[(venue, int(year))] = scheme
    return TierConfig(not_accepted=dict(raw.get("not_accepted", {})), tracks=dict(raw.get("tracks", {})),
                      schemes=schemes, venue_years=vy, path=path)


def _load_maps(engine, cfg: TierConfig) -> None:
    import pyarrow as pa

    rows = cfg.status_rows()
    cols = ["venue", "year", "status_key", "tier", "tier_rule", "scheme", "origin"]
    engine.register_arrow("_tier_status_map", pa.table(
        {c: pa.array([r[i] for r in rows], pa.int32() if c == "year" else pa.string()) for i, c in enumerate(cols)}))
    engine.register_arrow("_tier_track_map", pa.table({
        "track_key": pa.array(list(cfg.tracks.keys()), pa.string()),
        "track_class": pa.array(list(cfg.tracks.values()), pa.string())}))


def _keyed(source: str) -> str:
    return (f"SELECT *, coalesce(nullif(trim(status_raw), ''), '{MISSING}') AS status_key, "
            f"coalesce(nullif(trim(track), ''), '{MISSING}') AS track_key FROM {source}")


def _tier_select(source: str) -> str:
    """SELECT computing (venue, year, paper_id, tier, tier_rule, tier_rank, scheme) from `source`; needs the maps
    registered by _load_maps."""
    return f"""
    WITH p AS ({_keyed(source)}),
    j AS (
      SELECT p.venue, p.year, p.paper_id, p.status_key, p.track_key, m.tier AS mapped, m.tier_rule AS mapped_rule,
             t.track_class, vy.scheme
      FROM p
      LEFT JOIN (SELECT DISTINCT venue, year, scheme FROM _tier_status_map) vy
             ON vy.venue = p.venue AND vy.year = p.year
      LEFT JOIN _tier_status_map m ON m.venue = p.venue AND m.year = p.year AND m.status_key = p.status_key
      LEFT JOIN _tier_track_map t ON t.track_key = p.track_key),
    k AS (
      SELECT venue, year, paper_id,
             CASE WHEN mapped IS NULL THEN 'not_accepted'
                  WHEN mapped <> 'not_accepted' AND coalesce(track_class, 'main') <> 'main' THEN 'not_accepted'
                  ELSE mapped END AS tier,
             CASE WHEN scheme IS NULL THEN 'no tier scheme for ' || venue || ' ' || year
                  WHEN mapped IS NULL THEN 'unmapped status ' || status_key
                  WHEN mapped <> 'not_accepted' AND coalesce(track_class, 'main') <> 'main'
                       THEN 'track ' || track_key || ': ' || track_class
                  ELSE mapped_rule END
               || CASE WHEN track_class IS NULL THEN ' [unmapped track ' || track_key || ']'
                       WHEN track_key NOT IN ('main', '{MISSING}') AND track_class = 'main'
                       THEN ' [track ' || track_key || ']' ELSE '' END AS tier_rule,
             scheme
      FROM j)
    SELECT venue, year, paper_id, tier, tier_rule,
           CASE tier WHEN 'oral' THEN 3 WHEN 'spotlight' THEN 2 WHEN 'accepted' THEN 1 ELSE 0 END AS tier_rank,
           scheme
    FROM k"""


def build_tiers(engine, cfg: TierConfig | None = None, source: str = "papers") -> dict:
    """Create paper_tiers and tier_availability from `source` (a papers-shaped table)."""
    cfg = cfg or load_tiers()
    _load_maps(engine, cfg)
    engine.execute("CREATE OR REPLACE TABLE paper_tiers AS " + _tier_select(source))
    import pyarrow as pa

    av = cfg.availability_rows()
    cols = ["venue", "year", "scheme", "accepted", "spotlight", "oral", "note"]
    engine.register_arrow("_tier_av", pa.table(
        {c: pa.array([r[i] for r in av], pa.int32() if c == "year" else pa.string()) for i, c in enumerate(cols)}))
    engine.execute("CREATE OR REPLACE TABLE tier_availability AS SELECT * FROM _tier_av")
    stats = dict(engine.query("SELECT tier, count(*) FROM paper_tiers GROUP BY 1"))
    return {"paper_tiers": sum(stats.values()), **{f"tier_{k}": v for k, v in sorted(stats.items())}}


@dataclass
class TierHygiene:
    uncovered_statuses: list[dict] = field(default_factory=list)   # in the data, not in the mapping
    uncovered_tracks: list[dict] = field(default_factory=list)
    venue_years_without_scheme: list[dict] = field(default_factory=list)
    unused_entries: list[str] = field(default_factory=list)        # mapping entries matching no paper
    unused_venue_years: list[str] = field(default_factory=list)
    accepted_disagreements: list[dict] = field(default_factory=list)  # papers.accepted vs tier

    @property
    def clean(self) -> bool:
        return not (self.uncovered_statuses or self.uncovered_tracks or self.venue_years_without_scheme
                    or self.unused_entries or self.unused_venue_years)


def hygiene(engine, cfg: TierConfig | None = None, source: str = "papers") -> TierHygiene:
    """Compare the mapping with the statuses and tracks actually present in `source`."""
    cfg = cfg or load_tiers()
    _load_maps(engine, cfg)
    h = TierHygiene()
    p = f"({_keyed(source)})"
    h.uncovered_statuses = engine.query_dicts(f"""
        SELECT p.venue, p.year, p.status_key AS status, count(*) AS n FROM {p} p
        WHERE EXISTS (SELECT 1 FROM _tier_status_map v WHERE v.venue = p.venue AND v.year = p.year)
          AND NOT EXISTS (SELECT 1 FROM _tier_status_map m WHERE m.venue = p.venue AND m.year = p.year
                                                            AND m.status_key = p.status_key)
        GROUP BY ALL ORDER BY ALL""")
    h.venue_years_without_scheme = engine.query_dicts(f"""
        SELECT p.venue, p.year, count(*) AS n FROM {p} p
        WHERE NOT EXISTS (SELECT 1 FROM _tier_status_map v WHERE v.venue = p.venue AND v.year = p.year)
        GROUP BY ALL ORDER BY ALL""")
    h.uncovered_tracks = engine.query_dicts(f"""
        SELECT p.track_key AS track, count(*) AS n FROM {p} p
        WHERE p.track_key NOT IN (SELECT track_key FROM _tier_track_map) GROUP BY ALL ORDER BY ALL""")
    used = {r[0] for r in engine.query(f"""
        SELECT DISTINCT m.origin FROM _tier_status_map m JOIN {p} p
          ON m.venue = p.venue AND m.year = p.year AND m.status_key = p.status_key""")}
    present = {(v, int(y)) for v, y in engine.query(f"SELECT DISTINCT venue, year FROM {source}")}
    # schemes marked absent_ok (files the ingest skips) are only checked where their venue-years are present
    skip = {r[6] for r in cfg.status_rows()
            if cfg.schemes[r[5]].get("absent_ok") and (r[0], r[1]) not in present and r[6].startswith("scheme:")}
    h.unused_entries = sorted({r[6] for r in cfg.status_rows()} - used - skip)
    used_tracks = {r[0] for r in engine.query(f"SELECT DISTINCT track_key FROM {p}")}
    h.unused_entries += sorted(f"track:{t}" for t in cfg.tracks if t not in used_tracks)
    h.unused_venue_years = sorted(f"{v} {y}" for (v, y), s in cfg.venue_years.items()
                                  if (v, y) not in present and not cfg.schemes[s].get("absent_ok"))
    if "accepted" in engine.columns(f"SELECT * FROM {source}"):
        h.accepted_disagreements = engine.query_dicts(f"""
            SELECT p.venue, p.year, p.status_raw, p.track, p.accepted, t.tier, count(*) AS n
            FROM {source} p JOIN ({_tier_select(source)}) t USING (venue, year, paper_id)
            WHERE p.accepted IS DISTINCT FROM (t.tier <> 'not_accepted')
            GROUP BY ALL ORDER BY n DESC""")
    return h


def tier_table(engine, cfg: TierConfig | None = None) -> list[dict]:
    """One row per venue-year: scheme, availability and the resulting counts (needs paper_tiers)."""
    cfg = cfg or load_tiers()
    counts = {(v, int(y), t): n for v, y, t, n in engine.query(
        "SELECT venue, year, tier, count(*) FROM paper_tiers GROUP BY ALL")}
    out = []
    for venue, year, scheme, acc, spot, oral, _ in cfg.availability_rows():
        c = {t: counts.get((venue, year, t), 0) for t in TIER_RANK}
        out.append({"venue": venue, "year": year, "scheme": scheme, "spotlight": spot, "oral": oral,
                    "n_accepted_or_better": c["accepted"] + c["spotlight"] + c["oral"],
                    "n_spotlight": c["spotlight"], "n_oral": c["oral"], "n_not_accepted": c["not_accepted"]})
    return out


def render_tier_table(rows: list[dict]) -> str:
    """Markdown table of tier_table() rows (docs/tiers-and-subfields.md embeds it; a test keeps it in sync)."""
    short = {"available": "yes", "not_available": "—", "partial": "partial"}
    lines = ["| venue | year | scheme | spotlight | oral | accepted+ | spotlight | oral | not accepted |",
             "|---|---|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['venue']} | {r['year']} | {r['scheme']} | {short[r['spotlight']]} | {short[r['oral']]} "
                     f"| {r['n_accepted_or_better']} | {r['n_spotlight']} | {r['n_oral']} | {r['n_not_accepted']} |")
    return "\n".join(lines) + "\n"
