"""The critical path of a request through the real ChatService, with latency injected so sequencing shows.

    PYTHONPATH=. .venv/bin/python -m benchmarks.chat_sequencing [--requests N]

Fakes stand in for the slow parts: every DynamoDB call (the in-memory ledger's reserve, settle, release and savings
write; the in-memory cache table's get and put) sleeps 5 ms, the embedding (priced like the default local model:
$0) 40 ms, the answer 300 ms. For a miss, a semantic hit and an exact hit, the p50 of what the request adds to the
answer alone (a hit has no answer: its whole latency) is measured twice: "before", with `overlap.Sequential` (every
step one after the other, the order before the overlap), and "after", with the shared pool. The goal for a miss and
a semantic hit: one embedding + two DynamoDB round trips + 2 ms (52 ms); for an exact hit: two DynamoDB round trips
+ 2 ms. Per request, the sequential DynamoDB round trips (the time at least one call was in flight, in calls'
latencies; goal 2) and the calls are counted. Then, with the template's cache settings (its refresh interval) and
no latency, the DynamoDB calls per request with one tenant's requests 5 s and 60 s apart, background index updates
included (goals: exact hit 2, semantic hit 3, miss 4). Figures go to stdout and to `.bench/chat_sequencing.json`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import string
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from local import sim_embeddings
from local.tables import function_environment
from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.cache.semantic import SemanticCache
from spendrail.cache.service import AnswerCache
from spendrail.chat.overlap import Sequential, Workers, shared
from spendrail.chat.question import Question
from spendrail.chat.service import ChatService
from spendrail.deadline import Deadline
from spendrail.ledger.memory import InMemoryLedger
from spendrail.ledger.model import Hold, LedgerSnapshot, ReserveResult, SettleResult
from spendrail.llm.port import Completion, CompletionRequest, Embedding, Usage
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from spendrail.settings import Settings
from spendrail.tenants.model import Tenant

DYNAMODB_MS = 5.0
EMBEDDING_MS = 40.0
ANSWER_MS = 300.0
SLACK_MS = 2.0
EMBEDDING_MODEL = "local/all-minilm-l6-v2"
TENANT = Tenant("bench-store")
OUT = Path(".bench/chat_sequencing.json")
BOUNDS_MS = {
    "miss": EMBEDDING_MS + 2 * DYNAMODB_MS + SLACK_MS,
    "semantic_hit": EMBEDDING_MS + 2 * DYNAMODB_MS + SLACK_MS,
    "exact_hit": 2 * DYNAMODB_MS + SLACK_MS,
}
CALL_GOALS = {"miss": 4, "semantic_hit": 3, "exact_hit": 2}
SPACINGS_S = (5.0, 60.0)  # seconds between one tenant's requests on one instance
STORED = "How do I track my order?"
PARAPHRASE = "How can I track my order"  # a semantic hit every time: hits are not stored, so never exact


_INJECTING = [True]  # False while the spacing runs count calls: no latency to wait out there


def pause(ms: float) -> None:
    if _INJECTING[0]:
        time.sleep(ms / 1000)  # injected latency, the thing measured


class Calls(Counter[str]):
    """DynamoDB calls by operation, and when each was in flight (perf_counter seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[tuple[float, float]] = []

    def call(self, op: str) -> None:
        """Counts one call and waits out its injected latency."""
        self[op] += 1
        started = time.perf_counter()
        pause(DYNAMODB_MS)
        self.spans.append((started, time.perf_counter()))

    def round_trips(self, since: float) -> int:
        """Sequential round trips since `since`: the time at least one call was in flight, in calls' latencies."""
        busy, reach = 0.0, since
        for start, end in sorted(s for s in self.spans if s[0] >= since):
            if end > reach:
                busy += end - max(start, reach)
                reach = end
        return round(busy * 1000 / DYNAMODB_MS)


class SlowLedger(InMemoryLedger):
    def __init__(self, calls: Calls) -> None:
        super().__init__()
        self.counted = calls

    def reserve(
        self, tenant_id: str, amount: int, *, hold_id: str | None = None, claim_stop: bool = True
    ) -> ReserveResult:
        self.counted.call("UpdateItem (reserve)")
        return super().reserve(tenant_id, amount, hold_id=hold_id, claim_stop=claim_stop)

    def settle(
        self, hold: Hold, actual: int, *, saved: int = 0, in_doubt: int = 0, downgraded: bool = False
    ) -> SettleResult:
        self.counted.call("UpdateItem (settle)")
        return super().settle(hold, actual, saved=saved, in_doubt=in_doubt, downgraded=downgraded)

    def release(self, hold: Hold) -> SettleResult:
        self.counted.call("UpdateItem (release)")
        return super().release(hold)

    def record_savings(self, tenant_id: str, saved: int) -> LedgerSnapshot:
        self.counted.call("UpdateItem (savings)")
        return super().record_savings(tenant_id, saved)


class SlowStore(InMemoryCacheStore):
    def __init__(self, calls: Calls) -> None:
        super().__init__()
        self.counted = calls

    def get(self, scope: CacheScope, key: str) -> StoredAnswer | None:
        self.counted.call("GetItem (exact)")
        return super().get(scope, key)

    def put(self, scope: CacheScope, answer: StoredAnswer) -> None:
        self.counted.call("PutItem (store)")
        super().put(scope, answer)

    def since(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
        self.counted.call("Query (refresh)")
        return super().since(scope, created_at, limit)

    def newest(self, scope: CacheScope, limit: int) -> list[StoredAnswer]:
        self.counted.call("Query (first load)")
        return super().newest(scope, limit)

    def older(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
        self.counted.call("Query (backfill)")
        return super().older(scope, created_at, limit)


class SlowEmbedder:
    """The simulator's vectors for the two questions meant to match; a random direction (nearly orthogonal to every
    other in 384 dimensions) for each unique one, so a miss stays a miss."""

    def embed(self, text: str, request_id: str, deadline: Deadline) -> Embedding:
        pause(EMBEDDING_MS)
        if text in (STORED, PARAPHRASE):
            vector = np.asarray(sim_embeddings.embed(text, 384), dtype=np.float32)
        else:
            vector = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(384).astype(np.float32)
        return Embedding(vector, EMBEDDING_MODEL, 10, Decimal(0))


class SlowLLM:
    """The answer, timed: what a request adds is measured against the answer's real wait, not its nominal one (a
    300 ms sleep overshoots by a few ms on a busy machine, which is not the service's doing)."""

    def __init__(self) -> None:
        self.answered_ms = 0.0

    def complete(self, request: CompletionRequest, deadline: Deadline) -> Completion:
        started = time.perf_counter()
        pause(ANSWER_MS)
        self.answered_ms += (time.perf_counter() - started) * 1000
        usage = Usage(40, 60, Decimal("0.00015"))
        return Completion("Track it from Orders.", request.model, usage, "stop", lambda: {})


@dataclass(frozen=True)
class Path_:
    name: str
    before_p50_ms: float
    after_p50_ms: float
    bound_ms: float
    calls_per_request: int
    calls: dict[str, int]
    round_trips_before: int  # p50 sequential DynamoDB round trips per request
    round_trips_after: int

    @property
    def within(self) -> bool:
        return self.after_p50_ms <= self.bound_ms


@dataclass(frozen=True)
class Measured:
    added_p50_ms: float
    calls: Counter[str]
    round_trips_p50: int


def service(
    workers: Workers,
    calls: Calls,
    llm: SlowLLM,
    *,
    refresh_seconds: float = 3600,
    max_entries: int = 1000,
    ttl_seconds: int = 3600,
    background: Callable[[Callable[[], None]], object] | None = None,
    clocks: tuple[Callable[[], int], Callable[[], float]] | None = None,
) -> ChatService:
    catalog = PricingCatalog.load()
    ledger = SlowLedger(calls)
    ledger.put_policy(TENANT.tenant_id, BudgetPolicy(daily_cap_usd="1000", monthly_cap_usd="10000"))
    more: dict[str, Any] = {}
    if background is not None:
        more["executor"] = background
    if clocks is not None:
        more["wall_ms"], more["monotonic"] = clocks
    answers = AnswerCache(
        SlowStore(calls),
        dimensions=384,
        ttl_seconds=ttl_seconds,
        refresh_seconds=refresh_seconds,
        max_entries=max_entries,
        **more,
    )
    cache = SemanticCache(answers, SlowEmbedder(), catalog, EMBEDDING_MODEL)
    return ChatService(ledger, llm, catalog, cache=cache, workers=workers)


def unique_prompt(i: int) -> str:
    """A question asked once: a miss every time."""
    word = "".join(string.ascii_lowercase[(i // 26**k) % 26] for k in range(4))
    return f"Tell me about the {word}zorb policy"


def timed(svc: ChatService, llm: SlowLLM, prompt: str, request_id: str, tier: str | None) -> float:
    """Milliseconds the request took beyond its answer's own wait (a hit: all of it)."""
    llm.answered_ms = 0.0
    started = time.perf_counter()
    answer = svc.answer(Question(TENANT, request_id, "cust-1", prompt), Deadline.after(29))
    elapsed = (time.perf_counter() - started) * 1000
    if answer.cache_tier != tier:
        sys.exit(f"{prompt!r}: served from {answer.cache_tier!r}, expected {tier!r}")
    return elapsed - llm.answered_ms


CASES: dict[str, tuple[Callable[[int], str], str | None]] = {
    "miss": (unique_prompt, None),
    "semantic_hit": (lambda _: PARAPHRASE, "semantic"),
    "exact_hit": (lambda _: STORED, "exact"),
}


def run(workers: Workers, requests: int) -> dict[str, Measured]:
    calls, llm = Calls(), SlowLLM()
    svc = service(workers, calls, llm)
    timed(svc, llm, STORED, "seed", None)  # the entry both hits find; loads the index
    results: dict[str, Measured] = {}
    for name, (prompt, tier) in CASES.items():
        timed(svc, llm, prompt(10_000), f"{name}-warm", tier)
        calls.clear()
        added, trips = [], []
        for i in range(requests):
            started = time.perf_counter()
            added.append(timed(svc, llm, prompt(i), f"{name}-{i}", tier))
            trips.append(calls.round_trips(started))
        results[name] = Measured(statistics.median(added), Counter(calls), round(statistics.median(trips)))
    return results


def spaced(seconds: float, requests: int) -> dict[str, float]:
    """DynamoDB calls per request, background updates included, with the template's cache settings and requests
    `seconds` apart (the cache's clocks are moved; no latency is injected)."""
    settings = Settings.from_env(function_environment("ChatFunction"))
    wall, mono = [1_800_000_000_000], [0.0]

    def later() -> None:
        wall[0] += int(seconds * 1000)
        mono[0] += seconds

    calls, llm = Calls(), SlowLLM()
    svc = service(
        shared(),
        calls,
        llm,
        refresh_seconds=settings.cache_refresh_seconds,
        max_entries=settings.cache_max_entries,
        ttl_seconds=settings.cache_ttl_seconds,
        background=lambda task: task(),  # counted with the request that started it
        clocks=(lambda: wall[0], lambda: mono[0]),
    )
    _INJECTING[0] = False
    try:
        timed(svc, llm, STORED, "seed", None)
        averages: dict[str, float] = {}
        for name, (prompt, tier) in CASES.items():
            later()
            timed(svc, llm, prompt(20_000), f"{name}-warm", tier)
            calls.clear()
            for i in range(requests):
                later()
                timed(svc, llm, prompt(30_000 + i), f"{name}-spaced-{i}", tier)
            averages[name] = round(calls.total() / requests, 2)
        return averages
    finally:
        _INJECTING[0] = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=25)
    args = parser.parse_args()
    before = run(Sequential(), args.requests)
    after = run(shared(), args.requests)
    paths = [
        Path_(
            name,
            round(before[name].added_p50_ms, 1),
            round(after[name].added_p50_ms, 1),
            BOUNDS_MS[name],
            after[name].calls.total() // args.requests,
            {op: n // args.requests for op, n in sorted(after[name].calls.items())},
            before[name].round_trips_p50,
            after[name].round_trips_p50,
        )
        for name in BOUNDS_MS
    ]
    spacings = {f"{seconds:g}": spaced(seconds, args.requests) for seconds in SPACINGS_S}
    print(
        f"injected: DynamoDB {DYNAMODB_MS:g} ms a call, embedding {EMBEDDING_MS:g} ms, answer {ANSWER_MS:g} ms; "
        f"p50 of {args.requests} requests each; added = latency minus the answer (a hit has none)"
    )
    print(f"{'path':<14}{'before ms':>10}{'after ms':>10}{'bound ms':>10}{'round trips':>13}  calls")
    for p in paths:
        verdict = "ok" if p.within else "OVER"
        ops = ", ".join(f"{op} x{n}" if n > 1 else op for op, n in p.calls.items())
        trips = f"{p.round_trips_before} -> {p.round_trips_after}"
        print(
            f"{p.name:<14}{p.before_p50_ms:>10.1f}{p.after_p50_ms:>10.1f}{p.bound_ms:>10.1f}{trips:>13}  "
            f"{verdict}; {ops}"
        )
    print("DynamoDB calls per request with the template's cache settings, background refreshes included:")
    for seconds, averages in spacings.items():
        shown = ", ".join(f"{name} {n:g} (goal {CALL_GOALS[name]})" for name, n in averages.items())
        print(f"  {seconds} s apart: {shown}")
    calls_ok = all(n <= CALL_GOALS[name] for averages in spacings.values() for name, n in averages.items())
    report = {
        "benchmark": "chat_sequencing",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "injected_ms": {"dynamodb_call": DYNAMODB_MS, "embedding": EMBEDDING_MS, "answer": ANSWER_MS},
        "requests_per_path": args.requests,
        **{f"{p.name}_added_p50_ms": p.after_p50_ms for p in paths},
        **{f"{p.name}_round_trips": p.round_trips_after for p in paths},
        **{
            f"{name}_calls_{seconds}s_apart": n
            for seconds, averages in spacings.items()
            for name, n in averages.items()
        },
        "paths": {
            p.name: {
                "added_p50_ms_before": p.before_p50_ms,
                "added_p50_ms_after": p.after_p50_ms,
                "bound_ms": p.bound_ms,
                "within_bound": p.within,
                "dynamodb_round_trips_before": p.round_trips_before,
                "dynamodb_round_trips_after": p.round_trips_after,
                "dynamodb_calls": p.calls_per_request,
                "dynamodb_calls_by_op": p.calls,
            }
            for p in paths
        },
        "calls_per_request_spaced": spacings,
        "calls_goals": CALL_GOALS,
        "ok": all(p.within for p in paths) and calls_ok,
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {OUT}")  # a bound missed is reported ("ok": false), not an error: sleeps jitter on a busy host


if __name__ == "__main__":
    main()
