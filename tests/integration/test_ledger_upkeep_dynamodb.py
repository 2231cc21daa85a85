"""What only DynamoDB shows of the alerts' outbox and the windows' upkeep: a request that dies between two writes,
items written before these attributes existed, and what a sweep costs in calls; budget events and reopened windows:
the event item, writes that die or lose their answer halfway, an alert claimed again before it was delivered, the
episodes of a reopened window on old items, after a roll and under a racing claim."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from spendrail.alerts.model import AlertKind
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from tests.conftest import Clock
from tests.integration.test_ledger_dynamodb import FaultyClient

CENT = 10_000_000
USD = 100 * CENT
POLICY = BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10")
RAISED = BudgetPolicy(daily_cap_usd="2", monthly_cap_usd="10")
SIXTY_DAYS = 60 * 86_400
KEY = {"pk": {"S": "TENANT#shop"}, "sk": {"S": "LEDGER"}}


class Killed(BaseException):
    """Lambda killed the request: nothing after this point runs."""


@pytest.fixture
def faulty(moto_dynamodb: Any) -> FaultyClient:
    return FaultyClient(moto_dynamodb)


@pytest.fixture
def ledger(faulty: FaultyClient, clock: Clock) -> DynamoDBLedger:
    ledger = DynamoDBLedger(faulty, "budget", clock=clock, sleep=lambda _: None)  # type: ignore[arg-type]
    ledger.put_policy("shop", POLICY)
    return ledger


def _claims(request: dict[str, Any]) -> bool:
    return "_alert_by = :by" in request.get("UpdateExpression", "")


def _die() -> None:
    raise Killed


def test_a_request_that_dies_between_its_settle_and_its_claim_loses_no_alert(
    ledger: DynamoDBLedger, faulty: FaultyClient
) -> None:
    hold = ledger.reserve("shop", 90 * CENT).hold
    assert hold is not None
    faulty.races.append((_claims, _die))
    with pytest.raises(Killed):
        ledger.settle(hold, 85 * CENT)  # the spend is written; the claim never is
    assert ledger.pending_alerts("shop") == ()
    assert ledger.snapshot("shop").daily.spent == 85 * CENT
    swept = ledger.reclaim_stale_holds()  # the tenant is still flagged: the sweep finds the unclaimed crossing
    assert [(a.kind, a.window) for a in swept.alerts] == [(AlertKind.SOFT_CAP, "daily")]
    assert [a.alert_id for a in ledger.pending_alerts("shop")] == ["shop/soft_cap/daily/2026-11-28"]
    assert ledger.reclaim_stale_holds().alerts == ()  # claimed once
    assert ledger.pending_alerts("shop") == swept.alerts


def test_a_crossing_settled_just_before_another_request_rolled_the_window_is_claimed_by_the_sweep(
    ledger: DynamoDBLedger, faulty: FaultyClient, moto_dynamodb: Any, clock: Clock
) -> None:
    clock.advance(hours=11, minutes=59)  # 23:59 UTC
    hold = ledger.reserve("shop", 96 * CENT).hold
    assert hold is not None
    faulty.races.append((_claims, _die))
    with pytest.raises(Killed):
        ledger.settle(hold, 96 * CENT)  # warned and degraded, claimed by no one
    clock.advance(minutes=2)
    other = DynamoDBLedger(moto_dynamodb, "budget", clock=clock)
    assert other.reserve("shop", CENT).alerts == ()  # the new day's first request rolls it: nothing had alerted
    swept = ledger.reclaim_stale_holds().alerts
    assert [(a.kind, a.window_key) for a in swept] == [
        (AlertKind.SOFT_CAP, "2026-11-28"),
        (AlertKind.DEGRADED, "2026-11-28"),
        (AlertKind.BUDGET_RESET, "2026-11-29"),
    ]
    assert ledger.reclaim_stale_holds().alerts == ()
    [summary] = ledger.history("shop")
    assert (summary.key, summary.highest.value, summary.spent) == ("2026-11-28", "degraded", 96 * CENT)


def test_items_written_before_the_outbox_and_the_counters_still_work(
    ledger: DynamoDBLedger, moto_dynamodb: Any, clock: Clock
) -> None:
    new = ["ob_n", "total_spent", "total_doubt", "roll_at", "roll_shard"]
    new += [f"{w}_{f}" for w in "dm" for f in ("req", "hits", "down", "prev_req", "prev_hits", "prev_saved")]
    new += [
        f"{w}_{f}" for w in "dm" for f in ("prev_down", "prev_alert", "prev_cap", "saved", "doubt", "ep", "prev_ep")
    ]
    moto_dynamodb.update_item(TableName="budget", Key=KEY, UpdateExpression="REMOVE " + ", ".join(new))
    assert list(ledger.upkeep().tenants_due(clock.now + timedelta(days=9))) == []  # not in the roll index yet
    hold = ledger.reserve("shop", 90 * CENT).hold
    assert hold is not None
    settled = ledger.settle(hold, 85 * CENT, saved=CENT, downgraded=True)
    assert [a.kind for a in settled.alerts] == [AlertKind.SOFT_CAP]
    assert ledger.pending_alerts("shop") == settled.alerts
    ledger.ack(settled.alerts[0])
    assert ledger.pending_alerts("shop") == ()
    ledger.record_savings("shop", CENT)
    clock.advance(days=1)
    assert [a.kind for a in ledger.reserve("shop", CENT).alerts] == [AlertKind.BUDGET_RESET]
    ledger.reclaim_stale_holds()
    [day] = ledger.history("shop")
    assert (day.spent, day.requests, day.cache_hits, day.downgrades, day.saved) == (85 * CENT, 2, 2, 1, 2 * CENT)
    raw = moto_dynamodb.get_item(TableName="budget", Key=KEY)["Item"]
    assert int(raw["total_spent"]["N"]) == 85 * CENT
    assert list(ledger.upkeep().tenants_due(clock.now + timedelta(days=1))) == ["shop"]  # the roll put it there


def test_an_item_from_before_the_roll_index_joins_it_at_its_first_sweep(
    ledger: DynamoDBLedger, moto_dynamodb: Any, clock: Clock
) -> None:
    moto_dynamodb.update_item(TableName="budget", Key=KEY, UpdateExpression="REMOVE roll_at, roll_shard")
    upkeep = ledger.upkeep()
    tomorrow = clock.now + timedelta(days=1)
    assert list(upkeep.tenants_due(tomorrow)) == []
    hold = ledger.reserve("shop", CENT).hold  # flags it for a sweep
    assert hold is not None
    ledger.settle(hold, CENT)
    ledger.reclaim_stale_holds()
    assert list(upkeep.tenants_due(tomorrow)) == ["shop"]  # its day's end, in its zone
    assert list(upkeep.tenants_due(clock.now)) == []


# ---- budget events and reopened windows ----------------------------------------------------------------------


def _spend(ledger: DynamoDBLedger, amount: int) -> tuple[Any, ...]:
    hold = ledger.reserve("shop", amount).hold
    assert hold is not None
    return ledger.settle(hold, amount).alerts


def _removes_from_outbox(request: dict[str, Any]) -> bool:
    return "REMOVE #ob" in request.get("UpdateExpression", "")


def test_an_event_is_an_item_of_the_tenants_partition_that_expires_in_sixty_days(
    ledger: DynamoDBLedger, moto_dynamodb: Any, clock: Clock
) -> None:
    [soft] = _spend(ledger, 85 * CENT)
    ledger.ack(soft)
    at = int(clock.now.timestamp())
    key = {"pk": {"S": "TENANT#shop"}, "sk": {"S": f"EVT#{at:012d}#shop/soft_cap/daily/2026-11-28"}}
    raw = moto_dynamodb.get_item(TableName="budget", Key=key)["Item"]
    # The table has no TTL yet: enabling it on expires_at (epoch seconds) lets DynamoDB delete old events.
    assert int(raw["expires_at"]["N"]) == at + SIXTY_DAYS
    assert (raw["e_kind"]["S"], raw["e_window"]["S"], raw["e_key"]["S"]) == ("soft_cap", "daily", "2026-11-28")
    assert (int(raw["e_at"]["N"]), int(raw["e_spent"]["N"]), int(raw["e_cap"]["N"])) == (at, 85 * CENT, USD)


def test_an_ack_that_died_after_recording_the_event_is_republished_and_listed_once(
    ledger: DynamoDBLedger, faulty: FaultyClient
) -> None:
    [soft] = _spend(ledger, 85 * CENT)
    faulty.races.append((_removes_from_outbox, _die))
    with pytest.raises(Killed):
        ledger.ack(soft)  # the event is written; the alert is still in the outbox
    [again] = ledger.pending_alerts("shop")  # so the scheduled run publishes it again, and acknowledges it
    ledger.ack(again)
    assert ledger.pending_alerts("shop") == ()
    assert [(e.alert_id, e.delivered) for e in ledger.events("shop")] == [(soft.alert_id, True)]


def test_a_reset_whose_answer_was_lost_is_still_reported_once(ledger: DynamoDBLedger, faulty: FaultyClient) -> None:
    _spend(ledger, USD)
    faulty.faults.append(("update_item", "after", ReadTimeoutError(endpoint_url="http://dynamodb")))
    change = ledger.change_policy("shop", RAISED)  # applied, its answer lost, retried: the retry's condition fails
    assert [a.kind for a in change.alerts] == [AlertKind.BUDGET_RESET]
    assert change.snapshot.daily.cap == 2 * USD
    resets = [a for a in ledger.pending_alerts("shop") if a.kind is AlertKind.BUDGET_RESET]
    assert len(resets) == 1


def test_a_tenant_whose_undelivered_alert_was_claimed_again_still_leaves_the_sweep_index(
    ledger: DynamoDBLedger,
) -> None:
    _spend(ledger, USD)  # soft cap, degraded, hard stop: SNS is down, all three wait in the outbox
    assert len(ledger.change_policy("shop", RAISED).alerts) == 1
    assert [a.kind for a in _spend(ledger, 60 * CENT)] == [AlertKind.SOFT_CAP]  # the same kind, claimed again
    for alert in ledger.pending_alerts("shop"):  # SNS is back: everything is delivered
        ledger.ack(alert)
    ledger.reclaim_stale_holds()
    assert list(ledger.upkeep().tenants_flagged()) == []  # nothing pending: no more sweeps for this tenant


def test_a_reset_replacing_one_still_in_the_outbox_is_counted_once(
    ledger: DynamoDBLedger, moto_dynamodb: Any, clock: Clock
) -> None:
    _spend(ledger, USD)
    clock.advance(days=1)
    ledger.reserve("shop", CENT)  # the new day's reset waits in the outbox
    _spend(ledger, 99 * CENT)
    ledger.change_policy("shop", RAISED)  # the reset of the day's episode 1 beside the roll's (episode 0)
    raw = moto_dynamodb.get_item(TableName="budget", Key={"pk": {"S": "TENANT#shop"}, "sk": {"S": "LEDGER"}})["Item"]
    assert int(raw["ob_n"]["N"]) == len(ledger.pending_alerts("shop"))  # so the sweep can tell the outbox is empty


def test_an_item_from_before_episodes_reopens_into_episode_one_and_its_roll_starts_again_at_zero(
    ledger: DynamoDBLedger, moto_dynamodb: Any, clock: Clock
) -> None:
    _spend(ledger, USD)
    moto_dynamodb.update_item(TableName="budget", Key=KEY, UpdateExpression="REMOVE d_ep, m_ep, d_prev_ep, m_prev_ep")
    [reset] = ledger.change_policy("shop", RAISED).alerts
    assert reset.alert_id == "shop/budget_reset/daily/2026-11-28/1"
    assert [a.alert_id for a in _spend(ledger, 70 * CENT)] == ["shop/soft_cap/daily/2026-11-28/1"]  # $1.70 of $2
    raw = moto_dynamodb.get_item(TableName="budget", Key=KEY)["Item"]
    assert (int(raw["d_ep"]["N"]), int(raw["m_ep"]["N"])) == (1, 0)
    clock.advance(days=1)
    assert [a.alert_id for a in ledger.reserve("shop", CENT).alerts] == ["shop/budget_reset/daily/2026-11-29"]
    raw = moto_dynamodb.get_item(TableName="budget", Key=KEY)["Item"]
    assert (int(raw["d_ep"]["N"]), int(raw["d_prev_ep"]["N"])) == (0, 1)


def test_an_item_from_before_episodes_that_no_one_touched_rolls_into_episode_zero(
    ledger: DynamoDBLedger, moto_dynamodb: Any, clock: Clock
) -> None:
    moto_dynamodb.update_item(TableName="budget", Key=KEY, UpdateExpression="REMOVE d_ep, m_ep, d_prev_ep, m_prev_ep")
    clock.advance(days=1)
    assert ledger.reserve("shop", CENT).admitted  # rolled first
    raw = moto_dynamodb.get_item(TableName="budget", Key=KEY)["Item"]
    assert (int(raw["d_ep"]["N"]), int(raw["d_prev_ep"]["N"])) == (0, 0)


def test_a_crossing_of_a_reopened_window_claimed_after_it_rolled_carries_the_episode_it_closed_in(
    ledger: DynamoDBLedger, faulty: FaultyClient, moto_dynamodb: Any, clock: Clock
) -> None:
    _spend(ledger, USD)
    ledger.change_policy("shop", RAISED)  # $1 of $2: the day's episode 1
    clock.advance(hours=11, minutes=59)  # 23:59 UTC
    hold = ledger.reserve("shop", 70 * CENT).hold
    assert hold is not None
    faulty.races.append((_claims, _die))
    with pytest.raises(Killed):
        ledger.settle(hold, 70 * CENT)  # $1.70 of $2: warned, claimed by no one
    clock.advance(minutes=2)
    other = DynamoDBLedger(moto_dynamodb, "budget", clock=clock)
    assert other.reserve("shop", CENT).alerts == ()  # the roll: nothing announced since the reopening
    swept = ledger.reclaim_stale_holds().alerts
    assert [a.alert_id for a in swept] == ["shop/soft_cap/daily/2026-11-28/1", "shop/budget_reset/daily/2026-11-29"]


def test_a_claim_that_raced_a_reopening_announces_nothing_of_the_episode_before(
    ledger: DynamoDBLedger, faulty: FaultyClient, moto_dynamodb: Any, clock: Clock
) -> None:
    [soft] = _spend(ledger, 85 * CENT)
    hold = ledger.reserve("shop", 15 * CENT).hold
    assert hold is not None
    admin = DynamoDBLedger(moto_dynamodb, "budget", clock=clock)
    raced: list[Any] = []

    def reopen_and_warn_again() -> None:
        raced.extend(admin.change_policy("shop", RAISED).alerts)  # $1 of $2: episode 1
        raced.extend(_spend(admin, 65 * CENT))  # $1.65 of $2: episode 1's soft cap, the marker back where it was

    faulty.races.append((_claims, reopen_and_warn_again))
    # $1 of $1 as this request read it: the degraded and hard stop it would claim belong to an episode that is over.
    assert ledger.settle(hold, 15 * CENT).alerts == ()
    assert [a.alert_id for a in raced] == ["shop/budget_reset/daily/2026-11-28/1", "shop/soft_cap/daily/2026-11-28/1"]
    pending = sorted(a.alert_id for a in ledger.pending_alerts("shop"))
    assert pending == sorted([soft.alert_id, *(a.alert_id for a in raced)])
