"""Time `talentflow report` (the full static site, SVG/PNG included) on a built database and append the result to
benchmarks/RESULTS.md, beside a same-run floor (a DuckDB scan of metric_base, as benchmarks/api.py). Target:
≤ 15 s from the full mirror.

    python benchmarks/report_build.py --db PATH [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from datetime import date
from pathlib import Path

import sys

sys.path.insert(0, str(Path(__file__).parent))
from api import floor_scan_ms  # noqa: E402  (benchmarks/api.py)
from talentflow.engine import connect
from talentflow.report.site import build_report
from talentflow.settings import Settings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    ap.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    ap.add_argument("--label", default="", help="a note for the RESULTS.md row (e.g. which code tree)")
    args = ap.parse_args()
    if args.no_write:
        args.results = Path(os.devnull)
    s = Settings.from_env(db_path=args.db)
    with connect(s, read_only=True) as eng:
        located = eng.scalar("SELECT count(current_country) FROM metric_base") if eng.table_exists("metric_base") \
            else None
    out = args.out or Path(tempfile.mkdtemp(prefix="talentflow-report-"))
    scan = floor_scan_ms(args.db)
    cpu = os.times()
    res = build_report(s, out)
    cpu = sum(os.times()[i] - cpu[i] for i in range(4))  # this process and the image worker
    scan = min(scan, floor_scan_ms(args.db))
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
    print(f"{res.pages} pages, {res.charts} charts in {res.seconds:.1f} s ({cpu:.1f} CPU-s) → {out} ({size:.1f} MB); "
          f"{len(res.errors)} sections without a number; floor: DuckDB scan {scan:.0f} ms "
          f"(report = {res.seconds * 1000 / scan:.0f}× the scan)")
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"load average {os.getloadavg()[0]:.1f}")
    with args.results.open("a", encoding="utf-8") as f:
        f.write(f"| {date.today()} | report_build | {machine} | talentflow report (SVG+PNG), db {args.db.name}, "
                f"metric_base rows with a located country: {located} | {res.seconds:.1f} s ({cpu:.1f} CPU-s) | "
                f"{res.pages} pages, {res.charts} charts, {size:.1f} MB | n_boot {s.n_boot}; sections without a "
                f"number: {len(res.errors)}; floor: DuckDB scan of metric_base {scan:.0f} ms (report = "
                f"{res.seconds * 1000 / scan:.0f}× the scan){'; ' + args.label if args.label else ''} |\n")
    return 0 if res.seconds <= 15 else 1


if __name__ == "__main__":
    raise SystemExit(main())
