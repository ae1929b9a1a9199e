"""Bounded benchmarks of the JSON API on loopback (`talentflow serve` in a subprocess on 127.0.0.1), appended to
benchmarks/RESULTS.md.

    python benchmarks/api.py --db PATH [--rate 200] [--seconds 20]     # warm: open-loop load over cached URLs
    python benchmarks/api.py --db PATH --cold 300 [--seed 1]            # cold: never-asked URLs on a fresh server

Warm mode requests every URL once, then sends requests at a fixed rate for a fixed time (p50/p95/p99).
Cold mode starts a fresh server and asks, one at a time, `--cold` distinct URLs drawn at random (seeded) across
every endpoint and the dashboard's filters (venue or all venues, a year, a range or all years, tier, subfield,
sector, attribution, country, proxies, institution roll-ups), then the all-venue queries one by one (each never
asked before either).
Latencies are reported with the same-run floor: a DuckDB scan of metric_base in this process and /healthz, so
runs on a busy machine compare as ratios. Both modes stop by themselves and only talk to 127.0.0.1.
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

import random
from urllib.parse import urlencode

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


# All-venue queries (the widest populations), each asked once on the fresh server after the random ones.
WIDE = [
    "/api/trend?stage=current&country=US", "/api/trend?stage=work", "/api/trend?stage=origin&country=CN",
    "/api/institutions?stage=work", "/api/institutions?stage=origin", "/api/shares?stage=current",
    "/api/shares?stage=work&attribution=hq", "/api/shares?stage=work&by=institution",
    "/api/shares?stage=origin&proxy=true",
    "/api/flows?from=origin&to=work", "/api/flows?from=graduate&to=current", "/api/retention",
    "/api/retention?country=CN", "/api/cohort?year=2022&origin=CN&work=US", "/api/shares?stage=work&year=2022",
    "/api/trend?stage=work&tier=oral", "/api/shares?stage=current&sector=industry",
    "/api/institutions?stage=work&rollup=parent", "/api/institutions?stage=current&rollup=parent",
]
COUNTRIES = ["US", "CN", "GB", "DE", "CA", "FR", "JP", "KR", "IN", "CH", "SG", "AU", "HK", "IL", "NL", "IT", "ES",
             "TW", "SE", "BR", "RU", "IR", "TR", "AT", "BE", "DK", "FI", "PL", "SA", "AE"]


def venue_years(db: Path) -> dict[str, list[int]]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT venue, year FROM metric_base ORDER BY 1, 2").fetchall()
    out: dict[str, list[int]] = {}
    for v, y in rows:
        out.setdefault(v, []).append(y)
    return out


def floor_scan_ms(db: Path, repeat: int = 3) -> float:
    """A fixed CPU-bound DuckDB scan of metric_base in this process: the same-run yardstick for machine load."""
    import duckdb

    with duckdb.connect(str(db), read_only=True, config={"threads": 2}) as con:
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            con.execute("SELECT count(*), sum(hash(person_key)), count(DISTINCT paper_id) FROM metric_base").fetchall()
            best = min(best, (time.perf_counter() - t) * 1000)
    return best


def random_urls(vy: dict[str, list[int]], allowed: dict, n: int, seed: int) -> list[str]:
    """n distinct URLs across every endpoint, with the filters the dashboard offers (drawn with fixed odds)."""
    rnd = random.Random(seed)
    up = random.Random(seed + 1)  # roll-ups drawn apart: the rest of the draw stays the one of earlier runs
    all_years = sorted({y for ys in vy.values() for y in ys})
    seen, out = set(), []
    while len(out) < n:
        ep = rnd.choice(["shares", "flows", "retention", "cohort", "trend", "institutions"])
        p: dict = {}
        venue = None if rnd.random() < 0.15 else rnd.choice(sorted(vy))
        ys = vy[venue] if venue else all_years
        if venue:
            p["venue"] = venue
        mode = "one" if ep == "cohort" else rnd.choice(["all", "all", "range"] if ep == "trend" else
                                                       ["all", "one", "one", "range"])
        if mode == "one":
            p["year"] = rnd.choice(ys)
        elif mode == "range":
            a, b = sorted(rnd.sample(ys, 2)) if len(ys) > 1 else (ys[0], ys[0])
            p["years"] = f"{a}-{b}"
        if rnd.random() < 0.6:
            p["tier"] = rnd.choice(allowed["tier"])
        if rnd.random() < 0.4:
            p["subfield"] = rnd.choice(allowed["subfield"])
        if rnd.random() < 0.3:
            p["sector"] = rnd.choice(allowed["sector"])
        if rnd.random() < 0.5:
            p["attribution"] = rnd.choice(allowed["attribution"])
        if rnd.random() < (0.6 if ep in ("trend", "retention") else 0.2):
            p["country"] = rnd.choice(COUNTRIES)
        if rnd.random() < 0.2:
            p["proxy"] = "true"
        if ep in ("shares", "trend", "institutions"):
            p["stage"] = rnd.choice(["origin", "graduate", "work", "current"])
        if ep == "shares" and rnd.random() < 0.4:
            p["by"] = rnd.choice(["institution"] + (["sector"] if p["stage"] != "origin" else []))
        if ep in ("flows", "retention") and rnd.random() < 0.7:
            p["from"] = rnd.choice(["origin", "graduate"])
            p["to"] = rnd.choice([t for t in ("graduate", "work", "current") if t != p["from"]])
        if ep == "cohort":
            for k in ("origin", "work"):
                if rnd.random() < 0.5:
                    p[k] = rnd.choice(COUNTRIES[:10])
        if ep == "institutions" and rnd.random() < 0.3:
            p["limit"] = rnd.choice([10, 20, 100])
        if (ep == "institutions" or p.get("by") == "institution") and up.random() < 0.4:
            p["rollup"] = "parent"
        url = f"/api/{ep}?" + urlencode(sorted(p.items()))
        if url not in seen:
            seen.add(url)
            out.append(url)
    return out


def run_cold(base: str, urls: list[str]) -> list[tuple[str, float, int]]:
    out = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for u in urls:
            t = time.perf_counter()
            r = client.get(u)
            out.append((u, (time.perf_counter() - t) * 1000, r.status_code))
    return out


def healthz_ms(base: str, n: int = 30) -> float:
    with httpx.Client(base_url=base, timeout=10) as client:
        lat = []
        for _ in range(n):
            t = time.perf_counter()
            client.get("/healthz")
            lat.append((time.perf_counter() - t) * 1000)
    return pct(lat, 50)


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


def start_server(db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", "from talentflow.cli.main import app; app()", "--db", str(db),
                               "serve", "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"server did not start: {server.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f}")


def main_cold(args) -> int:
    vy = venue_years(args.db)
    scan0 = floor_scan_ms(args.db)
    server, base = start_server(args.db)
    try:
        allowed = httpx.get(base + "/api/allowed", timeout=30).json()["allowed"]
        urls = random_urls(vy, allowed, args.cold, args.seed)
        health = healthz_ms(base)
        res = run_cold(base, urls)
        wide = run_cold(base, WIDE)
        health = min(health, healthz_ms(base))
    finally:
        server.terminate()
        server.wait(timeout=10)
    scan = min(scan0, floor_scan_ms(args.db))
    if args.dump:
        args.dump.write_text("".join(f"{ms:.1f}\t{c}\t{u}\n" for u, ms, c in res + wide), encoding="utf-8")
    lat = [ms for _, ms, _ in res]
    bad = [f"{u} → {c}" for u, _, c in res + wide if c != 200]
    p50, p95, mx = pct(lat, 50), pct(lat, 95), max(lat)
    wmax = max(ms for _, ms, _ in wide)
    slow = sorted(res + wide, key=lambda r: -r[1])[:5]
    print(f"floor: DuckDB scan {scan:.0f} ms, /healthz {health:.1f} ms")
    print(f"{len(res)} random never-asked URLs: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {mx:.0f} ms "
          f"(= {p50 / scan:.2f}, {p95 / scan:.2f}, {mx / scan:.2f} × the scan)")
    print(f"{len(wide)} all-venue URLs: p50 {pct([ms for _, ms, _ in wide], 50):.0f} ms, max {wmax:.0f} ms")
    for u, ms, _ in slow:
        print(f"  {ms:7.0f} ms  {u}")
    print(f"non-200: {bad or 'none'}")
    line = (f"| {date.today()} | api cold | {machine()} | fresh server, {len(res)} distinct never-asked URLs (seed "
            f"{args.seed}) over all endpoints and filters, then {len(wide)} all-venue URLs; n_boot and seed as "
            f"published | random: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {mx:.0f} ms; all-venue: max {wmax:.0f} ms "
            f"| floor: DuckDB scan of metric_base {scan:.0f} ms (p95 = {p95 / scan:.2f}×, max = {mx / scan:.2f}×), "
            f"/healthz {health:.1f} ms | slowest: {slow[0][0]} {slow[0][1]:.0f} ms; non-200: {len(bad)}; "
            f"db {args.db.name}{'; ' + args.label if args.label else ''} |\n")
    with args.results.open("a", encoding="utf-8") as f:
        f.write(line)
    return 0 if not bad and p95 <= 50 and max(mx, wmax) <= 200 else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--cold", type=int, default=0, help="cold mode: this many distinct never-asked URLs")
    ap.add_argument("--seed", type=int, default=1, help="cold mode: seed of the URL draw")
    ap.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    ap.add_argument("--label", default="", help="a note for the RESULTS.md row (e.g. which code tree)")
    ap.add_argument("--dump", type=Path, default=None, help="cold mode: write every URL's latency (TSV) here")
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = ap.parse_args()
    if args.no_write:
        args.results = Path(os.devnull)
    if args.cold:
        if args.cold > 2000:
            ap.error("bounded: at most 2,000 cold URLs per run")
        return main_cold(args)
    if args.rate * args.seconds > 20000:
        ap.error("bounded: at most 20,000 requests per run")
    server, base = start_server(args.db)
    try:
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
    line = (f"| {date.today()} | api | {machine()} | {len(URLS)} mixed URLs, {args.rate:.0f} req/s for "
            f"{args.seconds:.0f} s on 127.0.0.1 (server and load generator on the same machine) | "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms | errors {n_err} of {res['n']} "
            f"({res['n'] / res['wall']:.0f} req/s achieved) | cold max {cold_max:.0f} ms; db {args.db.name}"
            f"{'; non-200 on warm-up: ' + ', '.join(cold_bad) if cold_bad else ''} |\n")
    with args.results.open("a", encoding="utf-8") as f:
        f.write(line)
    return 0 if n_err == 0 and p95 <= 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
