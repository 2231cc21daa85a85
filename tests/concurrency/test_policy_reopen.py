"""Concurrent PUTs that raise a stopped tenant's cap record one budget_reset (dynalite serializes item writes)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from local import dynalite, tables
from spendrail.alerts.model import Alert, AlertKind
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from tests.concurrency.workers import fixed_clock

pytestmark = pytest.mark.concurrency

PUTS = 8
USD = 1_000_000_000


def test_eight_concurrent_puts_raising_a_stopped_tenants_cap_record_one_budget_reset(dynalite_endpoint: str) -> None:
    client = dynalite.client(dynalite_endpoint, max_pool=PUTS)
    table = f"budget-{uuid.uuid4().hex[:8]}"
    tables.create_tables(client, {"BudgetTable": table})
    setup = DynamoDBLedger(client, table, clock=fixed_clock)
    setup.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    hold = setup.reserve("shop", USD).hold
    assert hold is not None
    assert len(setup.settle(hold, USD).alerts) == 3  # stopped
    raised = BudgetPolicy(daily_cap_usd="2", monthly_cap_usd="10")
    start = threading.Barrier(PUTS)

    def put(_: int) -> tuple[Alert, ...]:
        admin = DynamoDBLedger(client, table, clock=fixed_clock)  # one admin function instance each
        start.wait()
        return admin.change_policy("shop", raised).alerts

    with ThreadPoolExecutor(PUTS) as pool:
        returned = Counter(a.alert_id for alerts in pool.map(put, range(PUTS)) for a in alerts)
    assert returned == Counter({"shop/budget_reset/daily/2026-11-28/1": 1})  # one PUT learned of it: episode 1
    pending = setup.pending_alerts("shop")
    assert [a.kind for a in pending].count(AlertKind.BUDGET_RESET) == 1
    raw = client.get_item(TableName=table, Key={"pk": {"S": "TENANT#shop"}, "sk": {"S": "LEDGER"}})["Item"]
    assert int(raw["ob_n"]["N"]) == len(pending)  # the outbox's count is exact: the tenant can leave the sweep
    assert setup.reserve("shop", USD // 2).admitted
