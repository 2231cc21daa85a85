"""Exactly one alert per tenant, kind and window when 64 requests cross the thresholds together (dynalite)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from typing import Any

import pytest

from local import dynalite, tables
from spendrail.alerts.model import Alert, AlertKind
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from tests.concurrency.workers import fixed_clock

pytestmark = pytest.mark.concurrency

THREADS = 64
CENT = 10_000_000
TENANTS = 4  # four independent stampedes, so a lucky interleaving cannot pass alone


def _stampede(client: Any, table: str, tenant: str) -> tuple[list[Alert], list[str]]:
    """64 instances each reserve and settle 1 cent at once, from $0.75 of a $1 day and month: every threshold falls
    inside the burst (80% soft cap, 95% degraded, then the refusals of the exhausted budget)."""
    setup = DynamoDBLedger(client, table, clock=fixed_clock)
    setup.put_policy(tenant, BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="1"))
    hold = setup.reserve(tenant, 75 * CENT).hold
    assert hold is not None
    setup.settle(hold, 75 * CENT)
    start = threading.Barrier(THREADS)
    claimed: list[Alert] = []
    errors: list[str] = []
    lock = threading.Lock()

    def request() -> None:
        ledger = DynamoDBLedger(client, table, clock=fixed_clock)  # one Lambda instance each
        try:
            ledger.snapshot(tenant)
            start.wait()
            mine = []
            result = ledger.reserve(tenant, CENT)
            mine += result.alerts
            if result.hold is not None:
                mine += ledger.settle(result.hold, CENT).alerts
            with lock:
                claimed.extend(mine)
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=request) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return claimed, errors


def test_sixty_four_requests_crossing_together_claim_and_record_each_alert_once(dynalite_endpoint: str) -> None:
    client = dynalite.client(dynalite_endpoint, max_pool=THREADS)
    table = f"budget-{uuid.uuid4().hex[:8]}"
    tables.create_tables(client, {"BudgetTable": table})
    expected = {
        (kind, window)
        for kind in (AlertKind.SOFT_CAP, AlertKind.DEGRADED, AlertKind.HARD_STOP)
        for window in ("daily", "monthly")
    }
    per_crossing: list[int] = []
    for n in range(TENANTS):
        tenant = f"stampede-{n}"
        claimed, errors = _stampede(client, table, tenant)
        assert errors == []
        counts = Counter(a.alert_id for a in claimed)
        per_crossing += counts.values()
        assert {(a.kind, a.window) for a in claimed} == expected
        assert all(count == 1 for count in counts.values()), counts  # one request learned of each
        recorded = DynamoDBLedger(client, table, clock=fixed_clock).pending_alerts(tenant)
        assert sorted(a.alert_id for a in recorded) == sorted(counts)  # and the outbox holds each once
        raw = client.get_item(TableName=table, Key={"pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": "LEDGER"}})["Item"]
        assert int(raw["ob_n"]["N"]) == len(expected)
    print(f"\nalerts per crossing over {TENANTS} stampedes of {THREADS}: {Counter(per_crossing)}")
