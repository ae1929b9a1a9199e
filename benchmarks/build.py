"""Benchmark: cold full build and no-op rebuild of the data mirror; wall time and peak RSS.

    python benchmarks/build.py --data ../shared/data [--stages ingest] [--venue nips --year 2019]

Appends a row to benchmarks/RESULTS.md (machine, date, figures)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")

CHILD = """
import json, resource, sys, time
from talentflow.settings import Settings
from talentflow.pipeline import build, load
s = Settings.from_env(data_dir=sys.argv[1], db_path=sys.argv[2], subset=tuple(map(tuple, json.loads(sys.argv[4]))))
only = sys.argv[3].split(",") if sys.argv[3] else None
stages = [st for st in load() if only is None or st.name in only]
t = time.perf_counter()
r = build(s, stages=stages)
print(json.dumps({"seconds": time.perf_counter() - t, "ran": r.ran,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(data: str, db: str, stages: str, subset: list) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, data, db, stages, json.dumps(subset)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("TALENTFLOW_DATA", "../shared/data"))
    ap.add_argument("--stages", default="", help="comma-separated stage names (default: all)")
    ap.add_argument("--venue", action="append", default=[], help="a subset build: this venue (repeatable)")
    ap.add_argument("--year", action="append", type=int, default=[], help="with --venue: these years (repeatable)")
    args = ap.parse_args()
    subset = [(v, y) for v in args.venue for y in (args.year or [None])]
    with tempfile.TemporaryDirectory() as td:
        db = str(Path(td) / "bench.duckdb")
        cold = run_child(args.data, db, args.stages, subset)
        noop = run_child(args.data, db, args.stages, subset)
        size_mb = Path(db).stat().st_size / 2**20
    load = f", load average {os.getloadavg()[0]:.1f}"
    picked = ", ".join(v + (str(y) if y else "") for v, y in subset)
    scope = f"stages: {', '.join(cold['ran'])}" + (f"; subset {picked}" if subset else "")
    row = (f"| {dt.date.today()} | build | {machine()}{load} | {scope} | "
           f"cold {cold['seconds']:.1f} s, peak RSS {cold['rss_mb']:.0f} MB | no-op {noop['seconds']:.2f} s "
           f"(ran: {', '.join(noop['ran']) or 'nothing'}) | db {size_mb:.0f} MB |")
    print(row)
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by the scripts in benchmarks/. Newest last.\n\n"
                           "| date | benchmark | machine | scope | result | second result | notes |\n"
                           "|---|---|---|---|---|---|---|\n")
    with RESULTS.open("a") as f:
        f.write(row + "\n")


if __name__ == "__main__":
    main()
