"""Ledger reserve+settle throughput against the raw conditional-write rate, on one dynalite server.

    PYTHONPATH=. .venv/bin/python -m benchmarks.ledger_throughput [--cycles N] [--threads T]

After a discarded warm-up of each, runs a raw and a ledger phase in each of --rounds rounds (default 6) and reports
the median of the per-round ratios: each ledger phase is compared with the raw phase run just before it, so drift
in machine load cancels out. Every phase stops after 300 s. The figures are also written to
`.bench/ledger_throughput.json`, one entry per thread count (a run at another count keeps the others).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from local.dynalite import client as make_client
from local.dynalite import running
from local.tables import create_tables
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy

PHASE_LIMIT_SECONDS = 300.0
LEDGER_TABLE = "bench-ledger"
RAW_TABLE = "bench-raw"
RAW_KEY = {"pk": {"S": "RAW"}, "sk": {"S": "COUNTER"}}
TENANT = "bench-tenant"
CAP_USD = Decimal(1_000_000)
ESTIMATE_NANOS = (1_000_000, 5_000_000)
OUT = Path(".bench/ledger_throughput.json")


class PhaseTimeoutError(Exception):
    pass


class CallCounter:
    """Counts DynamoDB calls by operation via botocore's `before-call` event; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def take(self) -> Counter[str]:
        with self._lock:
            calls, self.calls = self.calls, Counter()
        return calls


@dataclass(frozen=True)
class LedgerRun:
    cycles_per_s: float
    calls: Counter[str]
    cycles: int
    refused: int
    spent_ok: bool

    @property
    def calls_per_cycle(self) -> float:
        return self.calls.total() / self.cycles


def run_threads[R](threads: int, total: int, work: Callable[[int, int, float], R]) -> tuple[float, list[R]]:
    """Split `total` units over `threads` workers `work(index, share, deadline)`; wall seconds and results."""
    shares = [total // threads + (i < total % threads) for i in range(threads)]
    deadline = time.monotonic() + PHASE_LIMIT_SECONDS
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(work, range(threads), shares, [deadline] * threads))
    return time.perf_counter() - start, results


def check_deadline(deadline: float, phase: str) -> None:
    if time.monotonic() > deadline:
        raise PhaseTimeoutError(f"{phase} phase exceeded {PHASE_LIMIT_SECONDS:g} s: aborted")


def raw_phase(db: Any, threads: int, calls: int) -> float:
    """Conditional `SET n = n + 1` on one item; calls per second."""
    db.put_item(TableName=RAW_TABLE, Item=RAW_KEY | {"n": {"N": "0"}})
    values = {":one": {"N": "1"}, ":big": {"N": str(10**30)}}

    def work(_: int, share: int, deadline: float) -> None:
        for _ in range(share):
            check_deadline(deadline, "raw")
            db.update_item(
                TableName=RAW_TABLE,
                Key=RAW_KEY,
                UpdateExpression="SET n = n + :one",
                ConditionExpression="n < :big",
                ExpressionAttributeValues=values,
            )

    elapsed, _ = run_threads(threads, calls, work)
    final = int(db.get_item(TableName=RAW_TABLE, Key=RAW_KEY, ConsistentRead=True)["Item"]["n"]["N"])
    if final != calls:
        print(f"ANOMALY: raw counter is {final}, expected {calls}", file=sys.stderr)
    return calls / elapsed


def ledger_phase(db: Any, counter: CallCounter, threads: int, cycles: int) -> LedgerRun:
    """Reserve+settle cycles on one tenant, one DynamoDBLedger per thread sharing `db`."""
    policy = BudgetPolicy(daily_cap_usd=CAP_USD, monthly_cap_usd=CAP_USD)
    before = DynamoDBLedger(db, LEDGER_TABLE).put_policy(TENANT, policy).daily.spent
    counter.take()

    def work(index: int, share: int, deadline: float) -> tuple[int, int]:
        ledger, rng = DynamoDBLedger(db, LEDGER_TABLE), random.Random(index)
        refused = settled = 0
        for _ in range(share):
            check_deadline(deadline, "ledger")
            estimate = rng.randint(*ESTIMATE_NANOS)
            reserved = ledger.reserve(TENANT, estimate)
            if reserved.hold is None:
                refused += 1
                continue
            actual = rng.randint(0, estimate)
            settled += actual if ledger.settle(reserved.hold, actual).applied else 0
        return refused, settled

    elapsed, results = run_threads(threads, cycles, work)
    calls = counter.take()
    after = DynamoDBLedger(db, LEDGER_TABLE).snapshot(TENANT)
    spent_ok = after.daily.spent - before == sum(s for _, s in results) and after.open_holds == 0
    return LedgerRun(cycles / elapsed, calls, cycles, sum(r for r, _ in results), spent_ok)


