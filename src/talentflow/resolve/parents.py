"""`institution_parents`: every institution of the build → its ultimate parent organisation, for rankings with
institutions rolled up (`--rollup parent`). A roll-up changes which organisation a person is counted under, never
a country: `country_location` and `country_hq` stay the resolver's.

A walk from an institution follows one link at a time, the first of these that applies:

1. the curated `parent` of institutions.csv / startups.csv (labs, campuses, subsidiaries: Google DeepMind →
   Google, Microsoft Research Asia → Microsoft, NYU Shanghai → NYU); a curated root is final;
2. an entry of `data/parents.csv` for a registry record: `same` (the record is that curated organisation: ROR's
   University of Illinois Urbana-Champaign is `cur:uiuc`), `parent` (a link the registry lacks or has among
   several) or `none` (the record is its own parent organisation, whatever the registry says);
3. the record's ROR `parent` relationship, when it has exactly one, that parent is in the registry file, the
   record is not a university and the parent is not a government body. A university's ROR parent is a system,
   federation, ministry or academy (UCL → University of London, UIUC → University of Illinois System, USTC →
   Chinese Academy of Sciences), not the organisation its people are counted under; a government parent is a
   ministry or a state (NIH → Department of Health and Human Services) — or an academy ROR types as one (CAS,
   Inria, CSIC), which a `same` entry in parents.csv admits.

The walk ends where no link applies; `stop` says why (`top`: nothing above it; `ror:several-parents`,
`ror:parent-unknown`, `ror:university`, `ror:government-parent`, `parents.csv:none`). A cycle of registry links
keeps the institution as its own parent (`stop = ror:cycle`, counted in the stage stats); a cycle through a
parents.csv entry is an error naming the file and row, like an unknown curated id.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .curated import CURATED_DIR

PARENTS_FILE = CURATED_DIR / "parents.csv"
PARENT_COLUMNS = ["child_id", "parent_id", "link", "note"]
LINKS = ("same", "parent", "none")
REGISTRY_PREFIXES = ("ror:", "grid:", "hipo:", "ror2021:", "swot:")
COLUMNS = ["institution_id", "name", "parent_id", "parent_name", "depth", "path", "links", "stop"]


@dataclass(frozen=True)
class ParentEntry:
    child_id: str
    parent_id: str
    link: str
    note: str
    row: int


def read_parents(path: Path | None = None, curated_ids: set[str] | None = None) -> dict[str, ParentEntry]:
    """parents.csv → {child id: entry}; errors name the file, row and field. A child is a registry id (curated
    entries have their `parent` column); a parent is a curated id (`cur:…`, which must exist) or a registry id."""
    from .curated import read_institutions

    path = path or PARENTS_FILE
    if curated_ids is None:
        curated_ids = {"cur:" + e.id for e in read_institutions()}
    out: dict[str, ParentEntry] = {}
    with path.open(encoding="utf-8", newline="") as f:
        rd = csv.DictReader(f)
        if rd.fieldnames != PARENT_COLUMNS:
            raise InputError(str(path), f"header must be {','.join(PARENT_COLUMNS)}", record="1")
        for i, r in enumerate(rd, start=2):
            child, parent, link = ((r[k] or "").strip() for k in ("child_id", "parent_id", "link"))
            if not child.startswith(REGISTRY_PREFIXES) or child in out:
                raise InputError(str(path), f"child_id {child!r} must be a registry id (ror:…, grid:…), once",
                                 str(i), "child_id")
            if link not in LINKS:
                raise InputError(str(path), f"link {link!r} not in {LINKS}", str(i), "link")
            if link == "none" and parent:
                raise InputError(str(path), "a 'none' entry names no parent", str(i), "parent_id")
            if link != "none":
                if parent == child or not parent.startswith(REGISTRY_PREFIXES + ("cur:",)):
                    raise InputError(str(path), f"parent_id {parent!r} must be another curated or registry id",
                                     str(i), "parent_id")
                if parent.startswith("cur:") and parent not in curated_ids:
                    raise InputError(str(path), f"unknown curated id {parent!r}", str(i), "parent_id")
                if link == "same" and not parent.startswith("cur:"):
                    raise InputError(str(path), "a 'same' entry names a curated id (cur:…)", str(i), "parent_id")
            if not (r["note"] or "").strip():
                raise InputError(str(path), "every entry says why (note)", str(i), "note")
            out[child] = ParentEntry(child, parent, link, r["note"].strip(), i)
    return out


def _walk(start: str, step) -> tuple[list[str], list[str], str]:
    """(path from start to its root, link source of each step, why the walk stopped)."""
    path, links = [start], []
    while True:
        nxt, how = step(path[-1])
        if nxt is None:
            return path, links, how
        if nxt in path:
            return path + [nxt], links + [how], "cycle"
        path.append(nxt)
        links.append(how)


def build(engine, entries: dict[str, ParentEntry] | None = None, path: Path | None = None) -> dict:
    """Create `institution_parents` (one row per row of `institutions`, sorted by id) from the curated parents,
    parents.csv and `registry_parents`. Returns counts by link source and stop reason."""
    import pyarrow as pa

    entries = read_parents(path) if entries is None else entries
    path = path or PARENTS_FILE
    info = {i: (n, src, ot, sec, par) for i, n, src, ot, sec, par in engine.query(
        "SELECT institution_id, name, source, org_type, sector, parent_id FROM reg_institutions")}
    ror: dict[str, list[str]] = {}
    if engine.table_exists("registry_parents"):
        for child, parent in engine.query("SELECT institution_id, parent_id FROM registry_parents ORDER BY 1, 2"):
            ror.setdefault(child, []).append(parent)
    # parents.csv entries whose ids this registry lacks (a mirror without ROR) are skipped and counted
    usable = {c: e for c, e in entries.items() if c in info and (not e.parent_id or e.parent_id in info)}
    # a registry record parents.csv makes part of a curated organisation is no government body to stop at
    admitted = {c for c, e in usable.items() if e.link != "none"}

    def step(x: str) -> tuple[str | None, str]:
        name, src, org_type, sector, cur_parent = info.get(x, (None, None, None, None, None))
        if src == "curated":
            return (cur_parent, "curated") if cur_parent else (None, "top")
        e = usable.get(x)
        if e is not None:
            return (None, "parents.csv:none") if e.link == "none" else (e.parent_id, f"parents.csv:{e.link}")
        ps = ror.get(x, [])
        if not ps:
            return None, "top"
        if len(ps) > 1:
            return None, "ror:several-parents"
        if org_type == "education":
            return None, "ror:university"
        if ps[0] not in info:
            return None, "ror:parent-unknown"
        if info[ps[0]][3] == "government" and ps[0] not in admitted:
            return None, "ror:government-parent"
        return ps[0], "ror"

    rows = []
    ids = [i for (i,) in engine.query("SELECT institution_id FROM institutions ORDER BY 1")]
    for i in ids:
        p, links, stop = _walk(i, step)
        if stop == "cycle":
            if any(h.startswith("parents.csv") for h in links):
                bad = next(usable[a] for a, h in zip(p, links) if h.startswith("parents.csv"))
                raise InputError(str(path), f"the parent chain of {i} returns to {p[-1]} ({' → '.join(p)})",
                                 str(bad.row), "parent_id")
            p, links, stop = [i], [], "ror:cycle"
        root = p[-1]
        rows.append((i, info.get(i, (None,))[0], root, info.get(root, (None,))[0], len(links), p, links, stop))
    types = {"depth": pa.int32(), "path": pa.list_(pa.string()), "links": pa.list_(pa.string())}
    engine.register_arrow("_inst_parents", pa.table({c: pa.array([r[k] for r in rows], type=types.get(c, pa.string()))
                                                     for k, c in enumerate(COLUMNS)}))
    engine.execute("CREATE OR REPLACE TABLE institution_parents AS SELECT * FROM _inst_parents ORDER BY institution_id")
    stats = {"institution_parents": len(rows), "rolled_up": sum(1 for r in rows if r[4] > 0),
             "parents_csv_unmatched": sorted(set(entries) - set(usable))}
    for r in rows:
        stats[f"stop:{r[7]}"] = stats.get(f"stop:{r[7]}", 0) + 1
    return stats


def used_entries(engine) -> set[str]:
    """The parents.csv children some walk of this build went through (the hygiene test reports the rest)."""
    if not engine.table_exists("institution_parents"):
        return set()
    used: set[str] = set()
    for path, links, stop in engine.query("SELECT path, links, stop FROM institution_parents"):
        used |= {a for a, h in zip(path, links) if h.startswith("parents.csv")}
        if stop == "parents.csv:none":
            used.add(path[-1])
    return used
