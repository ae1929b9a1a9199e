"""The build: runs the pipeline stages in order into a DuckDB file, atomically, incrementally, under a lock.

Stages are modules exposing `VERSION` (bump when their output changes), `fingerprint(settings) -> str` (inputs and
curated files they read) and `run(engine, settings, progress) -> dict` (creates their tables). A stage reruns
when its fingerprint, its VERSION or any earlier stage changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..engine import connect
from ..errors import BuildLocked
from ..settings import Settings

# The dependency order, written down once: (name, module).
STAGES: list[tuple[str, str]] = [
    ("ingest", "talentflow.ingest.stage"),          # conference files → papers, authorships, quarantine
    ("live", "talentflow.ingest.live"),             # synced snapshots → papers of new venue-years, career histories
    ("indicators", "talentflow.indicators.stage"),  # companion national indicators
    ("resolve", "talentflow.resolve.stage"),        # affiliation → institution, countries, sector
    ("papers", "talentflow.careers.papers_stage"),  # tiers and subfields per paper
    ("careers", "talentflow.careers.stage"),        # people, career events, stages
    ("metrics", "talentflow.metrics.stage"),        # materialised metric tables
]

Progress = Callable[[str, int, int], None]  # (description, done, total)


def _noop(desc: str, done: int, total: int) -> None:
    pass


@dataclass
class BuildResult:
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    stats: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0


@contextmanager
def build_lock(db_path: Path, wait: float = 0.0) -> Iterator[None]:
    """Exclusive advisory lock beside the database; a second build waits up to `wait` seconds, then refuses."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".lock")
    with open(lock_path, "w") as fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildLocked(f"Another build is running on {db_path} (lock {lock_path}).")
                time.sleep(0.2)
        try:
            fh.write(str(os.getpid()))
            fh.flush()
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _stage_key(module, settings: Settings, upstream: str) -> str:
    h = hashlib.sha256()
    h.update(str(getattr(module, "VERSION", "0")).encode())
    h.update(module.fingerprint(settings).encode())
    h.update(upstream.encode())
    return h.hexdigest()


def _stored_keys(db_path: Path, settings: Settings) -> dict[str, str]:
    if not db_path.exists():
        return {}
    try:
        with connect(settings, db_path, read_only=True) as eng:
            if not eng.table_exists("build_state"):
                return {}
            return dict(eng.query("SELECT stage, key FROM build_state"))
    except Exception:  # an unreadable old database is rebuilt from scratch
        return {}


def build(settings: Settings, force: bool = False, wait: float = 0.0, progress: Progress = _noop,
          stages: list[tuple[str, str]] | None = None) -> BuildResult:
    """Build or update the database. Work happens in a temporary copy that replaces the database only on
    success, so a crash or Ctrl-C leaves the previous database usable."""
    settings.require_data()
    stages = stages or STAGES
    t0 = time.perf_counter()
    result = BuildResult()
    db = settings.db_path
    with build_lock(db, wait):
        modules = [(name, importlib.import_module(mod)) for name, mod in stages]
        stored = {} if force else _stored_keys(db, settings)
        keys, upstream, dirty_from = {}, "", None
        for i, (name, mod) in enumerate(modules):
            keys[name] = upstream = _stage_key(mod, settings, upstream)
            if dirty_from is None and stored.get(name) != keys[name]:
                dirty_from = i
        if dirty_from is None:
            result.skipped = [n for n, _ in modules]
            result.seconds = time.perf_counter() - t0
            return result
        tmp = db.with_name(db.name + ".tmp-build")
        for p in (tmp, tmp.with_name(tmp.name + ".wal")):
            p.unlink(missing_ok=True)
        if db.exists() and not force:  # stages update incrementally from the previous state
            shutil.copyfile(db, tmp)
        try:
            with connect(settings, tmp) as eng:
                for i, (name, mod) in enumerate(modules):
                    if i < dirty_from:
                        result.skipped.append(name)
                        continue
                    progress(f"stage {name}", 0, 1)
                    result.stats[name] = mod.run(eng, settings, progress) or {}
                    result.ran.append(name)
                eng.execute("CREATE OR REPLACE TABLE build_state (stage VARCHAR, key VARCHAR, built_at TIMESTAMP)")
                for name, _ in modules:
                    eng.execute("INSERT INTO build_state VALUES (?, ?, now())", [name, keys[name]])
                eng.execute("CHECKPOINT")
            os.replace(tmp, db)
        except BaseException:
            tmp.unlink(missing_ok=True)
            tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
            raise
    result.seconds = time.perf_counter() - t0
    return result
