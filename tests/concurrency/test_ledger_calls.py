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


def test_a_settle_far_below_the_thresholds_works_on_an_item_from_before_episodes(
    dynalite_endpoint: str, clock: Clock
) -> None:
    """The settle asks for the announced levels and episodes only when a claim may be due; an item written before
    episodes (and money in doubt, the history counters) existed lacks them: both kinds of settle still work."""
    client, table, calls = _counted(dynalite_endpoint)
    ledger = DynamoDBLedger(client, table, clock=clock)
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    old = [f"{w}_{f}" for w in "dm" for f in ("ep", "prev_ep", "doubt", "prev_doubt", "req", "hits", "down", "saved")]
    client.update_item(
        TableName=table,
        Key={"pk": {"S": "TENANT#shop"}, "sk": {"S": "LEDGER"}},
        UpdateExpression="REMOVE " + ", ".join(old),
    )
    hold = ledger.reserve("shop", 10 * CENT).hold
    assert hold is not None
    calls.clear()
    quiet = ledger.settle(hold, 5 * CENT, in_doubt=CENT)  # far below the soft cap: no levels asked, no read
    assert (quiet.crossings, calls) == ((), Counter(UpdateItem=1))
    assert quiet.snapshot.daily == ledger.snapshot("shop").daily
    assert (quiet.snapshot.daily.spent, quiet.snapshot.daily.in_doubt) == (5 * CENT, CENT)
    hold = ledger.reserve("shop", 80 * CENT).hold
    assert hold is not None
    calls.clear()
    [soft] = ledger.settle(hold, 80 * CENT).alerts  # near the soft cap: the levels (and episode 0) come back
    assert soft.alert_id.endswith("/soft_cap/daily/2026-11-28")
    assert calls == Counter(UpdateItem=2)
    raw = client.get_item(TableName=table, Key={"pk": {"S": "TENANT#shop"}, "sk": {"S": "LEDGER"}})["Item"]
    assert (raw["d_ep"], raw["m_ep"], raw["d_alert"]) == ({"N": "0"}, {"N": "0"}, {"N": "1"})


def test_a_settle_carried_past_a_threshold_by_other_requests_reads_and_claims(
    dynalite_endpoint: str, clock: Clock
) -> None:
    """An instance that last saw the tenant far below the thresholds settles without asking for the levels; other
    instances' spend carried the tenant past one meanwhile: its answer shows it, so it reads the item and claims."""
    client, table, calls = _counted(dynalite_endpoint)
    mine = DynamoDBLedger(client, table, clock=clock)
    mine.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    hold = mine.reserve("shop", 10 * CENT).hold
    assert hold is not None
    other = DynamoDBLedger(client, table, clock=clock)
    theirs = other.reserve("shop", 75 * CENT).hold
    assert theirs is not None
    assert other.settle(theirs, 75 * CENT).crossings == ()  # 75%: still below the soft cap
    calls.clear()
    [crossing] = mine.settle(hold, 10 * CENT).crossings
    assert crossing.state.value == "warned"
    assert calls == Counter(UpdateItem=2, GetItem=1)  # the settle, the read its answer called for, the claim
    calls.clear()
    # The other instance saw the tenant near the soft cap: it asks for the levels, and claims nothing twice.
    again = other.reserve("shop", CENT).hold
    assert again is not None
    assert other.settle(again, CENT).crossings == ()
    assert calls == Counter(UpdateItem=2)
