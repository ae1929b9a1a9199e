"""Atomic builds under faults, on a small fixture mirror: kill -9 and Ctrl-C in the middle of a build leave the
last good database as it was and the next run cleans up; a second build refuses (naming the holder's PID, which
the lock file keeps) or waits its turn."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from talentflow.engine import connect
from talentflow.pipeline import build, lock_path, temp_paths

from conftest import fixture_settings

TESTS = Path(__file__).parent
STAGES = ["talentflow.ingest.stage", "fault_stage"]
SCRIPT = """
import json, sys
from pathlib import Path
from talentflow.errors import BuildLocked
from talentflow.pipeline import build
from talentflow.settings import Settings
a = json.loads(sys.argv[1])
s = Settings(data_dir=Path(a["data"]), db_path=Path(a["db"]), catalog_path=Path(a["catalog"]))
try:
    r = build(s, force=a.get("force", False), wait=a.get("wait", 0.0), stages=a["stages"])
except BuildLocked as e:
    print("LOCKED", e)
    sys.exit(3)
print("RAN", ",".join(r.ran))
"""


def _start(s, tmp_path: Path, key: str, mode: str = "", force: bool = False, wait: float = 0.0, tag: str = "a"):
    marker = tmp_path / f"started-{tag}"
    marker.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "TF_FAULT_KEY": key, "TF_FAULT_MODE": mode, "TF_FAULT_MARKER": str(marker)}
    arg = json.dumps({"data": str(s.data_dir), "db": str(s.db_path), "catalog": str(s.catalog_path),
                      "force": force, "wait": wait, "stages": STAGES})
    p = subprocess.Popen([sys.executable, "-c", SCRIPT, arg], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    return p, marker


def _wait_for(path: Path, proc, timeout: float = 60.0) -> None:
    t = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"build exited early: {proc.communicate()}")
        if time.monotonic() > t:
            raise AssertionError("the build never reached the fault stage")
        time.sleep(0.05)


def _good_build(tmp_path: Path, monkeypatch):
    monkeypatch.syspath_prepend(str(TESTS))
    s = fixture_settings(tmp_path, {"aaai/aaai2021.json.gz": [{"title": "T", "author": "A;B"}]})
    monkeypatch.setenv("TF_FAULT_KEY", "good")
    build(s, stages=STAGES)
    return s


def _state(s) -> tuple:
    with connect(s, read_only=True) as e:
        return e.scalar("SELECT key FROM fault_stage"), e.scalar("SELECT count(*) FROM authorships")


@pytest.mark.parametrize("mode", ["sleep", "sql"])
def test_kill_9_keeps_the_last_good_database_and_the_next_run_cleans_up(tmp_path, monkeypatch, mode):
    s = _good_build(tmp_path, monkeypatch)
    # a forced rebuild with unchanged inputs: once killed, the next run has nothing to rebuild — and must still
    # remove the killed build's work files
    p, marker = _start(s, tmp_path, "good", mode=mode, force=True)
    _wait_for(marker, p)
    assert temp_paths(s.db_path)[0].exists()
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(10)
    assert _state(s) == ("good", 2)  # the published database is untouched
    assert any(t.exists() for t in temp_paths(s.db_path))  # what a kill leaves behind …
    res = build(s, stages=STAGES)
    assert res.ran == []  # … a no-op build (the database is up to date) …
    assert not any(t.exists() for t in temp_paths(s.db_path))  # … removes
    assert _state(s) == ("good", 2)


@pytest.mark.parametrize("mode", ["sleep", "sql"])
def test_ctrl_c_keeps_the_last_good_database_and_removes_its_work_files(tmp_path, monkeypatch, mode):
    s = _good_build(tmp_path, monkeypatch)
    p, marker = _start(s, tmp_path, "new", mode=mode)
    _wait_for(marker, p)
    t0 = time.monotonic()
    os.killpg(p.pid, signal.SIGINT)
    try:
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode != 0 and "KeyboardInterrupt" in err, (out, err)
    assert time.monotonic() - t0 < 20  # an engine query stops too, not only Python code
    assert _state(s) == ("good", 2)
    assert not any(t.exists() for t in temp_paths(s.db_path))
    monkeypatch.setenv("TF_FAULT_KEY", "new")
    assert "fault" in build(s, stages=STAGES).ran  # the next build still sees the work to do


def test_second_build_refuses_naming_the_holder_and_the_lock_keeps_its_pid(tmp_path, monkeypatch):
    s = _good_build(tmp_path, monkeypatch)
    a, marker = _start(s, tmp_path, "new", mode="sleep", tag="a")
    try:
        _wait_for(marker, a)
        holder = int(marker.read_text())
        assert lock_path(s.db_path).read_text().strip() == str(holder)
        b, _ = _start(s, tmp_path, "new", tag="b")
        out, _err = b.communicate(timeout=60)
        assert b.returncode == 3 and f"pid {holder}" in out, out
        assert lock_path(s.db_path).read_text().strip() == str(holder)  # the refused build left it intact
    finally:
        os.killpg(a.pid, signal.SIGKILL)
        a.wait(10)


def test_second_build_with_wait_runs_after_the_first(tmp_path, monkeypatch):
    s = _good_build(tmp_path, monkeypatch)
    a, marker = _start(s, tmp_path, "new", mode="sleep", tag="a")
    try:
        _wait_for(marker, a)
        b, _ = _start(s, tmp_path, "new", wait=60, tag="b")
        time.sleep(1.0)
        assert b.poll() is None  # waiting for the lock
        os.killpg(a.pid, signal.SIGINT)  # the first build ends (interrupted) …
        a.communicate(timeout=30)
        out, err = b.communicate(timeout=60)
        assert b.returncode == 0 and "RAN" in out and "fault" in out, (out, err)  # … and the second then runs
    finally:
        if a.poll() is None:
            os.killpg(a.pid, signal.SIGKILL)
    assert _state(s) == ("new", 2)
    assert lock_path(s.db_path).read_text() == ""  # released


def test_an_engine_that_fails_its_query_on_ctrl_c_before_the_watcher_runs_is_still_an_interruption():
    """DuckDB may take the signal itself and fail the running query ("Query interrupted") before the watcher thread
    has seen the signal: that must still end the build as a KeyboardInterrupt, not as a crash."""
    from talentflow.pipeline.runner import _interrupt_on_ctrl_c

    class Eng:
        def interrupt(self) -> None:
            pass

    old = signal.signal(signal.SIGINT, lambda *_: None)  # the signal's byte still reaches the wakeup pipe
    try:
        with pytest.raises(KeyboardInterrupt):
            with _interrupt_on_ctrl_c(Eng()):
                os.kill(os.getpid(), signal.SIGINT)
                raise RuntimeError("Query interrupted")
        with pytest.raises(RuntimeError, match="Binder Error"):  # an ordinary failure stays itself
            with _interrupt_on_ctrl_c(Eng()):
                raise RuntimeError("Binder Error: no such column")
    finally:
        signal.signal(signal.SIGINT, old)
