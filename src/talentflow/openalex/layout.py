"""The OpenAlex snapshot layout on disk, and the part files a build reads.

A snapshot (`aws s3 sync s3://openalex openalex-snapshot`) holds one folder per entity under `data/`:
`data/works/manifest`, `data/works/updated_date=YYYY-MM-DD/part_000.gz` (older releases: `0000_part_00.gz`), …
Each part is gzip JSON Lines, one entity per line. The `manifest` is JSON in Redshift manifest format:
`{"entries": [{"url": "s3://openalex/data/works/updated_date=…/part_000.gz", "meta": {"content_length": N,
"record_count": M}}, …], "meta": {"content_length": …, "record_count": …}}`. OpenAlex deletes an entity's
manifest while it writes a new partition, so a folder without one is an incomplete download.

Here only the parts the manifest lists are read, each checked against its byte size first (a cheap test for a
truncated download) and, once read, against its record count (stage.py). Parts on disk the manifest does not
list (left over from an older release: `aws s3 sync` without `--delete`) are counted and not read.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, InputError

ENTITIES = ("works", "authors", "institutions")
DEFAULT_DIR = "openalex"  # <data>/openalex, when no --openalex PATH is given
_DATE = re.compile(r"updated_date=(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class Part:
    entity: str
    path: Path
    rel: str             # path inside the entity folder: updated_date=2024-01-01/part_000.gz
    record_count: int    # as the manifest says
    content_length: int  # bytes, as the manifest says

    @property
    def dataset_id(self) -> str:
        return f"openalex:{self.entity}/{self.rel}"

    @property
    def updated_date(self) -> str | None:
        m = _DATE.search(self.rel)
        return m.group(1) if m else None


@dataclass
class Layout:
    root: Path
    parts: dict[str, list[Part]]                 # entity → parts in manifest order
    manifests: dict[str, Path]
    unlisted: dict[str, list[str]]               # entity → part files on disk the manifest does not list

    def all_parts(self) -> list[Part]:
        return [p for e in ENTITIES for p in self.parts.get(e, [])]


def snapshot_root(settings) -> Path | None:
    """The snapshot folder the build reads: `settings.openalex_path` (must exist), else `<data>/openalex` when
    present, else None (no OpenAlex snapshot: the stage makes no tables)."""
    if settings.openalex_path is not None:
        p = Path(settings.openalex_path)
        if not p.is_dir():
            raise ConfigError(f"OpenAlex snapshot directory {p} does not exist.",
                              hint="Pass --openalex DIR (or TALENTFLOW_OPENALEX) naming the folder that holds "
                                   "data/works/manifest.")
        return p
    if settings.data_dir is not None and (Path(settings.data_dir) / DEFAULT_DIR).is_dir():
        return Path(settings.data_dir) / DEFAULT_DIR
    return None


def entity_dirs(root: Path) -> dict[str, Path]:
    """Entity folders under `root` or `root/data` (the folder `aws s3 sync` makes, or its `data/`)."""
    for base in (root / "data", root):
        found = {e: base / e for e in ENTITIES if (base / e).is_dir()}
        if found:
            return found
    return {}


def _entry_path(entity_dir: Path, entity: str, url: object, manifest: Path, i: int) -> tuple[Path, str]:
    if not isinstance(url, str) or f"/{entity}/" not in url:
        raise InputError(str(manifest), f"entry url {url!r} is not a part of {entity}", record=f"entry {i}",
                         field="url")
    rel = url.split(f"/{entity}/", 1)[1]
    parts = [x for x in rel.split("/") if x]
    if not parts or any(x in (".", "..") for x in parts):
        raise InputError(str(manifest), f"entry url {url!r} does not name a part file", record=f"entry {i}",
                         field="url")
    return entity_dir.joinpath(*parts), "/".join(parts)


def _count(v: object, manifest: Path, i: int, field: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise InputError(str(manifest), f"not a count: {v!r}", record=f"entry {i}", field=field)
    return v


def read_manifest(entity: str, entity_dir: Path) -> tuple[Path, list[Part]]:
    manifest = entity_dir / "manifest"
    if not manifest.is_file():
        raise InputError(str(entity_dir), "no manifest: OpenAlex removes it while it writes a partition, so this "
                         "copy is incomplete", field="manifest")
    try:
        d = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(str(manifest), f"not a JSON manifest: {e}")
    entries = d.get("entries") if isinstance(d, dict) else None
    if not isinstance(entries, list):
        raise InputError(str(manifest), "no `entries` list", field="entries")
    parts, seen = [], set()
    for i, e in enumerate(entries):
        meta = e.get("meta") if isinstance(e, dict) else None
        if not isinstance(meta, dict):
            raise InputError(str(manifest), "entry without `meta`", record=f"entry {i}", field="meta")
        path, rel = _entry_path(entity_dir, entity, e.get("url"), manifest, i)
        if rel in seen:
            raise InputError(str(manifest), f"part {rel} listed twice", record=f"entry {i}", field="url")
        seen.add(rel)
        parts.append(Part(entity, path, rel, _count(meta.get("record_count"), manifest, i, "meta.record_count"),
                          _count(meta.get("content_length"), manifest, i, "meta.content_length")))
    total = d.get("meta", {}).get("record_count") if isinstance(d.get("meta"), dict) else None
    if isinstance(total, int) and total != sum(p.record_count for p in parts):
        raise InputError(str(manifest), f"meta.record_count {total} ≠ the entries' sum "
                         f"{sum(p.record_count for p in parts)}", field="meta.record_count")
    return manifest, parts


def check_part_files(parts: list[Part]) -> None:
    """Every listed part exists with the manifest's byte size: a missing or truncated download stops here."""
    for p in parts:
        if not p.path.is_file():
            raise InputError(str(p.path), f"part listed in the {p.entity} manifest is missing")
        size = p.path.stat().st_size
        if size != p.content_length:
            raise InputError(str(p.path), f"{size} bytes, the manifest says {p.content_length} (an incomplete "
                             "download?)", field="meta.content_length")


def discover(settings) -> Layout | None:
    """The snapshot to read, its manifests parsed and its part files checked; None when there is none."""
    root = snapshot_root(settings)
    if root is None:
        return None
    dirs = entity_dirs(root)
    if not dirs:
        raise InputError(str(root), f"no OpenAlex entity folder ({', '.join(ENTITIES)}) here or under data/",
                         field="data/works/manifest")
    layout = Layout(root, {}, {}, {})
    for entity, d in dirs.items():
        manifest, parts = read_manifest(entity, d)
        check_part_files(parts)
        listed = {p.path.resolve() for p in parts}
        layout.parts[entity], layout.manifests[entity] = parts, manifest
        layout.unlisted[entity] = sorted(f.relative_to(d).as_posix() for f in d.glob("updated_date=*/*.gz")
                                         if f.resolve() not in listed)
    return layout


def fingerprint(settings) -> str:
    """Manifests and each part's size and mtime (hashing hundreds of GB is not a change test)."""
    h = hashlib.sha256()
    root = snapshot_root(settings)
    if root is None:
        return "absent"
    h.update(str(root).encode())
    for entity, d in sorted(entity_dirs(root).items()):
        man = d / "manifest"
        h.update(f"{entity}:{man.is_file() and hashlib.sha256(man.read_bytes()).hexdigest()}\n".encode())
        for f in sorted(d.glob("updated_date=*/*.gz")):
            st = f.stat()
            h.update(f"{f.relative_to(d).as_posix()}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()
