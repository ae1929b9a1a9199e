"""The build: runs the stages of the DAG into a DuckDB file, atomically, incrementally, under a lock.

Before anything runs, every input file of every stage is checksummed against the catalog (a changed file stops the
build unless `allow_changed`, and is then recorded in `input_files`). Each stage's key is its code, data files,
version and params, the checksums of its input files as read, and the keys of the stages it needs
(`pipeline.stage`); a stage runs when its key differs from the one in `build_state`, so a change reruns the stage
it touches and every stage that needs it, in topological order, and nothing else. Work happens in a copy of the
database that replaces it only on success. Scratch tables (splink's, stage staging) are dropped before the
database is published.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Iterator

from ..engine import connect, copy_database, remove_database, replace_database
from ..engine.checksum import drop_scratch
from ..errors import BuildLocked
from ..settings import Settings
from ..sources.verify import InputCheck, verify_inputs
from . import dag
from .stage import Progress, Stage, code_digest

def _noop(desc: str, done: int, total: int) -> None:
    pass


@dataclass
class BuildResult:
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    stats: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)  # wall time of each stage that ran
    inputs: list[InputCheck] = field(default_factory=list)  # every input file, verified
    scratch_dropped: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        """Input files read although they differ from (or are missing in) the catalog (allow_changed)."""
        return [c.dataset.path for c in self.inputs if c.status in ("changed", "uncatalogued")]


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def lock_holder(db_path: Path) -> int | None:
    """PID written by the build holding the lock (None when free or unreadable)."""
    try:
        text = lock_path(db_path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@contextmanager
def build_lock(db_path: Path, wait: float = 0.0) -> Iterator[None]:
    """Exclusive advisory lock beside the database; a second build waits up to `wait` seconds, then refuses.
    The file is opened without truncating, so while a build runs it keeps that build's PID."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lp = lock_path(db_path)
    fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid = lock_holder(db_path)
                    raise BuildLocked(f"Another build{f' (pid {pid})' if pid else ''} is running on {db_path} "
                                      f"(lock {lp}).")
                time.sleep(0.2)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.ftruncate(fd, 0)  # released: no PID to mistake for a running build
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def temp_paths(db_path: Path) -> list[Path]:
    """The work files of a build in progress (left behind only by a killed one)."""
    tmp = db_path.with_name(db_path.name + ".tmp-build")
    return [tmp, tmp.with_name(tmp.name + ".wal")]


def _clean_temp(db_path: Path) -> list[str]:
    """Under the lock no other build is running: any work file is a killed build's, and goes."""
    gone = []
    for p in temp_paths(db_path):
        if remove_database(p):
            gone.append(p.name)
    return gone


def _says_interrupted(e: BaseException | None) -> bool:
    while e is not None:
        if "interrupt" in str(e).lower():
            return True
        e = e.__cause__ or e.__context__
    return False


@contextmanager
def _interrupt_on_ctrl_c(eng) -> Iterator[None]:
    """DuckDB does not stop a running query on SIGINT, and Python's KeyboardInterrupt only comes once the query
    returns: a watcher thread woken by the signal (set_wakeup_fd) interrupts the engine, so Ctrl-C ends a build
    within moments and its work files are removed. Only the main thread can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    old = signal.set_wakeup_fd(w, warn_on_full_buffer=False)

    hit = threading.Event()

    def watch() -> None:
        while chunk := os.read(r, 64):
            if signal.SIGINT in chunk:
                hit.set()
                eng.interrupt()

    t = threading.Thread(target=watch, name="build-interrupt", daemon=True)
    t.start()
    try:
        yield
    except Exception as e:
        # the engine's "interrupted" error (or a stage's wrapping of it) is the Ctrl-C. DuckDB may notice the
        # signal itself and fail the query before the watcher has run: the signal's byte is already in the pipe
        # then, so give the watcher a moment to see it rather than report an interruption as a crash.
        if hit.is_set() or (_says_interrupted(e) and hit.wait(5)):
            raise KeyboardInterrupt from e
        raise
    finally:
        signal.set_wakeup_fd(old)
        os.close(w)  # the watcher reads end-of-file and returns
        t.join(2)
        os.close(r)


def engine_identity(settings: Settings) -> str:
    """The engine and its library version: part of every key (a new DuckDB may order or round differently)."""
    lib = {"duckdb": "duckdb", "spark": "pyspark"}.get(settings.engine, settings.engine)
    try:
        return f"{settings.engine}:{metadata.version(lib)}"
    except metadata.PackageNotFoundError:
        return settings.engine


def stage_key(stage: Stage, settings: Settings, inputs: list[InputCheck], needs: dict[str, str]) -> str:
    """What the stage's tables are made of (module docstring); `needs` maps each needed stage to its key."""
    h = hashlib.sha256()
    h.update(f"{stage.name}\0{stage.version}\0{engine_identity(settings)}\0{code_digest(stage)}\0".encode())
    h.update((stage.params(settings) if stage.params else "").encode() + b"\0")
    for c in inputs:  # the files as read: fixing a changed file rebuilds what depends on it
        h.update(f"{c.dataset.path}:{c.sha256 or 'missing'}\n".encode())
    for n in stage.needs:
        h.update(f"{n}:{needs[n]}\n".encode())
    return h.hexdigest()


