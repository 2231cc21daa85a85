"""Code that runs in spawned worker processes (module level, so `spawn` can import it)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

from local import dynalite
from spendrail.ledger.dynamodb import DynamoDBLedger

# Every worker starts from the same instant, so the run cannot straddle a real midnight.
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
# Each cycle moves its thread's clock on by this much: 32 cycles span about two hold TTLs (45 s), so the holds of
# cycles that died expire while the run goes on and are reclaimed by the requests they block, and a thread that
# runs ahead may reclaim a live hold of a slower one, whose settle then arrives late and corrects the charge.
STEP_SECONDS = 3


def fixed_clock() -> datetime:
    return NOW


@dataclass
class ThreadTally:
    attempted: int = 0
    admitted_actuals: list[int] = field(default_factory=list)  # every settled cost, known or in doubt
    in_doubt: list[int] = field(default_factory=list)  # the settled costs that were charged in doubt
    died: list[int] = field(default_factory=list)  # holds whose request died between reserve and settle
    refusals: dict[str, int] = field(default_factory=dict)
    crossings: list[tuple[str, str, str]] = field(default_factory=list)
    replays_applied: int = 0
    errors: list[str] = field(default_factory=list)


def _cycles(ledger: DynamoDBLedger, tenant: str, cycles: int, seed: int, tally: ThreadTally) -> None:
    try:
        _run_cycles(ledger, tenant, cycles, seed, tally)
    except Exception as exc:
        tally.errors.append(repr(exc))


def _run_cycles(ledger: DynamoDBLedger, tenant: str, cycles: int, seed: int, tally: ThreadTally) -> None:
    rng = random.Random(seed)
    for i in range(cycles):
        estimate = rng.randint(1_000_000, 5_000_000)
        tally.attempted += 1
        result = ledger.reserve(tenant, estimate)
        tally.crossings += [(c.window, c.window_key, c.state.value) for c in result.crossings]
        if result.hold is None:
            assert result.refusal is not None
            tally.refusals[result.refusal.value] = tally.refusals.get(result.refusal.value, 0) + 1
            continue
        if i % 9 == 4:  # Lambda killed the request between reserve and settle
            tally.died.append(estimate)
            continue
        if i % 7 == 0:  # a failed call: the whole hold goes back
            outcome = ledger.release(result.hold)
            actual = 0
        elif i % 11 == 3:  # a timed-out call: it may have been billed, so the hold is charged in doubt
            actual = estimate
            outcome = ledger.settle(result.hold, actual, in_doubt=actual)
            tally.in_doubt.append(actual)
        else:
            actual = rng.randint(0, estimate)
            outcome = ledger.settle(result.hold, actual)
        tally.crossings += [(c.window, c.window_key, c.state.value) for c in outcome.crossings]
        tally.admitted_actuals.append(actual)
        if i % 5 == 0:  # a retried settle must not count twice
            replay = ledger.settle(result.hold, actual, in_doubt=actual if i % 11 == 3 else 0)
            tally.replays_applied += int(replay.applied)
            tally.crossings += [(c.window, c.window_key, c.state.value) for c in replay.crossings]


def _clock_of(tally: ThreadTally) -> Callable[[], datetime]:
    return lambda: NOW + timedelta(seconds=STEP_SECONDS * tally.attempted)


def run_worker(endpoint: str, table: str, tenant: str, threads: int, cycles: int, seed: int, out: Queue[Any]) -> None:
    client = dynalite.client(endpoint, max_pool=threads)
    tallies = [ThreadTally() for _ in range(threads)]
    workers = [
        threading.Thread(
            target=_cycles,
            args=(
                DynamoDBLedger(client, table, clock=_clock_of(tallies[n])),
                tenant,
                cycles,
                seed * 1000 + n,
                tallies[n],
            ),
        )
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put([t.__dict__ for t in tallies])


def reserve_then_hang(endpoint: str, table: str, tenant: str, amount: int, out: Queue[Any], never: Event) -> None:
    """Reserve, report the hold, then block where the LLM call would be, until the test kills the process."""
    ledger = DynamoDBLedger(dynalite.client(endpoint), table, clock=fixed_clock)
    result = ledger.reserve(tenant, amount)
    out.put(result.hold)
    never.wait()
