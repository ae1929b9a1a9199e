"""Cost of career histories: a profile sync against the loopback fake OpenReview server (tests/fake_openreview.py,
real JSON shapes) and the `live` stage reading the snapshot, for N synthetic profiles of 5 history entries.
The floor, measured in the same run, is DuckDB reading the same snapshot as JSON Lines once. Appends a row to
benchmarks/RESULTS.md.

    python benchmarks/live.py [--profiles 100000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--no-append", action="store_true")
    a = ap.parse_args()
    import duckdb

    from fake_openreview import PASSWORD, USER, FakeServer, FakeState, entry, profile
    from talentflow.engine.duck import DuckEngine
    from talentflow.ingest import live
    from talentflow.ingest.stage import TABLES
    from talentflow.settings import Settings
    from talentflow.sources import openreview as orv
    from talentflow.sources import snapshots as snaps

    countries = ["CN", "US", "IN", None, "DE", "CHN", "GB"]
    profs = [profile(f"~Bench_Person{i}", [
        entry("PhD student", "Stanford University", "stanford.edu", 2016, 2021, countries[i % 7]),
        entry("Undergrad student", "Tsinghua University", "tsinghua.edu.cn", 2012, 2016, countries[(i + 1) % 7]),
        entry("Research Scientist", "Google", "google.com", 2021, None, "US"),
        entry("Intern", "Microsoft Research", "microsoft.com", 2019, 2019, None),
        entry("MS student", "ETH Zurich", "ethz.ch", 2015, 2016, "CH")]) for i in range(a.profiles)]
    ids = [p["id"] for p in profs]
    with tempfile.TemporaryDirectory() as td:
        data = Path(td) / "data"
        with FakeServer(FakeState([], profs)) as srv:
            api = orv.Api(srv.url, orv.Credentials(USER, PASSWORD))
            t0 = time.perf_counter()
            r = orv.sync_profiles(api, data, ids, ("bench",))
            t_sync = time.perf_counter() - t0
        snap = snaps.list_snapshots(data)[0]
        t0 = time.perf_counter()
        duckdb.connect().execute(f"SELECT count(*) FROM read_json_objects('{snap.records_path}', "
                                 "format='newline_delimited')").fetchone()
        t_floor = time.perf_counter() - t0
        s = Settings(data_dir=data, db_path=Path(td) / "b.duckdb")
        eng = DuckEngine(s.db_path)
        eng.execute(TABLES)
        t0 = time.perf_counter()
        st = live.run(eng, s, lambda *x: None)
        t_stage = time.perf_counter() - t0
        eng.close()
    mach = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    row = (f"| {date.today()} | live | {mach}, load average {os.getloadavg()[0]:.1f} | {a.profiles:,} synthetic "
           f"profiles × 5 history entries | live stage {t_stage:.1f} s ({t_stage / t_floor:.0f}× the same-run "
           f"DuckDB JSON scan, {t_floor:.2f} s) | sync from the loopback fake {t_sync:.1f} s, {r.requests} requests "
           f"| {st['profile_history_entries']:,} history entries, snapshot {snap.manifest.bytes / 1e6:.1f} MB |")
    print(row)
    if not a.no_append:
        with (ROOT / "benchmarks/RESULTS.md").open("a", encoding="utf-8") as f:
            f.write(row + "\n")


if __name__ == "__main__":
    main()
