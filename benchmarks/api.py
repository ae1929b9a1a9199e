"""Bounded load test of the JSON API on loopback: `talentflow serve` in a subprocess on 127.0.0.1, an open-loop
load generator at a fixed rate over mixed endpoints for a fixed time, then p50/p95/p99 latency and errors appended
to benchmarks/RESULTS.md.

    python benchmarks/api.py --db PATH [--rate 200] [--seconds 20]

Every URL is requested once before the timed run (cold latencies are reported apart: results are cached per
query key). The run stops by itself: at most rate × seconds requests, to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

URLS = [
    "/api/shares?venue=nips&year=2022&stage=origin",
    "/api/shares?venue=nips&year=2022&stage=work",
    "/api/shares?venue=nips&year=2019&stage=origin&tier=oral",
    "/api/shares?venue=icml&years=2021-2024&stage=work",
    "/api/shares?stage=origin",
    "/api/shares?venue=iclr&year=2023&stage=work&attribution=hq",
    "/api/flows?venue=nips&year=2022&from=origin&to=work",
    "/api/flows?venue=nips&year=2022&from=graduate&to=work",
    "/api/retention?venue=nips&years=2019-2022",
    "/api/retention?country=CN",
    "/api/trend?venue=nips&stage=origin&country=CN",
    "/api/trend?venue=nips&stage=work&country=US",
    "/api/institutions?venue=nips&year=2022&stage=work",
    "/api/institutions?stage=origin",
    "/api/cohort?venue=nips&year=2019&origin=CN&work=US",
    "/api/indicators",
    "/api/shares?venue=nips&year=2022&stage=work&format=csv",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))] if xs else float("nan")


async def run(base: str, rate: float, seconds: float) -> dict:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        cold = []
        for u in URLS:  # warm-up: fill the per-query cache, report cold latency
            t = time.perf_counter()
            r = await client.get(u)
            cold.append((u, (time.perf_counter() - t) * 1000, r.status_code))
        lat: list[float] = []
        errors: dict[str, int] = {}
        total = int(rate * seconds)

        async def one(u: str) -> None:
            t = time.perf_counter()
            try:
                r = await client.get(u)
                ok = r.status_code == 200
                key = str(r.status_code)
            except httpx.HTTPError as e:
                ok, key = False, type(e).__name__
            lat.append((time.perf_counter() - t) * 1000)
            if not ok:
                errors[key] = errors.get(key, 0) + 1

        start = time.perf_counter()
        tasks = []
        for i in range(total):  # open loop: request i is sent at start + i/rate, whatever the server's speed
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(URLS[i % len(URLS)])))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return {"cold": cold, "lat": lat, "errors": errors, "n": total, "wall": wall}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = ap.parse_args()
    if args.rate * args.seconds > 20000:
        ap.error("bounded: at most 20,000 requests per run")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", "from talentflow.cli.main import app; app()", "--db", str(args.db), "serve",
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        res = asyncio.run(run(base, args.rate, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    lat = res["lat"]
    p50, p95, p99 = pct(lat, 50), pct(lat, 95), pct(lat, 99)
    n_err = sum(res["errors"].values())
    cold_bad = [f"{u} → {s}" for u, _, s in res["cold"] if s != 200]
    cold_max = max(ms for _, ms, _ in res["cold"])
    print(f"{res['n']} requests in {res['wall']:.1f} s ({res['n'] / res['wall']:.0f}/s): p50 {p50:.1f} ms, "
          f"p95 {p95:.1f} ms, p99 {p99:.1f} ms, mean {statistics.fmean(lat):.1f} ms, errors {n_err} "
          f"{res['errors'] or ''}")
    print(f"cold (first request per URL): max {cold_max:.0f} ms; non-200: {cold_bad or 'none'}")
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"load average {os.getloadavg()[0]:.1f}")
    line = (f"| {date.today()} | api | {machine} | {len(URLS)} mixed URLs, {args.rate:.0f} req/s for "
            f"{args.seconds:.0f} s on 127.0.0.1 (server and load generator on the same machine) | "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms | errors {n_err} of {res['n']} "
            f"({res['n'] / res['wall']:.0f} req/s achieved) | cold max {cold_max:.0f} ms; db {args.db.name}"
            f"{'; non-200 on warm-up: ' + ', '.join(cold_bad) if cold_bad else ''} |\n")
    with args.results.open("a", encoding="utf-8") as f:
        f.write(line)
    return 0 if n_err == 0 and p95 <= 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
