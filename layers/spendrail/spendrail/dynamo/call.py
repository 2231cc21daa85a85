"""One DynamoDB call: bounded, jittered retries, and the package's own errors in place of botocore's.

botocore's own retries are off (see wiring): retrying here keeps the replay rule in one place. A retry after a
timeout or a reset may repeat a write whose first attempt was applied; every store's writes are conditional on the
state they expect (or idempotent), so the repeat fails its condition and the caller recognises it as a replay.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from spendrail.errors import SpendrailError, StoreMisconfiguredError, StoreThrottledError, StoreUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_THROTTLE_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "LimitExceededException"}
)
_SERVER_CODES = frozenset({"InternalServerError", "ServiceUnavailable"})
_NETWORK_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
# The request reached DynamoDB and its answer was lost: a write may have been applied.
_MAYBE_APPLIED = (ReadTimeoutError, ConnectionClosedError)


class ConditionFailed(Exception):
    """A conditional write found the item other than it expected (or a replay of a write already applied)."""


class StoreErrors(NamedTuple):
    """What a store raises when DynamoDB keeps throttling, cannot be reached, or rejects the request itself."""

    throttled: type[SpendrailError]
    unavailable: type[SpendrailError]
    misconfigured: type[SpendrailError]


STORE_ERRORS = StoreErrors(StoreThrottledError, StoreUnavailableError, StoreMisconfiguredError)


class DynamoCall:
    """Calls one DynamoDB operation: `call("get_item", TableName=..., Key=...)`."""

    def __init__(
        self,
        client: DynamoDBClient,
        *,
        name: str = "DynamoDB",
        errors: StoreErrors = STORE_ERRORS,
        max_attempts: int = 5,
        base_backoff_seconds: float = 0.025,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self._name = name
        self._errors = errors
        self._max_attempts = max_attempts
        self._base_backoff = base_backoff_seconds
        self._sleep = sleep

    def __call__(self, operation: str, *, replay_safe: bool = True, **kwargs: Any) -> dict[str, Any]:
        """`replay_safe=False` for a write that must never be sent twice: a lost answer is not retried."""
        method = getattr(self.client, operation)
        for attempt in range(1, self._max_attempts + 1):
            try:
                result: dict[str, Any] = method(**kwargs)
                return result
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "ConditionalCheckFailedException":
                    raise ConditionFailed from exc
                if code not in _THROTTLE_CODES | _SERVER_CODES:
                    raise self._errors.misconfigured(f"{self._name} {operation} rejected: {code}") from exc
                if attempt == self._max_attempts:
                    raise self._errors.throttled(f"{self._name} {operation} throttled {attempt} times") from exc
            except _NETWORK_ERRORS as exc:
                if attempt == self._max_attempts or (isinstance(exc, _MAYBE_APPLIED) and not replay_safe):
                    raise self._errors.unavailable(f"{self._name} {operation} unreachable: {exc}") from exc
            self._sleep(self._base_backoff * (2 ** (attempt - 1)) * (0.5 + random.random()))
        raise AssertionError("unreachable")  # pragma: no cover