def _verify(stages: list[Stage], settings: Settings) -> dict[str, list[InputCheck]]:
    """Every stage's input files checked once (ChecksumMismatch names the first bad one)."""
    wanted = {s.name: list(s.inputs(settings)) if s.inputs else [] for s in stages}
    checks = {c.dataset.id: c for c in verify_inputs([d for ds in wanted.values() for d in ds],
                                                       settings.require_data(), settings.allow_changed)}
    return {name: [checks[d.id] for d in sorted(ds, key=lambda d: d.id)] for name, ds in wanted.items()}


def _input_files_table(eng, per_stage: dict[str, list[InputCheck]]) -> None:
    """Provenance of this build's inputs: what each stage read, and whether it matched the catalog."""
    import pyarrow as pa

    rows = [{"stage": name, "dataset_id": c.dataset.id, "path": c.dataset.path, "status": c.status,
             "sha256_catalog": c.dataset.sha256 or None, "sha256_read": c.sha256, "detail": c.detail}
            for name, cs in per_stage.items() for c in cs]
    cols = ["stage", "dataset_id", "path", "status", "sha256_catalog", "sha256_read", "detail"]
    eng.register_arrow("_input_files", pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in cols}))
    eng.execute("CREATE OR REPLACE TABLE input_files AS SELECT * FROM _input_files ORDER BY stage, dataset_id")


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


def plan(settings: Settings, stages: list[Stage | str] | None = None
         ) -> tuple[list[Stage], dict[str, list[InputCheck]], dict[str, str]]:
    """The stages in run order, their verified input files and their keys (nothing is written)."""
    ordered = dag.order(dag.load(stages if stages is not None else dag.STAGE_MODULES))
    per_stage = _verify(ordered, settings)
    keys: dict[str, str] = {}
    for st in ordered:
        keys[st.name] = stage_key(st, settings, per_stage[st.name], keys)
    return ordered, per_stage, keys


def _build_state(eng, ordered: list[Stage], keys: dict[str, str], settings: Settings) -> None:
    eng.execute("CREATE OR REPLACE TABLE build_state (stage VARCHAR, key VARCHAR, version VARCHAR, needs VARCHAR, "
                "subset VARCHAR, built_at TIMESTAMP)")
    for st in ordered:
        eng.execute("INSERT INTO build_state VALUES (?, ?, ?, ?, ?, now())",
                    [st.name, keys[st.name], st.version, ",".join(st.needs), settings.subset_label()])


def build(settings: Settings, force: bool = False, wait: float = 0.0, progress: Progress = _noop,
          stages: list[Stage | str] | None = None) -> BuildResult:
    """Build or update the database. `stages`: Stage objects or names of modules declaring one (default: the
    whole DAG, `dag.STAGE_MODULES`). Work happens in a temporary copy that replaces the database only on success,
    so a crash or Ctrl-C leaves the previous database usable."""
    settings.require_data()
    t0 = time.perf_counter()
    result = BuildResult()
    db = settings.db_path
    with build_lock(db, wait):
        _clean_temp(db)
        ordered, per_stage, keys = plan(settings, stages)
        result.inputs = [c for cs in per_stage.values() for c in cs]
        stored = {} if force else _stored_keys(db, settings)
        dirty = {st.name for st in ordered if stored.get(st.name) != keys[st.name]}
        if not dirty:
            result.skipped = [st.name for st in ordered]
            result.seconds = time.perf_counter() - t0
            return result
        tmp = temp_paths(db)[0]
        if db.exists() and not force:  # stages update incrementally from the previous state
            copy_database(db, tmp)
        try:
            with connect(settings, tmp) as eng, _interrupt_on_ctrl_c(eng):
                for st in ordered:
                    if st.name not in dirty:
                        result.skipped.append(st.name)
                        continue
                    progress(f"stage {st.name}", 0, 1)
                    t = time.perf_counter()
                    result.stats[st.name] = st.run(eng, settings, progress) or {}
                    result.stage_seconds[st.name] = round(time.perf_counter() - t, 2)
                    result.ran.append(st.name)
                _input_files_table(eng, per_stage)
                result.scratch_dropped = drop_scratch(eng)  # engine leftovers are no part of the published data
                _build_state(eng, ordered, keys, settings)
                eng.flush()
            replace_database(tmp, db)
        except BaseException:  # Ctrl-C included: the previous database stays as it was
            for p in temp_paths(db):
                remove_database(p)
            raise
    result.seconds = time.perf_counter() - t0
    return result
