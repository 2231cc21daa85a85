"""DynamoDB calls per ledger operation, counted with botocore events against dynalite (DynamoDB's return rules)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from local import dynalite, tables
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.ledger.model import Hold
from spendrail.policy import BudgetPolicy
from tests.conftest import Clock

CENT = 10_000_000


def _counted(endpoint: str) -> tuple[Any, str, Counter[str]]:
    client = dynalite.client(endpoint)
    table = f"budget-{uuid.uuid4().hex[:8]}"
    tables.create_tables(client, {"BudgetTable": table})
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.update([model.name]))
    return client, table, calls


def test_a_warm_reserve_settle_cycle_costs_two_writes_and_no_read(dynalite_endpoint: str, clock: Clock) -> None:
    client, table, calls = _counted(dynalite_endpoint)
    ledger = DynamoDBLedger(client, table, clock=clock)
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    ledger.snapshot("shop")
    calls.clear()
    for i in range(20):
        result = ledger.reserve("shop", CENT)
        assert result.hold is not None
        in_doubt = CENT - i if i % 3 == 0 else 0  # some calls timed out: charged, and in doubt
        settled = ledger.settle(result.hold, CENT - i, in_doubt=in_doubt) if i % 2 else ledger.release(result.hold)
        assert settled.applied
    assert calls == Counter(UpdateItem=40)
    # The counters the hot path derived without a read agree with a full read, the amount in doubt included.
    assert settled.snapshot.daily == ledger.snapshot("shop").daily
    assert settled.snapshot.daily.in_doubt == sum(CENT - i for i in range(3, 20, 6))


def _holding(endpoint: str, clock: Clock) -> tuple[DynamoDBLedger, Hold, Counter[str]]:
    """A $1 day with a 90-cent hold in it."""
    client, table, calls = _counted(endpoint)
    ledger = DynamoDBLedger(client, table, clock=clock)
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    hold = ledger.reserve("shop", 90 * CENT).hold
    assert hold is not None
    return ledger, hold, calls


def test_crossing_a_threshold_costs_one_more_write(dynalite_endpoint: str, clock: Clock) -> None:
    ledger, hold, calls = _holding(dynalite_endpoint, clock)
    calls.clear()
    assert [c.state.value for c in ledger.settle(hold, 85 * CENT).crossings] == ["warned"]
    assert calls == Counter(UpdateItem=2)


def test_a_crossing_in_a_reopened_window_costs_no_more(dynalite_endpoint: str, clock: Clock) -> None:
    ledger, hold, calls = _holding(dynalite_endpoint, clock)
    ledger.settle(hold, 85 * CENT)
    assert len(ledger.change_policy("shop", BudgetPolicy(daily_cap_usd="2", monthly_cap_usd="10")).alerts) == 1
    ledger.snapshot("shop")
    hold = ledger.reserve("shop", 90 * CENT).hold
    assert hold is not None
    calls.clear()
    # The settle's answer carries the window's episode: the claim is made in it at once, with no read.
    [soft] = ledger.settle(hold, 80 * CENT).alerts
    assert soft.alert_id.endswith("/soft_cap/daily/2026-11-28/1")
    assert calls == Counter(UpdateItem=2)


def test_the_first_request_of_a_new_window_rolls_it(dynalite_endpoint: str, clock: Clock) -> None:
    client, table, calls = _counted(dynalite_endpoint)
    ledger = DynamoDBLedger(client, table, clock=clock)
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    ledger.reserve("shop", CENT)
    clock.advance(days=1)
    calls.clear()
    assert ledger.reserve("shop", CENT).admitted
    assert calls == Counter(UpdateItem=3, GetItem=1)  # refused on the old window, read, roll, reserve
    calls.clear()
    assert ledger.reserve("shop", CENT).admitted
    assert calls == Counter(UpdateItem=1)