def report(threads: int, cycles: int, raws: list[float], ledgers: list[LedgerRun]) -> dict[str, object]:
    raw = statistics.median(raws)
    cycles_per_s = statistics.median(run.cycles_per_s for run in ledgers)
    calls = sum((run.calls for run in ledgers), Counter())
    calls_per_cycle = calls.total() / sum(run.cycles for run in ledgers)
    ratios = sorted(run.cycles_per_s * run.calls_per_cycle / r for run, r in zip(ledgers, raws, strict=True))
    ratio = statistics.median(ratios)
    verdict = "met" if ratio >= 0.8 else "NOT met"
    breakdown = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
    rows = [
        ("raw UpdateItem calls/s (median)", f"{raw:.1f}"),
        ("ledger cycles/s (reserve+settle, median)", f"{cycles_per_s:.1f}"),
        ("ledger DynamoDB calls/s (median)", f"{cycles_per_s * calls_per_cycle:.1f}"),
        ("DynamoDB calls per cycle", f"{calls_per_cycle:.4f}  ({breakdown})"),
        ("ratio ledger calls/s / raw calls/s", f"{ratio:.3f} median of rounds (goal >= 0.80: {verdict})"),
        ("  per-round ratios, sorted", ", ".join(f"{r:.3f}" for r in ratios)),
        ("ratio cycles/s / raw calls/s", f"{cycles_per_s / raw:.3f}"),
        ("refused reserves (all runs)", str(sum(run.refused for run in ledgers))),
        ("ledger totals consistent", "yes" if all(run.spent_ok for run in ledgers) else "NO"),
    ]
    print(f"spendrail ledger throughput: one dynalite server, one tenant, {len(raws)} alternating rounds")
    print(f"date     {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"python   {platform.python_version()} ({platform.python_implementation()})")
    print(f"threads  {threads}")
    print(f"cycles   {cycles} per ledger run; raw {2 * cycles} UpdateItem calls per run")
    print(f"runs     raw calls/s {', '.join(f'{r:.1f}' for r in raws)}")
    print(f"         ledger cycles/s {', '.join(f'{run.cycles_per_s:.1f}' for run in ledgers)}")
    width = max(len(name) for name, _ in rows)
    print("-" * (width + 30))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cycles": cycles,
        "rounds": len(raws),
        "raw_calls_per_s": round(raw, 1),
        "ledger_cycles_per_s": round(cycles_per_s, 1),
        "calls_per_cycle": round(calls_per_cycle, 4),
        "ratio": round(ratio, 3),
        "ratios": [round(r, 3) for r in ratios],
        "goal_met": ratio >= 0.8,
        "consistent": all(run.spent_ok for run in ledgers),
    }


def write_figures(threads: int, figures: dict[str, object]) -> None:
    """Merge this thread count's figures into the JSON file (runs at other counts stay)."""
    existing: dict[str, object] = {}
    if OUT.exists():
        try:
            existing = json.loads(OUT.read_text())
        except ValueError:
            existing = {}
    by_threads = existing.get("threads")
    merged = dict(by_threads) if isinstance(by_threads, dict) else {}
    merged[str(threads)] = figures
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"threads": merged}, indent=2, sort_keys=True) + "\n")
    print(f"written to {OUT}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cycles", type=int, default=1000, help="reserve+settle cycles per ledger run")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=6, help="alternating raw/ledger rounds after the warm-up")
    args = parser.parse_args(argv)
    if args.cycles < 1 or args.threads < 1 or args.rounds < 1:
        parser.error("--cycles, --threads and --rounds must be positive")
    counter = CallCounter()
    with running() as endpoint:
        db = make_client(endpoint, max_pool=max(64, args.threads))
        create_tables(db, {"BudgetTable": LEDGER_TABLE})
        create_tables(db, {"BudgetTable": RAW_TABLE})
        db.meta.events.register("before-call.dynamodb", counter)
        raws: list[float] = []
        ledgers: list[LedgerRun] = []
        try:
            raw_phase(db, args.threads, max(1, args.cycles // 2))  # warm-up: connections, JIT, LevelDB
            ledger_phase(db, counter, args.threads, max(1, args.cycles // 4))
            for _ in range(args.rounds):
                raws.append(raw_phase(db, args.threads, 2 * args.cycles))
                ledgers.append(ledger_phase(db, counter, args.threads, args.cycles))
        except PhaseTimeoutError as exc:
            print(exc, file=sys.stderr)
            return 1
    write_figures(args.threads, report(args.threads, args.cycles, raws, ledgers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
