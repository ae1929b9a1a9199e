"""Metrics benchmark on a built database: rebuild time of every metric table (stage `metrics` on a copy) and the
wall time of single metric queries, both as library calls and as `talentflow …` CLI processes. Appends a row to
benchmarks/RESULTS.md.

    python benchmarks/metrics.py --db PATH [--repeat 3] [--no-rebuild]

Targets (issue): metric tables rebuilt ≤ 30 s on the full mirror; any single CLI metric query ≤ 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from talentflow.engine import connect
from talentflow.metrics import MetricQuery, cohort, flows, institutions, retention, shares, trend
from talentflow.settings import Settings

RESULTS = Path(__file__).with_name("RESULTS.md")
NIPS22 = dict(venue="nips", year=2022)
LIB = {
    "shares work nips2022 hq": lambda e, s: shares(e, MetricQuery(**NIPS22, attribution="hq"), "work", "country",
                                                   s.n_boot, s.seed),
    "shares origin nips2022 +proxy": lambda e, s: shares(e, MetricQuery(**NIPS22, include_proxy=True), "origin",
                                                         "country", s.n_boot, s.seed),
    "shares current all venues/years": lambda e, s: shares(e, MetricQuery(), "current", "country", s.n_boot, s.seed),
    "flows origin→work nips2022": lambda e, s: flows(e, MetricQuery(**NIPS22, include_proxy=True), "origin", "work",
                                                     s.n_boot, s.seed),
    "retention nips2022": lambda e, s: retention(e, MetricQuery(**NIPS22), None, n_boot=s.n_boot, seed=s.seed),
    "cohort nips2019 CN→US": lambda e, s: cohort(e, MetricQuery(venue="nips", year=2019, include_proxy=True), "CN",
                                                 "US", s.n_boot, s.seed),
    "trend nips current CN": lambda e, s: trend(e, MetricQuery(venue="nips"), "current", "CN", s.n_boot, s.seed),
    "institutions nips2022 work": lambda e, s: institutions(e, MetricQuery(**NIPS22), "current", 25, s.n_boot,
                                                            s.seed),
}
CLI = {
    "shares": ["shares", "--venue", "nips", "--year", "2022", "--stage", "work", "--attribution", "hq"],
    "flows": ["flows", "--venue", "nips", "--year", "2022", "--proxy"],
    "cohort": ["cohort", "--venue", "nips", "--year", "2019", "--origin", "CN", "--work", "US", "--proxy"],
    "trend": ["trend", "--venue", "nips", "--stage", "current", "--country", "CN"],
    "institutions": ["institutions", "--venue", "nips", "--year", "2022", "--stage", "current"],
    "shares all": ["shares", "--stage", "current"],
}


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-rebuild", action="store_true")
    a = ap.parse_args()
    s = Settings.from_env(db_path=a.db)
    load = os.getloadavg()[0]  # other work on the machine inflates every figure: recorded with them
    rebuild = None
    if not a.no_rebuild:
        from talentflow.metrics import stage

        with tempfile.TemporaryDirectory() as td:
            tmp = Path(td) / "m.duckdb"
            shutil.copyfile(a.db, tmp)
            with connect(s, tmp) as e:
                t = time.perf_counter()
                st = stage.run(e, s, lambda *x: None)
                rebuild = time.perf_counter() - t
            print(f"metrics stage rebuild: {rebuild:.1f} s {st}")
    lib = {}
    with connect(s, read_only=True) as e:
        from talentflow.metrics import bootstrap

        def cold(fn):  # the bootstrap draw is cached per population: clear it so every timing is cold
            bootstrap.cluster_weights.cache_clear()
            return _timed(lambda: fn(e, s))

        for name, fn in LIB.items():
            best = min(cold(fn) for _ in range(a.repeat))
            lib[name] = best
            print(f"lib  {name:34s} {best * 1000:7.0f} ms")
    cli = {}
    exe = [sys.executable, "-m", "talentflow.cli.main"] if not shutil.which("talentflow") else ["talentflow"]
    for name, args in CLI.items():
        cmd = exe + ["--db", a.db] + args + ["--format", "json"]
        best = min(_timed(lambda: subprocess.run(cmd, check=True, capture_output=True)) for _ in range(a.repeat))
        cli[name] = best
        print(f"cli  {name:34s} {best * 1000:7.0f} ms")
    start = min(_timed(lambda: subprocess.run(exe + ["--help"], check=True, capture_output=True))
                for _ in range(a.repeat))
    worst_lib = max(lib, key=lib.get)
    worst_cli = max(cli, key=cli.get)
    line = (f"| {date.today()} | metrics | {machine()} | {a.db}: n_boot={s.n_boot}, best of {a.repeat} | "
            f"metric tables rebuilt {'%.1f s' % rebuild if rebuild is not None else 'n/a'} (stage on a copy) | "
            f"slowest library query (cold) {lib[worst_lib] * 1000:.0f} ms ({worst_lib}); slowest CLI process "
            f"{cli[worst_cli] * 1000:.0f} ms ({worst_cli}) | CLI start-up alone {start * 1000:.0f} ms; "
            f"library: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in lib.items()) +
            f"; load average at start {load:.1f} |\n")
    with RESULTS.open("a") as f:
        f.write(line)
    print(line)


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
