"""A build while `talentflow serve` holds the database open (docs/reliability.md, "Build while serving"): the
build runs and publishes without waiting for the server; the server keeps answering, every request succeeds,
and it answers from the database it opened (the file the build replaced) until it is restarted; then it answers
from the new build."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from talentflow.engine import connect
from talentflow.pipeline import build, temp_paths

from conftest import fixture_settings

TESTS = Path(__file__).parent
BUILD = """
import json, sys
from pathlib import Path
from talentflow.pipeline import build
from talentflow.settings import Settings
a = json.loads(sys.argv[1])
r = build(Settings(data_dir=Path(a["data"]), db_path=Path(a["db"]), catalog_path=Path(a["catalog"]), n_boot=20))
print("RAN", ",".join(r.ran))
"""
SERVE = "from talentflow.cli.main import app; app()"


def _papers(aff: str, dom: str) -> list[dict]:
    return [{"id": f"P{i}", "title": f"Paper {i}", "status": "Poster", "author": f"Ann Lee{i};Bo Chen{i}",
             "authorids": f"~Ann_Lee{i};~Bo_Chen{i}", "aff": f"{aff};{aff}", "aff_domain": f"{dom};{dom}",
             "position": "Researcher;Professor"} for i in range(40)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}


def _serve(db: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    p = subprocess.Popen([sys.executable, "-c", SERVE, "--db", str(db), "serve", "--port", str(port)], env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=2).json()["metrics"]:
                return p, url
        except httpx.HTTPError:
            pass
        if p.poll() is not None or time.monotonic() > deadline:
            p.kill()
            raise AssertionError(f"server did not start: {p.communicate()}")
        time.sleep(0.1)


def _stop(p: subprocess.Popen) -> None:
    os.killpg(p.pid, signal.SIGTERM)
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)


def _countries(url: str, **params) -> dict[str, int]:
    r = httpx.get(url + "/api/shares", params={"venue": "nips", "year": 2021, **params}, timeout=30)
    assert r.status_code == 200, r.text
    return {row["country"]: row["count"] for row in r.json()["rows"]}


# distinct queries (so each one reads the database, not the server's answer cache); LATER is first asked after
# the build
LATER = dict(stage="current", attribution="hq", tier="accepted")
QUERIES = [q for q in (dict(stage=st, attribution=a, tier=t) for st in ("work", "current") for a in ("location", "hq")
                       for t in ("accepted", "spotlight", "oral")) if q != LATER]


def test_build_while_serving_publishes_and_the_server_answers_from_its_file_until_restarted(tmp_path):
    v1 = fixture_settings(tmp_path / "v1", {"nips/nips2021.json.gz": _papers("Massachusetts Institute of Technology",
                                                                             "mit.edu")})
    v2 = fixture_settings(tmp_path / "v2", {"nips/nips2021.json.gz": _papers("ETH Zurich", "ethz.ch")})
    db = tmp_path / "db" / "talentflow.duckdb"
    build(v1.with_(db_path=db, n_boot=20))
    inode = db.stat().st_ino
    server, url = _serve(db)
    try:
        assert _countries(url, stage="work") == {"US": 80}
        answers, failures, stop = [], [], threading.Event()

        def poll() -> None:  # requests all through the build and its publication
            k = 0
            while not stop.is_set():
                try:
                    answers.append((time.monotonic(), _countries(url, **QUERIES[k % len(QUERIES)])))
                except (AssertionError, httpx.HTTPError) as e:
                    failures.append(repr(e))
                k += 1
                time.sleep(0.02)

        t = threading.Thread(target=poll)
        t.start()
        try:
            arg = json.dumps({"data": str(v2.data_dir), "db": str(db), "catalog": str(v2.catalog_path)})
            t0 = time.monotonic()
            b = subprocess.run([sys.executable, "-c", BUILD, arg], env=_env(), capture_output=True, text=True,
                               timeout=300)
            t1 = time.monotonic()
            time.sleep(0.5)  # a few more requests after the new file is in place
        finally:
            stop.set()
            t.join(60)
        # the build ran to the end and published: it did not wait for (or fail on) the server's open file
        assert b.returncode == 0 and "RAN ingest" in b.stdout, (b.stdout, b.stderr)
        assert db.stat().st_ino != inode and not any(p.exists() for p in temp_paths(db))
        with connect(v2.with_(db_path=db), read_only=True) as e:
            assert e.scalar("SELECT count(*) FROM affiliation_resolutions WHERE country_location = 'CH'") >= 1
        # the server never failed and still answers from the database it opened, also for queries not asked before
        assert not failures and sum(t0 < at < t1 for at, _ in answers) > 10 and answers[-1][0] > t1
        assert all(a in ({"US": 80}, {}) for _, a in answers), answers  # old data only (oral tier: none)
        assert _countries(url, **LATER) == {"US": 80}
        assert server.poll() is None
    finally:
        _stop(server)
    server, url = _serve(db)  # a restart opens the new build
    try:
        assert _countries(url, **LATER) == {"CH": 80}
        assert _countries(url, stage="work") == {"CH": 80}
    finally:
        _stop(server)
