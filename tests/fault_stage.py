"""A pipeline stage for fault tests: it announces that it runs (a marker file), then, as told by the environment,
sleeps in Python or runs a long engine query, so a test can kill or interrupt a build at a known point."""

from __future__ import annotations

import os
import time
from pathlib import Path

from talentflow.pipeline import Stage

VERSION = "1"


def params(settings) -> str:
    return os.environ.get("TF_FAULT_KEY", "")  # a new key makes the stage (and a build) run again


def run(engine, settings, progress) -> dict:
    marker = os.environ.get("TF_FAULT_MARKER")
    engine.execute("CREATE OR REPLACE TABLE fault_stage AS SELECT ? AS key", [params(settings)])
    if marker:
        Path(marker).write_text(str(os.getpid()))
    mode = os.environ.get("TF_FAULT_MODE", "")
    if mode == "sleep":
        time.sleep(float(os.environ.get("TF_FAULT_SECONDS", "60")))
    elif mode == "sql":  # interrupted inside the engine, not between Python statements
        engine.query("SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3")
    return {}


STAGE = Stage("fault", needs=("ingest",), writes=("fault_stage",), version=VERSION, run=run, params=params)
