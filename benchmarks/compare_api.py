"""Ask two servers the same never-asked URLs and compare the answers byte for byte: e.g. the main branch's code
on its build against a speed branch on its own build of the same mirror (results must not change).

    python benchmarks/compare_api.py --a-src ../main/src --a-db main.duckdb --b-src src --b-db new.duckdb [--n 300]

Each side is `talentflow serve` in a subprocess on 127.0.0.1 with its own PYTHONPATH; the URLs are
benchmarks/api.py's random draw (every endpoint and dashboard filter) plus its all-venue list, JSON and CSV.
Exit 1 on any difference; the first ones are printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import api  # noqa: E402  (benchmarks/api.py: the URL draw and the server start)


def start(src: Path, db: Path):
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(src.resolve())
    try:
        return api.start_server(db)
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a-src", required=True, type=Path)
    ap.add_argument("--a-db", required=True, type=Path)
    ap.add_argument("--b-src", required=True, type=Path)
    ap.add_argument("--b-db", required=True, type=Path)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.n > 2000:
        ap.error("bounded: at most 2,000 URLs")
    (sa, a), (sb, b) = start(args.a_src, args.a_db), start(args.b_src, args.b_db)
    diffs, n, t = [], 0, time.perf_counter()
    try:
        allowed = httpx.get(a + "/api/allowed", timeout=30).json()["allowed"]
        urls = api.random_urls(api.venue_years(args.a_db), allowed, args.n, args.seed) + api.WIDE
        urls += [u + "&format=csv" for u in urls[:50]]
        with httpx.Client(timeout=120) as client:
            for u in urls:
                ra, rb = client.get(a + u), client.get(b + u)
                n += 1
                if (ra.status_code, ra.content) != (rb.status_code, rb.content):
                    diffs.append(f"{u}: {ra.status_code}/{rb.status_code}, {len(ra.content)}/{len(rb.content)} bytes")
    finally:
        for s in (sa, sb):
            s.terminate()
            s.wait(timeout=10)
    print(f"{n} URLs compared in {time.perf_counter() - t:.0f} s: {len(diffs)} differ")
    for d in diffs[:20]:
        print("  " + d)
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
