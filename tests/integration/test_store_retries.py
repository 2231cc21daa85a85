"""The cache store and the tenant directory retry what DynamoDB says is passing, on a stubbed botocore client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from spendrail.cache.dynamodb import DynamoDBCacheStore
from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.dynamo.call import DynamoCall
from spendrail.errors import StoreMisconfiguredError, StoreThrottledError, StoreUnavailableError
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import KeyRecord, KeyStatus

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
