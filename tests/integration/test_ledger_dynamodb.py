"""DynamoDB-specific behaviour of the ledger on moto: retries, lost responses, error mapping, call counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from spendrail.errors import LedgerMisconfiguredError, LedgerThrottledError, LedgerUnavailableError
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.ledger.model import Refusal
from spendrail.policy import BudgetPolicy
from tests.conftest import Clock

CENT = 10_000_000
POLICY = BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10")


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "UpdateItem")


class FaultyClient:
    """Passes calls to a real client; injected faults strike before a call, or after it (a lost response).

    A race runs another writer's action just before the first call that matches it, as if it had won the item.
    """

    def __init__(self, real: Any) -> None:
        self.real = real
        self.faults: list[tuple[str, str, Exception]] = []  # (operation, "before"|"after", error)
        self.races: list[tuple[Callable[[dict[str, Any]], bool], Callable[[], object]]] = []
        self.calls: Counter[str] = Counter()

    def __getattr__(self, operation: str) -> Any:
        method = getattr(self.real, operation)

        def call(**kwargs: Any) -> Any:
            self.calls[operation] += 1
            race = next((r for r in self.races if r[0](kwargs)), None)
            if race:
                self.races.remove(race)
                race[1]()
            fault = next((f for f in self.faults if f[0] == operation), None)
            if fault:
                self.faults.remove(fault)
                if fault[1] == "before":
                    raise fault[2]
                method(**kwargs)
                raise fault[2]
            return method(**kwargs)

        return call


@pytest.fixture
def faulty(moto_dynamodb: Any) -> FaultyClient:
    return FaultyClient(moto_dynamodb)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def ledger(faulty: FaultyClient, clock: Clock, sleeps: list[float]) -> DynamoDBLedger:
    ledger = DynamoDBLedger(faulty, "budget", clock=clock, sleep=sleeps.append)  # type: ignore[arg-type]
    ledger.put_policy("shop", POLICY)
    return ledger


def _lost_response() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="http://dynamodb")


def test_a_reserve_whose_response_was_lost_is_retried_and_held_once(
    ledger: DynamoDBLedger, faulty: FaultyClient
) -> None:
    ledger.snapshot("shop")
    faulty.faults.append(("update_item", "after", _lost_response()))
    result = ledger.reserve("shop", 40 * CENT)
    assert result.admitted and result.replayed
    assert ledger.snapshot("shop").daily.held == 40 * CENT


def test_a_settle_whose_response_was_lost_is_retried_and_counted_once(
    ledger: DynamoDBLedger, faulty: FaultyClient
) -> None:
    hold = ledger.reserve("shop", 90 * CENT).hold
    assert hold is not None
    faulty.faults.append(("update_item", "after", _lost_response()))
    result = ledger.settle(hold, 85 * CENT)
    assert not result.applied  # the first attempt was applied; the retry recognised it
    # The crossing is still announced: the retry sees the soft cap passed and claims it.
    assert [c.state.value for c in result.crossings] == ["warned"]
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.held, snapshot.monthly.spent) == (85 * CENT, 0, 85 * CENT)


def test_a_lost_threshold_claim_is_still_reported_once(ledger: DynamoDBLedger, faulty: FaultyClient) -> None:
    hold = ledger.reserve("shop", 90 * CENT).hold
    assert hold is not None
    faulty.faults.append(("update_item", "before", _client_error("ThrottlingException")))  # settle: retried
    ledger_settle = ledger.settle(hold, 1 * CENT)
    assert ledger_settle.applied
    hold = ledger.reserve("shop", 90 * CENT).hold
    assert hold is not None
    # The settle goes through; the marker write that claims the crossing is applied but its response lost.
    faulty.faults.append(("update_item", "after", _lost_response()))
    faulty.faults.append(("update_item", "after", _lost_response()))
    result = ledger.settle(hold, 85 * CENT)
    assert [c.state.value for c in result.crossings] == ["warned"]


def test_throttling_is_retried_with_backoff(ledger: DynamoDBLedger, faulty: FaultyClient, sleeps: list[float]) -> None:
    for _ in range(3):
        faulty.faults.append(("update_item", "before", _client_error("ProvisionedThroughputExceededException")))
    assert ledger.reserve("shop", CENT).admitted
    assert len(sleeps) == 3 and sleeps[0] < sleeps[2]


def test_throttling_that_never_ends_becomes_the_packages_error(ledger: DynamoDBLedger, faulty: FaultyClient) -> None:
    for _ in range(5):
        faulty.faults.append(("get_item", "before", _client_error("ThrottlingException")))
    with pytest.raises(LedgerThrottledError):
        ledger.snapshot("shop")


def test_an_unreachable_store_becomes_the_packages_error(ledger: DynamoDBLedger, faulty: FaultyClient) -> None:
    for _ in range(5):
        faulty.faults.append(("get_item", "before", EndpointConnectionError(endpoint_url="http://x")))
    with pytest.raises(LedgerUnavailableError):
        ledger.snapshot("shop")


def test_a_rejected_request_is_a_configuration_error_not_retried(
    ledger: DynamoDBLedger, faulty: FaultyClient, sleeps: list[float]
) -> None:
    faulty.faults.append(("get_item", "before", _client_error("ResourceNotFoundException")))
    with pytest.raises(LedgerMisconfiguredError, match="ResourceNotFoundException"):
        ledger.snapshot("shop")
    assert sleeps == []


def test_the_first_request_of_a_new_window_takes_a_bounded_few_more(
    ledger: DynamoDBLedger, faulty: FaultyClient, clock: Clock
) -> None:
    ledger.reserve("shop", CENT)
    clock.advance(days=1)
    faulty.calls.clear()
    assert ledger.reserve("shop", CENT).admitted
    assert faulty.calls == Counter(update_item=3)  # refused (the item comes with the failure), roll, reserve


def test_a_request_reclaims_all_expired_holds_in_one_write(
    ledger: DynamoDBLedger, faulty: FaultyClient, clock: Clock
) -> None:
    for _ in range(3):
        ledger.reserve("shop", 10 * CENT)  # three requests die
    clock.advance(seconds=30)
    ledger.reserve("shop", 50 * CENT)  # a live one
    clock.advance(seconds=20)
    faulty.calls.clear()
    result = ledger.reserve("shop", 30 * CENT)
    assert (result.refusal, result.retry_after) == (Refusal.BUSY, 25)
    # refused (the item comes with the failure, no read), one write for all three holds
    assert faulty.calls == Counter(update_item=2)


def _reclaims(request: dict[str, Any]) -> bool:
    return "#r0" in request.get("ExpressionAttributeNames", {})  # the write that charges expired holds


@pytest.mark.parametrize("by", ["the request it blocks", "the sweep"])
def test_a_hold_settled_while_it_is_being_reclaimed_is_charged_once(
    ledger: DynamoDBLedger, faulty: FaultyClient, moto_dynamodb: Any, clock: Clock, by: str
) -> None:
    hold = ledger.reserve("shop", 90 * CENT).hold
    assert hold is not None
    clock.advance(seconds=46)
    # The request was only very late: its settle lands between the reclaimer's read and its write.
    very_late = DynamoDBLedger(moto_dynamodb, "budget", clock=clock)
    faulty.races.append((_reclaims, lambda: very_late.settle(hold, 30 * CENT)))
    if by == "the sweep":
        assert ledger.reclaim_stale_holds().holds_reclaimed == 0
    else:
        assert ledger.reserve("shop", 20 * CENT).admitted  # the settle made room: decided again, admitted
    daily = ledger.snapshot("shop").daily
    assert (daily.spent, daily.in_doubt) == (30 * CENT, 0)
    assert not faulty.races


def test_items_written_before_money_in_doubt_existed_still_work(
    ledger: DynamoDBLedger, moto_dynamodb: Any, clock: Clock
) -> None:
    moto_dynamodb.update_item(
        TableName="budget",
        Key={"pk": {"S": "TENANT#shop"}, "sk": {"S": "LEDGER"}},
        UpdateExpression="REMOVE d_doubt, m_doubt, d_prev_doubt, m_prev_doubt",
    )
    hold = ledger.reserve("shop", 20 * CENT).hold
    assert hold is not None
    assert ledger.settle(hold, 20 * CENT, in_doubt=20 * CENT).snapshot.daily.in_doubt == 20 * CENT
    ledger.reserve("shop", 10 * CENT)  # dies
    clock.advance(days=1)  # the day rolls with the charge in doubt; the month keeps it
    new_day = ledger.reserve("shop", CENT).hold
    assert new_day is not None
    ledger.release(new_day)
    clock.advance(seconds=60)
    assert ledger.reclaim_stale_holds().nanos_in_doubt == 10 * CENT  # charged to the day before
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.in_doubt, snapshot.monthly.in_doubt) == (0, 30 * CENT)


def test_the_sweeper_reads_only_tenants_that_may_hold_budget(
    ledger: DynamoDBLedger, faulty: FaultyClient, clock: Clock
) -> None:
    for i in range(5):
        ledger.put_policy(f"idle-{i}", POLICY)
    hold = ledger.reserve("shop", CENT).hold
    assert hold is not None
    ledger.settle(hold, CENT)
    faulty.calls.clear()
    report = ledger.reclaim_stale_holds()
    assert report.tenants_checked == 1  # the idle tenants are never touched
    assert ledger.reclaim_stale_holds().tenants_checked == 0  # an empty tenant leaves the index


def test_a_refused_reserve_learns_why_from_its_failed_write_without_a_read(
    ledger: DynamoDBLedger, faulty: FaultyClient
) -> None:
    hold = ledger.reserve("shop", 100 * CENT).hold
    assert hold is not None
    ledger.settle(hold, 100 * CENT)  # the whole day spent (the settle claims the hard stop)
    faulty.calls.clear()
    refused = ledger.reserve("shop", CENT)
    assert (refused.refusal, refused.snapshot.daily.spent, refused.alerts) == (Refusal.EXHAUSTED, 100 * CENT, ())
    assert faulty.calls == Counter(update_item=1)  # ReturnValuesOnConditionCheckFailure brought the item
