"""DynamoDB calls retry what is passing, within a time budget and the request's deadline (stubbed or fake clients)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

from spendrail.cache.dynamodb import DynamoDBCacheStore
from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.deadline import Deadline
from spendrail.dynamo.call import DynamoCall
from spendrail.errors import LedgerUnavailableError, StoreMisconfiguredError, StoreThrottledError, StoreUnavailableError
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import KeyRecord, KeyStatus
from tests.conftest import Clock

KEY_HASH = "ab" * 32
KEY_ITEM = {"pk": {"S": f"KEY#{KEY_HASH}"}, "sk": {"S": "KEY"}, "tenant_id": {"S": "shop"}, "status": {"S": "active"}}
SCOPE = CacheScope("shop", "support")
ANSWER = StoredAnswer("k1", "How do I track my order?", "Use the link in your email.", "m1", 5, 100, 200, b"\0" * 8)


@pytest.fixture
def client() -> Any:
    return boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def call(client: Any, sleeps: list[float]) -> DynamoCall:
    return DynamoCall(client, sleep=sleeps.append)


def test_a_throttled_key_lookup_is_retried_and_answered(
    client: Any, stub: Stubber, call: DynamoCall, sleeps: list[float]
) -> None:
    stub.add_client_error("get_item", "ProvisionedThroughputExceededException", http_status_code=400)
    stub.add_response("get_item", {"Item": KEY_ITEM})
    directory = DynamoDBTenantDirectory(client, "tenants", call=call)
    assert directory.key(KEY_HASH) == KeyRecord(KEY_HASH, "shop", KeyStatus.ACTIVE)
    assert len(sleeps) == 1  # one backoff, then the answer


def test_a_transient_server_error_on_the_key_lookup_is_retried(client: Any, stub: Stubber, call: DynamoCall) -> None:
    stub.add_client_error("get_item", "InternalServerError", http_status_code=500)
    stub.add_response("get_item", {})
    assert DynamoDBTenantDirectory(client, "tenants", call=call).key(KEY_HASH) is None


def test_the_directory_retries_by_default_too(client: Any, stub: Stubber) -> None:
    stub.add_client_error("get_item", "ThrottlingException", http_status_code=400)
    stub.add_response("get_item", {"Item": KEY_ITEM})
    assert DynamoDBTenantDirectory(client, "tenants").key(KEY_HASH) is not None


def test_throttling_that_outlasts_the_retries_is_unavailable_not_a_crash(
    client: Any, stub: Stubber, call: DynamoCall
) -> None:
    for _ in range(5):
        stub.add_client_error("get_item", "ProvisionedThroughputExceededException", http_status_code=400)
    with pytest.raises(StoreThrottledError) as raised:
        DynamoDBTenantDirectory(client, "tenants", call=call).key(KEY_HASH)
    assert isinstance(raised.value, StoreUnavailableError)  # the API answers 503, as for any outage


def test_a_missing_table_is_not_retried_and_reads_as_unavailable(
    client: Any, stub: Stubber, call: DynamoCall, sleeps: list[float]
) -> None:
    stub.add_client_error("get_item", "ResourceNotFoundException", http_status_code=400)
    with pytest.raises(StoreMisconfiguredError, match="ResourceNotFoundException"):
        DynamoDBCacheStore(client, "cache", call=call).get(SCOPE, "k1")
    assert sleeps == []


def test_a_throttled_cache_put_is_retried_and_an_answer_already_stored_is_fine(
    client: Any, stub: Stubber, call: DynamoCall
) -> None:
    stub.add_client_error("put_item", "ThrottlingException", http_status_code=400)
    stub.add_response("put_item", {})
    # A second put of the same key (another instance stored it first) fails its condition: nothing to do.
    stub.add_client_error("put_item", "ConditionalCheckFailedException", http_status_code=400)
    store = DynamoDBCacheStore(client, "cache", call=call)
    store.put(SCOPE, ANSWER)
    store.put(SCOPE, ANSWER)


class _Unreachable:
    """A client whose first calls fail to connect, then answers like a table holding one cached answer."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    def get_item(self, **_: Any) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise EndpointConnectionError(endpoint_url="http://dynamodb")
        return {}


