"""The scheduled windows run with every window closing at once: 5,000 tenants on one dynalite server.

    PYTHONPATH=. .venv/bin/python -m benchmarks.windows_run [--tenants N] [--workers W]

Each tenant (UTC, so all their days end at the same midnight) gets a policy and one settled request on Nov 28;
one in ten crosses its soft cap (an alert in its outbox), one in fifty leaves a hold that dies. Then the run is
invoked at 00:01 on Nov 29: it closes every window, writes every summary, reclaims the dead holds, delivers the
alerts (to an in-memory publisher: SNS is not measured here) and reconciles against a stub of OpenRouter's
usage. A second run right after measures a run with nothing to do. DynamoDB calls are counted with botocore's
`before-call` event.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from benchmarks.ledger_throughput import CallCounter
from local.dynalite import client as make_client
from local.dynalite import running
from local.tables import create_tables
from spendrail.alerts.delivery import AlertDelivery
from spendrail.alerts.memory import InMemoryPublisher
from spendrail.closing.reconcile import Reconciler
from spendrail.closing.run import RunReport, WindowsRun
from spendrail.deadline import Deadline
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy

TABLE = "bench-windows"
BEFORE = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
AFTER = datetime(2026, 11, 29, 0, 1, tzinfo=UTC)
CENT = 10_000_000
RUN_SECONDS = 900.0  # the longest a Lambda may run: the measurement, not the deployed timeout


class Usage:
    """OpenRouter's GET /key, as a number the benchmark sets."""

    nanos = 0

    def usage_nanos(self) -> int:
        return self.nanos


def populate(client: Any, tenants: int, workers: int) -> tuple[int, int]:
    """Create the tenants and their day's traffic; returns the nano-USD settled, and held by requests that died."""
    ledger = DynamoDBLedger(client, TABLE, clock=lambda: BEFORE)
    policy = BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="30")

    def one(n: int) -> tuple[int, int]:
        tenant = f"tenant-{n:05}"
        ledger.put_policy(tenant, policy)
        cost = 85 * CENT if n % 10 == 0 else 3 * CENT
        hold = ledger.reserve(tenant, cost).hold
        assert hold is not None
        ledger.settle(hold, cost)
        if n % 50 == 0:
            ledger.reserve(tenant, CENT)  # its request dies after OpenRouter billed it: the run reclaims it
            return cost, CENT
        return cost, 0

    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(one, range(tenants)))
    return sum(settled for settled, _ in done), sum(dead for _, dead in done)


def measure(client: Any, calls: CallCounter, workers: int, usage: Usage) -> tuple[float, Counter[str], RunReport]:
    ledger = DynamoDBLedger(client, TABLE, clock=lambda: AFTER)
    publisher = InMemoryPublisher()
    delivery = AlertDelivery(publisher, ledger)
    reconciler = Reconciler(ledger.upkeep(), ledger, usage, clock=lambda: AFTER)
    run = WindowsRun(ledger.upkeep(), delivery, reconciler=reconciler, clock=lambda: AFTER, workers=workers)
    calls.take()
    began = time.perf_counter()
    report = run(Deadline.after(RUN_SECONDS))
    return time.perf_counter() - began, calls.take(), report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    with running() as endpoint:
        client = make_client(endpoint, max_pool=max(args.workers, 16) + 2)
        create_tables(client, {"BudgetTable": TABLE})
        calls = CallCounter()
        client.meta.events.register("before-call.dynamodb", calls)
        began = time.perf_counter()
        settled, dead = populate(client, args.tenants, 16)
        print(f"populated {args.tenants} tenants in {time.perf_counter() - began:.1f} s", flush=True)
        usage = Usage()
        usage.nanos = settled
        # The baseline: a first reconciliation before midnight, as the run before this one would have made; then
        # OpenRouter bills the requests that died (the run charges them in doubt).
        Reconciler(DynamoDBLedger(client, TABLE).upkeep(), DynamoDBLedger(client, TABLE), usage)()
        usage.nanos += dead
        print(
            f"Python {sys.version.split()[0]} on {platform.machine()}, {args.workers} workers, {args.tenants} tenants",
            flush=True,
        )
        for label in ("all windows closing", "nothing left to do"):
            seconds, counts, report = measure(client, calls, args.workers, usage)
            total = sum(counts.values())
            print(
                f"{label}: {seconds:.1f} s, {total} DynamoDB calls ({total / max(1, report.tenants_reviewed):.2f} "
                f"per tenant reviewed) {dict(sorted(counts.items()))}; closed {report.windows_closed}, "
                f"summaries {report.summaries_written}, alerts published {report.alerts_published}, "
                f"holds reclaimed {report.holds_reclaimed}, deferred {report.deferred}, "
                f"reconciliation {report.reconciliation.outcome if report.reconciliation else None}",
                flush=True,
            )


if __name__ == "__main__":
    main()
