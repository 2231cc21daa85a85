"""Semantic cache lookup in a warm Lambda: VectorIndex search latency, memory and refresh cost by index size.

    PYTHONPATH=. .venv/bin/python -m benchmarks.cache_lookup [--sizes 1000,10000,100000] [--searches N]

For each size: random unit vectors of 512 dimensions (fixed seed) with entries carrying a realistic prompt and
reply are loaded in one `add` (the first load of a cold instance), then batches of 100 new entries are added
(a refresh from the table): first appended until the index is at its bound, then as many again at the bound,
where each batch evicts the oldest. Then random queries are searched (threshold 0.85, k 5); random 512-d vectors
are nearly orthogonal, so this times the full scan, which is what every lookup pays. Memory is the index's own
`memory_bytes` and the process RSS growth (/proc/self/status VmRSS) across the load, inputs freed. Searches stop
early once a size has used --budget seconds. Figures are from this machine, not from Lambda's CPUs.

The numpy floor is a bare `matrix @ vector` and argmax over the same rows, timed interleaved with the searches (so
both see the same machine load); the ratio is search p50 over floor p50. float16 and int8 (per-row scale) rows are
timed the same way, and their recall@1 against float32 rows is measured on the evaluation set's questions embedded by
the local model (evals/cache/pairs.jsonl: every question indexed, each pair's second question searched), when the
model is available, and on the random vectors. Figures also go to .bench/cache_lookup.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from spendrail.cache.index import IndexedEntry, VectorIndex, encode_vector

DIMENSIONS = 512
THRESHOLD = 0.85
K = 5
BATCH = 100
NOW = 1_800_000_000  # epoch seconds; every entry expires after it
GOALS_MS = {10_000: 2.0, 100_000: 20.0}  # search p50
FLOOR_GOAL = {1_000: 2.0}  # search p50 over the numpy floor's
OUTPUT = Path(".bench/cache_lookup.json")
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
    floor_p50_ms: float
    float16_p50_ms: float
    int8_p50_ms: float
    float16_recall: float
    int8_recall: float

    @property
    def floor_ratio(self) -> float:
        return self.search_p50_ms / self.floor_p50_ms


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
    rows = index._vectors[: len(index)].copy()  # the same unit rows, for the floor and the other precisions
    half, (small, scales) = rows.astype(np.float16), to_int8(rows)
    floor: dict[str, Callable[[npt.NDArray[np.float32]], int]] = {
        "float32": lambda q: int(np.argmax(rows @ q)),
        "float16": lambda q: int(np.argmax(half @ q.astype(np.float16))),
        "int8": lambda q: int(np.argmax((small @ to_int8(q[None, :])[0][0].astype(np.int32)) * scales)),
    }
    for query in queries[:10]:  # warm-up: BLAS threads, caches
        index.search(query, THRESHOLD, NOW, K)
        for bare in floor.values():
            bare(query)
    latencies: list[int] = []
    bare_ns: dict[str, list[int]] = {name: [] for name in floor}
    deadline = time.monotonic() + budget_s
    for query in queries:
        start = time.perf_counter_ns()
        index.search(query, THRESHOLD, NOW, K)
        latencies.append(time.perf_counter_ns() - start)
        for name, bare in floor.items():
            if name != "float32" and len(bare_ns[name]) >= 100:
                continue  # the slow paths: enough for a median
            start = time.perf_counter_ns()
            bare(query)
            bare_ns[name].append(time.perf_counter_ns() - start)
        if time.monotonic() > deadline:
            break
    f16_recall, i8_recall = recall_at_1(rows, queries[:200] + 0.5 * rows[:200])  # near some row, as real queries
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
        floor_p50_ms=ms(bare_ns["float32"], 50),
        float16_p50_ms=ms(bare_ns["float16"], 50),
        int8_p50_ms=ms(bare_ns["int8"], 50),
        float16_recall=f16_recall,
        int8_recall=i8_recall,
    )


def to_int8(rows: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Each row as int8 with its own scale (largest component to 127)."""
    peak = np.maximum(np.abs(rows).max(axis=1), 1e-30).astype(np.float32)
    scales = (peak / 127).astype(np.float32)
    return np.round(rows / scales[:, None]).astype(np.int8), scales


