"""Helpers for the report/web tests: a tiny database with the tables the published face reads directly
(datasets for provenance, tier_availability), and a loopback server running the app in a thread."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from talentflow.settings import Settings

PERSON_MARKERS = ("~Jane_Doe1", "Jane_Doe")


def tiny_db(path: Path) -> Path:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE datasets AS SELECT * FROM (VALUES
        ('nips2022', 'conferences', 'nips', 2022, 'conferences/nips/nips2022.json.gz', 'papercopilot/paperlists',
         'e49adbbbc7d49778f0e86a378abdd5e0d346e20b', 'none stated', NULL, 2000, 1800, 9000, 3),
        ('nips2019', 'conferences', 'nips', 2019, 'conferences/nips/nips2019.json.gz', 'papercopilot/paperlists',
         'e49adbbbc7d49778f0e86a378abdd5e0d346e20b', 'none stated', NULL, 1500, 1400, 6000, 0),
        ('iclr2024.chang_authorids', 'conferences', 'iclr', 2024, 'conferences/iclr/x.json.gz',
         'chang-xinhai/AI-Conference-Paper-Lists', '1111111111', 'MIT', NULL, 100, 100, 400, 0),
        ('registry/swot', 'registry', NULL, NULL, 'registry/swot.tsv', 'JetBrains/swot', '187f89e4b3', 'MIT', NULL,
         NULL, NULL, NULL, NULL)
        ) t(id, "group", venue, year, path, repo, "commit", license, not_ingested_reason, papers, accepted_papers,
            authorships, quarantined)""")
    con.execute("""CREATE TABLE tier_availability AS SELECT * FROM (VALUES
        ('nips', 2022, 'neurips', 'available', 'available', 'available', 'test note')) t(venue, year, scheme,
        accepted, spotlight, oral, note)""")
    con.close()
    return path


def tiny_settings(tmp: Path, **kw) -> Settings:
    return Settings(db_path=tiny_db(tmp / "tiny.duckdb"), n_boot=20, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackServer:
    """uvicorn serving an app on 127.0.0.1 in a background thread (stopped by `stop`)."""

    def __init__(self, app, port: int | None = None):
        import uvicorn

        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LoopbackServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
