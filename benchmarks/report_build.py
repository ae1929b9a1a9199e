"""Time `talentflow report` (the full static site, SVG/PNG included) on a built database and append the result to
benchmarks/RESULTS.md. Target: ≤ 60 s from the full mirror.

    python benchmarks/report_build.py --db PATH [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from datetime import date
from pathlib import Path

from talentflow.engine import connect
from talentflow.report.site import build_report
from talentflow.settings import Settings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = ap.parse_args()
    s = Settings.from_env(db_path=args.db)
    with connect(s, read_only=True) as eng:
        located = eng.scalar("SELECT count(current_country) FROM metric_base") if eng.table_exists("metric_base") \
            else None
    out = args.out or Path(tempfile.mkdtemp(prefix="talentflow-report-"))
    res = build_report(s, out)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
    print(f"{res.pages} pages, {res.charts} charts in {res.seconds:.1f} s → {out} ({size:.1f} MB); "
          f"{len(res.errors)} sections without a number")
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"load average {os.getloadavg()[0]:.1f}")
    with args.results.open("a", encoding="utf-8") as f:
        f.write(f"| {date.today()} | report_build | {machine} | talentflow report (SVG+PNG), db {args.db.name}, "
                f"metric_base rows with a located country: {located} | {res.seconds:.1f} s | {res.pages} pages, "
                f"{res.charts} charts, {size:.1f} MB | n_boot {s.n_boot}; sections without a number: "
                f"{len(res.errors)} |\n")
    return 0 if res.seconds <= 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