def test_a_cache_lookup_that_could_not_connect_is_retried(sleeps: list[float]) -> None:
    client = _Unreachable(failures=2)
    store = DynamoDBCacheStore(client, "cache", call=DynamoCall(client, sleep=sleeps.append))  # type: ignore[arg-type]
    assert store.get(SCOPE, "k1") is None
    assert len(sleeps) == 2


# ---- time budget ------------------------------------------------------------------------------------------------


class FakeTime:
    """Monotonic seconds that move only when something waits: a backoff sleep, or a call that times out."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Stalled:
    """DynamoDB that accepts every request and never answers: each call ends in the client's read timeout."""

    def __init__(self, time: FakeTime, read_timeout: float = 1.0) -> None:
        self.time, self.read_timeout, self.calls = time, read_timeout, 0

    def __getattr__(self, operation: str) -> Any:
        def call(**_: Any) -> dict[str, Any]:
            self.calls += 1
            self.time.now += self.read_timeout
            raise ReadTimeoutError(endpoint_url="http://dynamodb")

        return call


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def _timed_call(client: Any, fake_time: FakeTime, **options: Any) -> DynamoCall:
    return DynamoCall(client, sleep=fake_time.sleep, monotonic=fake_time.monotonic, **options)


def test_a_stalled_store_gives_up_within_the_operation_budget(fake_time: FakeTime) -> None:
    stalled = Stalled(fake_time)
    with pytest.raises(StoreUnavailableError):
        _timed_call(stalled, fake_time)("get_item", TableName="tenants", Key={})
    assert fake_time.now <= 2.5  # the default budget, sleeps included
    assert stalled.calls == 2  # a second 1 s attempt fitted; a third would have ended past the budget


def test_no_attempt_starts_that_the_requests_deadline_cannot_fit(fake_time: FakeTime) -> None:
    stalled = Stalled(fake_time)
    with Deadline.after(1.6, clock=fake_time.monotonic).applied(), pytest.raises(StoreUnavailableError):
        _timed_call(stalled, fake_time, op_budget_seconds=10)("get_item", TableName="tenants", Key={})
    assert (stalled.calls, fake_time.now) == (1, 1.0)  # 0.6 s left could not fit another 1 s attempt: no sleep


def test_a_request_out_of_time_does_not_call_the_store_at_all(fake_time: FakeTime) -> None:
    stalled = Stalled(fake_time)
    with Deadline.after(0, clock=fake_time.monotonic).applied(), pytest.raises(StoreUnavailableError):
        _timed_call(stalled, fake_time)("get_item", TableName="tenants", Key={})
    assert stalled.calls == 0


def test_throttles_answer_fast_so_every_attempt_fits_the_budget(
    client: Any, stub: Stubber, fake_time: FakeTime
) -> None:
    for _ in range(4):
        stub.add_client_error("get_item", "ThrottlingException", http_status_code=400)
    stub.add_response("get_item", {"Item": KEY_ITEM})
    directory = DynamoDBTenantDirectory(client, "tenants", call=_timed_call(client, fake_time))
    assert directory.key(KEY_HASH) is not None
    assert len(fake_time.sleeps) == 4 and fake_time.now < 2.5


def test_a_stalled_budget_table_fails_the_request_in_seconds_not_half_a_minute(
    fake_time: FakeTime, clock: Clock
) -> None:
    stalled = Stalled(fake_time)
    ledger = DynamoDBLedger(
        stalled,  # type: ignore[arg-type]
        "budget",
        clock=clock,
        sleep=fake_time.sleep,
        monotonic=fake_time.monotonic,
    )
    with Deadline.after(29, clock=fake_time.monotonic).applied(), pytest.raises(LedgerUnavailableError):
        ledger.reserve("shop", 1)
    assert fake_time.now <= 2.5


def test_a_real_client_facing_a_silent_store_gives_up_in_about_two_seconds(stalled_endpoint: str, clock: Clock) -> None:
    # The client configuration the functions use: short timeouts, botocore's own retries off.
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=0.5, read_timeout=1)
    client = boto3.client("dynamodb", endpoint_url=stalled_endpoint, region_name="us-east-1", config=config)
    started = time.monotonic()
    with pytest.raises(LedgerUnavailableError):
        DynamoDBLedger(client, "budget", clock=clock).reserve("shop", 1)
    assert time.monotonic() - started < 3  # two 1 s attempts; the third would not fit the 2.5 s budget
