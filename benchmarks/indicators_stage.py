"""Time the indicators stage on the data mirror and the scorecard query; append the result to RESULTS.md.

    python benchmarks/indicators_stage.py ../shared/data
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from talentflow.engine import connect  # noqa: E402
from talentflow.indicators import stage  # noqa: E402
from talentflow.indicators.claims import check_claims  # noqa: E402
from talentflow.indicators.scorecard import scorecard  # noqa: E402
from talentflow.settings import Settings  # noqa: E402


def main(data: str, repeat: int = 3) -> None:
    runs, sc, cl, stats = [], [], [], {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            s = Settings(data_dir=Path(data).resolve(), db_path=Path(tmp) / "b.duckdb")
            with connect(s) as eng:
                t = time.perf_counter()
                stats = stage.run(eng, s)
                runs.append(time.perf_counter() - t)
                t = time.perf_counter()
                scorecard(eng)
                sc.append(time.perf_counter() - t)
                t = time.perf_counter()
                check_claims(eng)
                cl.append(time.perf_counter() - t)
    # columns of RESULTS.md: date | benchmark | machine | scope | result | second result | notes
    line = (f"| {dt.date.today()} | indicators_stage | {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()} | stage indicators alone (57 files) | best {min(runs):.2f} s of {repeat} | "
            f"scorecard {min(sc) * 1000:.0f} ms, claims {min(cl) * 1000:.0f} ms | {stats['indicators']} indicator "
            f"rows, {stats['ai_models']} model rows, {stats['leaderboard_entries']} leaderboard rows |")
    print(line)
    res = Path(__file__).with_name("RESULTS.md")
    if not res.exists():
        res.write_text("# Benchmark results\n\n| date | benchmark | machine | scope | result | second result | notes |\n"
                       "|---|---|---|---|---|---|---|\n")
    with res.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TALENTFLOW_DATA", "../shared/data"))
