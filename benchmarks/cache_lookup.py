"""Semantic cache lookup in a warm Lambda: VectorIndex search latency, memory and refresh cost by index size.

    PYTHONPATH=. .venv/bin/python -m benchmarks.cache_lookup [--sizes 1000,10000,100000] [--searches N]

For each size: random unit vectors of 512 dimensions (fixed seed) with entries carrying a realistic prompt and
reply are loaded in one `add` (the first load of a cold instance), then batches of 100 new entries are added
(a refresh from the table): first appended until the index is at its bound, then as many again at the bound,
where each batch evicts the oldest. Then random queries are searched (threshold 0.85, k 5); random 512-d vectors
are nearly orthogonal, so this times the full scan, which is what every lookup pays. Memory is the index's own
`memory_bytes` and the process RSS growth (/proc/self/status VmRSS) across the load, inputs freed. Searches stop
early once a size has used --budget seconds. Figures are from this machine, not from Lambda's CPUs.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from spendrail.cache.index import IndexedEntry, VectorIndex, encode_vector

DIMENSIONS = 512
THRESHOLD = 0.85
K = 5
BATCH = 100
NOW = 1_800_000_000  # epoch seconds; every entry expires after it
GOALS_MS = {10_000: 2.0, 100_000: 20.0}  # search p50
PROMPT = "How do I change the delivery address on an order I placed yesterday? " * 2  # ~140 chars
REPLY = "You can change it from Orders > Details > Edit address until the parcel ships. " * 8  # ~630 chars
MIB = 1024 * 1024


@dataclass(frozen=True)
class SizeRun:
    size: int
    load_ms: float
    append_p50_ms: float
    append_max_ms: float
    evict_p50_ms: float
    searches: int
    search_p50_ms: float
    search_p99_ms: float
    memory_bytes: int
    rss_delta: int | None


def rss_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def batch(rng: np.random.Generator, first: int, count: int) -> tuple[list[IndexedEntry], npt.NDArray[np.float32]]:
    entries = [
        # Unique strings per entry, as real prompts and replies are (no interning shared between entries)
        IndexedEntry(f"e{i}", f"{PROMPT}{i}", f"{REPLY}{i}", 1_234_000, "mistralai/mistral-small", i, NOW + 86_400)
        for i in range(first, first + count)
    ]
    return entries, rng.standard_normal((count, DIMENSIONS), dtype=np.float32)


def ms(ns: list[int], q: float) -> float:
    return float(np.percentile(np.asarray(ns, dtype=np.float64), q)) / 1e6


def run_size(size: int, searches: int, batches: int, budget_s: float, seed: int) -> SizeRun:
    rng = np.random.default_rng(seed)
    index = VectorIndex(DIMENSIONS, max_entries=size + batches * BATCH)
    gc.collect()
    before = rss_bytes()
    entries, vectors = batch(rng, 0, size)
    start = time.perf_counter_ns()
    index.add(entries, vectors)
    load_ns = time.perf_counter_ns() - start
    del entries, vectors
    gc.collect()
    after = rss_bytes()
    memory = index.memory_bytes  # before refreshes: the loaded size's footprint
    refresh: list[int] = []
    for b in range(2 * batches):  # the first half appends up to the bound, the second half evicts
        new, new_vectors = batch(rng, size + b * BATCH, BATCH)
        start = time.perf_counter_ns()
        index.add(new, new_vectors)
        refresh.append(time.perf_counter_ns() - start)
    queries = rng.standard_normal((searches, DIMENSIONS), dtype=np.float32)
    for query in queries[:10]:  # warm-up: BLAS threads, caches
        index.search(query, THRESHOLD, NOW, K)
    latencies: list[int] = []
    deadline = time.monotonic() + budget_s
    for query in queries:
        start = time.perf_counter_ns()
        index.search(query, THRESHOLD, NOW, K)
        latencies.append(time.perf_counter_ns() - start)
        if time.monotonic() > deadline:
            break
    return SizeRun(
        size=size,
        load_ms=load_ns / 1e6,
        append_p50_ms=ms(refresh[:batches], 50),
        append_max_ms=max(refresh[:batches]) / 1e6,
        evict_p50_ms=ms(refresh[batches:], 50),
        searches=len(latencies),
        search_p50_ms=ms(latencies, 50),
        search_p99_ms=ms(latencies, 99),
        memory_bytes=memory,
        rss_delta=None if before is None or after is None else after - before,
    )


def blas_line() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas['version']} ({blas.get('openblas configuration', '').strip()})"
    except (KeyError, TypeError, ValueError):
        return "unknown"


def report(runs: list[SizeRun], batches: int) -> None:
    print(f"spendrail cache lookup: VectorIndex, {DIMENSIONS} dimensions, threshold {THRESHOLD}, k {K}")
    print(f"date     {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"python   {platform.python_version()} ({platform.python_implementation()}), numpy {np.__version__}")
    print(f"blas     {blas_line()}")
    print(f"cpu      {os.cpu_count()} logical; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"storage  float16 vector per entry: {len(encode_vector(np.ones(DIMENSIONS)))} bytes")
    print(f"refresh  batches of {BATCH}: {batches} appended up to the bound, then {batches} evicting the oldest")
    header = (
        f"{'entries':>8}  {'first load ms':>13}  {'refresh p50 ms':>14}  {'(max)':>7}  {'at bound p50':>12}  "
        f"{'searches':>8}  {'search p50 ms':>13}  {'p99 ms':>7}  {'memory_bytes MiB':>16}  {'RSS delta MiB':>13}"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        rss = "n/a" if r.rss_delta is None else f"{r.rss_delta / MIB:.1f}"
        print(
            f"{r.size:>8}  {r.load_ms:>13.1f}  {r.append_p50_ms:>14.3f}  {r.append_max_ms:>7.2f}  "
            f"{r.evict_p50_ms:>12.3f}  {r.searches:>8}  {r.search_p50_ms:>13.3f}  {r.search_p99_ms:>7.3f}  "
            f"{r.memory_bytes / MIB:>16.1f}  {rss:>13}"
        )
    for r in runs:
        if r.size in GOALS_MS:
            goal = GOALS_MS[r.size]
            verdict = "met" if r.search_p50_ms <= goal else "NOT met"
            print(f"goal     search p50 <= {goal:g} ms at {r.size}: {r.search_p50_ms:.3f} ms, {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated entry counts")
    parser.add_argument("--searches", type=int, default=1000, help="timed searches per size")
    parser.add_argument("--batches", type=int, default=10, help=f"refresh batches of {BATCH} per phase")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds of searching per size at most")
    parser.add_argument("--seed", type=int, default=20_240_601)
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes must be comma-separated integers")
    if min(sizes) < 1 or max(sizes) > 1_000_000 or args.searches < 1 or args.batches < 1 or args.budget <= 0:
        parser.error("sizes must be 1..1,000,000; --searches, --batches and --budget must be positive")
    runs = [run_size(size, args.searches, args.batches, args.budget, args.seed) for size in sizes]
    report(runs, args.batches)
    return 0


if __name__ == "__main__":
    sys.exit(main())