def recall_at_1(rows: npt.NDArray[np.float32], queries: npt.NDArray[np.float32]) -> tuple[float, float]:
    """How often float16 rows and int8 rows (queries in the same precision) pick float32's best row."""
    queries = queries / np.linalg.norm(queries, axis=1)[:, None]
    best = np.argmax(queries @ rows.T, axis=1)
    half = np.argmax(
        queries.astype(np.float16).astype(np.float32) @ rows.astype(np.float16).astype(np.float32).T, axis=1
    )
    small, scales = to_int8(rows)
    q8, q_scales = to_int8(queries)
    quantized = np.argmax(
        (q8.astype(np.float32) * q_scales[:, None]) @ (small.astype(np.float32) * scales[:, None]).T, axis=1
    )
    return float(np.mean(half == best)), float(np.mean(quantized == best))


def eval_set_recall() -> dict[str, float | int] | None:
    """recall@1 of float16 and int8 rows against float32 on the evaluation set's questions, by the local model."""
    try:
        from benchmarks.eval_cache import EmbedderUnavailableError, _local, load_pairs
    except ImportError:
        return None
    try:
        embed = _local("")
    except EmbedderUnavailableError:
        return None
    pairs = load_pairs()
    questions = sorted({q for p in pairs for q in (p.a, p.b)})
    rows = np.asarray(embed.encode(questions), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1)[:, None]
    position = {q: i for i, q in enumerate(questions)}
    others = np.asarray([position[p.b] for p in pairs])
    queries = rows[others]
    # The query itself is in the index: search the rest, as a paraphrase would find its partner
    keep = np.ones(len(rows), dtype=bool)
    f16 = i8 = 0
    for i, query in zip(others.tolist(), queries, strict=True):
        keep[i] = False
        half, small = recall_at_1(rows[keep], query[None, :])
        f16 += int(half == 1.0)
        i8 += int(small == 1.0)
        keep[i] = True
    return {"questions": len(rows), "queries": len(queries), "float16": f16 / len(queries), "int8": i8 / len(queries)}


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
    print(
        f"{'entries':>8}  {'floor p50 ms':>12}  {'search/floor':>12}  {'f16 p50 ms':>10}  {'int8 p50 ms':>11}  "
        f"{'f16 recall@1':>12}  {'int8 recall@1':>13}"
    )
    for r in runs:
        print(
            f"{r.size:>8}  {r.floor_p50_ms:>12.4f}  {r.floor_ratio:>12.2f}  {r.float16_p50_ms:>10.3f}  "
            f"{r.int8_p50_ms:>11.3f}  {r.float16_recall:>12.3f}  {r.int8_recall:>13.3f}"
        )
    for r in runs:
        if r.size in FLOOR_GOAL:
            goal = FLOOR_GOAL[r.size]
            verdict = "met" if r.floor_ratio <= goal else "NOT met"
            print(f"goal     search within {goal:g}x of the numpy floor at {r.size}: {r.floor_ratio:.2f}x, {verdict}")
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
    parser.add_argument("--no-eval", action="store_true", help="skip the eval-set recall (it loads the local model)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes must be comma-separated integers")
    if min(sizes) < 1 or max(sizes) > 1_000_000 or args.searches < 1 or args.batches < 1 or args.budget <= 0:
        parser.error("sizes must be 1..1,000,000; --searches, --batches and --budget must be positive")
    runs = [run_size(size, args.searches, args.batches, args.budget, args.seed) for size in sizes]
    report(runs, args.batches)
    recall = None if args.no_eval else eval_set_recall()
    if recall is not None:
        print(
            f"recall@1 against float32 rows, {recall['queries']} eval-set questions over {recall['questions']} "
            f"(local model): float16 {recall['float16']:.4f}, int8 {recall['int8']:.4f}"
        )
    OUTPUT.parent.mkdir(exist_ok=True)
    figures = {
        "benchmark": "cache_lookup",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "dimensions": DIMENSIONS,
        "runs": [asdict(r) | {"floor_ratio": r.floor_ratio} for r in runs],
        "eval_set_recall_at_1": recall,
    }
    OUTPUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures  {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
